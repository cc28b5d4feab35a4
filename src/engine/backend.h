/* The backend function table. Every entry takes raw device pointers and explicit sizes
 * (never Tensor*), so a backend knows nothing of autograd and each kernel can be tested on
 * its own. The CPU backend is the reference; the CUDA backend fills the same table.
 *
 * Conventions, written once:
 *  - row-major everywhere; images are NCHW; "S" is a spatial size H*W.
 *  - entries named *_bwd ACCUMULATE into their gradient outputs (+=); a NULL gradient
 *    output means "not needed" and is skipped.
 *  - results must not depend on the thread count (fixed reduction orders), so that the
 *    same seed gives bit-identical training on 1 or N threads.
 *  - random entries use Philox (core/philox.h): element i uses counter offset + i/4. */
#ifndef OCD_BACKEND_H
#define OCD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DEV_GUARD: the CPU kernels behind a wall (cpu/guard_backend.c), a device of its own so that
 * tensors of "cpu" and "cpu-guard" contexts never mix */
typedef enum { DEV_CPU = 0, DEV_CUDA = 1, DEV_GUARD = 2, DEV_COUNT } DeviceKind;

typedef struct BackendCtx BackendCtx; /* per-backend state: threads, handles, workspace */

typedef struct {
    int N, C, H, W;     /* input  (N, C, H, W) */
    int O, KH, KW;      /* weight (O, C, KH, KW) */
    int SH, SW, PH, PW; /* stride, zero padding */
    int OH, OW;         /* output (N, O, OH, OW) */
} ConvGeom;

typedef struct {
    int N, C, H, W;
    int KH, KW, SH, SW, PH, PW;
    int OH, OW;
    int count_pad; /* average pooling divides by the whole window (PyTorch's default) */
} PoolGeom;

/* Math modes a preset may ask for (never tests): TF32 lets the GPU's matrix units round
 * float32 inputs to 10-bit mantissas; FAST allows algorithms whose results vary from run to
 * run (atomics in cuDNN's backward passes). */
enum { BACKEND_MATH_TF32 = 1u, BACKEND_MATH_NONDETERMINISTIC = 2u };

typedef enum { UNARY_RELU, UNARY_SILU, UNARY_GELU, UNARY_TANH, UNARY_SIGMOID, UNARY_COUNT } UnaryKind;
typedef enum { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV, BINARY_COUNT } BinaryKind;

typedef struct Backend {
    const char *name;
    DeviceKind device;

    /* ---- life cycle and memory ---- */
    BackendCtx *(*create)(int threads); /* NULL when the device is absent */
    void (*destroy)(BackendCtx *);
    void (*set_threads)(BackendCtx *, int threads);
    /* BACKEND_MATH_* flags; all off by default and in tests; backends without such modes
     * ignore them */
    void (*set_math)(BackendCtx *, unsigned flags);
    void *(*alloc)(BackendCtx *, size_t bytes);
    void (*release)(BackendCtx *, void *p);
    void (*zero)(BackendCtx *, void *p, size_t bytes);
    void (*upload)(BackendCtx *, void *dst, const void *host, size_t bytes);
    void (*download)(BackendCtx *, void *host, const void *src, size_t bytes);
    void (*copy)(BackendCtx *, void *dst, const void *src, size_t bytes);
    void (*sync)(BackendCtx *);

    /* ---- random numbers (Philox) ---- */
    void (*rng_uniform)(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y);
    void (*rng_normal)(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y);
    /* y = 1/(1-p) where u >= p else 0 */
    void (*dropout_mask)(BackendCtx *, int64_t n, uint64_t seed, uint64_t offset, float p, float *y);

    /* ---- matrix products: C = alpha*op(A)*op(B) + beta*C, op(A) (M,K), op(B) (K,N) ---- */
    void (*gemm)(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);
    /* the same for `batch` independent products at strides sa, sb, sc (elements) */
    void (*gemm_batched)(BackendCtx *, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                         int lda, int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C,
                         int ldc, int64_t sc, int batch);

    /* ---- convolution (cross-correlation, as PyTorch) ---- */
    void (*conv2d_fwd)(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b,
                       float *y); /* b may be NULL */
    /* conv2d_fwd of x (N, C, H/2, W/2) upsampled 2x by nearest neighbour: q is the geometry on
     * the upsampled (N, C, H, W) image, stride 1. The U-Net's upsampling without the upsampled
     * image; the CPU's 3x3 kernel sums weights first (a last-bit difference from the two
     * steps). Forward only: training runs upsample_fwd then conv2d_fwd. */
    void (*conv2d_up2_fwd)(BackendCtx *, const ConvGeom *, const float *x, const float *w, const float *b,
                           float *y);
    void (*conv2d_bwd_data)(BackendCtx *, const ConvGeom *, const float *dy, const float *w, float *dx);
    void (*conv2d_bwd_filter)(BackendCtx *, const ConvGeom *, const float *dy, const float *x, float *dw);

    /* ---- pooling and resampling ---- */
    void (*maxpool_fwd)(BackendCtx *, const PoolGeom *, const float *x, float *y, int32_t *argmax);
    void (*maxpool_bwd)(BackendCtx *, const PoolGeom *, const float *dy, const int32_t *argmax, float *dx);
    void (*avgpool_fwd)(BackendCtx *, const PoolGeom *, const float *x, float *y);
    void (*avgpool_bwd)(BackendCtx *, const PoolGeom *, const float *dy, float *dx);
    /* nearest neighbour, integer factor f: x (N,C,H,W) -> y (N,C,H*f,W*f) */
    void (*upsample_fwd)(BackendCtx *, int N, int C, int H, int W, int f, const float *x, float *y);
    void (*upsample_bwd)(BackendCtx *, int N, int C, int H, int W, int f, const float *dy, float *dx);

    /* ---- normalisation ----
     * GroupNorm of x (N, C, S) in G groups, per-channel affine; mean/rstd are (N, G).
     * LayerNorm over rows of length D is the case C = D, S = 1, G = 1. */
    void (*groupnorm_fwd)(BackendCtx *, int N, int C, int S, int G, float eps, const float *x,
                          const float *gamma, const float *beta, float *y, float *mean, float *rstd);
    /* GroupNorm then SiLU in one pass: y = GroupNorm(x) as groupnorm_fwd (y may be NULL: not
     * kept, as in inference) and z = silu(y), the same bits as groupnorm_fwd followed by
     * unary_fwd(UNARY_SILU) */
    void (*groupnorm_silu_fwd)(BackendCtx *, int N, int C, int S, int G, float eps, const float *x,
                               const float *gamma, const float *beta, float *y, float *z, float *mean, float *rstd);
    void (*groupnorm_bwd)(BackendCtx *, int N, int C, int S, int G, const float *x, const float *gamma,
                          const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                          float *dbeta);
    /* BatchNorm of x (N, C, S): batch statistics when training (running stats updated with
     * `momentum`, unbiased variance as PyTorch), else the running statistics. */
    void (*batchnorm_fwd)(BackendCtx *, int N, int C, int S, float eps, float momentum, int training,
                          const float *x, const float *gamma, const float *beta, float *run_mean,
                          float *run_var, float *y, float *mean, float *rstd);
    void (*batchnorm_bwd)(BackendCtx *, int N, int C, int S, int training, const float *x,
                          const float *gamma, const float *mean, const float *rstd, const float *dy,
                          float *dx, float *dgamma, float *dbeta);

    /* ---- pointwise, broadcast, copies, reductions ---- */
    void (*unary_fwd)(BackendCtx *, UnaryKind, int64_t n, const float *x, float *y);
    void (*unary_bwd)(BackendCtx *, UnaryKind, int64_t n, const float *x, const float *y, const float *dy,
                      float *dx);
    /* y[i] = a[i.sa] op b[i.sb] over a 4-D index i of `shape` (strides 0 broadcast); y contiguous
     * and may alias a */
    void (*binary_fwd)(BackendCtx *, BinaryKind, const int shape[4], const float *a, const int64_t sa[4],
                       const float *b, const int64_t sb[4], float *y);
    /* y[i.sy] += alpha * x[i] for x contiguous of `shape`: the reduction behind broadcasting */
    void (*reduce_to)(BackendCtx *, const int shape[4], const float *x, float alpha, float *y,
                      const int64_t sy[4]);
    /* y[i.sy] (+)= x[i.sx]: concat, slice, permute, pad and crop */
    void (*copy_strided)(BackendCtx *, const int shape[4], const float *x, const int64_t sx[4], float *y,
                         const int64_t sy[4], int accumulate);
    void (*fill)(BackendCtx *, int64_t n, float value, float *y);
    void (*axpby)(BackendCtx *, int64_t n, float alpha, const float *x, float beta, float *y);
    void (*sum)(BackendCtx *, int64_t n, const float *x, float alpha, float *y); /* y[0] = alpha*sum */
    double (*sumsq)(BackendCtx *, int64_t n, const float *x);                   /* to the host */
    int (*all_finite)(BackendCtx *, int64_t n, const float *x);                 /* to the host */

    /* ---- softmax and losses (rows of length `cols`) ---- */
    void (*softmax_fwd)(BackendCtx *, int rows, int cols, int log, const float *x, float *y);
    void (*softmax_bwd)(BackendCtx *, int rows, int cols, int log, const float *y, const float *dy,
                        float *dx);
    /* attention of B independent items: q (B, L, d), k (B, S, d), v (B, S, dv) ->
     * P = softmax(scale q k^T) (B, L, S) by rows and out = P v (B, L, dv). P may be NULL (not
     * kept, as in inference): the backend then never holds B*L*S floats at once. The same bits
     * with and without P. */
    void (*attention_fwd)(BackendCtx *, int B, int L, int S, int d, int dv, float scale, const float *q,
                          const float *k, const float *v, float *P, float *out);
    /* cross-entropy of logits (N, K) against class indices stored as floats; loss (N), prob (N,K) */
    void (*xent_fwd)(BackendCtx *, int N, int K, const float *logits, const float *labels, float *loss,
                     float *prob);
    void (*xent_bwd)(BackendCtx *, int N, int K, const float *prob, const float *labels, const float *dloss,
                     float *dlogits);
    /* per-row mean squared error of a, b (N, D) -> loss (N) */
    void (*mse_fwd)(BackendCtx *, int N, int D, const float *a, const float *b, float *loss);
    void (*mse_bwd)(BackendCtx *, int N, int D, const float *a, const float *b, const float *dloss, float *da,
                    float *db);

    /* sinusoidal embedding of t (B) -> y (B, dim): [sin(t f_k), cos(t f_k)], f_k = P^(-k/(dim/2-1))... */
    void (*timestep_embed)(BackendCtx *, int B, int dim, float max_period, const float *t, float *y);

    /* ---- NeRF ----
     * Samples and positional encoding: ray r (origin o, direction d; rays are (R, 6)), sample k:
     * z = near + k (far-near)/(S-1) + u[r,k] (far-near)/S, p = o + z d,
     * enc = [p, sin(2^0 p), cos(2^0 p), ..., sin(2^(F-1) p), cos(2^(F-1) p)]: (R*S, 3+6F) */
    void (*nerf_encode)(BackendCtx *, int R, int S, int F, float near, float far, const float *rays, const float *u,
                        float *z, float *enc);
    /* volume rendering of raw (R, S, 4) (rgb logits, density) at depths z (R, S): rgb (R, 3)
     * and the weights (R, S); the last interval is 1e10; white: composite over white */
    void (*nerf_composite_fwd)(BackendCtx *, int R, int S, int white, const float *raw, const float *z, float *rgb,
                               float *weights);
    void (*nerf_composite_bwd)(BackendCtx *, int R, int S, int white, const float *raw, const float *z,
                               const float *drgb, float *draw);

    /* ---- optimisers over flat buffers ---- */
    void (*adam_step)(BackendCtx *, int64_t n, float *p, const float *g, float *m, float *v, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int decoupled, int64_t t);
    void (*sgd_step)(BackendCtx *, int64_t n, float *p, const float *g, float *buf, float lr, float momentum,
                     float weight_decay, int64_t t);
    void (*ema_update)(BackendCtx *, int64_t n, float *ema, const float *p, float decay);
} Backend;

/* The registry (a named global, DESIGN.md §3): "cpu" and "cpu-guard" always, "cuda" when
 * compiled in. */
const Backend *backend_find(const char *name);
/* 1 when `be` is not NULL and its device can start here (a context is made and destroyed) */
int backend_usable(const Backend *be);
const Backend *backend_cpu(void);
/* The CPU backend whose memory the host cannot touch between table calls, and which checks
 * that every pointer it is given is device memory: finds, without a GPU, the host-side
 * mistakes that would fail on one (cpu/guard_backend.c). */
const Backend *backend_cpu_guard(void);
/* cpu-guard only (bc must be a cpu-guard context): the device allocations it has made, for
 * the tests' check that loops allocate nothing after their first pass (on the GPU, each
 * would be a cudaMalloc and a synchronising cudaFree) */
int64_t backend_guard_allocs(BackendCtx *bc);
/* NULL when CUDA was not compiled in. */
const Backend *backend_cuda(void);
/* Aborts naming the first NULL entry: every backend implements everything. */
void backend_check_complete(const Backend *be);
const char *device_name(DeviceKind d);

#ifdef __cplusplus
}
#endif

#endif
