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

/* float4 variants: four elements per thread with 16-byte loads, used when every pointer is
 * 16-byte aligned and n is a multiple of 4 (our buffers are 64-byte aligned) */
static int vec4_ok(int64_t n, const void *a, const void *b, const void *c, const void *d)
{
    const void *ps[4] = {a, b, c, d};
    if (n % 4) return 0;
    for (int i = 0; i < 4; i++)
        if (ps[i] && ((uintptr_t)ps[i] & 15)) return 0;
    return 1;
}

__device__ __forceinline__ float unary_f(int kind, float v)
{
    switch (kind) {
    case UNARY_RELU: return v > 0.0f ? v : 0.0f;
    case UNARY_SILU: return v * sigmoid_f(v);
    case UNARY_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case UNARY_TANH: return tanhf(v);
    default: return sigmoid_f(v);
    }
}

__device__ __forceinline__ float unary_d(int kind, float x, float y, float g)
{
    switch (kind) {
    case UNARY_RELU: return x > 0.0f ? g : 0.0f;
    case UNARY_SILU: {
        float s = sigmoid_f(x);
        return g * s * (1.0f + x * (1.0f - s));
    }
    case UNARY_GELU: {
        float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
        return g * (cdf + x * 0.39894228040143268f * expf(-0.5f * x * x));
    }
    case UNARY_TANH: return g * (1.0f - y * y);
    default: return g * y * (1.0f - y);
    }
}

__global__ void unary_fwd4_k(int kind, int64_t n4, const float4 *__restrict__ x, float4 *__restrict__ y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
        float4 v = x[i];
        y[i] = make_float4(unary_f(kind, v.x), unary_f(kind, v.y), unary_f(kind, v.z), unary_f(kind, v.w));
    }
}

__global__ void unary_bwd4_k(int kind, int64_t n4, const float4 *__restrict__ x, const float4 *__restrict__ y,
                             const float4 *__restrict__ dy, float4 *__restrict__ dx)
{
    const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
        float4 a = x ? x[i] : zero, b = y ? y[i] : zero, g = dy[i], d = dx[i];
        d.x += unary_d(kind, a.x, b.x, g.x);
        d.y += unary_d(kind, a.y, b.y, g.y);
        d.z += unary_d(kind, a.z, b.z, g.z);
        d.w += unary_d(kind, a.w, b.w, g.w);
        dx[i] = d;
    }
}

void cuda_unary_fwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, float *y)
{
    if (n <= 0) return;
    if (vec4_ok(n, x, y, NULL, NULL))
        unary_fwd4_k<<<cuda_blocks(n / 4), CUDA_THREADS, 0, c->stream>>>((int)k, n / 4, (const float4 *)x, (float4 *)y);
    else
        unary_fwd_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>((int)k, n, x, y);
    CHECK_LAUNCH();
}

void cuda_unary_bwd(BackendCtx *c, UnaryKind k, int64_t n, const float *x, const float *y, const float *dy,
                    float *dx)
{
    if (n <= 0) return;
    /* tanh and sigmoid need only y, the others only x: skip the unused stream */
    const float *xs = (k == UNARY_TANH || k == UNARY_SIGMOID) ? NULL : x;
    const float *ys = (k == UNARY_TANH || k == UNARY_SIGMOID) ? y : NULL;
    if (vec4_ok(n, xs ? xs : ys, dy, dx, NULL))
        unary_bwd4_k<<<cuda_blocks(n / 4), CUDA_THREADS, 0, c->stream>>>((int)k, n / 4, (const float4 *)xs,
                                                                        (const float4 *)ys, (const float4 *)dy,
                                                                        (float4 *)dx);
    else
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
        y[i] = kind == BINARY_ADD ? va + vb : kind == BINARY_SUB ? va - vb : kind == BINARY_MUL ? va * vb : va / vb;
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

__device__ __forceinline__ float binop(int kind, float a, float b)
{
    return kind == BINARY_ADD ? a + b : kind == BINARY_SUB ? a - b : kind == BINARY_MUL ? a * b : a / b;
}

/* a, b, y contiguous and of one shape */
__global__ void binary_same4_k(int kind, int64_t n4, const float4 *a, const float4 *b, float4 *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
        float4 u = a[i], v = b[i];
        y[i] = make_float4(binop(kind, u.x, v.x), binop(kind, u.y, v.y), binop(kind, u.z, v.z), binop(kind, u.w, v.w));
    }
}

/* a contiguous; b constant along each row of `row` elements (a per-channel bias or embedding):
 * b's value for row r sits at offset bro[r] computed from the row's outer index */
__global__ void binary_rows4_k(int kind, int rows, int row4, int outer1, int64_t sb0, int64_t sb1, const float4 *a,
                               const float *b, float4 *y)
{
    const int r = blockIdx.y;
    const float bv = b[(r / outer1) * sb0 + (r % outer1) * sb1];
    const int64_t base = (int64_t)r * row4;
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < row4; j += gridDim.x * blockDim.x) {
        float4 u = a[base + j];
        y[base + j] = make_float4(binop(kind, u.x, bv), binop(kind, u.y, bv), binop(kind, u.z, bv), binop(kind, u.w, bv));
    }
    (void)rows;
}

void cuda_binary_fwd(BackendCtx *c, BinaryKind k, const int shape[4], const float *a, const int64_t sa[4],
                     const float *b, const int64_t sb[4], float *y)
{
    const int64_t n = (int64_t)shape[0] * shape[1] * shape[2] * shape[3];
    if (n <= 0) return;
    const int64_t contig[4] = {(int64_t)shape[1] * shape[2] * shape[3], (int64_t)shape[2] * shape[3], shape[3], 1};
    int a_contig = 1, b_contig = 1;
    for (int d = 0; d < 4; d++) {
        if (shape[d] == 1) continue;
        a_contig &= sa[d] == contig[d];
        b_contig &= sb[d] == contig[d];
    }
    if (a_contig && b_contig && vec4_ok(n, a, b, y, NULL)) {
        binary_same4_k<<<cuda_blocks(n / 4), CUDA_THREADS, 0, c->stream>>>((int)k, n / 4, (const float4 *)a,
                                                                          (const float4 *)b, (float4 *)y);
        CHECK_LAUNCH();
        return;
    }
    const int64_t row = (int64_t)shape[2] * shape[3], rows = (int64_t)shape[0] * shape[1];
    if (a_contig && sb[2] == 0 && sb[3] == 0 && row % 4 == 0 && rows <= 65535 && vec4_ok(n, a, y, NULL, NULL)) {
        const int row4 = (int)(row / 4);
        dim3 grid((unsigned)(CEIL_DIV(row4, CUDA_THREADS) < 64 ? CEIL_DIV(row4, CUDA_THREADS) : 64), (unsigned)rows);
        binary_rows4_k<<<grid, CUDA_THREADS, 0, c->stream>>>((int)k, (int)rows, row4, shape[1], sb[0], sb[1],
                                                             (const float4 *)a, b, (float4 *)y);
        CHECK_LAUNCH();
        return;
    }
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

__global__ void axpby4_k(int64_t n4, float alpha, const float4 *x, float beta, float4 *y)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
        float4 u = x[i], v = beta == 0.0f ? make_float4(0.0f, 0.0f, 0.0f, 0.0f) : y[i];
        y[i] = make_float4(alpha * u.x + beta * v.x, alpha * u.y + beta * v.y, alpha * u.z + beta * v.z,
                           alpha * u.w + beta * v.w);
    }
}

void cuda_axpby(BackendCtx *c, int64_t n, float alpha, const float *x, float beta, float *y)
{
    if (n <= 0) return;
    if (vec4_ok(n, x, y, NULL, NULL))
        axpby4_k<<<cuda_blocks(n / 4), CUDA_THREADS, 0, c->stream>>>(n / 4, alpha, (const float4 *)x, beta, (float4 *)y);
    else
        axpby_k<<<cuda_blocks(n), CUDA_THREADS, 0, c->stream>>>(n, alpha, x, beta, y);
    CHECK_LAUNCH();
}
