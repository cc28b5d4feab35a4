/* Pointwise, broadcast, strided-copy and reduction kernels on the CPU. Reductions sum in
 * double over a fixed partition of the input, so the result does not depend on threads.
 * Four-dimensional index i = (i0, i1, i2, i3) of `shape`; strides are in elements. */
#include "cpu/cpu_internal.h"

#include "cpu/cpu_simd.h"

#include <math.h>
#include <string.h>

enum { SUM_CHUNK = 16384 };

/* y[i] = silu(x[i]) (silu) or sigmoid(x[i]) in vectors of CPU_VL, the tail through a
 * zero-padded vector: exp is cpu_vexp (cpu_simd.h), whose per-element result does not depend
 * on where the vector boundaries fall, so the thread count changes nothing */
static void map_sigmoid(BackendCtx *c, int silu, int64_t n, const float *x, float *y)
{
    const int64_t nv = (n + CPU_VL - 1) / CPU_VL;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t v = 0; v < nv; v++) {
        const int64_t i = v * CPU_VL, m = n - i < CPU_VL ? n - i : CPU_VL;
        const cpu_vf xv = m == CPU_VL ? cpu_vload(x + i) : cpu_vload_part(x + i, m);
        const cpu_vf r = silu ? cpu_vsilu(xv) : cpu_vsigmoid(xv);
        if (m == CPU_VL)
            cpu_vstore(y + i, r);
        else
            cpu_vstore_part(y + i, r, m);
    }
}

/* sum of x[0..n) in double with eight interleaved partial sums, combined in a fixed order:
 * the same bits every time, without one long chain of dependent additions */
static double sum_run(const float *x, int64_t n)
{
    double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) p[k] += x[i + k];
    for (int k = 0; i < n; i++, k++) p[k] += x[i];
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

void cpu_unary_fwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, float *y)
{
    const int par = n > CPU_PAR_MIN;
    switch (k) {
    case UNARY_RELU:
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case UNARY_SILU: map_sigmoid(c, 1, n, x, y); break;
    case UNARY_GELU:
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
        break;
    case UNARY_TANH:
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    case UNARY_SIGMOID: map_sigmoid(c, 0, n, x, y); break;
    default: break;
    }
}

void cpu_unary_bwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, const float *y, const float *dy,
                   float *dx)
{
    const int par = n > CPU_PAR_MIN;
    switch (k) {
    case UNARY_RELU:
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case UNARY_SILU: {
        const int64_t nv = (n + CPU_VL - 1) / CPU_VL;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int64_t v = 0; v < nv; v++) {
            const int64_t i = v * CPU_VL, m = n - i < CPU_VL ? n - i : CPU_VL;
            const cpu_vf xv = m == CPU_VL ? cpu_vload(x + i) : cpu_vload_part(x + i, m);
            const cpu_vf g = m == CPU_VL ? cpu_vload(dy + i) : cpu_vload_part(dy + i, m);
            const cpu_vf d = m == CPU_VL ? cpu_vload(dx + i) : cpu_vload_part(dx + i, m);
            const cpu_vf s = cpu_vsigmoid(xv);
            const cpu_vf r = d + g * s * (1.0f + xv * (1.0f - s));
            if (m == CPU_VL)
                cpu_vstore(dx + i, r);
            else
                cpu_vstore_part(dx + i, r, m);
        }
        break;
    }
    case UNARY_GELU:
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) {
            float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * expf(-0.5f * x[i] * x[i]);
            dx[i] += dy[i] * (cdf + x[i] * pdf);
        }
        break;
    case UNARY_TANH:
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
        break;
    case UNARY_SIGMOID:
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (par)
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
        break;
    default: break;
    }
}

static inline float binop(BinaryKind k, float a, float b)
{
    return k == BINARY_ADD ? a + b : k == BINARY_SUB ? a - b : k == BINARY_MUL ? a * b : a / b;
}

void cpu_binary_fwd(BackendCtx *c, BinaryKind k, const int shape[4], const float *a, const int64_t sa[4],
                    const float *b, const int64_t sb[4], float *y)
{
    const int64_t inner = shape[3], outer = (int64_t)shape[0] * shape[1] * shape[2];
    const int par = outer * inner > CPU_PAR_MIN;
    const int64_t as = sa[3], bs = sb[3];
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
    for (int64_t o = 0; o < outer; o++) {
        int64_t i2 = o % shape[2], i1 = (o / shape[2]) % shape[1], i0 = o / ((int64_t)shape[2] * shape[1]);
        const float *ap = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *bp = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        float *yp = y + o * inner;
        if (as == 1 && bs == 1) {
            for (int64_t i = 0; i < inner; i++) yp[i] = binop(k, ap[i], bp[i]);
        } else if (as == 1 && bs == 0) {
            const float bv = bp[0];
            for (int64_t i = 0; i < inner; i++) yp[i] = binop(k, ap[i], bv);
        } else if (as == 0 && bs == 1) {
            const float av = ap[0];
            for (int64_t i = 0; i < inner; i++) yp[i] = binop(k, av, bp[i]);
        } else {
            for (int64_t i = 0; i < inner; i++) yp[i] = binop(k, ap[i * as], bp[i * bs]);
        }
    }
}

/* y[i.sy] += alpha * x[i]. Each output element is summed (in double) over its reduced
 * indices in their natural order by one thread. */
void cpu_reduce_to(BackendCtx *c, const int shape[4], const float *x, float alpha, float *y, const int64_t sy[4])
{
    int64_t sx[4];
    sx[3] = 1;
    for (int d = 2; d >= 0; d--) sx[d] = sx[d + 1] * shape[d + 1];
    int kept[4], nk = 0;
    int64_t ny = 1, total = sx[0] * shape[0];
    for (int d = 0; d < 4; d++)
        if (sy[d] != 0 && shape[d] > 1) {
            kept[nk++] = d;
            ny *= shape[d];
        }
    if (nk == 0) { /* everything into one element */
        float s = 0.0f;
        cpu_sum(c, total, x, alpha, &s);
        y[0] += s;
        return;
    }
    if (kept[nk - 1] == 3 && nk < 4 && shape[3] >= 8) {
        /* the innermost dimension is kept: walk rows and add blocks of 8 contiguous columns */
        const int64_t cols = shape[3], nblk = (cols + 7) / 8, nouter = ny / cols;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (total > CPU_PAR_MIN)
        for (int64_t job = 0; job < nouter * nblk; job++) {
            int64_t ko = job / nblk, j0 = (job % nblk) * 8, j1 = j0 + 8 < cols ? j0 + 8 : cols;
            int64_t fix[4] = {-1, -1, -1, -1}, rem = ko;
            for (int q = nk - 2; q >= 0; q--) {
                fix[kept[q]] = rem % shape[kept[q]];
                rem /= shape[kept[q]];
            }
            double acc[8] = {0};
            for (int64_t i0 = 0; i0 < shape[0]; i0++) {
                if (fix[0] >= 0 && i0 != fix[0]) continue;
                for (int64_t i1 = 0; i1 < shape[1]; i1++) {
                    if (fix[1] >= 0 && i1 != fix[1]) continue;
                    for (int64_t i2 = 0; i2 < shape[2]; i2++) {
                        if (fix[2] >= 0 && i2 != fix[2]) continue;
                        const float *xp = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
                        for (int64_t j = j0; j < j1; j++) acc[j - j0] += xp[j];
                    }
                }
            }
            int64_t yo = 0;
            for (int d = 0; d < 3; d++)
                if (fix[d] >= 0) yo += fix[d] * sy[d];
            for (int64_t j = j0; j < j1; j++) y[yo + j * sy[3]] += alpha * (float)acc[j - j0];
        }
        return;
    }
#pragma omp parallel for schedule(static) num_threads(c->threads) if (total > CPU_PAR_MIN)
    for (int64_t e = 0; e < ny; e++) {
        int64_t lo[4] = {0, 0, 0, 0}, hi[4] = {shape[0], shape[1], shape[2], shape[3]}, rem = e, yo = 0;
        for (int q = nk - 1; q >= 0; q--) {
            int d = kept[q];
            lo[d] = rem % shape[d];
            hi[d] = lo[d] + 1;
            rem /= shape[d];
            yo += lo[d] * sy[d];
        }
        double s = 0.0;
        for (int64_t i0 = lo[0]; i0 < hi[0]; i0++)
            for (int64_t i1 = lo[1]; i1 < hi[1]; i1++)
                for (int64_t i2 = lo[2]; i2 < hi[2]; i2++) {
                    const float *xp = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
                    s += sum_run(xp + lo[3], hi[3] - lo[3]);
                }
        y[yo] += alpha * (float)s;
    }
}

void cpu_copy_strided(BackendCtx *c, const int shape[4], const float *x, const int64_t sx[4], float *y,
                      const int64_t sy[4], int accumulate)
{
    const int64_t inner = shape[3], outer = (int64_t)shape[0] * shape[1] * shape[2];
#pragma omp parallel for schedule(static) num_threads(c->threads) if (outer * inner > CPU_PAR_MIN)
    for (int64_t o = 0; o < outer; o++) {
        int64_t i2 = o % shape[2], i1 = (o / shape[2]) % shape[1], i0 = o / ((int64_t)shape[2] * shape[1]);
        const float *xp = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
        float *yp = y + i0 * sy[0] + i1 * sy[1] + i2 * sy[2];
        if (sx[3] == 1 && sy[3] == 1) {
            if (accumulate)
                for (int64_t i = 0; i < inner; i++) yp[i] += xp[i];
            else
                memcpy(yp, xp, sizeof(float) * (size_t)inner);
        } else if (accumulate) {
            for (int64_t i = 0; i < inner; i++) yp[i * sy[3]] += xp[i * sx[3]];
        } else {
            for (int64_t i = 0; i < inner; i++) yp[i * sy[3]] = xp[i * sx[3]];
        }
    }
}

void cpu_fill(BackendCtx *c, int64_t n, float value, float *y)
{
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = value;
}

void cpu_axpby(BackendCtx *c, int64_t n, float alpha, const float *x, float beta, float *y)
{
    if (beta == 0.0f) {
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i];
    } else {
#pragma omp parallel for simd schedule(static) num_threads(c->threads) if (n > CPU_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i];
    }
}

/* Sum over fixed chunks in double, chunks added in order. */
static double chunked_sum(BackendCtx *c, int64_t n, const float *x, int square)
{
    const int64_t nch = (n + SUM_CHUNK - 1) / SUM_CHUNK;
    double stack[64], *part = nch <= 64 ? stack : (double *)cpu_shared_scratch(c, 3, (size_t)nch * 2);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (nch > 1)
    for (int64_t k = 0; k < nch; k++) {
        int64_t i0 = k * SUM_CHUNK, i1 = i0 + SUM_CHUNK < n ? i0 + SUM_CHUNK : n;
        double s = 0.0;
        if (square)
            for (int64_t i = i0; i < i1; i++) s += (double)x[i] * x[i];
        else
            s = sum_run(x + i0, i1 - i0);
        part[k] = s;
    }
    double s = 0.0;
    for (int64_t k = 0; k < nch; k++) s += part[k];
    return s;
}

void cpu_sum(BackendCtx *c, int64_t n, const float *x, float alpha, float *y)
{
    y[0] = (float)((double)alpha * chunked_sum(c, n, x, 0));
}

double cpu_sumsq(BackendCtx *c, int64_t n, const float *x) { return chunked_sum(c, n, x, 1); }

int cpu_all_finite(BackendCtx *c, int64_t n, const float *x)
{
    int bad = 0;
#pragma omp parallel for schedule(static) num_threads(c->threads) reduction(| : bad) if (n > CPU_PAR_MIN)
    for (int64_t i = 0; i < n; i++) bad |= !isfinite(x[i]);
    return !bad;
}
