/* GroupNorm (LayerNorm is its C=D, S=1, G=1 case) and BatchNorm. Statistics in double, one
 * block per (sample, group) or per channel; parameter gradients one block per channel. */
#include "cuda_internal.cuh"

__global__ void groupnorm_fwd_k(int C, int S, int G, float eps, const float *x, const float *gamma,
                                const float *beta, float *y, float *mean, float *rstd)
{
    const int64_t ng = blockIdx.x, cpg = C / G, len = cpg * (int64_t)S;
    const float *xp = x + ng * len;
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += xp[i];
    const double mu = block_sum_d(s) / (double)len;
    double ss = 0.0;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        double d = xp[i] - mu;
        ss += d * d;
    }
    ss = block_sum_d(ss);
    const float m = (float)mu, r = (float)(1.0 / sqrt(ss / (double)len + eps));
    if (threadIdx.x == 0) {
        mean[ng] = m;
        rstd[ng] = r;
    }
    const int g = (int)(ng % G);
    float *yp = y + ng * len;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        int ch = g * (int)cpg + (int)(i / S);
        float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
        yp[i] = (xp[i] - m) * r * ga + be;
    }
}

void cuda_groupnorm_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                        const float *beta, float *y, float *mean, float *rstd)
{
    groupnorm_fwd_k<<<N * G, CUDA_THREADS, 0, c->stream>>>(C, S, G, eps, x, gamma, beta, y, mean, rstd);
    CHECK_LAUNCH();
}

__global__ void groupnorm_bwd_dx_k(int C, int S, int G, const float *x, const float *gamma, const float *mean,
                                   const float *rstd, const float *dy, float *dx)
{
    const int64_t ng = blockIdx.x, cpg = C / G, len = cpg * (int64_t)S;
    const int g = (int)(ng % G);
    const float *xp = x + ng * len, *dyp = dy + ng * len;
    const float m = mean[ng], r = rstd[ng];
    double a = 0.0, b = 0.0;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        float ga = gamma ? gamma[g * cpg + i / S] : 1.0f;
        float dxh = dyp[i] * ga;
        a += dxh;
        b += (double)dxh * ((xp[i] - m) * r);
    }
    const float ma = (float)(block_sum_d(a) / (double)len), mb = (float)(block_sum_d(b) / (double)len);
    float *dxp = dx + ng * len;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        float ga = gamma ? gamma[g * cpg + i / S] : 1.0f;
        float xh = (xp[i] - m) * r;
        dxp[i] += r * (dyp[i] * ga - ma - xh * mb);
    }
}

__global__ void groupnorm_bwd_param_k(int N, int C, int S, int G, const float *x, const float *mean,
                                      const float *rstd, const float *dy, float *dgamma, float *dbeta)
{
    const int ch = blockIdx.x, g = ch / (C / G);
    const int64_t total = (int64_t)N * S;
    double sg = 0.0, sb = 0.0;
    for (int64_t k = threadIdx.x; k < total; k += blockDim.x) {
        int n = (int)(k / S);
        int64_t i = ((int64_t)n * C + ch) * S + k % S;
        float xh = (x[i] - mean[n * G + g]) * rstd[n * G + g];
        sg += (double)dy[i] * xh;
        sb += dy[i];
    }
    sg = block_sum_d(sg);
    sb = block_sum_d(sb);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[ch] += (float)sg;
        if (dbeta) dbeta[ch] += (float)sb;
    }
}

void cuda_groupnorm_bwd(BackendCtx *c, int N, int C, int S, int G, const float *x, const float *gamma,
                        const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta)
{
    if (dx) {
        groupnorm_bwd_dx_k<<<N * G, CUDA_THREADS, 0, c->stream>>>(C, S, G, x, gamma, mean, rstd, dy, dx);
        CHECK_LAUNCH();
    }
    if (dgamma || dbeta) {
        groupnorm_bwd_param_k<<<C, CUDA_THREADS, 0, c->stream>>>(N, C, S, G, x, mean, rstd, dy, dgamma, dbeta);
        CHECK_LAUNCH();
    }
}

__global__ void batchnorm_fwd_k(int N, int C, int S, float eps, float momentum, int training, const float *x,
                                const float *gamma, const float *beta, float *run_mean, float *run_var, float *y,
                                float *mean, float *rstd)
{
    const int ch = blockIdx.x;
    const int64_t cnt = (int64_t)N * S;
    float m, r;
    if (training) {
        double s = 0.0;
        for (int64_t k = threadIdx.x; k < cnt; k += blockDim.x) s += x[((k / S) * C + ch) * S + k % S];
        const double mu = block_sum_d(s) / (double)cnt;
        double ss = 0.0;
        for (int64_t k = threadIdx.x; k < cnt; k += blockDim.x) {
            double d = x[((k / S) * C + ch) * S + k % S] - mu;
            ss += d * d;
        }
        ss = block_sum_d(ss);
        m = (float)mu;
        r = (float)(1.0 / sqrt(ss / (double)cnt + eps));
        if (threadIdx.x == 0) {
            if (run_mean) run_mean[ch] = (1.0f - momentum) * run_mean[ch] + momentum * m;
            if (run_var)
                run_var[ch] = (1.0f - momentum) * run_var[ch] +
                              momentum * (float)(cnt > 1 ? ss / (double)(cnt - 1) : ss / (double)cnt);
        }
    } else {
        m = run_mean[ch];
        r = 1.0f / sqrtf(run_var[ch] + eps);
    }
    if (threadIdx.x == 0) {
        mean[ch] = m;
        rstd[ch] = r;
    }
    const float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
    for (int64_t k = threadIdx.x; k < cnt; k += blockDim.x) {
        int64_t i = ((k / S) * C + ch) * S + k % S;
        y[i] = (x[i] - m) * r * ga + be;
    }
}

void cuda_batchnorm_fwd(BackendCtx *c, int N, int C, int S, float eps, float momentum, int training,
                        const float *x, const float *gamma, const float *beta, float *run_mean, float *run_var,
                        float *y, float *mean, float *rstd)
{
    batchnorm_fwd_k<<<C, CUDA_THREADS, 0, c->stream>>>(N, C, S, eps, momentum, training, x, gamma, beta, run_mean,
                                                        run_var, y, mean, rstd);
    CHECK_LAUNCH();
}

__global__ void batchnorm_bwd_k(int N, int C, int S, int training, const float *x, const float *gamma,
                                const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                                float *dbeta)
{
    const int ch = blockIdx.x;
    const int64_t cnt = (int64_t)N * S;
    const float m = mean[ch], r = rstd[ch], ga = gamma ? gamma[ch] : 1.0f;
    double sdy = 0.0, sdyx = 0.0;
    for (int64_t k = threadIdx.x; k < cnt; k += blockDim.x) {
        int64_t i = ((k / S) * C + ch) * S + k % S;
        sdy += dy[i];
        sdyx += (double)dy[i] * ((x[i] - m) * r);
    }
    sdy = block_sum_d(sdy);
    sdyx = block_sum_d(sdyx);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[ch] += (float)sdyx;
        if (dbeta) dbeta[ch] += (float)sdy;
    }
    if (!dx) return;
    const float ma = training ? (float)(sdy / (double)cnt) : 0.0f, mb = training ? (float)(sdyx / (double)cnt) : 0.0f;
    for (int64_t k = threadIdx.x; k < cnt; k += blockDim.x) {
        int64_t i = ((k / S) * C + ch) * S + k % S;
        float xh = (x[i] - m) * r;
        dx[i] += ga * r * (dy[i] - ma - xh * mb);
    }
}

void cuda_batchnorm_bwd(BackendCtx *c, int N, int C, int S, int training, const float *x, const float *gamma,
                        const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta)
{
    batchnorm_bwd_k<<<C, CUDA_THREADS, 0, c->stream>>>(N, C, S, training, x, gamma, mean, rstd, dy, dx, dgamma,
                                                        dbeta);
    CHECK_LAUNCH();
}
