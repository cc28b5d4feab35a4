/* Softmax, log-softmax and the fused losses on the CPU, one row per loop iteration. */
#include "cpu/cpu_internal.h"

#include <math.h>

void cpu_softmax_fwd(BackendCtx *c, int rows, int cols, int log, const float *x, float *y)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)rows * cols > CPU_PAR_MIN)
    for (int r = 0; r < rows; r++) {
        const float *xp = x + (int64_t)r * cols;
        float *yp = y + (int64_t)r * cols;
        float mx = xp[0];
        for (int j = 1; j < cols; j++) mx = xp[j] > mx ? xp[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < cols; j++) {
            float e = expf(xp[j] - mx);
            if (!log) yp[j] = e;
            s += e;
        }
        if (log) {
            float ls = logf(s) + mx;
            for (int j = 0; j < cols; j++) yp[j] = xp[j] - ls;
        } else {
            float inv = 1.0f / s;
            for (int j = 0; j < cols; j++) yp[j] *= inv;
        }
    }
}

void cpu_softmax_bwd(BackendCtx *c, int rows, int cols, int log, const float *y, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)rows * cols > CPU_PAR_MIN)
    for (int r = 0; r < rows; r++) {
        const float *yp = y + (int64_t)r * cols, *dyp = dy + (int64_t)r * cols;
        float *dxp = dx + (int64_t)r * cols;
        float s = 0.0f;
        if (log) {
            for (int j = 0; j < cols; j++) s += dyp[j];
            for (int j = 0; j < cols; j++) dxp[j] += dyp[j] - expf(yp[j]) * s;
        } else {
            for (int j = 0; j < cols; j++) s += dyp[j] * yp[j];
            for (int j = 0; j < cols; j++) dxp[j] += yp[j] * (dyp[j] - s);
        }
    }
}

void cpu_xent_fwd(BackendCtx *c, int N, int K, const float *logits, const float *labels, float *loss, float *prob)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * K > CPU_PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *xp = logits + (int64_t)n * K;
        float *pp = prob + (int64_t)n * K;
        float mx = xp[0];
        for (int j = 1; j < K; j++) mx = xp[j] > mx ? xp[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < K; j++) s += expf(xp[j] - mx);
        float lse = logf(s) + mx;
        for (int j = 0; j < K; j++) pp[j] = expf(xp[j] - lse);
        int y = (int)labels[n];
        loss[n] = lse - xp[y];
    }
}

void cpu_xent_bwd(BackendCtx *c, int N, int K, const float *prob, const float *labels, const float *dloss,
                  float *dlogits)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * K > CPU_PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *pp = prob + (int64_t)n * K;
        float *dp = dlogits + (int64_t)n * K;
        int y = (int)labels[n];
        float g = dloss[n];
        for (int j = 0; j < K; j++) dp[j] += g * (pp[j] - (j == y ? 1.0f : 0.0f));
    }
}

void cpu_mse_fwd(BackendCtx *c, int N, int D, const float *a, const float *b, float *loss)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * D > CPU_PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *ap = a + (int64_t)n * D, *bp = b + (int64_t)n * D;
        double s = 0.0;
        for (int j = 0; j < D; j++) {
            float d = ap[j] - bp[j];
            s += (double)d * d;
        }
        loss[n] = (float)(s / D);
    }
}

void cpu_mse_bwd(BackendCtx *c, int N, int D, const float *a, const float *b, const float *dloss, float *da,
                 float *db)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * D > CPU_PAR_MIN)
    for (int n = 0; n < N; n++) {
        const float *ap = a + (int64_t)n * D, *bp = b + (int64_t)n * D;
        float g = 2.0f * dloss[n] / (float)D;
        for (int j = 0; j < D; j++) {
            float d = g * (ap[j] - bp[j]);
            if (da) da[(int64_t)n * D + j] += d;
            if (db) db[(int64_t)n * D + j] -= d;
        }
    }
}
