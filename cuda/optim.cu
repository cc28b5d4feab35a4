/* Optimiser updates over flat buffers, PyTorch's formulas (see cpu/cpu_optim.c); the bias
 * corrections are computed on the host in double, as on the CPU. */
#include "cuda_internal.cuh"

#include <math.h>

__global__ void adam_k(int64_t n, float *p, const float *g, float *m, float *v, float lr, float b1, float b2,
                       float eps, float wd, int decoupled, float step, float bc2_sqrt)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float gi = g[i];
        if (decoupled)
            p[i] *= 1.0f - lr * wd;
        else if (wd != 0.0f)
            gi += wd * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] -= step * (m[i] / denom);
    }
}

void cuda_adam_step(BackendCtx *c, int64_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
                    float beta2, float eps, float weight_decay, int decoupled, int64_t t)
{
    if (n <= 0) return;
    const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    adam_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, p, g, m, v, lr, beta1, beta2, eps, weight_decay,
                                                             decoupled, (float)(lr / bc1), (float)sqrt(bc2));
    CHECK_LAUNCH();
}

__global__ void sgd_k(int64_t n, float *p, const float *g, float *buf, float lr, float mom, float wd, int first)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float gi = g[i] + wd * p[i];
        if (mom != 0.0f) {
            buf[i] = first ? gi : mom * buf[i] + gi;
            gi = buf[i];
        }
        p[i] -= lr * gi;
    }
}

void cuda_sgd_step(BackendCtx *c, int64_t n, float *p, const float *g, float *buf, float lr, float momentum,
                   float weight_decay, int64_t t)
{
    if (n <= 0) return;
    sgd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, p, g, buf, lr, momentum, weight_decay, t == 1);
    CHECK_LAUNCH();
}

__global__ void ema_k(int64_t n, float *ema, const float *p, float d)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        ema[i] = d * ema[i] + (1.0f - d) * p[i];
}

void cuda_ema_update(BackendCtx *c, int64_t n, float *ema, const float *p, float decay)
{
    if (n <= 0) return;
    ema_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, ema, p, decay);
    CHECK_LAUNCH();
}
