/* The tabular MLP (see mlp.h). */
#include "models/mlp.h"

#include "models/model_util.h"
#include "nn/init.h"
#include "ops/ops.h"

#include "core/check.h"

#include <stdio.h>

#include <stdlib.h>

typedef struct {
    float dropout;
} MlpImpl;

static Tensor *mlp_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap)
{
    const float p = ((MlpImpl *)m->impl)->dropout;
    Tensor *h = op_dropout(c, model_linear(c, m, 0, x, tap, 1), p);
    h = op_dropout(c, model_linear(c, m, 1, h, tap, 1), p);
    return model_linear(c, m, 2, h, tap, 0);
}

static void mlp_destroy(Model *m)
{
    free(m->impl);
    model_free_base(m);
}

Model *mlp_create(Ctx *c, int in, int hidden, int out, float dropout)
{
    Model *m = model_alloc(c, "mlp", 0);
    MlpImpl *impl = malloc(sizeof *impl);
    ENG_CHECK_ALLOC(impl);
    impl->dropout = dropout;
    m->impl = impl;
    const int sizes[4] = {in, hidden, hidden, out};
    Tensor *w[3], *b[3];
    char nm[32];
    for (int i = 0; i < 3; i++) {
        snprintf(nm, sizeof nm, "fc%d.weight", i + 1);
        w[i] = params_add(m->ps, nm, SHAPE(sizes[i + 1], sizes[i]));
        snprintf(nm, sizeof nm, "fc%d.bias", i + 1);
        b[i] = params_add(m->ps, nm, SHAPE(sizes[i + 1]));
    }
    params_finalize(m->ps);
    for (int i = 0; i < 3; i++) {
        init_torch_default(c, w[i], b[i]);
        snprintf(nm, sizeof nm, "fc%d", i + 1);
        model_add_layer(m, nm, w[i], b[i], 1);
    }
    m->forward = mlp_forward;
    m->destroy = mlp_destroy;
    return m;
}
