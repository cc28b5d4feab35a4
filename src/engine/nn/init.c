/* Parameter initialisation; see init.h. */
#include "nn/init.h"

#include <math.h>

void init_uniform(Ctx *c, Tensor *t, float lo, float hi)
{
    c->be->rng_uniform(c->bc, t->numel, c->seed, ctx_rng_take(c, t->numel), lo, hi, t->data);
}

void init_normal(Ctx *c, Tensor *t, float mean, float std)
{
    c->be->rng_normal(c->bc, t->numel, c->seed, ctx_rng_take(c, t->numel), mean, std, t->data);
}

void init_constant(Ctx *c, Tensor *t, float value) { c->be->fill(c->bc, t->numel, value, t->data); }

void init_torch_default(Ctx *c, Tensor *w, Tensor *b)
{
    const float bound = 1.0f / sqrtf((float)(w->numel / w->shape[0]));
    init_uniform(c, w, -bound, bound);
    if (b) init_uniform(c, b, -bound, bound);
}
