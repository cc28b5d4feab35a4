/* Scaled dot-product attention as one taped op (it keeps the probabilities), and the
 * spatial multi-head self-attention of the diffusion U-Net composed from taped ops.
 * Letters: B batch*heads, L queries, S keys, d key width, dv value width. */
#include "ops/ops_util.h"

#include <math.h>

/* ip: B, L, S, d, dv; fp: scale; saved: probabilities P (B, L, S) */
static void attention_backward(Ctx *c, const TapeRec *r)
{
    Tensor *q = r->in[0], *k = r->in[1], *v = r->in[2], *P = r->saved[0];
    const int B = (int)r->ip[0], L = (int)r->ip[1], S = (int)r->ip[2], d = (int)r->ip[3], dv = (int)r->ip[4];
    const float scale = r->fp[0];
    const float *dO = r->out->grad;
    float *dq = ag_grad(c, q), *dk = ag_grad(c, k), *dvv = ag_grad(c, v);
    const int64_t sP = (int64_t)L * S, sQ = (int64_t)L * d, sK = (int64_t)S * d, sV = (int64_t)S * dv,
                  sO = (int64_t)L * dv;
    if (dvv) /* dV += P^T dO */
        c->be->gemm_batched(c->bc, 1, 0, S, dv, L, 1.0f, P->data, S, sP, dO, dv, sO, 1.0f, dvv, dv, sV, B);
    if (!dq && !dk) return;
    /* dP = dO V^T, then dS = softmax'(P) dP * scale */
    float *dP = ctx_temp(c, sizeof(float) * (size_t)(B * sP));
    float *dS = ctx_temp(c, sizeof(float) * (size_t)(B * sP));
    c->be->gemm_batched(c->bc, 0, 1, L, S, dv, 1.0f, dO, dv, sO, v->data, dv, sV, 0.0f, dP, S, sP, B);
    c->be->zero(c->bc, dS, sizeof(float) * (size_t)(B * sP));
    c->be->softmax_bwd(c->bc, B * L, S, 0, P->data, dP, dS);
    if (dq) /* dQ += scale dS K */
        c->be->gemm_batched(c->bc, 0, 0, L, d, S, scale, dS, S, sP, k->data, d, sK, 1.0f, dq, d, sQ, B);
    if (dk) /* dK += scale dS^T Q */
        c->be->gemm_batched(c->bc, 1, 0, S, d, L, scale, dS, S, sP, q->data, d, sQ, 1.0f, dk, d, sK, B);
    ctx_temp_free(c, dS);
    ctx_temp_free(c, dP);
}

Tensor *op_attention(Ctx *c, Tensor *q, Tensor *k, Tensor *v, float scale)
{
    static const char *op = "op_attention";
    ctx_check_device(c, op, q, k, v);
    OP_REQUIRE(q->ndim == 3 && k->ndim == 3 && v->ndim == 3, op, q, k, v, "q, k, v must be 3-D");
    const int B = q->shape[0], L = q->shape[1], d = q->shape[2], S = k->shape[1], dv = v->shape[2];
    OP_REQUIRE(k->shape[0] == B && v->shape[0] == B && k->shape[2] == d && v->shape[1] == S, op, q, k, v,
               "expected q (B, L, d), k (B, S, d), v (B, S, dv)");
    /* the probabilities (B*L*S floats: 400 MB for the sampler's 256 x 630 x 630) are kept only
     * for a backward; without one the backend works through them a block at a time */
    Tensor *P = ag_needs_grad(c, (Tensor *[]){q, k, v}, 3) ? tensor_new(c, SHAPE(B, L, S)) : NULL;
    Tensor *out = tensor_new(c, SHAPE(B, L, dv));
    c->be->attention_fwd(c->bc, B, L, S, d, dv, scale, q->data, k->data, v->data, P ? P->data : NULL, out->data);
    TapeRec *r = ag_record(c, "attention", attention_backward, out, (Tensor *[]){q, k, v}, 3);
    if (r) {
        r->ip[0] = B;
        r->ip[1] = L;
        r->ip[2] = S;
        r->ip[3] = d;
        r->ip[4] = dv;
        r->fp[0] = scale;
        r->saved[0] = P;
    }
    return out;
}

/* (N*L, C) rows -> (N*heads, L, C/heads) */
static Tensor *split_heads(Ctx *c, Tensor *t, int N, int L, int heads)
{
    const int dh = t->shape[t->ndim - 1] / heads;
    Tensor *v4 = op_reshape(c, t, SHAPE(N, L, heads, dh));
    Tensor *p = op_permute(c, v4, (int[]){0, 2, 1, 3});
    return op_reshape(c, p, SHAPE(N * heads, L, dh));
}

Tensor *op_spatial_attention(Ctx *c, Tensor *x, Tensor *wqkv, Tensor *bqkv, Tensor *wo, Tensor *bo, int heads)
{
    static const char *op = "op_spatial_attention";
    ctx_check_device(c, op, x, wqkv, wo);
    OP_REQUIRE(x->ndim == 4, op, x, wqkv, wo, "x must be (N, C, H, W)");
    const int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], L = H * W;
    OP_REQUIRE(heads >= 1 && C % heads == 0, op, x, wqkv, wo, "%d channels do not split into %d heads", C, heads);
    OP_REQUIRE(wqkv->ndim == 2 && wqkv->shape[0] == 3 * C && wqkv->shape[1] == C, op, x, wqkv, wo,
               "wqkv must be (%d, %d)", 3 * C, C);
    OP_REQUIRE(wo->ndim == 2 && wo->shape[0] == C && wo->shape[1] == C, op, x, wqkv, wo, "wo must be (%d, %d)", C, C);
    /* positions as rows: (N, C, H, W) -> (N*L, C) */
    Tensor *rows = op_reshape(c, op_permute(c, x, (int[]){0, 2, 3, 1}), SHAPE(N * L, C));
    Tensor *qkv[3];
    for (int i = 0; i < 3; i++) {
        Tensor *w = tensor_narrow0(c, wqkv, i * C, C);
        Tensor *b = bqkv ? tensor_narrow0(c, bqkv, i * C, C) : NULL;
        qkv[i] = split_heads(c, op_linear(c, rows, w, b), N, L, heads);
    }
    const int dh = C / heads;
    Tensor *att = op_attention(c, qkv[0], qkv[1], qkv[2], 1.0f / sqrtf((float)dh)); /* (N*heads, L, dh) */
    Tensor *merged = op_permute(c, op_reshape(c, att, SHAPE(N, heads, L, dh)), (int[]){0, 2, 1, 3});
    Tensor *proj = op_linear(c, op_reshape(c, merged, SHAPE(N * L, C)), wo, bo);
    return op_permute(c, op_reshape(c, proj, SHAPE(N, H, W, C)), (int[]){0, 3, 1, 2});
}
