/* Reductions: broadcast-gradient reduction (reduce_to), whole sums, sums of squares and the
 * finiteness check. Every reduction runs in two phases over a partition fixed by the shape:
 * blocks sum fixed chunks into double partials, then each output adds its partials in
 * order. The result is the same on every run, and the work is spread over many blocks
 * (one block per output starves the GPU when there are few outputs: a conv bias gradient
 * has one output per channel and a million inputs each). */
#include "cuda_internal.cuh"

#define CHUNK ((int64_t)8192)
#define SUM_BLOCKS_MAX ((int64_t)1024)
#define SUM_CHUNK ((int64_t)4096)

/* ---- y[k*sy] += alpha * sum_{p<P, s<S} x[(p*K + k)*S + s] ---- */

/* S > 1: block (k, chunk) walks its chunk of the (p, s) space, s fastest (coalesced) */
__global__ void reduce_chan_partial_k(int64_t P, int K, int64_t S, int64_t chunk, const float *x, double *part,
                                      int nchunks)
{
    const int k = blockIdx.x, ch = blockIdx.y;
    const int64_t total = P * S, lo = ch * chunk, hi = lo + chunk < total ? lo + chunk : total;
    double s = 0.0;
    for (int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        int64_t p = j / S, q = j - p * S;
        s += x[(p * K + k) * S + q];
    }
    s = block_sum_d(s);
    if (threadIdx.x == 0) part[(int64_t)k * nchunks + ch] = s;
}

/* S == 1: x is (P, K) rows; a block owns 32 columns and a chunk of rows; 8 row lanes */
__global__ void reduce_cols_partial_k(int64_t P, int K, int64_t chunk, const float *x, double *part, int nchunks)
{
    __shared__ double acc[8][33];
    const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
    const int k = blockIdx.x * 32 + tx, ch = blockIdx.y;
    const int64_t lo = ch * chunk, hi = lo + chunk < P ? lo + chunk : P;
    double s = 0.0;
    if (k < K)
        for (int64_t r = lo + ty; r < hi; r += 8) s += x[r * K + k];
    acc[ty][tx] = s;
    __syncthreads();
    if (ty == 0 && k < K) {
        double t = 0.0;
        for (int i = 0; i < 8; i++) t += acc[i][tx]; /* fixed order */
        part[(int64_t)k * nchunks + ch] = t;
    }
}

__global__ void reduce_finish_k(int K, int nchunks, const double *part, float alpha, float *y, int64_t sy)
{
    const int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= K) return;
    double s = 0.0;
    for (int i = 0; i < nchunks; i++) s += part[(int64_t)k * nchunks + i];
    y[k * sy] += alpha * (float)s;
}

static void reduce_channels(BackendCtx *c, int64_t P, int K, int64_t S, const float *x, float alpha, float *y,
                            int64_t sy)
{
    const int64_t total = S == 1 ? P : P * S;
    int64_t nc = CEIL_DIV(total, (int64_t)CHUNK);
    const int nchunks = (int)(nc > 4096 ? 4096 : nc < 1 ? 1 : nc);
    const int64_t chunk = CEIL_DIV(total, (int64_t)nchunks);
    double *part = cuda_partials(c, (size_t)K * nchunks);
    if (S == 1) {
        dim3 grid((unsigned)CEIL_DIV(K, 32), (unsigned)nchunks);
        reduce_cols_partial_k<<<grid, 256, 0, c->stream>>>(P, K, chunk, x, part, nchunks);
    } else {
        dim3 grid((unsigned)K, (unsigned)nchunks);
        reduce_chan_partial_k<<<grid, CUDA_THREADS, 0, c->stream>>>(P, K, S, chunk, x, part, nchunks);
    }
    CHECK_LAUNCH();
    reduce_finish_k<<<(unsigned)CEIL_DIV(K, 128), 128, 0, c->stream>>>(K, nchunks, part, alpha, y, sy);
    CHECK_LAUNCH();
}

/* ---- the general case: several kept dimensions ---- */
typedef struct {
    int nk, nr;
    int kshape[4], rshape[4];
    int64_t kx[4], ky[4], rx[4];
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

__global__ void reduce_general_k(ReducePlan p, int64_t nout, const float *x, float alpha, float *y)
{
    for (int64_t e = blockIdx.x; e < nout; e += gridDim.x) {
        int64_t xo, yo;
        decode(e, p.nk, p.kshape, p.kx, p.ky, &xo, &yo);
        double s = 0.0;
        for (int64_t r = threadIdx.x; r < p.nred; r += blockDim.x) {
            int64_t ro;
            decode(r, p.nr, p.rshape, p.rx, NULL, &ro, NULL);
            s += x[xo + ro];
        }
        s = block_sum_d(s);
        if (threadIdx.x == 0) y[yo] += alpha * (float)s;
    }
}

/* kept dimensions all before the reduced ones: each output reduces one contiguous row */
__global__ void reduce_rows_k(int64_t nout, int64_t len, const float *x, float alpha, float *y, ReducePlan p)
{
    for (int64_t e = blockIdx.x; e < nout; e += gridDim.x) {
        const float *row = x + e * len;
        double s = 0.0;
        for (int64_t r = threadIdx.x; r < len; r += blockDim.x) s += row[r];
        s = block_sum_d(s);
        if (threadIdx.x == 0) {
            int64_t yo = 0, rem = e;
            for (int d = p.nk - 1; d >= 0; d--) {
                yo += (rem % p.kshape[d]) * p.ky[d];
                rem /= p.kshape[d];
            }
            y[yo] += alpha * (float)s;
        }
    }
}

/* ---- whole sums ---- */
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
    int kept_dim = -1;
    for (int d = 0; d < 4; d++) {
        if (shape[d] == 1) continue;
        if (sy[d] != 0) {
            kept_dim = d;
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
    if (p.nk == 1) { /* one kept dimension: x as (P, K, S) */
        int64_t P = 1, S = 1;
        for (int d = 0; d < kept_dim; d++) P *= shape[d];
        for (int d = kept_dim + 1; d < 4; d++) S *= shape[d];
        reduce_channels(c, P, shape[kept_dim], S, x, alpha, y, sy[kept_dim]);
        return;
    }
    const int64_t blocks = nout < 65535 * 16 ? nout : 65535 * 16;
    int last_kept = -1, first_red = 4;
    for (int d = 0; d < 4; d++) {
        if (shape[d] == 1) continue;
        if (sy[d] != 0) last_kept = d;
        else if (d < first_red) first_red = d;
    }
    if (last_kept < first_red) /* x is (nout, nred) row-major */
        reduce_rows_k<<<(unsigned)blocks, CUDA_THREADS, 0, c->stream>>>(nout, p.nred, x, alpha, y, p);
    else
        reduce_general_k<<<(unsigned)blocks, CUDA_THREADS, 0, c->stream>>>(p, nout, x, alpha, y);
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
