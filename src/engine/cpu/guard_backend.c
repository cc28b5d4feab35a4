/* "cpu-guard": the CPU backend behind a wall, for finding without a GPU the mistakes that
 * only show on one. Above the backend table the engine must treat device memory as
 * unreachable: read it only through download/sumsq/all_finite, and hand the table only
 * device pointers (a host array passed to a CUDA kernel, or a device buffer read with a
 * plain load, works on the CPU backend and fails on the GPU).
 *
 * This backend runs the CPU kernels unchanged (so its results are bit-identical to "cpu"),
 * but its memory comes from one reserved address range per context that is PROT_NONE
 * except while a table entry runs. Host code that touches a tensor's data faults at the
 * exact load or store (run under gdb or the ASan build for the stack), and every entry
 * checks that each pointer it is given lies in the context's range, naming the entry and
 * the argument when one does not. Freed memory is returned to the system (madvise) and its
 * addresses are never reused, so a stale pointer faults too.
 *
 * Cost: two mprotect calls per table entry; tests run small presets on it. */
#include "backend.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* address space reserved per context; never backed unless allocated */
#define GUARD_RESERVE ((size_t)256 << 30)
/* Allocations of at least GUARD_BIG bytes start on a 2 MiB boundary and fill whole huge
 * pages: mprotect then changes one page-table entry per 2 MiB instead of 512, which is what
 * keeps a U-Net's hundreds of MiB of activations affordable behind the wall. */
#define GUARD_HUGE ((size_t)2 << 20)
#define GUARD_BIG ((size_t)256 << 10)

typedef struct {
    char *p;
    size_t bytes;
} GuardAlloc;

typedef struct GuardCtx {
    const Backend *cpu;
    BackendCtx *inner;
    char *raw;  /* the reservation, GUARD_HUGE more than GUARD_RESERVE */
    char *base; /* raw rounded up to a huge page */
    size_t used; /* bump pointer, page multiples */
    size_t page;
    GuardAlloc *allocs;
    int nallocs, cap;
    int64_t total_allocs; /* ever: backend_guard_allocs */
} GuardCtx;

#define G(b) ((GuardCtx *)(void *)(b))
#define IN(g) ((g)->inner)

static void guard_protect(GuardCtx *g, int prot)
{
    if (g->used && mprotect(g->base, g->used, prot) != 0)
        ENG_FATAL("cpu-guard: mprotect(%zu bytes, %s) failed", g->used, prot == PROT_NONE ? "none" : "rw");
}

#define OPEN(g) guard_protect(g, PROT_READ | PROT_WRITE)
#define CLOSE(g) guard_protect(g, PROT_NONE)
/* an entry: open the wall, run the CPU's entry, close it (after the DEV checks) */
#define RUN(call)                                                                                  \
    do {                                                                                           \
        OPEN(g);                                                                                   \
        g->cpu->call;                                                                              \
        CLOSE(g);                                                                                  \
    } while (0)

static int guard_owns(const GuardCtx *g, const void *p)
{
    return (const char *)p >= g->base && (const char *)p < g->base + g->used;
}

/* every pointer an entry gets must be this context's device memory (NULL where allowed) */
static void need_dev(const GuardCtx *g, const void *p, const char *entry, const char *arg)
{
    if (p && !guard_owns(g, p))
        ENG_FATAL("cpu-guard: %s got %s = %p, which is not device memory of this context (a host buffer, or "
                  "another context's)",
                  entry, arg, p);
}
#define DEV(p) need_dev(g, p, __func__ + 2, #p)

static BackendCtx *g_create(int threads)
{
    GuardCtx *g = calloc(1, sizeof *g);
    ENG_CHECK_ALLOC(g);
    g->cpu = backend_cpu();
    g->inner = g->cpu->create(threads);
    g->page = (size_t)sysconf(_SC_PAGESIZE);
    void *raw = mmap(NULL, GUARD_RESERVE + GUARD_HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        eng_log(LOG_ERROR, "cpu-guard: could not reserve %zu GiB of address space", GUARD_RESERVE >> 30);
        g->cpu->destroy(g->inner);
        free(g);
        return NULL;
    }
    g->raw = raw;
    g->base = (char *)(((uintptr_t)raw + GUARD_HUGE - 1) / GUARD_HUGE * GUARD_HUGE);
    madvise(g->base, GUARD_RESERVE, MADV_HUGEPAGE); /* a hint: without it the wall is only slower */
    return (BackendCtx *)(void *)g;
}

static void g_destroy(BackendCtx *b)
{
    GuardCtx *g = G(b);
    if (!g) return;
    munmap(g->raw, GUARD_RESERVE + GUARD_HUGE);
    g->cpu->destroy(g->inner);
    free(g->allocs);
    free(g);
}

static void g_set_threads(BackendCtx *b, int threads) { G(b)->cpu->set_threads(IN(G(b)), threads); }
static void g_set_math(BackendCtx *b, unsigned flags) { G(b)->cpu->set_math(IN(G(b)), flags); }

static void *g_alloc(BackendCtx *b, size_t bytes)
{
    GuardCtx *g = G(b);
    const size_t unit = bytes >= GUARD_BIG ? GUARD_HUGE : g->page;
    const size_t start = (g->used + unit - 1) / unit * unit;
    const size_t len = ((bytes ? bytes : 1) + unit - 1) / unit * unit;
    if (start > GUARD_RESERVE || len > GUARD_RESERVE - start)
        ENG_FATAL("cpu-guard: the context's %zu GiB of address space are used up (addresses are never reused)",
                  GUARD_RESERVE >> 30);
    if (g->nallocs == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 256;
        g->allocs = realloc(g->allocs, (size_t)g->cap * sizeof *g->allocs);
        ENG_CHECK_ALLOC(g->allocs);
    }
    char *p = g->base + start;
    g->used = start + len;
    g->allocs[g->nallocs++] = (GuardAlloc){p, len};
    g->total_allocs++;
    return p;
}

static void g_release(BackendCtx *b, void *p)
{
    GuardCtx *g = G(b);
    if (!p) return;
    for (int i = g->nallocs - 1; i >= 0; i--)
        if (g->allocs[i].p == p) {
            madvise(p, g->allocs[i].bytes, MADV_DONTNEED); /* the pages go back; the addresses stay dead */
            g->allocs[i] = g->allocs[--g->nallocs];
            return;
        }
    ENG_FATAL("cpu-guard: release of %p, which this context did not allocate (or released already)", p);
}

static void g_zero(BackendCtx *b, void *p, size_t bytes)
{
    GuardCtx *g = G(b);
    DEV(p);
    RUN(zero(IN(g), p, bytes));
}

static void g_upload(BackendCtx *b, void *dst, const void *host, size_t bytes)
{
    GuardCtx *g = G(b);
    DEV(dst);
    if (bytes && guard_owns(g, host)) ENG_FATAL("cpu-guard: upload from %p, which is device memory: use copy", host);
    RUN(upload(IN(g), dst, host, bytes));
}

static void g_download(BackendCtx *b, void *host, const void *src, size_t bytes)
{
    GuardCtx *g = G(b);
    DEV(src);
    if (bytes && guard_owns(g, host)) ENG_FATAL("cpu-guard: download into %p, which is device memory: use copy", host);
    RUN(download(IN(g), host, src, bytes));
}

static void g_copy(BackendCtx *b, void *dst, const void *src, size_t bytes)
{
    GuardCtx *g = G(b);
    DEV(dst);
    DEV(src);
    RUN(copy(IN(g), dst, src, bytes));
}

static void g_sync(BackendCtx *b) { G(b)->cpu->sync(IN(G(b))); }

static void g_rng_uniform(BackendCtx *b, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *y)
{
    GuardCtx *g = G(b);
    DEV(y);
    RUN(rng_uniform(IN(g), n, seed, offset, lo, hi, y));
}

static void g_rng_normal(BackendCtx *b, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, float *y)
{
    GuardCtx *g = G(b);
    DEV(y);
    RUN(rng_normal(IN(g), n, seed, offset, mean, std, y));
}

static void g_dropout_mask(BackendCtx *b, int64_t n, uint64_t seed, uint64_t offset, float p, float *y)
{
    GuardCtx *g = G(b);
    DEV(y);
    RUN(dropout_mask(IN(g), n, seed, offset, p, y));
}

static void g_gemm(BackendCtx *b, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc)
{
    GuardCtx *g = G(b);
    DEV(A);
    DEV(B);
    DEV(C);
    RUN(gemm(IN(g), ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc));
}

static void g_gemm_batched(BackendCtx *b, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                           int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C, int ldc, int64_t sc,
                           int batch)
{
    GuardCtx *g = G(b);
    DEV(A);
    DEV(B);
    DEV(C);
    RUN(gemm_batched(IN(g), ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch));
}

static void g_conv2d_fwd(BackendCtx *b, const ConvGeom *cg, const float *x, const float *w, const float *bias,
                         float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(w);
    DEV(bias);
    DEV(y);
    RUN(conv2d_fwd(IN(g), cg, x, w, bias, y));
}

static void g_conv2d_up2_fwd(BackendCtx *b, const ConvGeom *cg, const float *x, const float *w, const float *bias,
                             float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(w);
    DEV(bias);
    DEV(y);
    RUN(conv2d_up2_fwd(IN(g), cg, x, w, bias, y));
}

static void g_conv2d_bwd_data(BackendCtx *b, const ConvGeom *cg, const float *dy, const float *w, float *dx)
{
    GuardCtx *g = G(b);
    DEV(dy);
    DEV(w);
    DEV(dx);
    RUN(conv2d_bwd_data(IN(g), cg, dy, w, dx));
}

static void g_conv2d_bwd_filter(BackendCtx *b, const ConvGeom *cg, const float *dy, const float *x, float *dw)
{
    GuardCtx *g = G(b);
    DEV(dy);
    DEV(x);
    DEV(dw);
    RUN(conv2d_bwd_filter(IN(g), cg, dy, x, dw));
}

static void g_maxpool_fwd(BackendCtx *b, const PoolGeom *pg, const float *x, float *y, int32_t *argmax)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    DEV(argmax);
    RUN(maxpool_fwd(IN(g), pg, x, y, argmax));
}

static void g_maxpool_bwd(BackendCtx *b, const PoolGeom *pg, const float *dy, const int32_t *argmax, float *dx)
{
    GuardCtx *g = G(b);
    DEV(dy);
    DEV(argmax);
    DEV(dx);
    RUN(maxpool_bwd(IN(g), pg, dy, argmax, dx));
}

static void g_avgpool_fwd(BackendCtx *b, const PoolGeom *pg, const float *x, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(avgpool_fwd(IN(g), pg, x, y));
}

static void g_avgpool_bwd(BackendCtx *b, const PoolGeom *pg, const float *dy, float *dx)
{
    GuardCtx *g = G(b);
    DEV(dy);
    DEV(dx);
    RUN(avgpool_bwd(IN(g), pg, dy, dx));
}

static void g_upsample_fwd(BackendCtx *b, int N, int C, int H, int W, int f, const float *x, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(upsample_fwd(IN(g), N, C, H, W, f, x, y));
}

static void g_upsample_bwd(BackendCtx *b, int N, int C, int H, int W, int f, const float *dy, float *dx)
{
    GuardCtx *g = G(b);
    DEV(dy);
    DEV(dx);
    RUN(upsample_bwd(IN(g), N, C, H, W, f, dy, dx));
}

static void g_groupnorm_fwd(BackendCtx *b, int N, int C, int S, int Gr, float eps, const float *x, const float *gamma,
                            const float *beta, float *y, float *mean, float *rstd)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(gamma);
    DEV(beta);
    DEV(y);
    DEV(mean);
    DEV(rstd);
    RUN(groupnorm_fwd(IN(g), N, C, S, Gr, eps, x, gamma, beta, y, mean, rstd));
}

static void g_groupnorm_silu_fwd(BackendCtx *b, int N, int C, int S, int Gr, float eps, const float *x,
                                 const float *gamma, const float *beta, float *y, float *z, float *mean, float *rstd)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(gamma);
    DEV(beta);
    DEV(y);
    DEV(z);
    DEV(mean);
    DEV(rstd);
    RUN(groupnorm_silu_fwd(IN(g), N, C, S, Gr, eps, x, gamma, beta, y, z, mean, rstd));
}

static void g_groupnorm_bwd(BackendCtx *b, int N, int C, int S, int Gr, const float *x, const float *gamma,
                            const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                            float *dbeta)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(gamma);
    DEV(mean);
    DEV(rstd);
    DEV(dy);
    DEV(dx);
    DEV(dgamma);
    DEV(dbeta);
    RUN(groupnorm_bwd(IN(g), N, C, S, Gr, x, gamma, mean, rstd, dy, dx, dgamma, dbeta));
}

static void g_batchnorm_fwd(BackendCtx *b, int N, int C, int S, float eps, float momentum, int training,
                            const float *x, const float *gamma, const float *beta, float *run_mean, float *run_var,
                            float *y, float *mean, float *rstd)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(gamma);
    DEV(beta);
    DEV(run_mean);
    DEV(run_var);
    DEV(y);
    DEV(mean);
    DEV(rstd);
    RUN(batchnorm_fwd(IN(g), N, C, S, eps, momentum, training, x, gamma, beta, run_mean, run_var, y, mean, rstd));
}

static void g_batchnorm_bwd(BackendCtx *b, int N, int C, int S, int training, const float *x, const float *gamma,
                            const float *mean, const float *rstd, const float *dy, float *dx, float *dgamma,
                            float *dbeta)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(gamma);
    DEV(mean);
    DEV(rstd);
    DEV(dy);
    DEV(dx);
    DEV(dgamma);
    DEV(dbeta);
    RUN(batchnorm_bwd(IN(g), N, C, S, training, x, gamma, mean, rstd, dy, dx, dgamma, dbeta));
}

static void g_unary_fwd(BackendCtx *b, UnaryKind k, int64_t n, const float *x, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(unary_fwd(IN(g), k, n, x, y));
}

static void g_unary_bwd(BackendCtx *b, UnaryKind k, int64_t n, const float *x, const float *y, const float *dy,
                        float *dx)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    DEV(dy);
    DEV(dx);
    RUN(unary_bwd(IN(g), k, n, x, y, dy, dx));
}

static void g_binary_fwd(BackendCtx *b, BinaryKind k, const int shape[4], const float *a, const int64_t sa[4],
                         const float *bb, const int64_t sb[4], float *y)
{
    GuardCtx *g = G(b);
    DEV(a);
    DEV(bb);
    DEV(y);
    RUN(binary_fwd(IN(g), k, shape, a, sa, bb, sb, y));
}

static void g_reduce_to(BackendCtx *b, const int shape[4], const float *x, float alpha, float *y, const int64_t sy[4])
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(reduce_to(IN(g), shape, x, alpha, y, sy));
}

static void g_copy_strided(BackendCtx *b, const int shape[4], const float *x, const int64_t sx[4], float *y,
                           const int64_t sy[4], int accumulate)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(copy_strided(IN(g), shape, x, sx, y, sy, accumulate));
}

static void g_fill(BackendCtx *b, int64_t n, float value, float *y)
{
    GuardCtx *g = G(b);
    DEV(y);
    RUN(fill(IN(g), n, value, y));
}

static void g_axpby(BackendCtx *b, int64_t n, float alpha, const float *x, float beta, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(axpby(IN(g), n, alpha, x, beta, y));
}

static void g_sum(BackendCtx *b, int64_t n, const float *x, float alpha, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(sum(IN(g), n, x, alpha, y));
}

static double g_sumsq(BackendCtx *b, int64_t n, const float *x)
{
    GuardCtx *g = G(b);
    DEV(x);
    OPEN(g);
    const double r = g->cpu->sumsq(IN(g), n, x);
    CLOSE(g);
    return r;
}

static int g_all_finite(BackendCtx *b, int64_t n, const float *x)
{
    GuardCtx *g = G(b);
    DEV(x);
    OPEN(g);
    const int r = g->cpu->all_finite(IN(g), n, x);
    CLOSE(g);
    return r;
}

static void g_softmax_fwd(BackendCtx *b, int rows, int cols, int log, const float *x, float *y)
{
    GuardCtx *g = G(b);
    DEV(x);
    DEV(y);
    RUN(softmax_fwd(IN(g), rows, cols, log, x, y));
}

static void g_attention_fwd(BackendCtx *b, int B, int L, int S, int d, int dv, float scale, const float *q,
                            const float *k, const float *v, float *P, float *out)
{
    GuardCtx *g = G(b);
    DEV(q);
    DEV(k);
    DEV(v);
    DEV(P);
    DEV(out);
    RUN(attention_fwd(IN(g), B, L, S, d, dv, scale, q, k, v, P, out));
}

static void g_softmax_bwd(BackendCtx *b, int rows, int cols, int log, const float *y, const float *dy, float *dx)
{
    GuardCtx *g = G(b);
    DEV(y);
    DEV(dy);
    DEV(dx);
    RUN(softmax_bwd(IN(g), rows, cols, log, y, dy, dx));
}

static void g_xent_fwd(BackendCtx *b, int N, int K, const float *logits, const float *labels, float *loss, float *prob)
{
    GuardCtx *g = G(b);
    DEV(logits);
    DEV(labels);
    DEV(loss);
    DEV(prob);
    RUN(xent_fwd(IN(g), N, K, logits, labels, loss, prob));
}

static void g_xent_bwd(BackendCtx *b, int N, int K, const float *prob, const float *labels, const float *dloss,
                       float *dlogits)
{
    GuardCtx *g = G(b);
    DEV(prob);
    DEV(labels);
    DEV(dloss);
    DEV(dlogits);
    RUN(xent_bwd(IN(g), N, K, prob, labels, dloss, dlogits));
}

static void g_mse_fwd(BackendCtx *b, int N, int D, const float *a, const float *bb, float *loss)
{
    GuardCtx *g = G(b);
    DEV(a);
    DEV(bb);
    DEV(loss);
    RUN(mse_fwd(IN(g), N, D, a, bb, loss));
}

static void g_mse_bwd(BackendCtx *b, int N, int D, const float *a, const float *bb, const float *dloss, float *da,
                      float *db)
{
    GuardCtx *g = G(b);
    DEV(a);
    DEV(bb);
    DEV(dloss);
    DEV(da);
    DEV(db);
    RUN(mse_bwd(IN(g), N, D, a, bb, dloss, da, db));
}

static void g_timestep_embed(BackendCtx *b, int B, int dim, float max_period, const float *t, float *y)
{
    GuardCtx *g = G(b);
    DEV(t);
    DEV(y);
    RUN(timestep_embed(IN(g), B, dim, max_period, t, y));
}

static void g_nerf_encode(BackendCtx *b, int R, int S, int F, float near, float far, const float *rays, const float *u,
                          float *z, float *enc)
{
    GuardCtx *g = G(b);
    DEV(rays);
    DEV(u);
    DEV(z);
    DEV(enc);
    RUN(nerf_encode(IN(g), R, S, F, near, far, rays, u, z, enc));
}

static void g_nerf_composite_fwd(BackendCtx *b, int R, int S, int white, const float *raw, const float *z, float *rgb,
                                 float *weights)
{
    GuardCtx *g = G(b);
    DEV(raw);
    DEV(z);
    DEV(rgb);
    DEV(weights);
    RUN(nerf_composite_fwd(IN(g), R, S, white, raw, z, rgb, weights));
}

static void g_nerf_composite_bwd(BackendCtx *b, int R, int S, int white, const float *raw, const float *z,
                                 const float *drgb, float *draw)
{
    GuardCtx *g = G(b);
    DEV(raw);
    DEV(z);
    DEV(drgb);
    DEV(draw);
    RUN(nerf_composite_bwd(IN(g), R, S, white, raw, z, drgb, draw));
}

static void g_adam_step(BackendCtx *b, int64_t n, float *p, const float *gr, float *m, float *v, float lr, float beta1,
                        float beta2, float eps, float weight_decay, int decoupled, int64_t t)
{
    GuardCtx *g = G(b);
    DEV(p);
    DEV(gr);
    DEV(m);
    DEV(v);
    RUN(adam_step(IN(g), n, p, gr, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, t));
}

static void g_sgd_step(BackendCtx *b, int64_t n, float *p, const float *gr, float *buf, float lr, float momentum,
                       float weight_decay, int64_t t)
{
    GuardCtx *g = G(b);
    DEV(p);
    DEV(gr);
    DEV(buf);
    RUN(sgd_step(IN(g), n, p, gr, buf, lr, momentum, weight_decay, t));
}

static void g_ema_update(BackendCtx *b, int64_t n, float *ema, const float *p, float decay)
{
    GuardCtx *g = G(b);
    DEV(ema);
    DEV(p);
    RUN(ema_update(IN(g), n, ema, p, decay));
}

static const Backend GUARD_BACKEND = {
    .name = "cpu-guard",
    .device = DEV_GUARD,
    .create = g_create,
    .destroy = g_destroy,
    .set_threads = g_set_threads,
    .set_math = g_set_math,
    .alloc = g_alloc,
    .release = g_release,
    .zero = g_zero,
    .upload = g_upload,
    .download = g_download,
    .copy = g_copy,
    .sync = g_sync,
    .rng_uniform = g_rng_uniform,
    .rng_normal = g_rng_normal,
    .dropout_mask = g_dropout_mask,
    .gemm = g_gemm,
    .gemm_batched = g_gemm_batched,
    .conv2d_fwd = g_conv2d_fwd,
    .conv2d_up2_fwd = g_conv2d_up2_fwd,
    .conv2d_bwd_data = g_conv2d_bwd_data,
    .conv2d_bwd_filter = g_conv2d_bwd_filter,
    .maxpool_fwd = g_maxpool_fwd,
    .maxpool_bwd = g_maxpool_bwd,
    .avgpool_fwd = g_avgpool_fwd,
    .avgpool_bwd = g_avgpool_bwd,
    .upsample_fwd = g_upsample_fwd,
    .upsample_bwd = g_upsample_bwd,
    .groupnorm_fwd = g_groupnorm_fwd,
    .groupnorm_silu_fwd = g_groupnorm_silu_fwd,
    .groupnorm_bwd = g_groupnorm_bwd,
    .batchnorm_fwd = g_batchnorm_fwd,
    .batchnorm_bwd = g_batchnorm_bwd,
    .unary_fwd = g_unary_fwd,
    .unary_bwd = g_unary_bwd,
    .binary_fwd = g_binary_fwd,
    .reduce_to = g_reduce_to,
    .copy_strided = g_copy_strided,
    .fill = g_fill,
    .axpby = g_axpby,
    .sum = g_sum,
    .sumsq = g_sumsq,
    .all_finite = g_all_finite,
    .softmax_fwd = g_softmax_fwd,
    .softmax_bwd = g_softmax_bwd,
    .attention_fwd = g_attention_fwd,
    .xent_fwd = g_xent_fwd,
    .xent_bwd = g_xent_bwd,
    .mse_fwd = g_mse_fwd,
    .mse_bwd = g_mse_bwd,
    .timestep_embed = g_timestep_embed,
    .nerf_encode = g_nerf_encode,
    .nerf_composite_fwd = g_nerf_composite_fwd,
    .nerf_composite_bwd = g_nerf_composite_bwd,
    .adam_step = g_adam_step,
    .sgd_step = g_sgd_step,
    .ema_update = g_ema_update,
};

const Backend *backend_cpu_guard(void) { return &GUARD_BACKEND; }

int64_t backend_guard_allocs(BackendCtx *bc) { return G(bc)->total_allocs; }
