/* The CPU backend: memory, threads, scratch buffers, and the table that names every entry.
 * OpenBLAS is the OpenMP build and is kept on one thread: all parallelism is ours (every
 * parallel loop names its thread count), so BLAS never oversubscribes the cores and results
 * do not depend on the thread count (cpu_blas.c says why). */
#include "cpu/cpu_internal.h"

#include "core/check.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static void cpu_apply_threads(int threads)
{
    (void)threads; /* our loops pass num_threads(c->threads) themselves */
    /* In the OpenMP build this also sets OpenMP's default to 1, which our loops override. */
    openblas_set_num_threads(1);
}

static BackendCtx *cpu_create(int threads)
{
    BackendCtx *c = calloc(1, sizeof *c);
    ENG_CHECK_ALLOC(c);
    c->threads = threads < 1 ? 1 : threads > CPU_MAX_THREADS ? CPU_MAX_THREADS : threads;
    cpu_apply_threads(c->threads);
    return c;
}

static void cpu_destroy(BackendCtx *c)
{
    if (!c) return;
    for (int t = 0; t < CPU_MAX_THREADS; t++)
        for (int s = 0; s < 2; s++) free(c->tbuf[t][s]);
    for (int s = 0; s < CPU_SHARED_SLOTS; s++) free(c->shared[s]);
    free(c);
}

static void cpu_set_threads(BackendCtx *c, int threads)
{
    c->threads = threads < 1 ? 1 : threads > CPU_MAX_THREADS ? CPU_MAX_THREADS : threads;
    cpu_apply_threads(c->threads);
}

static void cpu_set_math(BackendCtx *c, unsigned flags)
{
    (void)c; /* the CPU backend has neither mode: it is always float32 and deterministic */
    (void)flags;
}

static float *grow(float **buf, size_t *cap, size_t floats)
{
    if (floats > *cap) {
        free(*buf);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        *buf = aligned_alloc(64, bytes);
        ENG_CHECK_ALLOC(*buf);
        *cap = floats;
    }
    return *buf;
}

float *cpu_thread_scratch(BackendCtx *c, int tid, int slot, size_t floats)
{
    return grow(&c->tbuf[tid][slot], &c->tcap[tid][slot], floats);
}

float *cpu_shared_scratch(BackendCtx *c, int slot, size_t floats)
{
    return grow(&c->shared[slot], &c->shared_cap[slot], floats);
}

static void *cpu_alloc(BackendCtx *c, size_t bytes)
{
    (void)c;
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static void cpu_release(BackendCtx *c, void *p)
{
    (void)c;
    free(p);
}

/* Large fills and copies are split over the threads (in fixed 1 MiB pieces): one core
 * cannot saturate memory bandwidth alone. */
enum { PIECE = 1 << 20 };

static void cpu_zero(BackendCtx *c, void *p, size_t bytes)
{
    const int64_t pieces = (int64_t)((bytes + PIECE - 1) / PIECE);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (pieces > 1 && c->threads > 1)
    for (int64_t i = 0; i < pieces; i++) {
        size_t lo = (size_t)i * PIECE, n = bytes - lo < PIECE ? bytes - lo : PIECE;
        memset((char *)p + lo, 0, n);
    }
}

static void cpu_copy(BackendCtx *c, void *dst, const void *src, size_t bytes)
{
    if (dst == src) return;
    const char *s = src;
    char *d = dst;
    if (d < s + bytes && s < d + bytes) { /* overlapping: one pass in order */
        memmove(dst, src, bytes);
        return;
    }
    const int64_t pieces = (int64_t)((bytes + PIECE - 1) / PIECE);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (pieces > 1 && c->threads > 1)
    for (int64_t i = 0; i < pieces; i++) {
        size_t lo = (size_t)i * PIECE, n = bytes - lo < PIECE ? bytes - lo : PIECE;
        memcpy(d + lo, s + lo, n);
    }
}

static void cpu_sync(BackendCtx *c) { (void)c; }

static const Backend CPU_BACKEND = {
    .name = "cpu",
    .device = DEV_CPU,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .set_threads = cpu_set_threads,
    .set_math = cpu_set_math,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .zero = cpu_zero,
    .upload = cpu_copy,
    .download = cpu_copy,
    .copy = cpu_copy,
    .sync = cpu_sync,
    .rng_uniform = cpu_rng_uniform,
    .rng_normal = cpu_rng_normal,
    .dropout_mask = cpu_dropout_mask,
    .gemm = cpu_gemm,
    .gemm_batched = cpu_gemm_batched,
    .conv2d_fwd = cpu_conv2d_fwd,
    .conv2d_up2_fwd = cpu_conv2d_up2_fwd,
    .conv2d_bwd_data = cpu_conv2d_bwd_data,
    .conv2d_bwd_filter = cpu_conv2d_bwd_filter,
    .maxpool_fwd = cpu_maxpool_fwd,
    .maxpool_bwd = cpu_maxpool_bwd,
    .avgpool_fwd = cpu_avgpool_fwd,
    .avgpool_bwd = cpu_avgpool_bwd,
    .upsample_fwd = cpu_upsample_fwd,
    .upsample_bwd = cpu_upsample_bwd,
    .groupnorm_fwd = cpu_groupnorm_fwd,
    .groupnorm_silu_fwd = cpu_groupnorm_silu_fwd,
    .groupnorm_bwd = cpu_groupnorm_bwd,
    .batchnorm_fwd = cpu_batchnorm_fwd,
    .batchnorm_bwd = cpu_batchnorm_bwd,
    .unary_fwd = cpu_unary_fwd,
    .unary_bwd = cpu_unary_bwd,
    .binary_fwd = cpu_binary_fwd,
    .reduce_to = cpu_reduce_to,
    .copy_strided = cpu_copy_strided,
    .fill = cpu_fill,
    .axpby = cpu_axpby,
    .sum = cpu_sum,
    .sumsq = cpu_sumsq,
    .all_finite = cpu_all_finite,
    .softmax_fwd = cpu_softmax_fwd,
    .softmax_bwd = cpu_softmax_bwd,
    .attention_fwd = cpu_attention_fwd,
    .xent_fwd = cpu_xent_fwd,
    .xent_bwd = cpu_xent_bwd,
    .mse_fwd = cpu_mse_fwd,
    .mse_bwd = cpu_mse_bwd,
    .timestep_embed = cpu_timestep_embed,
    .nerf_encode = cpu_nerf_encode,
    .nerf_composite_fwd = cpu_nerf_composite_fwd,
    .nerf_composite_bwd = cpu_nerf_composite_bwd,
    .adam_step = cpu_adam_step,
    .sgd_step = cpu_sgd_step,
    .ema_update = cpu_ema_update,
};

const Backend *backend_cpu(void) { return &CPU_BACKEND; }
