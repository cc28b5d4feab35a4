/* GroupNorm, GroupNorm followed by SiLU (one pass), LayerNorm (GroupNorm's one-group,
 * one-position case over the last dim) and BatchNorm. The statistics of the forward are kept
 * for the backward. */
#include "ops/ops_util.h"

/* ip: N, C, S, G */
static void groupnorm_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *gamma = r->in[1], *beta = r->in[2];
    float *dx = ag_grad(c, x), *dg = ag_grad(c, gamma), *db = ag_grad(c, beta);
    c->be->groupnorm_bwd(c->bc, (int)r->ip[0], (int)r->ip[1], (int)r->ip[2], (int)r->ip[3], x->data,
                         gamma ? gamma->data : NULL, r->saved[0]->data, r->saved[1]->data, r->out->grad, dx, dg,
                         db);
}

static Tensor *groupnorm(Ctx *c, const char *op, Tensor *x, Tensor *gamma, Tensor *beta, int N, int C, int S, int G,
                         float eps)
{
    Tensor *y = tensor_like(c, x);
    Tensor *mean = tensor_new(c, SHAPE(N * G)), *rstd = tensor_new(c, SHAPE(N * G));
    c->be->groupnorm_fwd(c->bc, N, C, S, G, eps, x->data, gamma ? gamma->data : NULL, beta ? beta->data : NULL,
                         y->data, mean->data, rstd->data);
    TapeRec *r = ag_record(c, op, groupnorm_backward, y, (Tensor *[]){x, gamma, beta}, 3);
    if (r) {
        r->ip[0] = N;
        r->ip[1] = C;
        r->ip[2] = S;
        r->ip[3] = G;
        r->saved[0] = mean;
        r->saved[1] = rstd;
    }
    return y;
}

static void check_affine(const char *op, Tensor *x, Tensor *gamma, Tensor *beta, int C)
{
    OP_REQUIRE(!gamma || (gamma->ndim == 1 && gamma->shape[0] == C), op, x, gamma, beta, "gamma must be (%d)", C);
    OP_REQUIRE(!beta || (beta->ndim == 1 && beta->shape[0] == C), op, x, gamma, beta, "beta must be (%d)", C);
}

Tensor *op_group_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, int groups, float eps)
{
    static const char *op = "op_group_norm";
    ctx_check_device(c, op, x, gamma, beta);
    OP_REQUIRE(x->ndim >= 2, op, x, gamma, beta, "x must be (N, C, ...)");
    const int N = x->shape[0], C = x->shape[1];
    OP_REQUIRE(groups >= 1 && C % groups == 0, op, x, gamma, beta, "%d channels do not split into %d groups", C,
               groups);
    check_affine(op, x, gamma, beta, C);
    return groupnorm(c, "group_norm", x, gamma, beta, N, C, (int)(x->numel / ((int64_t)N * C)), groups, eps);
}

/* ip: N, C, S, G; saved: mean, rstd, y = GroupNorm(x) (SiLU's input) */
static void groupnorm_silu_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *gamma = r->in[1], *beta = r->in[2], *y = r->saved[2];
    float *dx = ag_grad(c, x), *dg = ag_grad(c, gamma), *db = ag_grad(c, beta);
    /* d(loss)/dy first (SiLU's backward into a zeroed temporary), then GroupNorm's */
    float *dy = ctx_temp(c, sizeof(float) * (size_t)y->numel);
    c->be->zero(c->bc, dy, sizeof(float) * (size_t)y->numel);
    c->be->unary_bwd(c->bc, UNARY_SILU, y->numel, y->data, r->out->data, r->out->grad, dy);
    c->be->groupnorm_bwd(c->bc, (int)r->ip[0], (int)r->ip[1], (int)r->ip[2], (int)r->ip[3], x->data,
                         gamma ? gamma->data : NULL, r->saved[0]->data, r->saved[1]->data, dy, dx, dg, db);
    ctx_temp_free(c, dy);
}

Tensor *op_group_norm_silu(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, int groups, float eps)
{
    static const char *op = "op_group_norm_silu";
    ctx_check_device(c, op, x, gamma, beta);
    OP_REQUIRE(x->ndim >= 2, op, x, gamma, beta, "x must be (N, C, ...)");
    const int N = x->shape[0], C = x->shape[1], S = (int)(x->numel / ((int64_t)N * C));
    OP_REQUIRE(groups >= 1 && C % groups == 0, op, x, gamma, beta, "%d channels do not split into %d groups", C,
               groups);
    check_affine(op, x, gamma, beta, C);
    /* GroupNorm's output is kept only when a backward will need it */
    const int keep = ag_needs_grad(c, (Tensor *[]){x, gamma, beta}, 3);
    Tensor *z = tensor_like(c, x), *y = keep ? tensor_like(c, x) : NULL;
    Tensor *mean = tensor_new(c, SHAPE(N * groups)), *rstd = tensor_new(c, SHAPE(N * groups));
    c->be->groupnorm_silu_fwd(c->bc, N, C, S, groups, eps, x->data, gamma ? gamma->data : NULL,
                              beta ? beta->data : NULL, y ? y->data : NULL, z->data, mean->data, rstd->data);
    TapeRec *r = ag_record(c, "group_norm_silu", groupnorm_silu_backward, z, (Tensor *[]){x, gamma, beta}, 3);
    if (r) {
        r->ip[0] = N;
        r->ip[1] = C;
        r->ip[2] = S;
        r->ip[3] = groups;
        r->saved[0] = mean;
        r->saved[1] = rstd;
        r->saved[2] = y;
    }
    return z;
}

Tensor *op_layer_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, float eps)
{
    static const char *op = "op_layer_norm";
    ctx_check_device(c, op, x, gamma, beta);
    const int D = x->shape[x->ndim - 1];
    check_affine(op, x, gamma, beta, D);
    return groupnorm(c, "layer_norm", x, gamma, beta, (int)(x->numel / D), D, 1, 1, eps);
}

/* ip: N, C, S, training */
static void batchnorm_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *gamma = r->in[1], *beta = r->in[2];
    float *dx = ag_grad(c, x), *dg = ag_grad(c, gamma), *db = ag_grad(c, beta);
    c->be->batchnorm_bwd(c->bc, (int)r->ip[0], (int)r->ip[1], (int)r->ip[2], (int)r->ip[3], x->data,
                         gamma ? gamma->data : NULL, r->saved[0]->data, r->saved[1]->data, r->out->grad, dx, dg,
                         db);
}

Tensor *op_batch_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, Tensor *run_mean, Tensor *run_var,
                      float momentum, float eps)
{
    static const char *op = "op_batch_norm";
    ctx_check_device(c, op, x, gamma, beta);
    ctx_check_device(c, op, run_mean, run_var, NULL);
    OP_REQUIRE(x->ndim >= 2, op, x, gamma, beta, "x must be (N, C, ...)");
    const int N = x->shape[0], C = x->shape[1], S = (int)(x->numel / ((int64_t)N * C));
    check_affine(op, x, gamma, beta, C);
    check_affine(op, x, run_mean, run_var, C);
    OP_REQUIRE(c->training || (run_mean && run_var), op, x, run_mean, run_var,
               "evaluation needs the running statistics");
    Tensor *y = tensor_like(c, x);
    Tensor *mean = tensor_new(c, SHAPE(C)), *rstd = tensor_new(c, SHAPE(C));
    c->be->batchnorm_fwd(c->bc, N, C, S, eps, momentum, c->training, x->data, gamma ? gamma->data : NULL,
                         beta ? beta->data : NULL, run_mean ? run_mean->data : NULL, run_var ? run_var->data : NULL,
                         y->data, mean->data, rstd->data);
    TapeRec *r = ag_record(c, "batch_norm", batchnorm_backward, y, (Tensor *[]){x, gamma, beta}, 3);
    if (r) {
        r->ip[0] = N;
        r->ip[1] = C;
        r->ip[2] = S;
        r->ip[3] = c->training;
        r->saved[0] = mean;
        r->saved[1] = rstd;
    }
    return y;
}
