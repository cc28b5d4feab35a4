/* LeNet5 (see lenet5.h). conv3 sees a 5x5 map with a 5x5 kernel: it is a linear layer over
 * the 400 flattened inputs, which is how it runs (and how OCD may replace it per sample). */
#include "models/lenet5.h"

#include "models/model_util.h"
#include "nn/init.h"
#include "ops/ops.h"

#include "core/check.h"

#include <stdio.h>

static Tensor *conv_stage(Ctx *c, Model *m, int idx, Tensor *x, ModelTap *tap, int pad)
{
    const ModelLayer *l = &m->layers[idx];
    Tensor *y = op_relu(c, op_conv2d(c, x, l->weight, l->bias, 1, pad));
    if (tap && tap->layer == idx) {
        ENG_ASSERT(!tap->ps_weight, "lenet5: %s cannot take per-sample weights (only conv3, fc1, fc2)", l->name);
        tap->input = x;
        tap->activation = y;
    }
    return op_maxpool2d(c, y, 2, 2, 0);
}

static Tensor *lenet5_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap)
{
    const int B = x->shape[0];
    Tensor *h = conv_stage(c, m, 0, x, tap, 2);              /* (B, 6, 14, 14) */
    h = conv_stage(c, m, 1, h, tap, 0);                      /* (B, 16, 5, 5) */
    h = model_linear(c, m, 2, op_reshape(c, h, SHAPE(B, 400)), tap, 1); /* conv3: (B, 120) */
    h = model_linear(c, m, 3, h, tap, 1);                    /* fc1: (B, 84) */
    return model_linear(c, m, 4, h, tap, 0);                 /* fc2: (B, 10) */
}

static void lenet5_destroy(Model *m) { model_free_base(m); }

Model *lenet5_create(Ctx *c)
{
    Model *m = model_alloc(c, "lenet5", 0);
    static const struct {
        const char *name;
        int ndim, shape[4], linear;
    } L[5] = {{"conv1", 4, {6, 1, 5, 5}, 0},
              {"conv2", 4, {16, 6, 5, 5}, 0},
              {"conv3", 4, {120, 16, 5, 5}, 1},
              {"fc1", 2, {84, 120}, 1},
              {"fc2", 2, {10, 84}, 1}};
    Tensor *w[5], *b[5];
    char nm[64];
    for (int i = 0; i < 5; i++) {
        snprintf(nm, sizeof nm, "%s.weight", L[i].name);
        w[i] = params_add(m->ps, nm, L[i].ndim, L[i].shape);
        snprintf(nm, sizeof nm, "%s.bias", L[i].name);
        b[i] = params_add(m->ps, nm, SHAPE(L[i].shape[0]));
    }
    params_finalize(m->ps);
    for (int i = 0; i < 5; i++) {
        init_torch_default(c, w[i], b[i]);
        model_add_layer(m, L[i].name, w[i], b[i], L[i].linear);
    }
    m->forward = lenet5_forward;
    m->destroy = lenet5_destroy;
    return m;
}
