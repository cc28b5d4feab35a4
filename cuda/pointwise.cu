/* Pointwise kernels: activations, broadcast arithmetic over 4-D strides, strided copies,
 * fill and axpby. One thread per element (grid-stride), so no reduction order to fix. */
#include "cuda_internal.cuh"

__device__ __forceinline__ float sigmoid_f(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void unary_fwd_k(int kind, int64_t n, const float *__restrict__ x, float *__restrict__ y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float v = x[i], r;
        switch (kind) {
        case UNARY_RELU: r = v > 0.0f ? v : 0.0f; break;
        case UNARY_SILU: r = v * sigmoid_f(v); break;
        case UNARY_GELU: r = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); break;
        case UNARY_TANH: r = tanhf(v); break;
        default: r = sigmoid_f(v); break;
        }
        y[i] = r;
    }
}

__global__ void unary_bwd_k(int kind, int64_t n, const float *__restrict__ x, const float *__restrict__ y,
                            const float *__restrict__ dy, float *__restrict__ dx)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float g = dy[i], d;
        switch (kind) {
        case UNARY_RELU: d = x[i] > 0.0f ? g : 0.0f; break;
        case UNARY_SILU: {
            float s = sigmoid_f(x[i]);
            d = g * s * (1.0f + x[i] * (1.0f - s));
            break;
        }
        case UNARY_GELU: {
            float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * expf(-0.5f * x[i] * x[i]);
            d = g * (cdf + x[i] * pdf);
            break;
        }
        case UNARY_TANH: d = g * (1.0f - y[i] * y[i]); break;
        default: d = g * y[i] * (1.0f - y[i]); break;
        }
        dx[i] += d;
    }
}

void cuda_unary_fwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, float *y)
{
    if (n <= 0) return;
    unary_fwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)k, n, x, y);
    CHECK_LAUNCH();
}

void cuda_unary_bwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, const float *y, const float *dy,
                    float *dx)
{
    if (n <= 0) return;
    unary_bwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)k, n, x, y, dy, dx);
    CHECK_LAUNCH();
}

/* 4-D index of linear position i in `shape` dotted with strides s; I is int when every
 * index and offset fits (division in 32 bits is several times cheaper on the GPU) */
template <typename I> struct Strides2T {
    I shape[4];
    I s0[4], s1[4];
};

template <typename I> __device__ __forceinline__ I offset4(I i, const I *shape, const I *s)
{
    I i3 = i % shape[3];
    i /= shape[3];
    I i2 = i % shape[2];
    i /= shape[2];
    I i1 = i % shape[1];
    I i0 = i / shape[1];
    return i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3];
}

template <typename I> __global__ void binary_k(int kind, I n, Strides2T<I> st, const float *a, const float *b, float *y)
{
    for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
        float va = a[offset4<I>(i, st.shape, st.s0)], vb = b[offset4<I>(i, st.shape, st.s1)];
        y[i] = kind == BINARY_ADD ? va + vb : kind == BINARY_SUB ? va - vb : va * vb;
    }
}

template <typename I> __global__ void copy_strided_k(I n, Strides2T<I> st, const float *x, float *y, int accumulate)
{
    for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
        float v = x[offset4<I>(i, st.shape, st.s0)];
        I o = offset4<I>(i, st.shape, st.s1);
        if (accumulate)
            y[o] += v;
        else
            y[o] = v;
    }
}

/* largest offset reachable through strides s over `shape` */
static int64_t reach(const int shape[4], const int64_t s[4])
{
    int64_t r = 0;
    for (int d = 0; d < 4; d++) r += (int64_t)(shape[d] - 1) * (s[d] < 0 ? -s[d] : s[d]);
    return r;
}

template <typename I> static Strides2T<I> pack(const int shape[4], const int64_t s0[4], const int64_t s1[4])
{
    Strides2T<I> st;
    for (int d = 0; d < 4; d++) {
        st.shape[d] = (I)shape[d];
        st.s0[d] = (I)s0[d];
        st.s1[d] = (I)s1[d];
    }
    return st;
}

static int fits32(int64_t n, const int shape[4], const int64_t s0[4], const int64_t s1[4])
{
    const int64_t lim = (int64_t)1 << 30; /* headroom for the grid-stride increment */
    return n < lim && reach(shape, s0) < lim && reach(shape, s1) < lim;
}

void cuda_binary_fwd(BackendCtx *c, BinaryKind k, const int shape[4], const float *a, const int64_t sa[4],
                     const float *b, const int64_t sb[4], float *y)
{
    const int64_t n = (int64_t)shape[0] * shape[1] * shape[2] * shape[3];
    if (n <= 0) return;
    if (fits32(n, shape, sa, sb))
        binary_k<int><<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)k, (int)n, pack<int>(shape, sa, sb), a, b, y);
    else
        binary_k<int64_t><<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)k, n, pack<int64_t>(shape, sa, sb), a, b,
                                                                          y);
    CHECK_LAUNCH();
}

void cuda_copy_strided(BackendCtx *c, const int shape[4], const float *x, const int64_t sx[4], float *y,
                       const int64_t sy[4], int accumulate)
{
    const int64_t n = (int64_t)shape[0] * shape[1] * shape[2] * shape[3];
    if (n <= 0) return;
    if (fits32(n, shape, sx, sy))
        copy_strided_k<int><<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)n, pack<int>(shape, sx, sy), x, y,
                                                                            accumulate);
    else
        copy_strided_k<int64_t><<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, pack<int64_t>(shape, sx, sy), x, y,
                                                                                accumulate);
    CHECK_LAUNCH();
}

__global__ void fill_k(int64_t n, float v, float *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = v;
}

void cuda_fill(BackendCtx *c, int64_t n, float value, float *y)
{
    if (n <= 0) return;
    fill_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, value, y);
    CHECK_LAUNCH();
}

__global__ void axpby_k(int64_t n, float alpha, const float *x, float beta, float *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        y[i] = beta == 0.0f ? alpha * x[i] : alpha * x[i] + beta * y[i];
}

void cuda_axpby(BackendCtx *c, int64_t n, float alpha, const float *x, float beta, float *y)
{
    if (n <= 0) return;
    axpby_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, alpha, x, beta, y);
    CHECK_LAUNCH();
}
