/* The CUDA backend: device detection, one stream, the cuBLAS and cuDNN handles, memory and
 * copies, shared scratch, and the table. Memory comes from cudaMalloc only when an arena or
 * a workspace grows (the first steps of a loop), never per step. */
#include "cuda_internal.cuh"

#include <stdlib.h>
#include <string.h>

static BackendCtx *cuda_create(int threads)
{
    (void)threads;
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        cudaGetLastError(); /* clear the sticky "no device" error */
        return NULL;
    }
    BackendCtx *c = (BackendCtx *)calloc(1, sizeof *c);
    ENG_CHECK_ALLOC(c);
    CHECK_CUDA(cudaGetDevice(&c->device));
    CHECK_CUDA(cudaDeviceGetAttribute(&c->sm_count, cudaDevAttrMultiProcessorCount, c->device));
    CHECK_CUDA(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    CHECK_CUBLAS(cublasCreate(&c->blas));
    CHECK_CUBLAS(cublasSetStream(c->blas, c->stream));
    /* float32 products stay float32 (the default mode uses no TF32); TF32 only when a preset
     * asks for it, never in tests */
    CHECK_CUBLAS(cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH));
    CHECK_CUDNN(cudnnCreate(&c->dnn));
    CHECK_CUDNN(cudnnSetStream(c->dnn, c->stream));
    size_t free_b = 0, total_b = 0;
    CHECK_CUDA(cudaMemGetInfo(&free_b, &total_b));
    c->workspace_limit = free_b / 8 < ((size_t)4 << 30) ? free_b / 8 : ((size_t)4 << 30);
    CHECK_CUDA(cudaMalloc((void **)&c->result_dev, sizeof(double)));
    CHECK_CUDA(cudaMalloc((void **)&c->flag_dev, sizeof(int)));
    return c;
}

static void cuda_destroy(BackendCtx *c)
{
    if (!c) return;
    CHECK_CUDA(cudaStreamSynchronize(c->stream));
    cuda_conv_plans_free(c);
    if (c->workspace) CHECK_CUDA(cudaFree(c->workspace));
    if (c->partials) CHECK_CUDA(cudaFree(c->partials));
    if (c->up2) CHECK_CUDA(cudaFree(c->up2));
    CHECK_CUDA(cudaFree(c->result_dev));
    CHECK_CUDA(cudaFree(c->flag_dev));
    CHECK_CUDNN(cudnnDestroy(c->dnn));
    CHECK_CUBLAS(cublasDestroy(c->blas));
    CHECK_CUDA(cudaStreamDestroy(c->stream));
    free(c);
}

static void cuda_set_threads(BackendCtx *c, int threads)
{
    (void)c;
    (void)threads;
}

static void cuda_set_math(BackendCtx *c, unsigned flags)
{
    const int tf32 = (flags & BACKEND_MATH_TF32) != 0, nondet = (flags & BACKEND_MATH_NONDETERMINISTIC) != 0;
    if (c->allow_tf32 == tf32 && c->allow_nondet == nondet) return;
    c->allow_tf32 = tf32;
    c->allow_nondet = nondet;
    CHECK_CUBLAS(cublasSetMathMode(c->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    cuda_conv_plans_free(c); /* the algorithms were chosen under the other modes */
}

static void *cuda_alloc(BackendCtx *c, size_t bytes)
{
    (void)c;
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
        cudaGetLastError();
        return NULL; /* the caller reports who wanted how much */
    }
    return p;
}

static void cuda_release(BackendCtx *c, void *p)
{
    CHECK_CUDA(cudaStreamSynchronize(c->stream)); /* kernels in flight may still use it */
    CHECK_CUDA(cudaFree(p));
}

static void cuda_zero(BackendCtx *c, void *p, size_t bytes) { CHECK_CUDA(cudaMemsetAsync(p, 0, bytes, c->stream)); }

static void cuda_upload(BackendCtx *c, void *dst, const void *host, size_t bytes)
{
    /* pageable source: returns once the data is staged, so the caller may reuse `host` */
    CHECK_CUDA(cudaMemcpyAsync(dst, host, bytes, cudaMemcpyHostToDevice, c->stream));
}

static void cuda_download(BackendCtx *c, void *host, const void *src, size_t bytes)
{
    CHECK_CUDA(cudaMemcpyAsync(host, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    CHECK_CUDA(cudaStreamSynchronize(c->stream));
}

static void cuda_copy(BackendCtx *c, void *dst, const void *src, size_t bytes)
{
    if (dst != src) CHECK_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, c->stream));
}

static void cuda_sync(BackendCtx *c) { CHECK_CUDA(cudaStreamSynchronize(c->stream)); }

double *cuda_partials(BackendCtx *c, size_t count)
{
    if (count > c->partials_cap) {
        if (c->partials) CHECK_CUDA(cudaFree(c->partials));
    if (c->up2) CHECK_CUDA(cudaFree(c->up2));
        CHECK_CUDA(cudaMalloc((void **)&c->partials, count * sizeof(double)));
        c->partials_cap = count;
    }
    return c->partials;
}

void *cuda_workspace(BackendCtx *c, size_t bytes)
{
    if (bytes > c->workspace_size) {
        CHECK_CUDA(cudaStreamSynchronize(c->stream));
        if (c->workspace) CHECK_CUDA(cudaFree(c->workspace));
        CHECK_CUDA(cudaMalloc(&c->workspace, bytes));
        c->workspace_size = bytes;
    }
    return c->workspace;
}

static const Backend CUDA_BACKEND = {
    /* .name = */ "cuda",
    /* .device = */ DEV_CUDA,
    /* .create = */ cuda_create,
    /* .destroy = */ cuda_destroy,
    /* .set_threads = */ cuda_set_threads,
    /* .set_math = */ cuda_set_math,
    /* .alloc = */ cuda_alloc,
    /* .release = */ cuda_release,
    /* .zero = */ cuda_zero,
    /* .upload = */ cuda_upload,
    /* .download = */ cuda_download,
    /* .copy = */ cuda_copy,
    /* .sync = */ cuda_sync,
    /* .rng_uniform = */ cuda_rng_uniform,
    /* .rng_normal = */ cuda_rng_normal,
    /* .dropout_mask = */ cuda_dropout_mask,
    /* .gemm = */ cuda_gemm,
    /* .gemm_batched = */ cuda_gemm_batched,
    /* .conv2d_fwd = */ cuda_conv2d_fwd,
    /* .conv2d_up2_fwd = */ cuda_conv2d_up2_fwd,
    /* .conv2d_bwd_data = */ cuda_conv2d_bwd_data,
    /* .conv2d_bwd_filter = */ cuda_conv2d_bwd_filter,
    /* .maxpool_fwd = */ cuda_maxpool_fwd,
    /* .maxpool_bwd = */ cuda_maxpool_bwd,
    /* .avgpool_fwd = */ cuda_avgpool_fwd,
    /* .avgpool_bwd = */ cuda_avgpool_bwd,
    /* .upsample_fwd = */ cuda_upsample_fwd,
    /* .upsample_bwd = */ cuda_upsample_bwd,
    /* .groupnorm_fwd = */ cuda_groupnorm_fwd,
    /* .groupnorm_silu_fwd = */ cuda_groupnorm_silu_fwd,
    /* .groupnorm_bwd = */ cuda_groupnorm_bwd,
    /* .batchnorm_fwd = */ cuda_batchnorm_fwd,
    /* .batchnorm_bwd = */ cuda_batchnorm_bwd,
    /* .unary_fwd = */ cuda_unary_fwd,
    /* .unary_bwd = */ cuda_unary_bwd,
    /* .binary_fwd = */ cuda_binary_fwd,
    /* .reduce_to = */ cuda_reduce_to,
    /* .copy_strided = */ cuda_copy_strided,
    /* .fill = */ cuda_fill,
    /* .axpby = */ cuda_axpby,
    /* .sum = */ cuda_sum,
    /* .sumsq = */ cuda_sumsq,
    /* .all_finite = */ cuda_all_finite,
    /* .softmax_fwd = */ cuda_softmax_fwd,
    /* .softmax_bwd = */ cuda_softmax_bwd,
    /* .attention_fwd = */ cuda_attention_fwd,
    /* .xent_fwd = */ cuda_xent_fwd,
    /* .xent_bwd = */ cuda_xent_bwd,
    /* .mse_fwd = */ cuda_mse_fwd,
    /* .mse_bwd = */ cuda_mse_bwd,
    /* .timestep_embed = */ cuda_timestep_embed,
    /* .nerf_encode = */ cuda_nerf_encode,
    /* .nerf_composite_fwd = */ cuda_nerf_composite_fwd,
    /* .nerf_composite_bwd = */ cuda_nerf_composite_bwd,
    /* .adam_step = */ cuda_adam_step,
    /* .sgd_step = */ cuda_sgd_step,
    /* .ema_update = */ cuda_ema_update,
};

extern "C" const Backend *backend_cuda(void) { return &CUDA_BACKEND; }
