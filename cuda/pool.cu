/* Max and average pooling, nearest upsampling. Forward: one thread per output. Backward:
 * one thread per input element, summing the outputs whose windows cover it in a fixed
 * order: no atomics, so the gradient is the same on every run and matches the CPU's
 * argmax routing exactly (ties go to the first maximum on both). */
#include "cuda_internal.cuh"

__global__ void maxpool_fwd_k(PoolGeom q, int64_t n, const float *x, float *y, int32_t *argmax)
{
    for (int64_t o = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; o < n; o += (int64_t)gridDim.x * blockDim.x) {
        const int ow = (int)(o % q.OW), oh = (int)((o / q.OW) % q.OH);
        const int64_t pl = o / ((int64_t)q.OW * q.OH);
        const float *xp = x + pl * q.H * q.W;
        float best = -3.402823466e38f;
        int32_t at = -1;
        for (int kh = 0; kh < q.KH; kh++) {
            int ih = oh * q.SH - q.PH + kh;
            if (ih < 0 || ih >= q.H) continue;
            for (int kw = 0; kw < q.KW; kw++) {
                int iw = ow * q.SW - q.PW + kw;
                if (iw < 0 || iw >= q.W) continue;
                float v = xp[ih * q.W + iw];
                if (v > best || at < 0 || v != v) {
                    best = v;
                    at = ih * q.W + iw;
                    if (v != v) goto done;
                }
            }
        }
    done:
        y[o] = best;
        argmax[o] = at;
    }
}

/* outputs whose window covers input row ih: oh in [lo, hi] */
__device__ __forceinline__ void cover(int i, int P, int K, int S, int O, int *lo, int *hi)
{
    int a = i + P - K + 1; /* oh*S >= a */
    *lo = a <= 0 ? 0 : (a + S - 1) / S;
    int h = (i + P) / S;
    *hi = h < O - 1 ? h : O - 1;
}

__global__ void maxpool_bwd_k(PoolGeom q, int64_t n, const float *dy, const int32_t *argmax, float *dx)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int iw = (int)(i % q.W), ih = (int)((i / q.W) % q.H);
        const int64_t pl = i / ((int64_t)q.W * q.H);
        int h0, h1, w0, w1;
        cover(ih, q.PH, q.KH, q.SH, q.OH, &h0, &h1);
        cover(iw, q.PW, q.KW, q.SW, q.OW, &w0, &w1);
        float s = 0.0f;
        const int32_t me = ih * q.W + iw;
        for (int oh = h0; oh <= h1; oh++)
            for (int ow = w0; ow <= w1; ow++) {
                int64_t o = (pl * q.OH + oh) * q.OW + ow;
                if (argmax[o] == me) s += dy[o];
            }
        dx[i] += s;
    }
}

__device__ __forceinline__ float pool_div(const PoolGeom &q, int oh, int ow)
{
    if (q.count_pad) return (float)(q.KH * q.KW);
    int h0 = oh * q.SH - q.PH, w0 = ow * q.SW - q.PW;
    int h1 = min(h0 + q.KH, q.H), w1 = min(w0 + q.KW, q.W);
    return (float)((h1 - max(h0, 0)) * (w1 - max(w0, 0)));
}

__global__ void avgpool_fwd_k(PoolGeom q, int64_t n, const float *x, float *y)
{
    for (int64_t o = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; o < n; o += (int64_t)gridDim.x * blockDim.x) {
        const int ow = (int)(o % q.OW), oh = (int)((o / q.OW) % q.OH);
        const int64_t pl = o / ((int64_t)q.OW * q.OH);
        const float *xp = x + pl * q.H * q.W;
        float s = 0.0f;
        for (int kh = 0; kh < q.KH; kh++) {
            int ih = oh * q.SH - q.PH + kh;
            if (ih < 0 || ih >= q.H) continue;
            for (int kw = 0; kw < q.KW; kw++) {
                int iw = ow * q.SW - q.PW + kw;
                if (iw >= 0 && iw < q.W) s += xp[ih * q.W + iw];
            }
        }
        y[o] = s / pool_div(q, oh, ow);
    }
}

__global__ void avgpool_bwd_k(PoolGeom q, int64_t n, const float *dy, float *dx)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int iw = (int)(i % q.W), ih = (int)((i / q.W) % q.H);
        const int64_t pl = i / ((int64_t)q.W * q.H);
        int h0, h1, w0, w1;
        cover(ih, q.PH, q.KH, q.SH, q.OH, &h0, &h1);
        cover(iw, q.PW, q.KW, q.SW, q.OW, &w0, &w1);
        float s = 0.0f;
        for (int oh = h0; oh <= h1; oh++)
            for (int ow = w0; ow <= w1; ow++) s += dy[(pl * q.OH + oh) * q.OW + ow] / pool_div(q, oh, ow);
        dx[i] += s;
    }
}

void cuda_maxpool_fwd(BackendCtx *c, const PoolGeom *q, const float *x, float *y, int32_t *argmax)
{
    int64_t n = (int64_t)q->N * q->C * q->OH * q->OW;
    maxpool_fwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(*q, n, x, y, argmax);
    CHECK_LAUNCH();
}

void cuda_maxpool_bwd(BackendCtx *c, const PoolGeom *q, const float *dy, const int32_t *argmax, float *dx)
{
    int64_t n = (int64_t)q->N * q->C * q->H * q->W;
    maxpool_bwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(*q, n, dy, argmax, dx);
    CHECK_LAUNCH();
}

void cuda_avgpool_fwd(BackendCtx *c, const PoolGeom *q, const float *x, float *y)
{
    int64_t n = (int64_t)q->N * q->C * q->OH * q->OW;
    avgpool_fwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(*q, n, x, y);
    CHECK_LAUNCH();
}

void cuda_avgpool_bwd(BackendCtx *c, const PoolGeom *q, const float *dy, float *dx)
{
    int64_t n = (int64_t)q->N * q->C * q->H * q->W;
    avgpool_bwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(*q, n, dy, dx);
    CHECK_LAUNCH();
}

__global__ void upsample_fwd_k(int H, int W, int f, int64_t n, const float *x, float *y)
{
    const int OW = W * f, OH = H * f;
    for (int64_t o = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; o < n; o += (int64_t)gridDim.x * blockDim.x) {
        int ow = (int)(o % OW), oh = (int)((o / OW) % OH);
        int64_t pl = o / ((int64_t)OW * OH);
        y[o] = x[(pl * H + oh / f) * W + ow / f];
    }
}

__global__ void upsample_bwd_k(int H, int W, int f, int64_t n, const float *dy, float *dx)
{
    const int OW = W * f;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int w = (int)(i % W), h = (int)((i / W) % H);
        int64_t pl = i / ((int64_t)W * H);
        float s = 0.0f;
        for (int a = 0; a < f; a++)
            for (int b = 0; b < f; b++) s += dy[(pl * H * f + (int64_t)h * f + a) * OW + (int64_t)w * f + b];
        dx[i] += s;
    }
}

void cuda_upsample_fwd(BackendCtx *c, int N, int C, int H, int W, int f, const float *x, float *y)
{
    int64_t n = (int64_t)N * C * H * f * W * f;
    upsample_fwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(H, W, f, n, x, y);
    CHECK_LAUNCH();
}

void cuda_upsample_bwd(BackendCtx *c, int N, int C, int H, int W, int f, const float *dy, float *dx)
{
    int64_t n = (int64_t)N * C * H * W;
    upsample_bwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(H, W, f, n, dy, dx);
    CHECK_LAUNCH();
}
