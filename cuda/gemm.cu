/* Matrix products through cuBLAS. Our matrices are row-major; cuBLAS is column-major, so
 * C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: swap the operands and M with N. */
#include "cuda_internal.cuh"

static cublasOperation_t op_of(int t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

void cuda_gemm(BackendCtx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    CHECK_CUBLAS(cublasSgemm(c->blas, op_of(tb), op_of(ta), N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

void cuda_gemm_batched(BackendCtx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       int64_t sa, const float *B, int ldb, int64_t sb, float beta, float *C, int ldc, int64_t sc,
                       int batch)
{
    if (M <= 0 || N <= 0 || batch <= 0) return;
    CHECK_CUBLAS(cublasSgemmStridedBatched(c->blas, op_of(tb), op_of(ta), N, M, K, &alpha, B, ldb, sb, A, lda, sa,
                                           &beta, C, ldc, sc, batch));
}
