/* NeRF ops: sampling with positional encoding, and differentiable volume rendering. */
#include "ops/ops_util.h"

enum { NERF_MAX_SAMPLES = 512 }; /* the backends keep one ray's samples in a local array */

Tensor *op_nerf_encode(Ctx *c, Tensor *rays, int S, int F, float near, float far, Tensor **z)
{
    static const char *op = "op_nerf_encode";
    ctx_check_device(c, op, rays, NULL, NULL);
    OP_REQUIRE(rays->numel % 6 == 0 && rays->shape[rays->ndim - 1] == 6, op, rays, NULL, NULL, "rays must be (..., 6)");
    OP_REQUIRE(S >= 2 && S <= NERF_MAX_SAMPLES && F >= 1 && near < far, op, rays, NULL, NULL,
               "S = %d (2..%d), F = %d, near %g < far %g", S, NERF_MAX_SAMPLES, F, (double)near, (double)far);
    const int R = (int)(rays->numel / 6);
    Tensor *u = tensor_new(c, SHAPE(R, S));
    c->be->rng_uniform(c->bc, u->numel, c->seed, ctx_rng_take(c, u->numel), 0.0f, 1.0f, u->data);
    Tensor *zz = tensor_new(c, SHAPE(R, S));
    Tensor *enc = tensor_new(c, SHAPE(R * S, 3 + 6 * F));
    c->be->nerf_encode(c->bc, R, S, F, near, far, rays->data, u->data, zz->data, enc->data);
    *z = zz;
    return enc;
}

static void composite_backward(Ctx *c, const TapeRec *r)
{
    Tensor *raw = r->in[0], *z = r->in[1];
    float *draw = ag_grad(c, raw);
    if (draw) c->be->nerf_composite_bwd(c->bc, z->shape[0], z->shape[1], (int)r->ip[0], raw->data, z->data,
                                        r->out->grad, draw);
}

Tensor *op_nerf_composite(Ctx *c, Tensor *raw, Tensor *z, int white, Tensor **weights)
{
    static const char *op = "op_nerf_composite";
    ctx_check_device(c, op, raw, z, NULL);
    OP_REQUIRE(z->ndim == 2 && z->shape[1] <= NERF_MAX_SAMPLES, op, raw, z, NULL, "z must be (R, S <= %d)",
               NERF_MAX_SAMPLES);
    const int R = z->shape[0], S = z->shape[1];
    OP_REQUIRE(raw->numel == (int64_t)R * S * 4, op, raw, z, NULL, "raw must hold (R*S, 4) values");
    OP_REQUIRE(!z->requires_grad, op, raw, z, NULL, "depths carry no gradient");
    Tensor *rgb = tensor_new(c, SHAPE(R, 3)), *w = tensor_new(c, SHAPE(R, S));
    c->be->nerf_composite_fwd(c->bc, R, S, white, raw->data, z->data, rgb->data, w->data);
    TapeRec *r = ag_record(c, "nerf_composite", composite_backward, rgb, (Tensor *[]){raw, z}, 2);
    if (r) r->ip[0] = white;
    if (weights) *weights = w;
    return rgb;
}
