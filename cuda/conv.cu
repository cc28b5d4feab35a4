/* Convolution through cuDNN. Each shape gets a plan, made once and cached: the tensor,
 * filter and convolution descriptors and, for forward, backward-data and backward-filter,
 * the fastest algorithm that is deterministic, uses plain float32 arithmetic (no TF32 unless
 * allowed) and fits the workspace limit. One workspace, grown to the largest need, serves
 * every plan. Backward passes accumulate (beta = 1), as backend.h asks. */
#include "cuda_internal.cuh"

#include <stdlib.h>
#include <string.h>

struct ConvPlan {
    ConvGeom g;
    cudnnTensorDescriptor_t x, y, bias;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    cudnnMathType_t fwd_math, data_math, filter_math;
    size_t fwd_ws, data_ws, filter_ws;
    int have_fwd, have_data, have_filter; /* algorithms are chosen on first use */
};

static int math_ok(const BackendCtx *c, cudnnMathType_t m)
{
    /* CUDNN_DEFAULT_MATH permits TF32 on Ampere and later: only FMA_MATH is plain float32 */
    return c->allow_tf32 || m == CUDNN_FMA_MATH;
}

static ConvPlan *plan_for(BackendCtx *c, const ConvGeom *g)
{
    for (int i = 0; i < c->nplans; i++)
        if (memcmp(&c->plans[i].g, g, sizeof *g) == 0) return &c->plans[i];
    if (c->nplans == c->plans_cap) {
        c->plans_cap = c->plans_cap ? 2 * c->plans_cap : 16;
        c->plans = (ConvPlan *)realloc(c->plans, (size_t)c->plans_cap * sizeof *c->plans);
        ENG_CHECK_ALLOC(c->plans);
    }
    ConvPlan *p = &c->plans[c->nplans++];
    memset(p, 0, sizeof *p);
    p->g = *g;
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->x));
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->y));
    CHECK_CUDNN(cudnnCreateTensorDescriptor(&p->bias));
    CHECK_CUDNN(cudnnCreateFilterDescriptor(&p->w));
    CHECK_CUDNN(cudnnCreateConvolutionDescriptor(&p->conv));
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->N, g->C, g->H, g->W));
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->N, g->O, g->OH, g->OW));
    CHECK_CUDNN(cudnnSetTensor4dDescriptor(p->bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, g->O, 1, 1));
    CHECK_CUDNN(cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g->O, g->C, g->KH, g->KW));
    CHECK_CUDNN(cudnnSetConvolution2dDescriptor(p->conv, g->PH, g->PW, g->SH, g->SW, 1, 1, CUDNN_CROSS_CORRELATION,
                                                CUDNN_DATA_FLOAT));
    CHECK_CUDNN(cudnnSetConvolutionMathType(p->conv, c->allow_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
    return p;
}

void cuda_conv_plans_free(BackendCtx *c)
{
    for (int i = 0; i < c->nplans; i++) {
        ConvPlan *p = &c->plans[i];
        cudnnDestroyTensorDescriptor(p->x);
        cudnnDestroyTensorDescriptor(p->y);
        cudnnDestroyTensorDescriptor(p->bias);
        cudnnDestroyFilterDescriptor(p->w);
        cudnnDestroyConvolutionDescriptor(p->conv);
    }
    free(c->plans);
    c->plans = NULL;
    c->nplans = c->plans_cap = 0;
}

enum { MAX_ALGOS = 16 };

/* cudnnFind* times every algorithm on this shape (once per shape); we keep the fastest that
 * is deterministic, float32-exact and within the workspace limit. */
static void choose_fwd(BackendCtx *c, ConvPlan *p)
{
    cudnnConvolutionFwdAlgoPerf_t perf[MAX_ALGOS];
    int n = 0;
    CHECK_CUDNN(cudnnFindConvolutionForwardAlgorithm(c->dnn, p->x, p->w, p->conv, p->y, MAX_ALGOS, &n, perf));
    for (int i = 0; i < n; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && (c->allow_nondet || perf[i].determinism == CUDNN_DETERMINISTIC) &&
            perf[i].memory <= c->workspace_limit && math_ok(c, perf[i].mathType)) {
            p->fwd = perf[i].algo;
            p->fwd_ws = perf[i].memory;
            p->fwd_math = perf[i].mathType;
            p->have_fwd = 1;
            return;
        }
    eng_fatal_at(__FILE__, __LINE__, "cuDNN offers no usable forward algorithm for conv N%d C%d H%d W%d -> O%d k%dx%d",
                 p->g.N, p->g.C, p->g.H, p->g.W, p->g.O, p->g.KH, p->g.KW);
}

static void choose_bwd_data(BackendCtx *c, ConvPlan *p)
{
    cudnnConvolutionBwdDataAlgoPerf_t perf[MAX_ALGOS];
    int n = 0;
    CHECK_CUDNN(cudnnFindConvolutionBackwardDataAlgorithm(c->dnn, p->w, p->y, p->conv, p->x, MAX_ALGOS, &n, perf));
    for (int i = 0; i < n; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && (c->allow_nondet || perf[i].determinism == CUDNN_DETERMINISTIC) &&
            perf[i].memory <= c->workspace_limit && math_ok(c, perf[i].mathType)) {
            p->bwd_data = perf[i].algo;
            p->data_ws = perf[i].memory;
            p->data_math = perf[i].mathType;
            p->have_data = 1;
            return;
        }
    eng_fatal_at(__FILE__, __LINE__, "cuDNN offers no usable backward-data algorithm for conv N%d C%d H%d W%d -> O%d",
                 p->g.N, p->g.C, p->g.H, p->g.W, p->g.O);
}

static void choose_bwd_filter(BackendCtx *c, ConvPlan *p)
{
    cudnnConvolutionBwdFilterAlgoPerf_t perf[MAX_ALGOS];
    int n = 0;
    CHECK_CUDNN(cudnnFindConvolutionBackwardFilterAlgorithm(c->dnn, p->x, p->y, p->conv, p->w, MAX_ALGOS, &n, perf));
    for (int i = 0; i < n; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && (c->allow_nondet || perf[i].determinism == CUDNN_DETERMINISTIC) &&
            perf[i].memory <= c->workspace_limit && math_ok(c, perf[i].mathType)) {
            p->bwd_filter = perf[i].algo;
            p->filter_ws = perf[i].memory;
            p->filter_math = perf[i].mathType;
            p->have_filter = 1;
            return;
        }
    eng_fatal_at(__FILE__, __LINE__, "cuDNN offers no usable backward-filter algorithm for conv N%d C%d H%d W%d -> O%d",
                 p->g.N, p->g.C, p->g.H, p->g.W, p->g.O);
}

void cuda_conv2d_fwd(BackendCtx *c, const ConvGeom *g, const float *x, const float *w, const float *b, float *y)
{
    ConvPlan *p = plan_for(c, g);
    if (!p->have_fwd) choose_fwd(c, p);
    void *ws = cuda_workspace(c, p->fwd_ws);
    const float one = 1.0f, zero = 0.0f;
    CHECK_CUDNN(cudnnSetConvolutionMathType(p->conv, p->fwd_math));
    CHECK_CUDNN(cudnnConvolutionForward(c->dnn, &one, p->x, x, p->w, w, p->conv, p->fwd, ws, p->fwd_ws, &zero, p->y, y));
    if (b) CHECK_CUDNN(cudnnAddTensor(c->dnn, &one, p->bias, b, &one, p->y, y));
}

/* the upsampled image in a buffer of its own (the conv needs the workspace), then cuDNN:
 * what training runs as two ops, so on the GPU this entry saves nothing but an allocation */
void cuda_conv2d_up2_fwd(BackendCtx *c, const ConvGeom *g, const float *x, const float *w, const float *b, float *y)
{
    const size_t bytes = sizeof(float) * (size_t)g->N * g->C * g->H * g->W;
    if (bytes > c->up2_cap) {
        CHECK_CUDA(cudaStreamSynchronize(c->stream));
        if (c->up2) CHECK_CUDA(cudaFree(c->up2));
        CHECK_CUDA(cudaMalloc(&c->up2, bytes));
        c->up2_cap = bytes;
    }
    cuda_upsample_fwd(c, g->N, g->C, g->H / 2, g->W / 2, 2, x, c->up2);
    cuda_conv2d_fwd(c, g, c->up2, w, b, y);
}

void cuda_conv2d_bwd_data(BackendCtx *c, const ConvGeom *g, const float *dy, const float *w, float *dx)
{
    ConvPlan *p = plan_for(c, g);
    if (!p->have_data) choose_bwd_data(c, p);
    void *ws = cuda_workspace(c, p->data_ws);
    const float one = 1.0f;
    CHECK_CUDNN(cudnnSetConvolutionMathType(p->conv, p->data_math));
    CHECK_CUDNN(cudnnConvolutionBackwardData(c->dnn, &one, p->w, w, p->y, dy, p->conv, p->bwd_data, ws, p->data_ws,
                                             &one, p->x, dx));
}

void cuda_conv2d_bwd_filter(BackendCtx *c, const ConvGeom *g, const float *dy, const float *x, float *dw)
{
    ConvPlan *p = plan_for(c, g);
    if (!p->have_filter) choose_bwd_filter(c, p);
    void *ws = cuda_workspace(c, p->filter_ws);
    const float one = 1.0f;
    CHECK_CUDNN(cudnnSetConvolutionMathType(p->conv, p->filter_math));
    CHECK_CUDNN(cudnnConvolutionBackwardFilter(c->dnn, &one, p->x, x, p->y, dy, p->conv, p->bwd_filter, ws,
                                               p->filter_ws, &one, p->w, dw));
}
