/* Reductions: broadcast-gradient reduction (reduce_to), whole sums, sums of squares and the
 * finiteness check. Each output is summed by one block (or one thread) over a fixed order,
 * with double accumulators, so repeated runs give the same bits. */
#include "cuda_internal.cuh"

typedef struct {
    int nk, nr;             /* kept and reduced dims */
    int kshape[4], rshape[4];
    int64_t kx[4], ky[4];   /* kept dims: strides in x and in y */
    int64_t rx[4];          /* reduced dims: strides in x */
    int64_t nred;
} ReducePlan;

__device__ __forceinline__ void decode(int64_t i, int nd, const int *shape, const int64_t *sa, const int64_t *sb,
                                       int64_t *oa, int64_t *ob)
{
    int64_t a = 0, b = 0;
    for (int d = nd - 1; d >= 0; d--) {
        int64_t q = i % shape[d];
        i /= shape[d];
        a += q * sa[d];
        if (sb) b += q * sb[d];
    }
    *oa = a;
    if (ob) *ob = b;
}

/* one block per output element */
__global__ void reduce_block_k(ReducePlan p, const float *x, float alpha, float *y)
{
    int64_t xo, yo;
    decode(blockIdx.x, p.nk, p.kshape, p.kx, p.ky, &xo, &yo);
    double s = 0.0;
    for (int64_t r = threadIdx.x; r < p.nred; r += blockDim.x) {
        int64_t ro;
        decode(r, p.nr, p.rshape, p.rx, NULL, &ro, NULL);
        s += x[xo + ro];
    }
    s = block_sum_d(s);
    if (threadIdx.x == 0) y[yo] += alpha * (float)s;
}

/* one thread per output element (short reductions) */
__global__ void reduce_thread_k(ReducePlan p, int64_t nout, const float *x, float alpha, float *y)
{
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < nout; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t xo, yo;
        decode(e, p.nk, p.kshape, p.kx, p.ky, &xo, &yo);
        double s = 0.0;
        for (int64_t r = 0; r < p.nred; r++) {
            int64_t ro;
            decode(r, p.nr, p.rshape, p.rx, NULL, &ro, NULL);
            s += x[xo + ro];
        }
        y[yo] += alpha * (float)s;
    }
}

enum { SUM_BLOCKS_MAX = 1024, SUM_CHUNK = 4096 };

/* block b sums the fixed chunk [b*chunk, (b+1)*chunk) */
__global__ void sum_partial_k(int64_t n, int64_t chunk, const float *x, int square, double *part)
{
    int64_t lo = blockIdx.x * chunk, hi = lo + chunk < n ? lo + chunk : n;
    double s = 0.0;
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) s += square ? (double)x[i] * x[i] : (double)x[i];
    s = block_sum_d(s);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void sum_final_k(int nb, const double *part, double *out)
{
    double s = 0.0;
    for (int i = threadIdx.x; i < nb; i += blockDim.x) s += part[i];
    s = block_sum_d(s);
    if (threadIdx.x == 0) *out = s;
}

__global__ void scale_into_k(const double *s, float alpha, float *y, int accumulate)
{
    float v = (float)((double)alpha * *s);
    if (accumulate)
        y[0] += v;
    else
        y[0] = v;
}

/* leaves the total in c->result_dev */
static void sum_to_result(BackendCtx *c, int64_t n, const float *x, int square)
{
    int64_t nb = CEIL_DIV(n, (int64_t)SUM_CHUNK);
    if (nb > SUM_BLOCKS_MAX) nb = SUM_BLOCKS_MAX;
    if (nb < 1) nb = 1;
    int64_t chunk = CEIL_DIV(n, nb);
    double *part = cuda_partials(c, (size_t)nb);
    sum_partial_k<<<(unsigned)nb, CUDA_THREADS, 0, c->stream>>>(n, chunk, x, square, part);
    CHECK_LAUNCH();
    sum_final_k<<<1, 1024, 0, c->stream>>>((int)nb, part, c->result_dev);
    CHECK_LAUNCH();
}

void cuda_sum(BackendCtx *c, int64_t n, const float *x, float alpha, float *y)
{
    sum_to_result(c, n, x, 0);
    scale_into_k<<<1, 1, 0, c->stream>>>(c->result_dev, alpha, y, 0);
    CHECK_LAUNCH();
}

double cuda_sumsq(BackendCtx *c, int64_t n, const float *x)
{
    sum_to_result(c, n, x, 1);
    double r;
    CHECK_CUDA(cudaMemcpyAsync(&r, c->result_dev, sizeof r, cudaMemcpyDeviceToHost, c->stream));
    CHECK_CUDA(cudaStreamSynchronize(c->stream));
    return r;
}

void cuda_reduce_to(BackendCtx *c, const int shape[4], const float *x, float alpha, float *y, const int64_t sy[4])
{
    int64_t sx[4];
    sx[3] = 1;
    for (int d = 2; d >= 0; d--) sx[d] = sx[d + 1] * shape[d + 1];
    ReducePlan p;
    p.nk = p.nr = 0;
    p.nred = 1;
    int64_t nout = 1;
    for (int d = 0; d < 4; d++) {
        if (shape[d] == 1) continue;
        if (sy[d] != 0) {
            p.kshape[p.nk] = shape[d];
            p.kx[p.nk] = sx[d];
            p.ky[p.nk++] = sy[d];
            nout *= shape[d];
        } else {
            p.rshape[p.nr] = shape[d];
            p.rx[p.nr++] = sx[d];
            p.nred *= shape[d];
        }
    }
    if (p.nk == 0) { /* everything into y[0] */
        sum_to_result(c, p.nred, x, 0);
        scale_into_k<<<1, 1, 0, c->stream>>>(c->result_dev, alpha, y, 1);
        CHECK_LAUNCH();
        return;
    }
    if (p.nred >= 256 && nout <= (int64_t)1 << 31) {
        reduce_block_k<<<(unsigned)nout, CUDA_THREADS, 0, c->stream>>>(p, x, alpha, y);
    } else {
        reduce_thread_k<<<cuda_blocks(nout), CUDA_THREADS, 0, c->stream>>>(p, nout, x, alpha, y);
    }
    CHECK_LAUNCH();
}

__global__ void finite_k(int64_t n, const float *x, int *bad)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        if (!isfinite(x[i])) *bad = 1; /* any writer sets the same value */
}

int cuda_all_finite(BackendCtx *c, int64_t n, const float *x)
{
    CHECK_CUDA(cudaMemsetAsync(c->flag_dev, 0, sizeof(int), c->stream));
    if (n > 0) {
        finite_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, x, c->flag_dev);
        CHECK_LAUNCH();
    }
    int bad = 0;
    CHECK_CUDA(cudaMemcpyAsync(&bad, c->flag_dev, sizeof bad, cudaMemcpyDeviceToHost, c->stream));
    CHECK_CUDA(cudaStreamSynchronize(c->stream));
    return !bad;
}
