/* Differentiable ops. Each checks its inputs (aborting with the op, the shapes and a
 * backtrace on misuse), computes its output through the backend table, and records its
 * backward on the tape when the output needs a gradient. None branches on the device.
 * Shapes: N batch, C/O channels, H/W spatial, K classes, D features. */
#ifndef OCD_OPS_H
#define OCD_OPS_H

#include "autograd.h"
#include "core/ctx.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear layers ---- */
/* x (..., in), w (out, in), b (out) or NULL -> (..., out) */
Tensor *op_linear(Ctx *c, Tensor *x, Tensor *w, Tensor *b);
/* each sample its own weights: x (B, in) or (B, R, in), w (B, out, in), b (B, out) or NULL
 * -> (B, out) or (B, R, out) */
Tensor *op_linear_per_sample(Ctx *c, Tensor *x, Tensor *w, Tensor *b);

/* ---- convolution, pooling, resampling (x is N, C, H, W) ---- */
Tensor *op_conv2d(Ctx *c, Tensor *x, Tensor *w, Tensor *b, int stride, int pad);
/* op_conv2d(op_upsample_nearest(x, 2), w, b, 1, pad) without the upsampled image when no
 * gradient is needed (the sampler); with one, exactly those two ops */
Tensor *op_upsample_conv2d(Ctx *c, Tensor *x, Tensor *w, Tensor *b, int pad);
Tensor *op_maxpool2d(Ctx *c, Tensor *x, int k, int stride, int pad);
Tensor *op_avgpool2d(Ctx *c, Tensor *x, int k, int stride, int pad);
Tensor *op_upsample_nearest(Ctx *c, Tensor *x, int factor);

/* ---- pointwise ---- */
Tensor *op_relu(Ctx *c, Tensor *x);
Tensor *op_silu(Ctx *c, Tensor *x);
Tensor *op_gelu(Ctx *c, Tensor *x); /* exact (erf) form */
Tensor *op_tanh(Ctx *c, Tensor *x);
Tensor *op_sigmoid(Ctx *c, Tensor *x);
/* numpy-style broadcasting (shapes aligned on the right) */
Tensor *op_add(Ctx *c, Tensor *a, Tensor *b);
Tensor *op_sub(Ctx *c, Tensor *a, Tensor *b);
Tensor *op_mul(Ctx *c, Tensor *a, Tensor *b);
Tensor *op_div(Ctx *c, Tensor *a, Tensor *b);
Tensor *op_scale(Ctx *c, Tensor *x, float s);

/* ---- shape ---- */
Tensor *op_reshape(Ctx *c, Tensor *x, int ndim, const int *shape); /* a view */
/* y.shape[d] = x.shape[perm[d]] */
Tensor *op_permute(Ctx *c, Tensor *x, const int *perm);
Tensor *op_concat(Ctx *c, Tensor *const *xs, int n, int axis);
/* zero padding: before[d], after[d] for each of x's dims */
Tensor *op_pad(Ctx *c, Tensor *x, const int *before, const int *after);
/* the block x[start[d] : start[d]+size[d]] */
Tensor *op_slice(Ctx *c, Tensor *x, const int *start, const int *size);

/* ---- reductions ---- */
Tensor *op_sum(Ctx *c, Tensor *x);  /* -> (1) */
/* sum over one dimension, which is dropped: (A, D, B) -> (A, B) */
Tensor *op_sum_dim(Ctx *c, Tensor *x, int dim);
Tensor *op_mean(Ctx *c, Tensor *x); /* -> (1) */

/* ---- softmax and losses ---- */
Tensor *op_softmax(Ctx *c, Tensor *x);     /* over the last dimension */
Tensor *op_log_softmax(Ctx *c, Tensor *x); /* over the last dimension */
/* logits (N, K), labels (N) holding class indices -> (N) / (1) */
Tensor *op_cross_entropy(Ctx *c, Tensor *logits, Tensor *labels);
Tensor *op_cross_entropy_mean(Ctx *c, Tensor *logits, Tensor *labels);
/* rows of a and b (N, ...) -> per-row mean squared error (N) / overall mean (1) */
Tensor *op_mse(Ctx *c, Tensor *a, Tensor *b);
Tensor *op_mse_mean(Ctx *c, Tensor *a, Tensor *b);

/* ---- normalisation ---- */
Tensor *op_group_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, int groups, float eps);
/* silu(op_group_norm(...)) as one op, the same bits: one pass over x instead of three, and
 * without gradients the normalised tensor is never stored */
Tensor *op_group_norm_silu(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, int groups, float eps);
Tensor *op_layer_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, float eps); /* last dim */
/* batch statistics when c->training (updating the running ones), else the running ones */
Tensor *op_batch_norm(Ctx *c, Tensor *x, Tensor *gamma, Tensor *beta, Tensor *run_mean, Tensor *run_var,
                      float momentum, float eps);

/* ---- attention ---- */
/* softmax(q k^T * scale) v: q (B, L, d), k (B, S, d), v (B, S, dv) -> (B, L, dv) */
Tensor *op_attention(Ctx *c, Tensor *q, Tensor *k, Tensor *v, float scale);
/* multi-head self-attention over the H*W positions of x (N, C, H, W): q, k, v from wqkv
 * (3C, C) and bqkv (3C), output projection wo (C, C), bo (C); no residual, no norm */
Tensor *op_spatial_attention(Ctx *c, Tensor *x, Tensor *wqkv, Tensor *bqkv, Tensor *wo, Tensor *bo, int heads);

/* ---- NeRF ---- */
/* points on rays (R, 6) [origin, direction]: S jittered samples per ray between near and far
 * (jitter drawn from the context's stream), positional encoding with F frequencies: returns
 * (R*S, 3+6F) and the depths in *z (R, S). No gradient (rays are data). */
Tensor *op_nerf_encode(Ctx *c, Tensor *rays, int S, int F, float near, float far, Tensor **z);
/* volume rendering of raw (R*S, 4) at depths z (R, S) -> rgb (R, 3); the weights (R, S) in
 * *weights when not NULL (they carry no gradient) */
Tensor *op_nerf_composite(Ctx *c, Tensor *raw, Tensor *z, int white, Tensor **weights);

/* ---- randomness and embeddings ---- */
Tensor *op_dropout(Ctx *c, Tensor *x, float p); /* identity unless c->training */
/* t (B) timesteps -> (B, dim) sinusoidal embedding (DDPM's); carries no gradient */
Tensor *op_timestep_embedding(Ctx *c, Tensor *t, int dim);

#ifdef __cplusplus
}
#endif

#endif
