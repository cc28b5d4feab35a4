/* Parameter sets over flat device blocks; see params.h. */
#include "nn/params.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

ParamSet *params_create(Ctx *c)
{
    ParamSet *ps = calloc(1, sizeof *ps);
    ENG_CHECK_ALLOC(ps);
    ps->c = c;
    return ps;
}

void params_destroy(ParamSet *ps)
{
    if (!ps) return;
    for (int i = 0; i < ps->count; i++) {
        free((char *)ps->params[i]->name);
        free(ps->params[i]);
    }
    free(ps->params);
    free(ps->offsets);
    if (ps->data) ps->c->be->release(ps->c->bc, ps->data);
    if (ps->grad) ps->c->be->release(ps->c->bc, ps->grad);
    free(ps);
}

Tensor *params_add(ParamSet *ps, const char *name, int ndim, const int *shape)
{
    ENG_ASSERT(!ps->finalized, "params_add(%s): the set is already finalized", name);
    ENG_ASSERT(!params_find(ps, name), "params_add: a parameter named %s exists already", name);
    ENG_ASSERT(ndim >= 1 && ndim <= MAX_DIMS, "params_add(%s): %d dimensions", name, ndim);
    if (ps->count == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 16;
        ps->params = realloc(ps->params, (size_t)ps->cap * sizeof *ps->params);
        ps->offsets = realloc(ps->offsets, (size_t)ps->cap * sizeof *ps->offsets);
        ENG_CHECK_ALLOC(ps->params);
        ENG_CHECK_ALLOC(ps->offsets);
    }
    Tensor *t = calloc(1, sizeof *t);
    ENG_CHECK_ALLOC(t);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        ENG_ASSERT(shape[i] > 0, "params_add(%s): dimension %d has size %d", name, i, shape[i]);
        t->shape[i] = shape[i];
    }
    t->numel = shape_numel(ndim, shape);
    t->device = (uint8_t)ps->c->be->device;
    t->requires_grad = 1;
    t->is_param = 1;
    t->name = strdup(name);
    ENG_CHECK_ALLOC(t->name);
    /* offsets are aligned to 16 floats so every parameter starts on a 64-byte line */
    int64_t off = (ps->total + 15) / 16 * 16;
    ps->total = off + t->numel;
    ps->offsets[ps->count] = off;
    ps->params[ps->count++] = t;
    return t;
}

void params_finalize(ParamSet *ps)
{
    ENG_ASSERT(!ps->finalized, "params_finalize: called twice");
    const Backend *be = ps->c->be;
    size_t bytes = (size_t)(ps->total ? ps->total : 1) * sizeof(float);
    ps->data = be->alloc(ps->c->bc, bytes);
    ps->grad = be->alloc(ps->c->bc, bytes);
    ENG_ASSERT(ps->data && ps->grad, "params_finalize: could not allocate 2 x %zu bytes", bytes);
    be->zero(ps->c->bc, ps->data, bytes);
    be->zero(ps->c->bc, ps->grad, bytes);
    for (int i = 0; i < ps->count; i++) {
        ps->params[i]->data = ps->data + ps->offsets[i];
        ps->params[i]->grad = ps->grad + ps->offsets[i];
    }
    ps->finalized = 1;
}

Tensor *params_find(const ParamSet *ps, const char *name)
{
    for (int i = 0; i < ps->count; i++)
        if (strcmp(ps->params[i]->name, name) == 0) return ps->params[i];
    return NULL;
}

int64_t params_offset(const ParamSet *ps, const Tensor *p)
{
    for (int i = 0; i < ps->count; i++)
        if (ps->params[i] == p) return ps->offsets[i];
    ENG_FATAL("params_offset: %s is not in this set", p->name ? p->name : "?");
}

void params_zero_grad(ParamSet *ps)
{
    ps->c->be->zero(ps->c->bc, ps->grad, (size_t)ps->total * sizeof(float));
}

void params_set_trainable(ParamSet *ps, int on)
{
    for (int i = 0; i < ps->count; i++) ps->params[i]->requires_grad = (uint8_t)(on != 0);
}

int params_all_trainable(const ParamSet *ps)
{
    for (int i = 0; i < ps->count; i++)
        if (!ps->params[i]->requires_grad) return 0;
    return 1;
}

void params_download(const ParamSet *ps, float *host)
{
    ps->c->be->download(ps->c->bc, host, ps->data, (size_t)ps->total * sizeof(float));
}

void params_upload(ParamSet *ps, const float *host)
{
    ps->c->be->upload(ps->c->bc, ps->data, host, (size_t)ps->total * sizeof(float));
}

void params_copy(ParamSet *dst, const ParamSet *src)
{
    ENG_ASSERT(dst->total == src->total && dst->count == src->count, "params_copy: the sets differ in layout");
    dst->c->be->copy(dst->c->bc, dst->data, src->data, (size_t)src->total * sizeof(float));
}
