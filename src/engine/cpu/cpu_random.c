/* Philox draws (core/philox.h) and the sinusoidal timestep embedding on the CPU. Each
 * counter's four numbers are computed independently, so threads cannot change them. */
#include "cpu/cpu_internal.h"

#include "core/philox.h"

#include <math.h>

void cpu_rng_uniform(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = philox_uniform_at(seed, offset, i, lo, hi);
}

void cpu_rng_normal(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y)
{
    const int64_t nctr = (n + 3) / 4;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t k = 0; k < nctr; k++) {
        float z[4];
        philox_normal4(seed, offset + (uint64_t)k, z);
        for (int j = 0; j < 4 && 4 * k + j < n; j++) y[4 * k + j] = PX_ADD(mean, PX_MUL(std, z[j]));
    }
}

void cpu_dropout_mask(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float p, float *y)
{
    const float keep = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = philox_uniform_at(seed, offset, i, 0.0f, 1.0f) >= p ? keep : 0.0f;
}

/* DDPM's embedding: half = dim/2 frequencies f_k = exp(-ln(P) k / (half - 1)),
 * y = [sin(t f_k) | cos(t f_k)], a zero column appended when dim is odd. */
void cpu_timestep_embed(BackendCtx *c, int B, int dim, float max_period, const float *t, float *y)
{
    (void)c;
    const int half = dim / 2;
    const double step = half > 1 ? log((double)max_period) / (half - 1) : 0.0;
    for (int b = 0; b < B; b++) {
        float *yp = y + (int64_t)b * dim;
        for (int k = 0; k < half; k++) {
            float f = (float)exp(-step * k);
            float a = t[b] * f;
            yp[k] = sinf(a);
            yp[half + k] = cosf(a);
        }
        if (dim % 2) yp[dim - 1] = 0.0f;
    }
}
