/* Softmax, log-softmax, attention and the fused losses on the CPU, one row per loop
 * iteration. */
#include "cpu/cpu_internal.h"

#include "cpu/cpu_simd.h"

#include <math.h>
#include <omp.h>

/* y = softmax(x) over one row of n: the maximum, then exp(x - max) with cpu_vexp into y and
 * 16 float partial sums (element j into partial j % 16 on every build), then y *= 1/sum */
void cpu_softmax_row(int n, const float *x, float *y)
{
    const int nv = n / CPU_VL * CPU_VL;
    float mx = n > 0 ? x[0] : 0.0f;
    if (nv) {
        cpu_vf m = cpu_vload(x);
        for (int j = CPU_VL; j < nv; j += CPU_VL) m = cpu_vmax(m, cpu_vload(x + j));
        for (int l = 0; l < CPU_VL; l++) mx = m[l] > mx ? m[l] : mx;
    }
    for (int j = nv; j < n; j++) mx = x[j] > mx ? x[j] : mx;
    cpu_vf acc = {0};
    for (int j = 0; j < nv; j += CPU_VL) {
        const cpu_vf e = cpu_vexp(cpu_vload(x + j) - mx);
        cpu_vstore(y + j, e);
        acc += e;
    }
    if (nv < n) { /* the tail: lanes past the row add nothing */
        const cpu_vf e = cpu_vexp(cpu_vload_part(x + nv, n - nv) - mx);
        cpu_vstore_part(y + nv, e, n - nv);
        for (int l = 0; l < n - nv; l++) acc[l] += e[l];
    }
    float q[8];
    for (int l = 0; l < 8; l++) q[l] = acc[l] + acc[l + 8];
    const float s = ((q[0] + q[4]) + (q[2] + q[6])) + ((q[1] + q[5]) + (q[3] + q[7]));
    const float inv = 1.0f / s;
    for (int j = 0; j < nv; j += CPU_VL) cpu_vstore(y + j, cpu_vload(y + j) * inv);
    for (int j = nv; j < n; j++) y[j] *= inv;
}

void cpu_softmax_fwd(BackendCtx *c, int rows, int cols, int log, const float *x, float *y)
{
#pragma omp parallel for schedule(static) num_threads(c->threads) if ((int64_t)rows * cols > CPU_PAR_MIN)
    for (int r = 0; r < rows; r++) {
        const float *xp = x + (int64_t)r * cols;
        float *yp = y + (int64_t)r * cols;
        if (!log) {
            cpu_softmax_row(cols, xp, yp);
            continue;
        }
        float mx = xp[0];
        for (int j = 1; j < cols; j++) mx = xp[j] > mx ? xp[j] : mx;
        float s = 0.0f;
        for (int j = 0; j < cols; j++) s += expf(xp[j] - mx);
        const float ls = logf(s) + mx;
        for (int j = 0; j < cols; j++) yp[j] = xp[j] - ls;
    }
}

/* Attention in blocks of ATT_ROWS query rows of one item: the block's scores, softmax and
 * product with V stay in the cache, and without P (inference) only a block per thread is ever
 * stored. The blocks are fixed by the shape, and each is one thread's work. */
enum { ATT_ROWS = 64 };

void cpu_attention_fwd(BackendCtx *c, int B, int L, int S, int d, int dv, float scale, const float *q,
                       const float *k, const float *v, float *P, float *out)
{
    const int nblk = (L + ATT_ROWS - 1) / ATT_ROWS;
    const int64_t jobs = (int64_t)B * nblk;
    const int nt = c->threads > 1 && jobs >= c->threads ? c->threads : 1;
    if (!P)
        for (int t = 0; t < nt; t++) cpu_thread_scratch(c, t, 0, (size_t)ATT_ROWS * S);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t job = 0; job < jobs; job++) {
        const int b = (int)(job / nblk), r0 = (int)(job % nblk) * ATT_ROWS;
        const int rows = L - r0 < ATT_ROWS ? L - r0 : ATT_ROWS;
        float *pb = P ? P + ((int64_t)b * L + r0) * S : c->tbuf[nt > 1 ? omp_get_thread_num() : 0][0];
        cpu_gemm_serial(0, 1, rows, S, d, scale, q + ((int64_t)b * L + r0) * d, d, k + (int64_t)b * S * d, d, 0.0f,
                        pb, S);
        for (int r = 0; r < rows; r++) cpu_softmax_row(S, pb + (int64_t)r * S, pb + (int64_t)r * S);
        cpu_gemm_serial(0, 0, rows, dv, S, 1.0f, pb, S, v + (int64_t)b * S * dv, dv, 0.0f,
                        out + ((int64_t)b * L + r0) * dv, dv);
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
