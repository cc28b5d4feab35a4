/* Optimisers, clipping and EMA; see optim.h. */
#include "optim.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>

OptConfig optim_defaults(OptKind kind, float lr)
{
    OptConfig c = {.kind = kind, .lr = lr, .momentum = 0.0f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                   .weight_decay = kind == OPT_ADAMW ? 1e-2f : 0.0f};
    return c;
}

Optimizer *optim_create(ParamSet *ps, OptConfig cfg)
{
    ENG_ASSERT(ps->finalized, "optim_create: the parameter set is not finalized");
    Optimizer *o = calloc(1, sizeof *o);
    ENG_CHECK_ALLOC(o);
    o->cfg = cfg;
    o->ps = ps;
    const size_t bytes = (size_t)(ps->total ? ps->total : 1) * sizeof(float);
    const Backend *be = ps->c->be;
    o->m = be->alloc(ps->c->bc, bytes);
    ENG_ASSERT(o->m, "optim_create: could not allocate %zu bytes", bytes);
    be->zero(ps->c->bc, o->m, bytes);
    if (cfg.kind != OPT_SGD) {
        o->v = be->alloc(ps->c->bc, bytes);
        ENG_ASSERT(o->v, "optim_create: could not allocate %zu bytes", bytes);
        be->zero(ps->c->bc, o->v, bytes);
    }
    return o;
}

void optim_destroy(Optimizer *o)
{
    if (!o) return;
    o->ps->c->be->release(o->ps->c->bc, o->m);
    if (o->v) o->ps->c->be->release(o->ps->c->bc, o->v);
    free(o);
}

void optim_reset(Optimizer *o)
{
    const size_t bytes = (size_t)(o->ps->total ? o->ps->total : 1) * sizeof(float);
    o->ps->c->be->zero(o->ps->c->bc, o->m, bytes);
    if (o->v) o->ps->c->be->zero(o->ps->c->bc, o->v, bytes);
    o->t = 0;
}

static void step_range(Optimizer *o, int64_t off, int64_t n)
{
    const OptConfig *k = &o->cfg;
    Ctx *c = o->ps->c;
    float *p = o->ps->data + off, *g = o->ps->grad + off;
    if (k->kind == OPT_SGD)
        c->be->sgd_step(c->bc, n, p, g, o->m + off, k->lr, k->momentum, k->weight_decay, o->t);
    else
        c->be->adam_step(c->bc, n, p, g, o->m + off, o->v + off, k->lr, k->beta1, k->beta2, k->eps, k->weight_decay,
                         k->kind == OPT_ADAMW, o->t);
}

void optim_step(Optimizer *o)
{
    o->t++;
    ParamSet *ps = o->ps;
    if (params_all_trainable(ps)) { /* one call over the whole block */
        step_range(o, 0, ps->total);
        return;
    }
    for (int i = 0; i < ps->count; i++)
        if (ps->params[i]->requires_grad) step_range(o, ps->offsets[i], ps->params[i]->numel);
}

double optim_clip_grad_norm(ParamSet *ps, float max_norm)
{
    Ctx *c = ps->c;
    double ss = 0.0;
    const int all = params_all_trainable(ps);
    if (all)
        ss = c->be->sumsq(c->bc, ps->total, ps->grad);
    else
        for (int i = 0; i < ps->count; i++)
            if (ps->params[i]->requires_grad) ss += c->be->sumsq(c->bc, ps->params[i]->numel, ps->params[i]->grad);
    const double norm = sqrt(ss);
    const double coef = (double)max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        if (all)
            c->be->axpby(c->bc, ps->total, (float)coef, ps->grad, 0.0f, ps->grad);
        else
            for (int i = 0; i < ps->count; i++)
                if (ps->params[i]->requires_grad)
                    c->be->axpby(c->bc, ps->params[i]->numel, (float)coef, ps->params[i]->grad, 0.0f,
                                 ps->params[i]->grad);
    }
    return norm;
}

Ema *ema_create(ParamSet *src)
{
    Ema *e = calloc(1, sizeof *e);
    ENG_CHECK_ALLOC(e);
    e->src = src;
    const size_t bytes = (size_t)(src->total ? src->total : 1) * sizeof(float);
    e->shadow = src->c->be->alloc(src->c->bc, bytes);
    ENG_ASSERT(e->shadow, "ema_create: could not allocate %zu bytes", bytes);
    src->c->be->copy(src->c->bc, e->shadow, src->data, (size_t)src->total * sizeof(float));
    return e;
}

void ema_destroy(Ema *e)
{
    if (!e) return;
    e->src->c->be->release(e->src->c->bc, e->shadow);
    free(e);
}

void ema_update(Ema *e, float decay)
{
    Ctx *c = e->src->c;
    c->be->ema_update(c->bc, e->src->total, e->shadow, e->src->data, decay);
}

void ema_swap(Ema *e)
{
    /* exchange the blocks and re-point the parameters: no copy */
    ParamSet *ps = e->src;
    float *t = ps->data;
    ps->data = e->shadow;
    e->shadow = t;
    for (int i = 0; i < ps->count; i++) ps->params[i]->data = ps->data + ps->offsets[i];
}
