/* GroupNorm (LayerNorm is its C=D, S=1, G=1 case) and BatchNorm.
 *
 * GroupNorm runs in phases so that a few large groups still fill the GPU: blocks sum fixed
 * chunks of each group (sum and sum of squares in double) into partials, one thread per
 * group turns them into mean and 1/std, and an elementwise kernel normalises. The backward
 * does the same for its two group sums, and the parameter gradients are per-channel
 * reductions over fixed chunks. Every order is fixed by the shape, so runs repeat exactly. */
#include "cuda_internal.cuh"

#define GN_CHUNK ((int64_t)8192)
#define GN_MAX_CHUNKS ((int64_t)1024)

typedef struct {
    int N, C, S, G, cpg;
    int64_t len;   /* cpg * S: one group's elements */
    int nchunks;   /* per group */
    int64_t chunk; /* elements per chunk */
} GnGeom;

static GnGeom gn_geom(int N, int C, int S, int G)
{
    GnGeom g = {N, C, S, G, C / G, (int64_t)(C / G) * S, 1, 0};
    int64_t nc = CEIL_DIV(g.len, (int64_t)GN_CHUNK);
    g.nchunks = (int)(nc > GN_MAX_CHUNKS ? GN_MAX_CHUNKS : nc < 1 ? 1 : nc);
    g.chunk = CEIL_DIV(g.len, (int64_t)g.nchunks);
    return g;
}

/* part[(ng*nchunks + ch)*2 + {0,1}] = sums of x and x^2 over the chunk */
__global__ void gn_stats_partial_k(GnGeom g, const float *x, double *part)
{
    const int64_t ng = blockIdx.x, ch = blockIdx.y, lo = ch * g.chunk, hi = lo + g.chunk < g.len ? lo + g.chunk : g.len;
    const float *xp = x + ng * g.len;
    double s = 0.0, ss = 0.0;
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        double v = xp[i];
        s += v;
        ss += v * v;
    }
    s = block_sum_d(s);
    ss = block_sum_d(ss);
    if (threadIdx.x == 0) {
        part[(ng * g.nchunks + ch) * 2] = s;
        part[(ng * g.nchunks + ch) * 2 + 1] = ss;
    }
}

__global__ void gn_stats_finish_k(GnGeom g, int ngroups, float eps, const double *part, float *mean, float *rstd)
{
    const int ng = blockIdx.x * blockDim.x + threadIdx.x;
    if (ng >= ngroups) return;
    double s = 0.0, ss = 0.0;
    for (int k = 0; k < g.nchunks; k++) {
        s += part[((int64_t)ng * g.nchunks + k) * 2];
        ss += part[((int64_t)ng * g.nchunks + k) * 2 + 1];
    }
    double mu = s / (double)g.len, var = ss / (double)g.len - mu * mu;
    mean[ng] = (float)mu;
    rstd[ng] = (float)(1.0 / sqrt((var > 0.0 ? var : 0.0) + eps));
}

/* grid (blocks per group, groups): the group comes from blockIdx.y, positions inside it in
 * 32 bits (a group holds fewer than 2^31 elements: cpg * S) */
__global__ void gn_apply_k(GnGeom g, int ngroups, const float *x, const float *gamma, const float *beta,
                           const float *mean, const float *rstd, float *y)
{
    for (int ng = blockIdx.y; ng < ngroups; ng += gridDim.y) {
        const int c0 = (ng % g.G) * g.cpg, len = (int)g.len;
        const float m = mean[ng], r = rstd[ng];
        const float *xp = x + (int64_t)ng * len;
        float *yp = y + (int64_t)ng * len;
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) {
            const int ch = c0 + i / g.S;
            const float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
            yp[i] = (xp[i] - m) * r * ga + be;
        }
    }
}

static dim3 gn_grid(const GnGeom *g, int ngroups)
{
    int64_t per = CEIL_DIV(g->len, (int64_t)CUDA_THREADS * 4);
    return dim3((unsigned)(per < 1 ? 1 : per > 256 ? 256 : per), (unsigned)(ngroups < 65535 ? ngroups : 65535));
}

void cuda_groupnorm_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                        const float *beta, float *y, float *mean, float *rstd)
{
    GnGeom g = gn_geom(N, C, S, G);
    const int ngroups = N * G;
    double *part = cuda_partials(c, (size_t)ngroups * g.nchunks * 2);
    gn_stats_partial_k<<<dim3((unsigned)ngroups, (unsigned)g.nchunks), CUDA_THREADS, 0, c->stream>>>(g, x, part);
    CHECK_LAUNCH();
    gn_stats_finish_k<<<(unsigned)CEIL_DIV(ngroups, 128), 128, 0, c->stream>>>(g, ngroups, eps, part, mean, rstd);
    CHECK_LAUNCH();
    gn_apply_k<<<gn_grid(&g, ngroups), CUDA_THREADS, 0, c->stream>>>(g, ngroups, x, gamma, beta, mean, rstd, y);
    CHECK_LAUNCH();
}

/* gn_apply_k followed by SiLU: z = silu(y), y written only when not NULL (inference keeps
 * only z). y is computed exactly as gn_apply_k computes it, and z as unary_fwd's SiLU. */
__global__ void gn_apply_silu_k(GnGeom g, int ngroups, const float *x, const float *gamma, const float *beta,
                                const float *mean, const float *rstd, float *y, float *z)
{
    for (int ng = blockIdx.y; ng < ngroups; ng += gridDim.y) {
        const int c0 = (ng % g.G) * g.cpg, len = (int)g.len;
        const float m = mean[ng], r = rstd[ng];
        const float *xp = x + (int64_t)ng * len;
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) {
            const int ch = c0 + i / g.S;
            const float ga = gamma ? gamma[ch] : 1.0f, be = beta ? beta[ch] : 0.0f;
            const float v = (xp[i] - m) * r * ga + be;
            if (y) y[(int64_t)ng * len + i] = v;
            z[(int64_t)ng * len + i] = v * (1.0f / (1.0f + expf(-v)));
        }
    }
}

void cuda_groupnorm_silu_fwd(BackendCtx *c, int N, int C, int S, int G, float eps, const float *x, const float *gamma,
                             const float *beta, float *y, float *z, float *mean, float *rstd)
{
    GnGeom g = gn_geom(N, C, S, G);
    const int ngroups = N * G;
    double *part = cuda_partials(c, (size_t)ngroups * g.nchunks * 2);
    gn_stats_partial_k<<<dim3((unsigned)ngroups, (unsigned)g.nchunks), CUDA_THREADS, 0, c->stream>>>(g, x, part);
    CHECK_LAUNCH();
    gn_stats_finish_k<<<(unsigned)CEIL_DIV(ngroups, 128), 128, 0, c->stream>>>(g, ngroups, eps, part, mean, rstd);
    CHECK_LAUNCH();
    gn_apply_silu_k<<<gn_grid(&g, ngroups), CUDA_THREADS, 0, c->stream>>>(g, ngroups, x, gamma, beta, mean, rstd, y,
                                                                           z);
    CHECK_LAUNCH();
}

/* sums of dxhat = dy*gamma and dxhat*xhat over each chunk of each group */
__global__ void gn_bwd_partial_k(GnGeom g, const float *x, const float *gamma, const float *mean, const float *rstd,
                                 const float *dy, double *part)
{
    const int64_t ng = blockIdx.x, ch = blockIdx.y, lo = ch * g.chunk, hi = lo + g.chunk < g.len ? lo + g.chunk : g.len;
    const int gi = (int)(ng % g.G);
    const float *xp = x + ng * g.len, *dyp = dy + ng * g.len;
    const float m = mean[ng], r = rstd[ng];
    double a = 0.0, b = 0.0;
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        float ga = gamma ? gamma[gi * g.cpg + i / g.S] : 1.0f;
        float dxh = dyp[i] * ga;
        a += dxh;
        b += (double)dxh * ((xp[i] - m) * r);
    }
    a = block_sum_d(a);
    b = block_sum_d(b);
    if (threadIdx.x == 0) {
        part[(ng * g.nchunks + ch) * 2] = a;
        part[(ng * g.nchunks + ch) * 2 + 1] = b;
    }
}

__global__ void gn_bwd_finish_k(GnGeom g, int ngroups, const double *part, float *ma, float *mb)
{
    const int ng = blockIdx.x * blockDim.x + threadIdx.x;
    if (ng >= ngroups) return;
    double a = 0.0, b = 0.0;
    for (int k = 0; k < g.nchunks; k++) {
        a += part[((int64_t)ng * g.nchunks + k) * 2];
        b += part[((int64_t)ng * g.nchunks + k) * 2 + 1];
    }
    ma[ng] = (float)(a / (double)g.len);
    mb[ng] = (float)(b / (double)g.len);
}

__global__ void gn_bwd_dx_k(GnGeom g, int ngroups, const float *x, const float *gamma, const float *mean,
                            const float *rstd, const float *ma, const float *mb, const float *dy, float *dx)
{
    for (int ng = blockIdx.y; ng < ngroups; ng += gridDim.y) {
        const int c0 = (ng % g.G) * g.cpg, len = (int)g.len;
        const float m = mean[ng], r = rstd[ng], a = ma[ng], b = mb[ng];
        const int64_t base = (int64_t)ng * len;
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) {
            const float ga = gamma ? gamma[c0 + i / g.S] : 1.0f;
            const float xh = (x[base + i] - m) * r;
            dx[base + i] += r * (dy[base + i] * ga - a - xh * b);
        }
    }
}

/* per channel, over fixed chunks of its (n, s) positions: sums of dy*xhat and dy */
__global__ void gn_param_partial_k(GnGeom g, int64_t chunk, int nchunks, const float *x, const float *mean,
                                   const float *rstd, const float *dy, double *part)
{
    const int ch = blockIdx.x, k = blockIdx.y, gi = ch / g.cpg;
    const int64_t total = (int64_t)g.N * g.S, lo = k * chunk, hi = lo + chunk < total ? lo + chunk : total;
    double sg = 0.0, sb = 0.0;
    for (int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) {
        const int64_t n = j / g.S, i = (n * g.C + ch) * g.S + (j - n * g.S);
        const float xh = (x[i] - mean[n * g.G + gi]) * rstd[n * g.G + gi];
        sg += (double)dy[i] * xh;
        sb += dy[i];
    }
    sg = block_sum_d(sg);
    sb = block_sum_d(sb);
    if (threadIdx.x == 0) {
        part[((int64_t)ch * nchunks + k) * 2] = sg;
        part[((int64_t)ch * nchunks + k) * 2 + 1] = sb;
    }
}

__global__ void gn_param_finish_k(int C, int nchunks, const double *part, float *dgamma, float *dbeta)
{
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= C) return;
    double sg = 0.0, sb = 0.0;
    for (int k = 0; k < nchunks; k++) {
        sg += part[((int64_t)ch * nchunks + k) * 2];
        sb += part[((int64_t)ch * nchunks + k) * 2 + 1];
    }
    if (dgamma) dgamma[ch] += (float)sg;
    if (dbeta) dbeta[ch] += (float)sb;
}

void cuda_groupnorm_bwd(BackendCtx *c, int N, int C, int S, int G, const float *x, const float *gamma,
                        const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                        float *dbeta)
{
    GnGeom g = gn_geom(N, C, S, G);
    const int ngroups = N * G;
    if (dx) {
        /* partials first, then the two per-group means behind them */
        double *part = cuda_partials(c, (size_t)ngroups * g.nchunks * 2 + (size_t)ngroups);
        float *ma = (float *)(part + (size_t)ngroups * g.nchunks * 2), *mb = ma + ngroups;
        gn_bwd_partial_k<<<dim3((unsigned)ngroups, (unsigned)g.nchunks), CUDA_THREADS, 0, c->stream>>>(
            g, x, gamma, mean, rstd, dy, part);
        CHECK_LAUNCH();
        gn_bwd_finish_k<<<(unsigned)CEIL_DIV(ngroups, 128), 128, 0, c->stream>>>(g, ngroups, part, ma, mb);
        CHECK_LAUNCH();
        gn_bwd_dx_k<<<gn_grid(&g, ngroups), CUDA_THREADS, 0, c->stream>>>(g, ngroups, x, gamma, mean, rstd, ma, mb, dy,
                                                                          dx);
        CHECK_LAUNCH();
    }
    if (dgamma || dbeta) {
        const int64_t total = (int64_t)N * S;
        int64_t nc = CEIL_DIV(total, (int64_t)GN_CHUNK);
        const int nchunks = (int)(nc > GN_MAX_CHUNKS ? GN_MAX_CHUNKS : nc < 1 ? 1 : nc);
        const int64_t chunk = CEIL_DIV(total, (int64_t)nchunks);
        double *part = cuda_partials(c, (size_t)C * nchunks * 2);
        gn_param_partial_k<<<dim3((unsigned)C, (unsigned)nchunks), CUDA_THREADS, 0, c->stream>>>(
            g, chunk, nchunks, x, mean, rstd, dy, part);
        CHECK_LAUNCH();
        gn_param_finish_k<<<(unsigned)CEIL_DIV(C, 128), 128, 0, c->stream>>>(C, nchunks, part, dgamma, dbeta);
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
