/* NeRF sampling, positional encoding and volume rendering on the GPU: the CPU's formulas
 * (cpu/cpu_nerf.c), one thread per (ray, sample) for the encoding and one per ray for the
 * compositing, which walks its samples in order as the CPU does. */
#include "cuda_internal.cuh"

#define NERF_EPS 1e-10f
#define NERF_FAR_DELTA 1e10f
#define NERF_MAX_S 512

__global__ void nerf_encode_k(int R, int S, int F, float near, float far, const float *rays, const float *u, float *z,
                              float *enc)
{
    const int E = 3 + 6 * F;
    const float step = S > 1 ? (far - near) / (float)(S - 1) : 0.0f, jit = (far - near) / (float)S;
    const int64_t n = (int64_t)R * S;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t r = i / S;
        const int k = (int)(i - r * S);
        const float *o = rays + r * 6, *d = o + 3;
        const float zk = near + (float)k * step + u[i] * jit;
        z[i] = zk;
        float *e = enc + i * E;
        float p[3];
        for (int a = 0; a < 3; a++) e[a] = p[a] = o[a] + zk * d[a];
        float f = 1.0f;
        for (int q = 0; q < F; q++, f *= 2.0f)
            for (int a = 0; a < 3; a++) {
                e[3 + 6 * q + a] = sinf(f * p[a]);
                e[3 + 6 * q + 3 + a] = cosf(f * p[a]);
            }
    }
}

__device__ __forceinline__ float sigf(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void nerf_composite_fwd_k(int R, int S, int white, const float *raw, const float *z, float *rgb,
                                     float *weights)
{
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < R; r += gridDim.x * blockDim.x) {
        const float *rr = raw + (int64_t)r * S * 4, *zz = z + (int64_t)r * S;
        float T = 1.0f, acc = 0.0f, c0 = 0.0f, c1 = 0.0f, c2 = 0.0f;
        for (int i = 0; i < S; i++) {
            const float sigma = rr[i * 4 + 3] > 0.0f ? rr[i * 4 + 3] : 0.0f;
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            const float alpha = 1.0f - expf(-sigma * delta);
            const float w = alpha * T;
            weights[(int64_t)r * S + i] = w;
            c0 += w * sigf(rr[i * 4]);
            c1 += w * sigf(rr[i * 4 + 1]);
            c2 += w * sigf(rr[i * 4 + 2]);
            acc += w;
            T *= 1.0f - alpha + NERF_EPS;
        }
        const float bg = white ? 1.0f - acc : 0.0f;
        rgb[(int64_t)r * 3] = c0 + bg;
        rgb[(int64_t)r * 3 + 1] = c1 + bg;
        rgb[(int64_t)r * 3 + 2] = c2 + bg;
    }
}

__global__ void nerf_composite_bwd_k(int R, int S, int white, const float *raw, const float *z, const float *drgb,
                                     float *draw)
{
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < R; r += gridDim.x * blockDim.x) {
        const float *rr = raw + (int64_t)r * S * 4, *zz = z + (int64_t)r * S, *g = drgb + (int64_t)r * 3;
        float *dr = draw + (int64_t)r * S * 4;
        float alpha[NERF_MAX_S], T[NERF_MAX_S], dw[NERF_MAX_S];
        float t = 1.0f;
        for (int i = 0; i < S; i++) {
            const float sigma = rr[i * 4 + 3] > 0.0f ? rr[i * 4 + 3] : 0.0f;
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            alpha[i] = 1.0f - expf(-sigma * delta);
            T[i] = t;
            t *= 1.0f - alpha[i] + NERF_EPS;
            const float w = alpha[i] * T[i];
            float s = 0.0f;
            for (int k = 0; k < 3; k++) {
                const float col = sigf(rr[i * 4 + k]);
                s += g[k] * (col - (white ? 1.0f : 0.0f));
                dr[i * 4 + k] += w * g[k] * col * (1.0f - col);
            }
            dw[i] = s;
        }
        float U = 0.0f;
        for (int i = S - 1; i >= 0; i--) {
            const float dalpha = T[i] * (dw[i] - U);
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            if (rr[i * 4 + 3] > 0.0f) dr[i * 4 + 3] += dalpha * delta * (1.0f - alpha[i]);
            U = dw[i] * alpha[i] + (1.0f - alpha[i] + NERF_EPS) * U;
        }
    }
}

void cuda_nerf_encode(BackendCtx *c, int R, int S, int F, float near, float far, const float *rays, const float *u,
                      float *z, float *enc)
{
    const int64_t n = (int64_t)R * S;
    if (n <= 0) return;
    nerf_encode_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(R, S, F, near, far, rays, u, z, enc);
    CHECK_LAUNCH();
}

void cuda_nerf_composite_fwd(BackendCtx *c, int R, int S, int white, const float *raw, const float *z, float *rgb,
                             float *weights)
{
    if (R <= 0) return;
    nerf_composite_fwd_k<<<cuda_blocks(R), 128, 0, c->stream>>>(R, S, white, raw, z, rgb, weights);
    CHECK_LAUNCH();
}

void cuda_nerf_composite_bwd(BackendCtx *c, int R, int S, int white, const float *raw, const float *z,
                             const float *drgb, float *draw)
{
    if (R <= 0) return;
    ENG_ASSERT(S <= NERF_MAX_S, "nerf_composite_bwd: %d samples per ray (at most %d)", S, NERF_MAX_S);
    nerf_composite_bwd_k<<<cuda_blocks(R), 128, 0, c->stream>>>(R, S, white, raw, z, drgb, draw);
    CHECK_LAUNCH();
}
