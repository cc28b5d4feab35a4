/* The CUDA backend's state, error checks and entry points. Every CUDA, cuBLAS and cuDNN
 * status is checked with a macro that names the call, the file and the line. Kernels take
 * raw device pointers and explicit sizes (backend.h's conventions: row-major, NCHW, *_bwd
 * entries accumulate, results do not depend on launch geometry choices made at run time). */
#ifndef OCD_CUDA_INTERNAL_CUH
#define OCD_CUDA_INTERNAL_CUH

#include "backend.h"
#include "core/check.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdint.h>

#define CHECK_CUDA(call)                                                                           \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess) eng_fatal_at(__FILE__, __LINE__, "%s failed: %s", #call, cudaGetErrorString(e_)); \
    } while (0)

#define CHECK_CUBLAS(call)                                                                         \
    do {                                                                                           \
        cublasStatus_t s_ = (call);                                                                \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                           \
            eng_fatal_at(__FILE__, __LINE__, "%s failed: %s", #call, cublasGetStatusString(s_));   \
    } while (0)

#define CHECK_CUDNN(call)                                                                          \
    do {                                                                                           \
        cudnnStatus_t s_ = (call);                                                                 \
        if (s_ != CUDNN_STATUS_SUCCESS)                                                            \
            eng_fatal_at(__FILE__, __LINE__, "%s failed: %s", #call, cudnnGetErrorString(s_));     \
    } while (0)

/* after every kernel launch */
#define CHECK_LAUNCH() CHECK_CUDA(cudaGetLastError())

#define CEIL_DIV(a, b) (((a) + (b)-1) / (b))

#define CUDA_THREADS 256
#define CUDA_MAX_BLOCKS ((int64_t)65535 * 8)

typedef struct ConvPlan ConvPlan; /* conv.cu */

struct BackendCtx {
    int device;
    int sm_count;
    cudaStream_t stream;
    cublasHandle_t blas;
    cudnnHandle_t dnn;
    int allow_tf32; /* matrix units' float32 mode: only when a preset asks, never in tests */
    int allow_nondet; /* cuDNN algorithms whose results vary run to run (atomics) */
    /* the one cuDNN workspace, grown to the largest need */
    void *workspace;
    size_t workspace_size;
    size_t workspace_limit;
    /* per-shape convolution plans */
    ConvPlan *plans;
    int nplans, plans_cap;
    /* conv2d_up2_fwd's upsampled image, grown to the largest need */
    float *up2;
    size_t up2_cap;
    /* reduction partials (double) and a host-visible result slot */
    double *partials;
    size_t partials_cap;
    double *result_dev;
    int *flag_dev;
};

/* blocks for a grid-stride loop over n elements */
static inline unsigned cuda_blocks(int64_t n)
{
    int64_t b = CEIL_DIV(n, (int64_t)CUDA_THREADS);
    return (unsigned)(b < 1 ? 1 : b > CUDA_MAX_BLOCKS ? CUDA_MAX_BLOCKS : b);
}

double *cuda_partials(BackendCtx *c, size_t count);
void *cuda_workspace(BackendCtx *c, size_t bytes);

/* gemm.cu */
void cuda_gemm(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc);
void cuda_gemm_batched(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C, int ldc, int64_t sc,
                       int batch);

/* conv.cu */
void cuda_conv2d_fwd(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b, float *y);
void cuda_conv2d_up2_fwd(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b, float *y);
void cuda_conv2d_bwd_data(BackendCtx *, const ConvGeom *, const float *dy, const float *w, float *dx);
void cuda_conv2d_bwd_filter(BackendCtx *, const ConvGeom *, const float *dy, const float *x, float *dw);
void cuda_conv_plans_free(BackendCtx *);

/* pool.cu */
void cuda_maxpool_fwd(BackendCtx *, const PoolGeom *, const float *x, float *y, int32_t *argmax);
void cuda_maxpool_bwd(BackendCtx *, const PoolGeom *, const float *dy, const int32_t *argmax, float *dx);
void cuda_avgpool_fwd(BackendCtx *, const PoolGeom *, const float *x, float *y);
void cuda_avgpool_bwd(BackendCtx *, const PoolGeom *, const float *dy, float *dx);
void cuda_upsample_fwd(BackendCtx *, int N, int C, int H, int W, int f, const float *x, float *y);
void cuda_upsample_bwd(BackendCtx *, int N, int C, int H, int W, int f, const float *dy, float *dx);

/* norm.cu */
void cuda_groupnorm_fwd(BackendCtx *, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                        const float *beta, float *y, float *mean, float *rstd);
void cuda_groupnorm_silu_fwd(BackendCtx *, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                             const float *beta, float *y, float *z, float *mean, float *rstd);
void cuda_groupnorm_bwd(BackendCtx *, int N, int C, int S, int G, const float *x, const float *gamma,
                        const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta);
void cuda_batchnorm_fwd(BackendCtx *, int N, int C, int S, float eps, float momentum, int training,
                        const float *x, const float *gamma, const float *beta, float *run_mean, float *run_var,
                        float *y, float *mean, float *rstd);
void cuda_batchnorm_bwd(BackendCtx *, int N, int C, int S, int training, const float *x, const float *gamma,
                        const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta);

/* pointwise.cu */
void cuda_unary_fwd(BackendCtx *, UnaryKind, int64_t n, const float *x, float *y);
void cuda_unary_bwd(BackendCtx *, UnaryKind, int64_t n, const float *x, const float *y, const float *dy,
                    float *dx);
void cuda_binary_fwd(BackendCtx *, BinaryKind, const int shape[4], const float *a, const int64_t sa[4],
                     const float *b, const int64_t sb[4], float *y);
void cuda_copy_strided(BackendCtx *, const int shape[4], const float *x, const int64_t sx[4], float *y,
                       const int64_t sy[4], int accumulate);
void cuda_fill(BackendCtx *, int64_t n, float value, float *y);
void cuda_axpby(BackendCtx *, int64_t n, float alpha, const float *x, float beta, float *y);

/* reduce.cu */
void cuda_reduce_to(BackendCtx *, const int shape[4], const float *x, float alpha, float *y, const int64_t sy[4]);
void cuda_sum(BackendCtx *, int64_t n, const float *x, float alpha, float *y);
double cuda_sumsq(BackendCtx *, int64_t n, const float *x);
int cuda_all_finite(BackendCtx *, int64_t n, const float *x);

/* softmax.cu */
void cuda_softmax_fwd(BackendCtx *, int rows, int cols, int log, const float *x, float *y);
void cuda_softmax_bwd(BackendCtx *, int rows, int cols, int log, const float *y, const float *dy, float *dx);
void cuda_attention_fwd(BackendCtx *, int B, int L, int S, int d, int dv, float scale, const float *q, const float *k,
                        const float *v, float *P, float *out);
void cuda_xent_fwd(BackendCtx *, int N, int K, const float *logits, const float *labels, float *loss, float *prob);
void cuda_xent_bwd(BackendCtx *, int N, int K, const float *prob, const float *labels, const float *dloss,
                   float *dlogits);
void cuda_mse_fwd(BackendCtx *, int N, int D, const float *a, const float *b, float *loss);
void cuda_mse_bwd(BackendCtx *, int N, int D, const float *a, const float *b, const float *dloss, float *da,
                  float *db);

/* random.cu */
void cuda_rng_uniform(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y);
void cuda_rng_normal(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y);
void cuda_dropout_mask(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float p, float *y);
void cuda_timestep_embed(BackendCtx *, int B, int dim, float max_period, const float *t, float *y);

/* nerf.cu */
void cuda_nerf_encode(BackendCtx *, int R, int S, int F, float near, float far, const float *rays, const float *u,
                      float *z, float *enc);
void cuda_nerf_composite_fwd(BackendCtx *, int R, int S, int white, const float *raw, const float *z, float *rgb,
                             float *weights);
void cuda_nerf_composite_bwd(BackendCtx *, int R, int S, int white, const float *raw, const float *z,
                             const float *drgb, float *draw);

/* optim.cu */
void cuda_adam_step(BackendCtx *, int64_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
                    float beta2, float eps, float weight_decay, int decoupled, int64_t t);
void cuda_sgd_step(BackendCtx *, int64_t n, float *p, const float *g, float *buf, float lr, float momentum,
                   float weight_decay, int64_t t);
void cuda_ema_update(BackendCtx *, int64_t n, float *ema, const float *p, float decay);

/* block-wide sum of a double (every thread gets the result); blockDim.x a multiple of 32, <= 1024 */
__device__ __forceinline__ double warp_sum_d(double v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max_f(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ double block_sum_d(double v)
{
    __shared__ double part[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_sum_d(v);
    __syncthreads(); /* part[] may still be read by a previous call */
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < nw ? part[lane] : 0.0;
    return warp_sum_d(v);
}

#endif
