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

/* ip: A, D, B (x viewed as (A, D, B), the middle dimension summed) */
static void sum_dim_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (!dx) return;
    const int shape[4] = {1, (int)r->ip[0], (int)r->ip[1], (int)r->ip[2]};
    const int64_t sa[4] = {0, r->ip[1] * r->ip[2], r->ip[2], 1}, sb[4] = {0, r->ip[2], 0, 1};
    c->be->binary_fwd(c->bc, BINARY_ADD, shape, dx, sa, r->out->grad, sb, dx);
}

Tensor *op_sum_dim(Ctx *c, Tensor *x, int dim)
{
    ctx_check_device(c, "op_sum_dim", x, NULL, NULL);
    OP_REQUIRE(dim >= 0 && dim < x->ndim, "op_sum_dim", x, NULL, NULL, "dim %d", dim);
    int64_t A = 1, B = 1;
    for (int d = 0; d < dim; d++) A *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) B *= x->shape[d];
    const int D = x->shape[dim];
    int shape[MAX_DIMS], nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != dim) shape[nd++] = x->shape[d];
    if (nd == 0) shape[nd++] = 1;
    Tensor *y = tensor_zeros(c, nd, shape);
    const int s4[4] = {1, (int)A, D, (int)B};
    const int64_t sy[4] = {0, B, 0, 1};
    c->be->reduce_to(c->bc, s4, x->data, 1.0f, y->data, sy);
    TapeRec *r = ag_record(c, "sum_dim", sum_dim_backward, y, (Tensor *[]){x}, 1);
    if (r) {
        r->ip[0] = A;
        r->ip[1] = D;
        r->ip[2] = B;
    }
    return y;
}
