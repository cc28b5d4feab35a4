/* Whole-tensor sum and mean, softmax and log-softmax over the last dimension. */
#include "ops/ops_util.h"

/* dx += alpha * dy[0] */
static void sum_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (!dx) return;
    float *g = ctx_temp(c, sizeof(float));
    c->be->axpby(c->bc, 1, r->fp[0], r->out->grad, 0.0f, g);
    const int shape[4] = {1, 1, 1, (int)x->numel};
    const int64_t sa[4] = {0, 0, 0, 1}, sb[4] = {0, 0, 0, 0};
    c->be->binary_fwd(c->bc, BINARY_ADD, shape, dx, sa, g, sb, dx);
    ctx_temp_free(c, g);
}

static Tensor *sum_scaled(Ctx *c, const char *op, Tensor *x, float alpha)
{
    ctx_check_device(c, op, x, NULL, NULL);
    OP_REQUIRE(x->numel < (1LL << 31), op, x, NULL, NULL, "too many elements");
    Tensor *y = tensor_new(c, SHAPE(1));
    c->be->sum(c->bc, x->numel, x->data, alpha, y->data);
    TapeRec *r = ag_record(c, op, sum_backward, y, (Tensor *[]){x}, 1);
    if (r) r->fp[0] = alpha;
    return y;
}

Tensor *op_sum(Ctx *c, Tensor *x) { return sum_scaled(c, "sum", x, 1.0f); }
Tensor *op_mean(Ctx *c, Tensor *x) { return sum_scaled(c, "mean", x, 1.0f / (float)x->numel); }

static void softmax_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    const int cols = x->shape[x->ndim - 1];
    if (dx)
        c->be->softmax_bwd(c->bc, (int)(x->numel / cols), cols, (int)r->ip[0], r->out->data, r->out->grad, dx);
}

static Tensor *softmax(Ctx *c, const char *op, Tensor *x, int log)
{
    ctx_check_device(c, op, x, NULL, NULL);
    const int cols = x->shape[x->ndim - 1];
    Tensor *y = tensor_like(c, x);
    c->be->softmax_fwd(c->bc, (int)(x->numel / cols), cols, log, x->data, y->data);
    TapeRec *r = ag_record(c, op, softmax_backward, y, (Tensor *[]){x}, 1);
    if (r) r->ip[0] = log;
    return y;
}

Tensor *op_softmax(Ctx *c, Tensor *x) { return softmax(c, "softmax", x, 0); }
Tensor *op_log_softmax(Ctx *c, Tensor *x) { return softmax(c, "log_softmax", x, 1); }
