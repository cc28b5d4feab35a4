/* Philox draws and the timestep embedding. core/philox.h is the same code the CPU runs,
 * compiled here with explicitly rounded operations, so the numbers are bit-identical to the
 * CPU backend's for the same (seed, offset). */
#include "cuda_internal.cuh"

#include "core/philox.h"

__global__ void rng_uniform_k(int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = philox_uniform_at(seed, offset, i, lo, hi);
}

__global__ void rng_normal_k(int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y)
{
    const int64_t nctr = (n + 3) / 4;
    for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < nctr; k += (int64_t)gridDim.x * blockDim.x) {
        float z[4];
        philox_normal4(seed, offset + (uint64_t)k, z);
        for (int j = 0; j < 4 && 4 * k + j < n; j++) y[4 * k + j] = __fadd_rn(mean, __fmul_rn(std, z[j]));
    }
}

__global__ void dropout_k(int64_t n, uint64_t seed, uint64_t offset, float p, float keep, float *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = philox_uniform_at(seed, offset, i, 0.0f, 1.0f) >= p ? keep : 0.0f;
}

void cuda_rng_uniform(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y)
{
    if (n <= 0) return;
    rng_uniform_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, seed, offset, lo, hi, y);
    CHECK_LAUNCH();
}

void cuda_rng_normal(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y)
{
    if (n <= 0) return;
    rng_normal_k<<<cuda_blocks((n + 3) / 4), CUDA_THREADS, 0, c->stream>>>(n, seed, offset, mean, std, y);
    CHECK_LAUNCH();
}

void cuda_dropout_mask(BackendCtx *c, int64_t n, uint64_t seed, uint64_t offset, float p, float *y)
{
    if (n <= 0) return;
    dropout_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, seed, offset, p, 1.0f / (1.0f - p), y);
    CHECK_LAUNCH();
}

__global__ void timestep_k(int B, int dim, double step, const float *t, float *y)
{
    const int half = dim / 2;
    const int64_t n = (int64_t)B * half;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int b = (int)(i / half), k = (int)(i % half);
        float f = (float)exp(-step * k);
        float a = t[b] * f;
        y[(int64_t)b * dim + k] = sinf(a);
        y[(int64_t)b * dim + half + k] = cosf(a);
        if ((dim & 1) && k == 0) y[(int64_t)b * dim + dim - 1] = 0.0f;
    }
}

void cuda_timestep_embed(BackendCtx *c, int B, int dim, float max_period, const float *t, float *y)
{
    const int half = dim / 2;
    const double step = half > 1 ? log((double)max_period) / (half - 1) : 0.0;
    timestep_k<<<cuda_blocks((int64_t)B * half), CUDA_THREADS, 0, c->stream>>>(B, dim, step, t, y);
    CHECK_LAUNCH();
}
