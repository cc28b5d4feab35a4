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
