/* Dropout (Philox mask from the context's stream) and the sinusoidal timestep embedding. */
#include "ops/ops_util.h"

static void dropout_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (!dx) return;
    const int shape[4] = {1, 1, 1, (int)x->numel};
    const int64_t st[4] = {0, 0, 0, 1};
    float *tmp = ctx_temp(c, sizeof(float) * (size_t)x->numel);
    c->be->binary_fwd(c->bc, BINARY_MUL, shape, r->out->grad, st, r->saved[0]->data, st, tmp);
    c->be->axpby(c->bc, x->numel, 1.0f, tmp, 1.0f, dx);
    ctx_temp_free(c, tmp);
}

Tensor *op_dropout(Ctx *c, Tensor *x, float p)
{
    ctx_check_device(c, "op_dropout", x, NULL, NULL);
    OP_REQUIRE(p >= 0.0f && p < 1.0f, "op_dropout", x, NULL, NULL, "p = %g outside [0, 1)", (double)p);
    if (!c->training || p == 0.0f) return x;
    Tensor *mask = tensor_like(c, x);
    c->be->dropout_mask(c->bc, x->numel, c->seed, ctx_rng_take(c, x->numel), p, mask->data);
    Tensor *y = tensor_like(c, x);
    const int shape[4] = {1, 1, 1, (int)x->numel};
    const int64_t st[4] = {0, 0, 0, 1};
    c->be->binary_fwd(c->bc, BINARY_MUL, shape, x->data, st, mask->data, st, y->data);
    TapeRec *r = ag_record(c, "dropout", dropout_backward, y, (Tensor *[]){x}, 1);
    if (r) r->saved[0] = mask;
    return y;
}

Tensor *op_timestep_embedding(Ctx *c, Tensor *t, int dim)
{
    ctx_check_device(c, "op_timestep_embedding", t, NULL, NULL);
    OP_REQUIRE(t->ndim == 1 && dim >= 2, "op_timestep_embedding", t, NULL, NULL, "t must be (B), dim >= 2 (got %d)",
               dim);
    Tensor *y = tensor_new(c, SHAPE(t->shape[0], dim));
    c->be->timestep_embed(c->bc, t->shape[0], dim, 10000.0f, t->data, y->data);
    return y;
}
