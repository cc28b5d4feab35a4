/* Softmax, log-softmax and the fused losses: one warp per row. */
#include "cuda_internal.cuh"

__device__ __forceinline__ float warp_sum_f(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

enum { ROWS_PER_BLOCK = 8 }; /* 8 warps of 32 threads */

__device__ __forceinline__ int row_of_warp(void) { return blockIdx.x * ROWS_PER_BLOCK + (threadIdx.x >> 5); }

/* in place is allowed: each pass reads x[j] before the last one writes y[j] */
__global__ void softmax_fwd_k(int rows, int cols, int log, const float *x, float *y)
{
    const int r = row_of_warp(), lane = threadIdx.x & 31;
    if (r >= rows) return;
    const float *xp = x + (int64_t)r * cols;
    float *yp = y + (int64_t)r * cols;
    float mx = -INFINITY;
    for (int j = lane; j < cols; j += 32) mx = fmaxf(mx, xp[j]);
    mx = warp_max_f(mx);
    float s = 0.0f;
    for (int j = lane; j < cols; j += 32) s += expf(xp[j] - mx);
    s = warp_sum_f(s);
    if (log) {
        float ls = logf(s) + mx;
        for (int j = lane; j < cols; j += 32) yp[j] = xp[j] - ls;
    } else {
        float inv = 1.0f / s;
        for (int j = lane; j < cols; j += 32) yp[j] = expf(xp[j] - mx) * inv;
    }
}

__global__ void softmax_bwd_k(int rows, int cols, int log, const float *y, const float *dy, float *dx)
{
    const int r = row_of_warp(), lane = threadIdx.x & 31;
    if (r >= rows) return;
    const float *yp = y + (int64_t)r * cols, *dyp = dy + (int64_t)r * cols;
    float *dxp = dx + (int64_t)r * cols;
    float s = 0.0f;
    for (int j = lane; j < cols; j += 32) s += log ? dyp[j] : dyp[j] * yp[j];
    s = warp_sum_f(s);
    for (int j = lane; j < cols; j += 32) dxp[j] += log ? dyp[j] - expf(yp[j]) * s : yp[j] * (dyp[j] - s);
}

static unsigned row_blocks(int rows) { return (unsigned)CEIL_DIV(rows, ROWS_PER_BLOCK); }

void cuda_softmax_fwd(BackendCtx *c, int rows, int cols, int log, const float *x, float *y)
{
    if (rows <= 0) return;
    softmax_fwd_k<<<row_blocks(rows), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(rows, cols, log, x, y);
    CHECK_LAUNCH();
}

/* Attention as cuBLAS products around the softmax kernel. Without P (inference) the
 * probabilities of a chunk of items at a time live in the shared workspace (at most
 * ATT_CHUNK_BYTES, at least one item), so memory does not grow with B. */
#define ATT_CHUNK_BYTES ((size_t)64 << 20)

void cuda_attention_fwd(BackendCtx *c, int B, int L, int S, int d, int dv, float scale, const float *q, const float *k,
                        const float *v, float *P, float *out)
{
    if (B <= 0 || L <= 0) return;
    const int64_t sP = (int64_t)L * S;
    int chunk = B;
    float *pbuf = P;
    if (!P) {
        const int64_t fit = (int64_t)(ATT_CHUNK_BYTES / (sizeof(float) * (size_t)sP));
        chunk = fit < 1 ? 1 : fit < B ? (int)fit : B;
        pbuf = (float *)cuda_workspace(c, sizeof(float) * (size_t)(chunk * sP));
    }
    for (int b0 = 0; b0 < B; b0 += chunk) {
        const int nb = B - b0 < chunk ? B - b0 : chunk;
        float *pb = P ? P + b0 * sP : pbuf;
        cuda_gemm_batched(c, 0, 1, L, S, d, scale, q + (int64_t)b0 * L * d, d, (int64_t)L * d, k + (int64_t)b0 * S * d,
                          d, (int64_t)S * d, 0.0f, pb, S, sP, nb);
        cuda_softmax_fwd(c, nb * L, S, 0, pb, pb);
        cuda_gemm_batched(c, 0, 0, L, dv, S, 1.0f, pb, S, sP, v + (int64_t)b0 * S * dv, dv, (int64_t)S * dv, 0.0f,
                          out + (int64_t)b0 * L * dv, dv, (int64_t)L * dv, nb);
    }
}

void cuda_softmax_bwd(BackendCtx *c, int rows, int cols, int log, const float *y, const float *dy, float *dx)
{
    if (rows <= 0) return;
    softmax_bwd_k<<<row_blocks(rows), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(rows, cols, log, y, dy, dx);
    CHECK_LAUNCH();
}

__global__ void xent_fwd_k(int N, int K, const float *logits, const float *labels, float *loss, float *prob)
{
    const int n = row_of_warp(), lane = threadIdx.x & 31;
    if (n >= N) return;
    const float *xp = logits + (int64_t)n * K;
    float *pp = prob + (int64_t)n * K;
    float mx = -INFINITY;
    for (int j = lane; j < K; j += 32) mx = fmaxf(mx, xp[j]);
    mx = warp_max_f(mx);
    float s = 0.0f;
    for (int j = lane; j < K; j += 32) s += expf(xp[j] - mx);
    s = warp_sum_f(s);
    const float lse = logf(s) + mx;
    for (int j = lane; j < K; j += 32) pp[j] = expf(xp[j] - lse);
    if (lane == 0) loss[n] = lse - xp[(int)labels[n]];
}

__global__ void xent_bwd_k(int N, int K, const float *prob, const float *labels, const float *dloss, float *dlogits)
{
    const int n = row_of_warp(), lane = threadIdx.x & 31;
    if (n >= N) return;
    const int y = (int)labels[n];
    const float g = dloss[n];
    for (int j = lane; j < K; j += 32)
        dlogits[(int64_t)n * K + j] += g * (prob[(int64_t)n * K + j] - (j == y ? 1.0f : 0.0f));
}

void cuda_xent_fwd(BackendCtx *c, int N, int K, const float *logits, const float *labels, float *loss, float *prob)
{
    if (N <= 0) return;
    xent_fwd_k<<<row_blocks(N), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(N, K, logits, labels, loss, prob);
    CHECK_LAUNCH();
}

void cuda_xent_bwd(BackendCtx *c, int N, int K, const float *prob, const float *labels, const float *dloss,
                   float *dlogits)
{
    if (N <= 0) return;
    xent_bwd_k<<<row_blocks(N), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(N, K, prob, labels, dloss, dlogits);
    CHECK_LAUNCH();
}

__global__ void mse_fwd_k(int N, int D, const float *a, const float *b, float *loss)
{
    const int n = row_of_warp(), lane = threadIdx.x & 31;
    if (n >= N) return;
    double s = 0.0;
    for (int j = lane; j < D; j += 32) {
        float d = a[(int64_t)n * D + j] - b[(int64_t)n * D + j];
        s += (double)d * d;
    }
    s = warp_sum_d(s);
    if (lane == 0) loss[n] = (float)(s / D);
}

__global__ void mse_bwd_k(int N, int D, const float *a, const float *b, const float *dloss, float *da, float *db)
{
    const int n = row_of_warp(), lane = threadIdx.x & 31;
    if (n >= N) return;
    const float g = 2.0f * dloss[n] / (float)D;
    for (int j = lane; j < D; j += 32) {
        int64_t i = (int64_t)n * D + j;
        float d = g * (a[i] - b[i]);
        if (da) da[i] += d;
        if (db) db[i] -= d;
    }
}

void cuda_mse_fwd(BackendCtx *c, int N, int D, const float *a, const float *b, float *loss)
{
    if (N <= 0) return;
    mse_fwd_k<<<row_blocks(N), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(N, D, a, b, loss);
    CHECK_LAUNCH();
}

void cuda_mse_bwd(BackendCtx *c, int N, int D, const float *a, const float *b, const float *dloss, float *da,
                  float *db)
{
    if (N <= 0) return;
    mse_bwd_k<<<row_blocks(N), 32 * ROWS_PER_BLOCK, 0, c->stream>>>(N, D, a, b, dloss, da, db);
    CHECK_LAUNCH();
}
