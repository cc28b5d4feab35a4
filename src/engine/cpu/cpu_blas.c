/* Matrix products through OpenBLAS (row-major cblas_sgemm), parallelised by us.
 *
 * OpenBLAS's own threading is not reproducible across thread counts: it picks kernels and
 * partitions by the number of threads available, so the last bits of a product change
 * with it. We therefore keep OpenBLAS on one thread (cpu_backend.c) and split C into tiles
 * whose layout depends on the shape only; tiles run on our OpenMP threads, each one a
 * single-threaded sgemm. The bits are then the same on 1 or N threads. */
#include "cpu/cpu_internal.h"

#include <cblas.h>

enum { GEMM_TILE_FLOPS = 2000000, GEMM_MAX_TILES = 16, GEMM_TILE_ALIGN = 16 };

typedef struct {
    int ntiles;
    int split_rows; /* tiles are row blocks of C (else column blocks) */
    int chunk;      /* rows or columns per tile */
} GemmTiles;

static GemmTiles gemm_tiles(int M, int N, int K)
{
    GemmTiles t = {1, M >= N, M >= N ? M : N};
    double flops = 2.0 * M * N * K;
    int len = t.split_rows ? M : N;
    while (t.ntiles < GEMM_MAX_TILES && flops / (2 * t.ntiles) >= GEMM_TILE_FLOPS &&
           len >= 2 * t.ntiles * GEMM_TILE_ALIGN)
        t.ntiles *= 2;
    t.chunk = (len + t.ntiles - 1) / t.ntiles;
    t.chunk = (t.chunk + GEMM_TILE_ALIGN - 1) / GEMM_TILE_ALIGN * GEMM_TILE_ALIGN;
    t.ntiles = (len + t.chunk - 1) / t.chunk;
    return t;
}

static void gemm_tile(const GemmTiles *t, int i, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                      int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    int lo = i * t->chunk, len = t->split_rows ? M : N;
    int hi = lo + t->chunk < len ? lo + t->chunk : len;
    if (hi <= lo) return;
    if (t->split_rows) {
        const float *a = ta ? A + lo : A + (int64_t)lo * lda;
        cpu_gemm_serial(ta, tb, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + (int64_t)lo * ldc, ldc);
    } else {
        const float *b = tb ? B + (int64_t)lo * ldb : B + lo;
        cpu_gemm_serial(ta, tb, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
}

void cpu_gemm_serial(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                     int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* C = beta*C */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float *cij = C + (int64_t)i * ldc + j;
                *cij = beta == 0.0f ? 0.0f : beta * *cij;
            }
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                lda, B, ldb, beta, C, ldc);
}

void cpu_gemm_run(BackendCtx *c, int parallel, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    GemmTiles t = gemm_tiles(M, N, K);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (parallel && t.ntiles > 1 && c->threads > 1)
    for (int i = 0; i < t.ntiles; i++) gemm_tile(&t, i, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cpu_gemm(BackendCtx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    cpu_gemm_run(c, 1, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cpu_gemm_batched(BackendCtx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                      int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C, int ldc, int64_t sc,
                      int batch)
{
    if (c->threads > 1 && batch >= c->threads) {
#pragma omp parallel for schedule(static) num_threads(c->threads)
        for (int i = 0; i < batch; i++)
            cpu_gemm_run(c, 0, ta, tb, M, N, K, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
    } else {
        for (int i = 0; i < batch; i++)
            cpu_gemm_run(c, 1, ta, tb, M, N, K, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
    }
}
