/* Optimiser updates over flat buffers, following PyTorch's formulas step for step (so one
 * Adam step matches torch.optim.Adam to rounding). t is the 1-based step count. */
#include "cpu/cpu_internal.h"

#include <math.h>

void cpu_adam_step(BackendCtx *c, int64_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
                   float beta2, float eps, float weight_decay, int decoupled, int64_t t)
{
    /* bias corrections in double, as PyTorch computes them in Python floats */
    const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    const float step = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        if (decoupled)
            p[i] *= 1.0f - lr * weight_decay;
        else if (weight_decay != 0.0f)
            gi += weight_decay * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
        v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] -= step * (m[i] / denom);
    }
}

void cpu_sgd_step(BackendCtx *c, int64_t n, float *p, const float *g, float *buf, float lr, float momentum,
                  float weight_decay, int64_t t)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + weight_decay * p[i];
        if (momentum != 0.0f) {
            buf[i] = t == 1 ? gi : momentum * buf[i] + gi;
            gi = buf[i];
        }
        p[i] -= lr * gi;
    }
}

void cpu_ema_update(BackendCtx *c, int64_t n, float *ema, const float *p, float decay)
{
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) ema[i] = decay * ema[i] + (1.0f - decay) * p[i];
}
