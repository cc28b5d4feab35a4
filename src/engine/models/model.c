/* Model bookkeeping shared by every model; see model.h. */
#include "models/model.h"

#include "core/check.h"

#include <stdio.h>
#include <string.h>

int model_layer_index(const Model *m, const char *name)
{
    for (int i = 0; i < m->nlayers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

void model_add_layer(Model *m, const char *name, Tensor *weight, Tensor *bias, int is_linear)
{
    ENG_ASSERT(m->nlayers < MODEL_MAX_LAYERS, "model %s: more than %d layers", m->kind, MODEL_MAX_LAYERS);
    ModelLayer *l = &m->layers[m->nlayers++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->weight = weight;
    l->bias = bias;
    l->is_linear = is_linear;
    l->out = weight->shape[0];
    l->in = (int)(weight->numel / weight->shape[0]);
}

void model_destroy(Model *m)
{
    if (m && m->destroy) m->destroy(m);
}

/* ---- shared pieces of the model files (model_util.h) ---- */
#include "models/model_util.h"
#include "ops/ops.h"

#include <stdlib.h>

Tensor *model_linear(Ctx *c, Model *m, int idx, Tensor *x, ModelTap *tap, int relu)
{
    const ModelLayer *l = &m->layers[idx];
    Tensor *y;
    if (tap && tap->layer == idx && tap->ps_weight) {
        y = op_linear_per_sample(c, x, tap->ps_weight, tap->ps_bias);
        if (!tap->ps_bias && l->bias) y = op_add(c, y, l->bias);
    } else {
        Tensor *w = l->weight;
        if (w->ndim != 2) w = tensor_view(c, w, SHAPE(l->out, l->in)); /* a conv on a 1x1 output */
        const int own_bias = tap && tap->layer == idx && tap->ps_bias; /* per-sample biases alone (Tent) */
        y = op_linear(c, x, w, own_bias ? NULL : l->bias);
        if (own_bias) y = op_add(c, y, tap->ps_bias);
    }
    if (relu) y = op_relu(c, y);
    if (tap && tap->layer == idx) {
        tap->input = x;
        tap->activation = y;
    }
    return y;
}

Model *model_alloc(Ctx *c, const char *kind, int buffers)
{
    Model *m = calloc(1, sizeof *m);
    ENG_CHECK_ALLOC(m);
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    m->ps = params_create(c);
    if (buffers) m->buffers = params_create(c);
    return m;
}

void model_free_base(Model *m)
{
    params_destroy(m->ps);
    if (m->buffers) params_destroy(m->buffers);
    free(m);
}
