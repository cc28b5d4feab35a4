/* Linear layers: the shared one (x w^T + b, weights as PyTorch stores them) and the
 * per-sample one, where each batch row has its own weight matrix (a strided-batched gemm):
 * OCD overfits B samples at once and evaluates B test inputs with B predicted weights. */
#include "ops/ops_util.h"

/* ip: rows, in, out */
static void linear_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *w = r->in[1], *b = r->in[2];
    const int rows = (int)r->ip[0], in = (int)r->ip[1], out = (int)r->ip[2];
    const float *dy = r->out->grad;
    float *dx = ag_grad(c, x), *dw = ag_grad(c, w), *db = ag_grad(c, b);
    if (dx) c->be->gemm(c->bc, 0, 0, rows, in, out, 1.0f, dy, out, w->data, in, 1.0f, dx, in);
    if (dw) c->be->gemm(c->bc, 1, 0, out, in, rows, 1.0f, dy, out, x->data, in, 1.0f, dw, in);
    if (db) {
        const int shape[4] = {1, 1, rows, out};
        const int64_t sy[4] = {0, 0, 0, 1};
        c->be->reduce_to(c->bc, shape, dy, 1.0f, db, sy);
    }
}

Tensor *op_linear(Ctx *c, Tensor *x, Tensor *w, Tensor *b)
{
    static const char *op = "op_linear";
    ctx_check_device(c, op, x, w, b);
    OP_REQUIRE(w->ndim == 2, op, x, w, b, "weight must be (out, in)");
    const int in = w->shape[1], out = w->shape[0];
    OP_REQUIRE(x->shape[x->ndim - 1] == in, op, x, w, b, "x's last dimension %d != weight's in %d",
               x->shape[x->ndim - 1], in);
    OP_REQUIRE(!b || (b->ndim == 1 && b->shape[0] == out), op, x, w, b, "bias must be (%d)", out);
    const int rows = (int)(x->numel / in);
    int shape[MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out;
    Tensor *y = tensor_new(c, x->ndim, shape);
    c->be->gemm(c->bc, 0, 1, rows, out, in, 1.0f, x->data, in, w->data, in, 0.0f, y->data, out);
    if (b) {
        const int s4[4] = {1, 1, rows, out};
        const int64_t sa[4] = {0, 0, out, 1}, sb[4] = {0, 0, 0, 1};
        c->be->binary_fwd(c->bc, BINARY_ADD, s4, y->data, sa, b->data, sb, y->data);
    }
    TapeRec *r = ag_record(c, "linear", linear_backward, y, (Tensor *[]){x, w, b}, 3);
    if (r) {
        r->ip[0] = rows;
        r->ip[1] = in;
        r->ip[2] = out;
    }
    return y;
}

/* ip: B, R, in, out */
static void linear_ps_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *w = r->in[1], *b = r->in[2];
    const int B = (int)r->ip[0], R = (int)r->ip[1], in = (int)r->ip[2], out = (int)r->ip[3];
    const float *dy = r->out->grad;
    float *dx = ag_grad(c, x), *dw = ag_grad(c, w), *db = ag_grad(c, b);
    const int64_t sx = (int64_t)R * in, sw = (int64_t)out * in, sy = (int64_t)R * out;
    if (dx) c->be->gemm_batched(c->bc, 0, 0, R, in, out, 1.0f, dy, out, sy, w->data, in, sw, 1.0f, dx, in, sx, B);
    if (dw) c->be->gemm_batched(c->bc, 1, 0, out, in, R, 1.0f, dy, out, sy, x->data, in, sx, 1.0f, dw, in, sw, B);
    if (db) {
        const int shape[4] = {1, B, R, out};
        const int64_t st[4] = {0, out, 0, 1};
        c->be->reduce_to(c->bc, shape, dy, 1.0f, db, st);
    }
}

Tensor *op_linear_per_sample(Ctx *c, Tensor *x, Tensor *w, Tensor *b)
{
    static const char *op = "op_linear_per_sample";
    ctx_check_device(c, op, x, w, b);
    OP_REQUIRE(w->ndim == 3, op, x, w, b, "weight must be (B, out, in)");
    OP_REQUIRE(x->ndim == 2 || x->ndim == 3, op, x, w, b, "x must be (B, in) or (B, R, in)");
    const int B = w->shape[0], out = w->shape[1], in = w->shape[2];
    const int R = x->ndim == 3 ? x->shape[1] : 1;
    OP_REQUIRE(x->shape[0] == B && x->shape[x->ndim - 1] == in, op, x, w, b,
               "x must be (%d, [R,] %d) to match the weights", B, in);
    OP_REQUIRE(!b || (b->ndim == 2 && b->shape[0] == B && b->shape[1] == out), op, x, w, b,
               "bias must be (%d, %d)", B, out);
    Tensor *y = x->ndim == 3 ? tensor_new(c, SHAPE(B, R, out)) : tensor_new(c, SHAPE(B, out));
    c->be->gemm_batched(c->bc, 0, 1, R, out, in, 1.0f, x->data, in, (int64_t)R * in, w->data, in,
                        (int64_t)out * in, 0.0f, y->data, out, (int64_t)R * out, B);
    if (b) {
        const int s4[4] = {1, B, R, out};
        const int64_t sa[4] = {0, (int64_t)R * out, out, 1}, sb[4] = {0, out, 0, 1};
        c->be->binary_fwd(c->bc, BINARY_ADD, s4, y->data, sa, b->data, sb, y->data);
    }
    TapeRec *r = ag_record(c, "linear_per_sample", linear_ps_backward, y, (Tensor *[]){x, w, b}, 3);
    if (r) {
        r->ip[0] = B;
        r->ip[1] = R;
        r->ip[2] = in;
        r->ip[3] = out;
    }
    return y;
}
