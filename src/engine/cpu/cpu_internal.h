/* The CPU backend's state and entry points (the reference backend). Shapes follow
 * backend.h; loops are OpenMP over independent outputs, so every result is computed in a
 * fixed order whatever the thread count. */
#ifndef OCD_CPU_INTERNAL_H
#define OCD_CPU_INTERNAL_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

enum { CPU_MAX_THREADS = 64, CPU_SHARED_SLOTS = 4 };

struct BackendCtx {
    int threads;
    /* per-thread scratch (im2col columns, gathered gradients) and shared scratch (partial
     * sums); grown on first use of a shape, then reused: no malloc in a steady loop */
    float *tbuf[CPU_MAX_THREADS][2];
    size_t tcap[CPU_MAX_THREADS][2];
    float *shared[CPU_SHARED_SLOTS];
    size_t shared_cap[CPU_SHARED_SLOTS];
};

float *cpu_thread_scratch(BackendCtx *c, int tid, int slot, size_t floats);
float *cpu_shared_scratch(BackendCtx *c, int slot, size_t floats);

/* Rows of work below which a loop stays on one thread. */
#define CPU_PAR_MIN 4096

/* cpu_blas.c */
void cpu_gemm(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
void cpu_gemm_batched(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                      int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C, int ldc, int64_t sc,
                      int batch);
/* the product as tiles (a layout fixed by the shape); `parallel` runs them on our threads */
void cpu_gemm_run(BackendCtx *, int parallel, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* one single-threaded sgemm call */
void cpu_gemm_serial(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                     int ldb, float beta, float *C, int ldc);

/* cpu_conv.c */
void cpu_conv2d_fwd(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b, float *y);
void cpu_conv2d_up2_fwd(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b, float *y);
void cpu_conv2d_bwd_data(BackendCtx *, const ConvGeom *, const float *dy, const float *w, float *dx);
void cpu_conv2d_bwd_filter(BackendCtx *, const ConvGeom *, const float *dy, const float *x, float *dw);

/* cpu_pool.c */
void cpu_maxpool_fwd(BackendCtx *, const PoolGeom *, const float *x, float *y, int32_t *argmax);
void cpu_maxpool_bwd(BackendCtx *, const PoolGeom *, const float *dy, const int32_t *argmax, float *dx);
void cpu_avgpool_fwd(BackendCtx *, const PoolGeom *, const float *x, float *y);
void cpu_avgpool_bwd(BackendCtx *, const PoolGeom *, const float *dy, float *dx);
void cpu_upsample_fwd(BackendCtx *, int N, int C, int H, int W, int f, const float *x, float *y);
void cpu_upsample_bwd(BackendCtx *, int N, int C, int H, int W, int f, const float *dy, float *dx);

/* cpu_norm.c */
void cpu_groupnorm_fwd(BackendCtx *, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                       const float *beta, float *y, float *mean, float *rstd);
void cpu_groupnorm_silu_fwd(BackendCtx *, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                            const float *beta, float *y, float *z, float *mean, float *rstd);
void cpu_groupnorm_bwd(BackendCtx *, int N, int C, int S, int G, const float *x, const float *gamma,
                       const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                       float *dbeta);
void cpu_batchnorm_fwd(BackendCtx *, int N, int C, int S, float eps, float momentum, int training,
                       const float *x, const float *gamma, const float *beta, float *run_mean, float *run_var,
                       float *y, float *mean, float *rstd);
void cpu_batchnorm_bwd(BackendCtx *, int N, int C, int S, int training, const float *x, const float *gamma,
                       const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                       float *dbeta);

/* cpu_pointwise.c */
void cpu_unary_fwd(BackendCtx *, UnaryKind, int64_t n, const float *x, float *y);
void cpu_unary_bwd(BackendCtx *, UnaryKind, int64_t n, const float *x, const float *y, const float *dy,
                   float *dx);
void cpu_binary_fwd(BackendCtx *, BinaryKind, const int shape[4], const float *a, const int64_t sa[4],
                    const float *b, const int64_t sb[4], float *y);
void cpu_reduce_to(BackendCtx *, const int shape[4], const float *x, float alpha, float *y, const int64_t sy[4]);
void cpu_copy_strided(BackendCtx *, const int shape[4], const float *x, const int64_t sx[4], float *y,
                      const int64_t sy[4], int accumulate);
void cpu_fill(BackendCtx *, int64_t n, float value, float *y);
void cpu_axpby(BackendCtx *, int64_t n, float alpha, const float *x, float beta, float *y);
void cpu_sum(BackendCtx *, int64_t n, const float *x, float alpha, float *y);
double cpu_sumsq(BackendCtx *, int64_t n, const float *x);
int cpu_all_finite(BackendCtx *, int64_t n, const float *x);

/* cpu_softmax.c */
void cpu_softmax_fwd(BackendCtx *, int rows, int cols, int log, const float *x, float *y);
void cpu_softmax_bwd(BackendCtx *, int rows, int cols, int log, const float *y, const float *dy, float *dx);
/* y = softmax(x) over one row of n (x == y allowed): what softmax_fwd does per row */
void cpu_softmax_row(int n, const float *x, float *y);
void cpu_attention_fwd(BackendCtx *, int B, int L, int S, int d, int dv, float scale, const float *q,
                       const float *k, const float *v, float *P, float *out);
void cpu_xent_fwd(BackendCtx *, int N, int K, const float *logits, const float *labels, float *loss,
                  float *prob);
void cpu_xent_bwd(BackendCtx *, int N, int K, const float *prob, const float *labels, const float *dloss,
                  float *dlogits);
void cpu_mse_fwd(BackendCtx *, int N, int D, const float *a, const float *b, float *loss);
void cpu_mse_bwd(BackendCtx *, int N, int D, const float *a, const float *b, const float *dloss, float *da,
                 float *db);

/* cpu_random.c */
void cpu_rng_uniform(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y);
void cpu_rng_normal(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y);
void cpu_dropout_mask(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float p, float *y);
void cpu_timestep_embed(BackendCtx *, int B, int dim, float max_period, const float *t, float *y);

/* cpu_nerf.c */
void cpu_nerf_encode(BackendCtx *, int R, int S, int F, float near, float far, const float *rays, const float *u,
                     float *z, float *enc);
void cpu_nerf_composite_fwd(BackendCtx *, int R, int S, int white, const float *raw, const float *z, float *rgb,
                            float *weights);
void cpu_nerf_composite_bwd(BackendCtx *, int R, int S, int white, const float *raw, const float *z,
                            const float *drgb, float *draw);

/* cpu_optim.c */
void cpu_adam_step(BackendCtx *, int64_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
                   float beta2, float eps, float weight_decay, int decoupled, int64_t t);
void cpu_sgd_step(BackendCtx *, int64_t n, float *p, const float *g, float *buf, float lr, float momentum,
                  float weight_decay, int64_t t);
void cpu_ema_update(BackendCtx *, int64_t n, float *ema, const float *p, float decay);

#endif
