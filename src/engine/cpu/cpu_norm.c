/* GroupNorm (and LayerNorm as its C=D, S=1, G=1 case), GroupNorm followed by SiLU in one
 * pass (the U-Net's norm + activation), and BatchNorm on the CPU. Statistics are accumulated
 * in double; parameter gradients are summed per channel by one thread each,
 * in a fixed order. Letters: x (N, C, S), G groups of cpg = C/G channels. */
#include "cpu/cpu_internal.h"

#include "cpu/cpu_simd.h"

#include <math.h>
#include <string.h>

/* 16 doubles, one per float of a cpu_vf: the statistics' partial sums (element i of a group
 * goes to partial i % 16 on every build) */
typedef double gn_vd __attribute__((vector_size(CPU_VL * 8)));

static double gn_tree16(const double *p)
{
    double q[8];
    for (int k = 0; k < 8; k++) q[k] = p[k] + p[k + 8];
    return ((q[0] + q[4]) + (q[2] + q[6])) + ((q[1] + q[5]) + (q[3] + q[7]));
}

/* mean and 1/sqrt(var + eps) of x[0..len): two passes (mean, then squared deviations), in
 * double over the 16 partials */
static void gn_stats(const float *x, int64_t len, float eps, float *mean, float *rstd)
{
    gn_vd acc = {0};
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) acc += __builtin_convertvector(cpu_vload(x + i), gn_vd);
    double p[16];
    memcpy(p, &acc, sizeof p);
    for (int k = 0; i < len; i++, k++) p[k] += x[i];
    const double mu = gn_tree16(p) / (double)len;
    gn_vd acc2 = {0};
    for (i = 0; i + 16 <= len; i += 16) {
        const gn_vd d = __builtin_convertvector(cpu_vload(x + i), gn_vd) - mu;
        acc2 += d * d;
    }
    memcpy(p, &acc2, sizeof p);
    for (int k = 0; i < len; i++, k++) {
        const double d = x[i] - mu;
        p[k] += d * d;
    }
    *mean = (float)mu;
    *rstd = (float)(1.0 / sqrt(gn_tree16(p) / (double)len + eps));
}

/* y = (x - m) r gamma + beta per channel of one group (y may be NULL), and z = silu(y) when
 * z is not NULL; vectors along a channel's S positions, the same float operations per
 * element in the vector and the scalar loops (so y's bits do not depend on S) */
static void gn_apply(const float *xp, int cpg, int S, int ch0, float m, float r, const float *gamma,
                     const float *beta, float *yp, float *zp)
{
    for (int cc = 0; cc < cpg; cc++) {
        const float ga = gamma ? gamma[ch0 + cc] : 1.0f, be = beta ? beta[ch0 + cc] : 0.0f;
        const float *xc = xp + (int64_t)cc * S;
        float *yc = yp ? yp + (int64_t)cc * S : NULL, *zc = zp ? zp + (int64_t)cc * S : NULL;
        int s2 = 0;
        for (; s2 + CPU_VL <= S; s2 += CPU_VL) {
            const cpu_vf v = (cpu_vload(xc + s2) - m) * r * ga + be;
            if (yc) cpu_vstore(yc + s2, v);
            if (zc) cpu_vstore(zc + s2, cpu_vsilu(v));
        }
        if (s2 == S) continue;
        if (zc) { /* the tail as one zero-padded vector */
            const cpu_vf v = (cpu_vload_part(xc + s2, S - s2) - m) * r * ga + be;
            if (yc) cpu_vstore_part(yc + s2, v, S - s2);
            cpu_vstore_part(zc + s2, cpu_vsilu(v), S - s2);
        } else {
            for (; s2 < S; s2++) yc[s2] = (xc[s2] - m) * r * ga + be;
        }
    }
}

static void gn_forward(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                       const float *beta, float *y, float *z, float *mean, float *rstd)
{
    const int cpg = C / G;
    const int64_t len = (int64_t)cpg * S;
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)N * C * S > CPU_PAR_MIN)
    for (int64_t ng = 0; ng < (int64_t)N * G; ng++) {
        gn_stats(x + ng * len, len, eps, &mean[ng], &rstd[ng]);
        gn_apply(x + ng * len, cpg, S, (int)(ng % G) * cpg, mean[ng], rstd[ng], gamma, beta, y ? y + ng * len : NULL,
                 z ? z + ng * len : NULL);
    }
}

void cpu_groupnorm_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                       const float *beta, float *y, float *mean, float *rstd)
{
    gn_forward(c, N, C, S, G, eps, x, gamma, beta, y, NULL, mean, rstd);
}

void cpu_groupnorm_silu_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                            const float *beta, float *y, float *z, float *mean, float *rstd)
{
    gn_forward(c, N, C, S, G, eps, x, gamma, beta, y, z, mean, rstd);
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
