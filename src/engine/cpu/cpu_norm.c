/* GroupNorm (and LayerNorm as its C=D, S=1, G=1 case) and BatchNorm on the CPU. Statistics
 * are accumulated in double; parameter gradients are summed per channel by one thread each,
 * in a fixed order. Letters: x (N, C, S), G groups of cpg = C/G channels. */
#include "cpu/cpu_internal.h"

#include <math.h>

void cpu_groupnorm_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                       const float *beta, float *y, float *mean, float *rstd)
{
    const int cpg = C / G;
    const int64_t len = (int64_t)cpg * S;
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * C * S > CPU_PAR_MIN)
    for (int64_t ng = 0; ng < (int64_t)N * G; ng++) {
        const float *xp = x + ng * len;
        double s = 0.0, ss = 0.0;
        for (int64_t i = 0; i < len; i++) s += xp[i];
        double mu = s / (double)len;
        for (int64_t i = 0; i < len; i++) {
            double d = xp[i] - mu;
            ss += d * d;
        }
        float m = (float)mu, r = (float)(1.0 / sqrt(ss / (double)len + eps));
        mean[ng] = m;
        rstd[ng] = r;
        int g = (int)(ng % G);
        float *yp = y + ng * len;
        for (int cc = 0; cc < cpg; cc++) {
            int ch = g * cpg + cc;
            float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
            for (int s2 = 0; s2 < S; s2++) {
                int64_t i = (int64_t)cc * S + s2;
                yp[i] = (xp[i] - m) * r * ga + be;
            }
        }
    }
}

void cpu_groupnorm_bwd(BackendCtx *c, int N, int C, int S, int G, const float *x, const float *gamma,
                       const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                       float *dbeta)
{
    const int cpg = C / G;
    const int64_t len = (int64_t)cpg * S;
    const int par = (int64_t)N * C * S > CPU_PAR_MIN;
    if (dx) {
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int64_t ng = 0; ng < (int64_t)N * G; ng++) {
            const float *xp = x + ng * len, *dyp = dy + ng * len;
            float m = mean[ng], r = rstd[ng];
            int g = (int)(ng % G);
            double a = 0.0, b = 0.0; /* sums of dxhat and dxhat*xhat */
            for (int cc = 0; cc < cpg; cc++) {
                float ga = gamma ? gamma[g * cpg + cc] : 1.0f;
                for (int s2 = 0; s2 < S; s2++) {
                    int64_t i = (int64_t)cc * S + s2;
                    float dxh = dyp[i] * ga;
                    a += dxh;
                    b += (double)dxh * ((xp[i] - m) * r);
                }
            }
            float ma = (float)(a / (double)len), mb = (float)(b / (double)len);
            float *dxp = dx + ng * len;
            for (int cc = 0; cc < cpg; cc++) {
                float ga = gamma ? gamma[g * cpg + cc] : 1.0f;
                for (int s2 = 0; s2 < S; s2++) {
                    int64_t i = (int64_t)cc * S + s2;
                    float xh = (xp[i] - m) * r;
                    dxp[i] += r * (dyp[i] * ga - ma - xh * mb);
                }
            }
        }
    }
    if (dgamma || dbeta) {
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int ch = 0; ch < C; ch++) {
            int g = ch / cpg;
            double sg = 0.0, sb = 0.0;
            for (int n = 0; n < N; n++) {
                const float *xp = x + ((int64_t)n * C + ch) * S, *dyp = dy + ((int64_t)n * C + ch) * S;
                float m = mean[n * G + g], r = rstd[n * G + g];
                for (int s2 = 0; s2 < S; s2++) {
                    sg += (double)dyp[s2] * ((xp[s2] - m) * r);
                    sb += dyp[s2];
                }
            }
            if (dgamma) dgamma[ch] += (float)sg;
            if (dbeta) dbeta[ch] += (float)sb;
        }
    }
}

void cpu_batchnorm_fwd(BackendCtx *c, int N, int C, int S, float eps, float momentum, int training,
                       const float *x, const float *gamma, const float *beta, float *run_mean, float *run_var,
                       float *y, float *mean, float *rstd)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * C * S > CPU_PAR_MIN)
    for (int ch = 0; ch < C; ch++) {
        float m, r;
        if (training) {
            const int64_t cnt = (int64_t)N * S;
            double s = 0.0, ss = 0.0;
            for (int n = 0; n < N; n++)
                for (int s2 = 0; s2 < S; s2++) s += x[((int64_t)n * C + ch) * S + s2];
            double mu = s / (double)cnt;
            for (int n = 0; n < N; n++)
                for (int s2 = 0; s2 < S; s2++) {
                    double d = x[((int64_t)n * C + ch) * S + s2] - mu;
                    ss += d * d;
                }
            m = (float)mu;
            r = (float)(1.0 / sqrt(ss / (double)cnt + eps));
            if (run_mean) run_mean[ch] = (1.0f - momentum) * run_mean[ch] + momentum * m;
            if (run_var)
                run_var[ch] = (1.0f - momentum) * run_var[ch] +
                              momentum * (float)(cnt > 1 ? ss / (double)(cnt - 1) : ss / (double)cnt);
        } else {
            m = run_mean[ch];
            r = 1.0f / sqrtf(run_var[ch] + eps);
        }
        mean[ch] = m;
        rstd[ch] = r;
        float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
        for (int n = 0; n < N; n++) {
            const float *xp = x + ((int64_t)n * C + ch) * S;
            float *yp = y + ((int64_t)n * C + ch) * S;
            for (int s2 = 0; s2 < S; s2++) yp[s2] = (xp[s2] - m) * r * ga + be;
        }
    }
}

void cpu_batchnorm_bwd(BackendCtx *c, int N, int C, int S, int training, const float *x, const float *gamma,
                       const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                       float *dbeta)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * C * S > CPU_PAR_MIN)
    for (int ch = 0; ch < C; ch++) {
        const int64_t cnt = (int64_t)N * S;
        float m = mean[ch], r = rstd[ch], ga = gamma ? gamma[ch] : 1.0f;
        double sdy = 0.0, sdyx = 0.0;
        for (int n = 0; n < N; n++) {
            const float *xp = x + ((int64_t)n * C + ch) * S, *dyp = dy + ((int64_t)n * C + ch) * S;
            for (int s2 = 0; s2 < S; s2++) {
                sdy += dyp[s2];
                sdyx += (double)dyp[s2] * ((xp[s2] - m) * r);
            }
        }
        if (dgamma) dgamma[ch] += (float)sdyx;
        if (dbeta) dbeta[ch] += (float)sdy;
        if (!dx) continue;
        float ma = training ? (float)(sdy / (double)cnt) : 0.0f, mb = training ? (float)(sdyx / (double)cnt) : 0.0f;
        for (int n = 0; n < N; n++) {
            const float *xp = x + ((int64_t)n * C + ch) * S, *dyp = dy + ((int64_t)n * C + ch) * S;
            float *dxp = dx + ((int64_t)n * C + ch) * S;
            for (int s2 = 0; s2 < S; s2++) {
                float xh = (xp[s2] - m) * r;
                dxp[s2] += ga * r * (dyp[s2] - ma - xh * mb);
            }
        }
    }
}
