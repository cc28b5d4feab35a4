/* Pointwise activations and broadcasting arithmetic. */
#include "ops/ops_util.h"

static void unary_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (dx) c->be->unary_bwd(c->bc, (UnaryKind)r->ip[0], x->numel, x->data, r->out->data, r->out->grad, dx);
}

static Tensor *unary(Ctx *c, const char *op, UnaryKind k, Tensor *x)
{
    ctx_check_device(c, op, x, NULL, NULL);
    Tensor *y = tensor_like(c, x);
    c->be->unary_fwd(c->bc, k, x->numel, x->data, y->data);
    TapeRec *r = ag_record(c, op, unary_backward, y, (Tensor *[]){x}, 1);
    if (r) r->ip[0] = k;
    return y;
}

Tensor *op_relu(Ctx *c, Tensor *x) { return unary(c, "relu", UNARY_RELU, x); }
Tensor *op_silu(Ctx *c, Tensor *x) { return unary(c, "silu", UNARY_SILU, x); }
Tensor *op_gelu(Ctx *c, Tensor *x) { return unary(c, "gelu", UNARY_GELU, x); }
Tensor *op_tanh(Ctx *c, Tensor *x) { return unary(c, "tanh", UNARY_TANH, x); }
Tensor *op_sigmoid(Ctx *c, Tensor *x) { return unary(c, "sigmoid", UNARY_SIGMOID, x); }

/* Broadcast strides of t inside the 4-D output shape `out` (0 where t has size 1). */
static void bcast_strides(const Tensor *t, const int out[4], int64_t st[4])
{
    int s[4];
    shape4(t, s);
    strides4(s, st);
    for (int d = 0; d < 4; d++)
        if (s[d] == 1 && out[d] != 1) st[d] = 0;
}

/* d(input) += alpha * reduce(g) where g has the output's full shape */
static void reduce_into(Ctx *c, Tensor *t, const int out[4], const float *g, float alpha, int64_t out_numel)
{
    float *dt = ag_grad(c, t);
    if (!dt) return;
    if (t->numel == out_numel) {
        c->be->axpby(c->bc, t->numel, alpha, g, 1.0f, dt);
        return;
    }
    int64_t st[4];
    bcast_strides(t, out, st);
    c->be->reduce_to(c->bc, out, g, alpha, dt, st);
}

static void binary_backward(Ctx *c, const TapeRec *r)
{
    Tensor *a = r->in[0], *b = r->in[1], *y = r->out;
    const BinaryKind k = (BinaryKind)r->ip[0];
    int out[4];
    shape4(y, out);
    if (k == BINARY_ADD || k == BINARY_SUB) {
        reduce_into(c, a, out, y->grad, 1.0f, y->numel);
        reduce_into(c, b, out, y->grad, k == BINARY_SUB ? -1.0f : 1.0f, y->numel);
        return;
    }
    if (k == BINARY_DIV) { /* y = a / b: da += reduce(dy / b), db -= reduce(dy * y / b) */
        int64_t sy4[4], so[4];
        strides4(out, sy4);
        float *tmp = ctx_temp(c, sizeof(float) * (size_t)y->numel);
        if (a->requires_grad) {
            bcast_strides(b, out, so);
            c->be->binary_fwd(c->bc, BINARY_DIV, out, y->grad, sy4, b->data, so, tmp);
            reduce_into(c, a, out, tmp, 1.0f, y->numel);
        }
        if (b->requires_grad) {
            bcast_strides(b, out, so);
            c->be->binary_fwd(c->bc, BINARY_MUL, out, y->grad, sy4, y->data, sy4, tmp);
            c->be->binary_fwd(c->bc, BINARY_DIV, out, tmp, sy4, b->data, so, tmp);
            reduce_into(c, b, out, tmp, -1.0f, y->numel);
        }
        ctx_temp_free(c, tmp);
        return;
    }
    /* product: da += reduce(dy * b), db += reduce(dy * a) */
    int64_t sy[4];
    strides4(out, sy);
    Tensor *pair[2][2] = {{a, b}, {b, a}};
    for (int i = 0; i < 2; i++) {
        Tensor *t = pair[i][0], *other = pair[i][1];
        if (!t->requires_grad) continue;
        float *tmp = ctx_temp(c, sizeof(float) * (size_t)y->numel);
        int64_t so[4];
        bcast_strides(other, out, so);
        c->be->binary_fwd(c->bc, BINARY_MUL, out, y->grad, sy, other->data, so, tmp);
        reduce_into(c, t, out, tmp, 1.0f, y->numel);
        ctx_temp_free(c, tmp);
    }
}

static Tensor *binary(Ctx *c, const char *op, BinaryKind k, Tensor *a, Tensor *b)
{
    ctx_check_device(c, op, a, b, NULL);
    int sa[4], sb[4], out[4];
    shape4(a, sa);
    shape4(b, sb);
    for (int d = 0; d < 4; d++) {
        OP_REQUIRE(sa[d] == sb[d] || sa[d] == 1 || sb[d] == 1, op, a, b, NULL, "shapes do not broadcast");
        out[d] = sa[d] > sb[d] ? sa[d] : sb[d];
    }
    const int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    Tensor *y = tensor_new(c, nd, out + 4 - nd);
    int64_t st_a[4], st_b[4];
    bcast_strides(a, out, st_a);
    bcast_strides(b, out, st_b);
    c->be->binary_fwd(c->bc, k, out, a->data, st_a, b->data, st_b, y->data);
    TapeRec *r = ag_record(c, op, binary_backward, y, (Tensor *[]){a, b}, 2);
    if (r) r->ip[0] = k;
    return y;
}

Tensor *op_add(Ctx *c, Tensor *a, Tensor *b) { return binary(c, "add", BINARY_ADD, a, b); }
Tensor *op_sub(Ctx *c, Tensor *a, Tensor *b) { return binary(c, "sub", BINARY_SUB, a, b); }
Tensor *op_mul(Ctx *c, Tensor *a, Tensor *b) { return binary(c, "mul", BINARY_MUL, a, b); }
Tensor *op_div(Ctx *c, Tensor *a, Tensor *b) { return binary(c, "div", BINARY_DIV, a, b); }

static void scale_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (dx) c->be->axpby(c->bc, x->numel, r->fp[0], r->out->grad, 1.0f, dx);
}

Tensor *op_scale(Ctx *c, Tensor *x, float s)
{
    ctx_check_device(c, "scale", x, NULL, NULL);
    Tensor *y = tensor_like(c, x);
    c->be->axpby(c->bc, x->numel, s, x->data, 0.0f, y->data);
    TapeRec *r = ag_record(c, "scale", scale_backward, y, (Tensor *[]){x}, 1);
    if (r) r->fp[0] = s;
    return y;
}
