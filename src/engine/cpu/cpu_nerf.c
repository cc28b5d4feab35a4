/* NeRF sampling, positional encoding and volume rendering on the CPU (backend.h). One ray
 * per loop iteration; the compositing backward runs the rays' samples back to front with
 * U_i = dw_{i+1} a_{i+1} + (1 - a_{i+1} + 1e-10) U_{i+1}, so that
 * d(alpha_i) = T_i (dw_i - U_i) needs no division by (1 - alpha). */
#include "cpu/cpu_internal.h"

#include <math.h>

#define NERF_EPS 1e-10f
#define NERF_FAR_DELTA 1e10f

void cpu_nerf_encode(BackendCtx *c, int R, int S, int F, float near, float far, const float *rays, const float *u,
                     float *z, float *enc)
{
    const int E = 3 + 6 * F;
    const float step = S > 1 ? (far - near) / (float)(S - 1) : 0.0f, jit = (far - near) / (float)S;
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)R * S > CPU_PAR_MIN / 4)
    for (int r = 0; r < R; r++) {
        const float *o = rays + (int64_t)r * 6, *d = o + 3;
        for (int k = 0; k < S; k++) {
            const int64_t i = (int64_t)r * S + k;
            const float zk = near + (float)k * step + u[i] * jit;
            z[i] = zk;
            float *e = enc + i * E;
            for (int a = 0; a < 3; a++) e[a] = o[a] + zk * d[a];
            float f = 1.0f;
            for (int q = 0; q < F; q++, f *= 2.0f)
                for (int a = 0; a < 3; a++) {
                    e[3 + 6 * q + a] = sinf(f * e[a]);
                    e[3 + 6 * q + 3 + a] = cosf(f * e[a]);
                }
        }
    }
}

static inline float sig(float x) { return 1.0f / (1.0f + expf(-x)); }

void cpu_nerf_composite_fwd(BackendCtx *c, int R, int S, int white, const float *raw, const float *z, float *rgb,
                            float *weights)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)R * S > CPU_PAR_MIN / 4)
    for (int r = 0; r < R; r++) {
        const float *rr = raw + (int64_t)r * S * 4, *zz = z + (int64_t)r * S;
        float T = 1.0f, acc = 0.0f, col[3] = {0, 0, 0};
        for (int i = 0; i < S; i++) {
            const float sigma = rr[i * 4 + 3] > 0.0f ? rr[i * 4 + 3] : 0.0f;
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            const float alpha = 1.0f - expf(-sigma * delta);
            const float w = alpha * T;
            weights[(int64_t)r * S + i] = w;
            for (int k = 0; k < 3; k++) col[k] += w * sig(rr[i * 4 + k]);
            acc += w;
            T *= 1.0f - alpha + NERF_EPS;
        }
        for (int k = 0; k < 3; k++) rgb[(int64_t)r * 3 + k] = col[k] + (white ? 1.0f - acc : 0.0f);
    }
}

void cpu_nerf_composite_bwd(BackendCtx *c, int R, int S, int white, const float *raw, const float *z,
                            const float *drgb, float *draw)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)R * S > CPU_PAR_MIN / 4)
    for (int r = 0; r < R; r++) {
        const float *rr = raw + (int64_t)r * S * 4, *zz = z + (int64_t)r * S, *g = drgb + (int64_t)r * 3;
        float *dr = draw + (int64_t)r * S * 4;
        float alpha[512], T[512], dw[512];
        float t = 1.0f;
        const int n = S < 512 ? S : 512;
        for (int i = 0; i < n; i++) {
            const float sigma = rr[i * 4 + 3] > 0.0f ? rr[i * 4 + 3] : 0.0f;
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            alpha[i] = 1.0f - expf(-sigma * delta);
            T[i] = t;
            t *= 1.0f - alpha[i] + NERF_EPS;
            const float w = alpha[i] * T[i];
            float s = 0.0f;
            for (int k = 0; k < 3; k++) {
                const float col = sig(rr[i * 4 + k]);
                s += g[k] * (col - (white ? 1.0f : 0.0f));
                dr[i * 4 + k] += w * g[k] * col * (1.0f - col);
            }
            dw[i] = s;
        }
        float U = 0.0f;
        for (int i = n - 1; i >= 0; i--) {
            const float dalpha = T[i] * (dw[i] - U);
            const float delta = i < S - 1 ? zz[i + 1] - zz[i] : NERF_FAR_DELTA;
            if (rr[i * 4 + 3] > 0.0f) dr[i * 4 + 3] += dalpha * delta * (1.0f - alpha[i]);
            U = dw[i] * alpha[i] + (1.0f - alpha[i] + NERF_EPS) * U;
        }
    }
}
