/* Vectors for the CPU kernels (GCC vector extensions) and the vectorised exp behind SiLU,
 * sigmoid and softmax.
 *
 * A vector is 16 floats whatever the CPU: GCC lowers each operation to one AVX-512
 * instruction, two AVX2 ones or four SSE2 ones, as -march (CMake's OCD_MARCH) allows. Kernels
 * that sum into vector lanes therefore sum in the same order on every build, and cpu_vexp uses
 * only lane-wise IEEE operations (no fused multiply-adds: the engine builds with
 * -ffp-contract=off): an element's result does not depend on the instruction set, the thread
 * or the lane that computes it. CPU_SIMD_PATH names the instructions they become (a session
 * records it, with the BLAS kernels, beside its numbers). */
#ifndef OCD_CPU_SIMD_H
#define OCD_CPU_SIMD_H

#include <stdint.h>
#include <string.h>

#define CPU_VL 16
#if defined(__AVX512F__)
#define CPU_SIMD_PATH "AVX-512"
#elif defined(__AVX2__)
#define CPU_SIMD_PATH "AVX2"
#else
#define CPU_SIMD_PATH "baseline (no AVX2)"
#endif

/* Passing a 64-byte vector by value has no fixed ABI without AVX-512, and GCC warns at every
 * definition and call; these helpers are static inline and the kernels that include this
 * header pass vectors only to them, so no call crosses an ABI boundary. The warning is off
 * here and, for the clones GCC makes of these helpers (which no #pragma reaches), by
 * -Wno-psabi in the top CMakeLists.txt. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float cpu_vf __attribute__((vector_size(CPU_VL * 4)));
typedef int32_t cpu_vi __attribute__((vector_size(CPU_VL * 4)));
typedef float cpu_vfu __attribute__((vector_size(CPU_VL * 4), aligned(4)));

static inline cpu_vf cpu_vload(const float *p) { return *(const cpu_vfu *)p; }
static inline void cpu_vstore(float *p, cpu_vf v) { *(cpu_vfu *)p = v; }

/* the first n < CPU_VL floats of p, zeros after; and the store of the first n lanes */
static inline cpu_vf cpu_vload_part(const float *p, int64_t n)
{
    float t[CPU_VL] = {0};
    memcpy(t, p, sizeof(float) * (size_t)n);
    return cpu_vload(t);
}

static inline void cpu_vstore_part(float *p, cpu_vf v, int64_t n)
{
    float t[CPU_VL];
    cpu_vstore(t, v);
    memcpy(p, t, sizeof(float) * (size_t)n);
}

/* lane-wise a < b ? b : a and a > b ? b : a through masks (C has no vector ?:) */
static inline cpu_vf cpu_vmax(cpu_vf a, cpu_vf b)
{
    const cpu_vi lt = a < b;
    return (cpu_vf)(((cpu_vi)b & lt) | ((cpu_vi)a & ~lt));
}

static inline cpu_vf cpu_vmin(cpu_vf a, cpu_vf b)
{
    const cpu_vi gt = a > b;
    return (cpu_vf)(((cpu_vi)b & gt) | ((cpu_vi)a & ~gt));
}

/* exp(x), Cephes' expf: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n ln2 is exact),
 * exp(r) = 1 + r + r^2 P(r) with P of degree 5, times 2^n built in the exponent bits.
 * Inputs are clamped to [-87.3365, 88.3763] (the range where 2^n is a normal float): exp
 * underflows to ~1.2e-38 instead of 0 and overflows to ~2.1e38 instead of inf, which
 * changes nothing where it is used (1/(1 + exp(-x)), and softmax's exp(x - max) <= 1).
 * Measured error on every float in [-87, 88] (tests/unit/test_core.c): <= 2 ulp relative to
 * exp computed in double; the scalar expf it replaces is within 1 ulp. NaN stays NaN. */
static inline cpu_vf cpu_vexp(cpu_vf x)
{
    x = cpu_vmin(cpu_vmax(x, (cpu_vf){0} + -87.3365478515625f), (cpu_vf){0} + 88.3762626647949f);
    const cpu_vf magic = (cpu_vf){0} + 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    const cpu_vf n = (x * 1.44269504088896341f + magic) - magic;
    cpu_vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    const cpu_vf r2 = r * r;
    cpu_vf p = (cpu_vf){0} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    const cpu_vi e = (__builtin_convertvector(n, cpu_vi) + 127) << 23;
    return p * (cpu_vf)e;
}

/* silu(x) = x sigmoid(x) and sigmoid(x), both through cpu_vexp */
static inline cpu_vf cpu_vsigmoid(cpu_vf x) { return 1.0f / (1.0f + cpu_vexp(-x)); }
static inline cpu_vf cpu_vsilu(cpu_vf x) { return x * cpu_vsigmoid(x); }

/* the same for one float (loops' tails and scalar code that must agree with the vectors) */
static inline float cpu_expf(float x)
{
    cpu_vf v = {0};
    v[0] = x;
    return cpu_vexp(v)[0];
}

#endif
