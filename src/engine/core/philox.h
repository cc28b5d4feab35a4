/* Philox4x32-10 counter-based generator and the float transforms built on it, shared by the
 * CPU backend (C) and the CUDA backend (nvcc), so that both draw bit-identical numbers for the
 * same (seed, offset) whatever the thread or block count.
 *
 * Element i of a draw that starts at `offset` uses counter (offset + i/4) and lane i%4.
 * Normals come from Box-Muller over lanes (0,1) and (2,3). The logarithm, sine and cosine
 * are our own polynomials evaluated with explicitly rounded operations (no fused
 * multiply-add, no library calls), because libm and CUDA's math library may differ in the
 * last bit. */
#ifndef OCD_PHILOX_H
#define OCD_PHILOX_H

#include <stdint.h>

#ifdef __CUDACC__
#define PHILOX_FN __device__ static inline
#define PX_MUL(a, b) __fmul_rn((a), (b))
#define PX_ADD(a, b) __fadd_rn((a), (b))
#define PX_SUB(a, b) __fsub_rn((a), (b))
#define PX_DIV(a, b) __fdiv_rn((a), (b))
#define PX_SQRT(a) __fsqrt_rn(a)
#else
#include <math.h>
#include <string.h>
/* The C side is compiled with -ffp-contract=off, so these are single rounded operations. */
#define PHILOX_FN static inline
#define PX_MUL(a, b) ((a) * (b))
#define PX_ADD(a, b) ((a) + (b))
#define PX_SUB(a, b) ((a) - (b))
#define PX_DIV(a, b) ((a) / (b))
#define PX_SQRT(a) sqrtf(a)
#endif

typedef struct {
    uint32_t v[4];
} PhiloxOut;

PHILOX_FN uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* Ten rounds of Philox4x32 on a 128-bit counter and a 64-bit key (Salmon et al. 2011). */
PHILOX_FN PhiloxOut philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = philox_mulhilo(0xD2511F53u, c0, &hi0);
        uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    PhiloxOut o = {{c0, c1, c2, c3}};
    return o;
}

/* Our streams: counter (ctr, 0, 0) under key = seed. */
PHILOX_FN PhiloxOut philox4x32(uint64_t seed, uint64_t ctr)
{
    return philox4x32_10((uint32_t)ctr, (uint32_t)(ctr >> 32), 0u, 0u, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* [0, 1) with 24 random bits: exact in float. */
PHILOX_FN float philox_u01(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

/* (0, 1]: safe for the logarithm. */
PHILOX_FN float philox_u01_open0(uint32_t x) { return (float)((x >> 8) + 1u) * (1.0f / 16777216.0f); }

PHILOX_FN float philox_bits_to_float(uint32_t b)
{
#ifdef __CUDACC__
    return __uint_as_float(b);
#else
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
#endif
}

PHILOX_FN uint32_t philox_float_to_bits(float f)
{
#ifdef __CUDACC__
    return __float_as_uint(f);
#else
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
#endif
}

/* ln(u) for u in (0, 1]: u = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln m by the atanh
 * series 2s(1 + s^2/3 + ... + s^10/11), s = (m-1)/(m+1), |s| <= 0.1716: truncation < 1e-9. */
PHILOX_FN float philox_log(float u)
{
    uint32_t b = philox_float_to_bits(u);
    int e = (int)((b >> 23) & 0xffu) - 127;
    float m = philox_bits_to_float((b & 0x7fffffu) | 0x3f800000u);
    if (m > 1.41421356f) {
        m = PX_MUL(m, 0.5f);
        e += 1;
    }
    float s = PX_DIV(PX_SUB(m, 1.0f), PX_ADD(m, 1.0f));
    float z = PX_MUL(s, s);
    float p = PX_ADD(1.0f / 9.0f, PX_MUL(z, 1.0f / 11.0f));
    p = PX_ADD(1.0f / 7.0f, PX_MUL(z, p));
    p = PX_ADD(1.0f / 5.0f, PX_MUL(z, p));
    p = PX_ADD(1.0f / 3.0f, PX_MUL(z, p));
    p = PX_ADD(1.0f, PX_MUL(z, p));
    float lnm = PX_MUL(PX_MUL(2.0f, s), p);
    return PX_ADD(PX_MUL((float)e, 0.693147180559945f), lnm);
}

/* sin and cos of 2*pi*u for u in [0, 1): nearest quadrant k, remainder x in [-pi/4, pi/4]
 * (4u - k is exact), Taylor polynomials to x^9 and x^10 (error < 2e-9). */
PHILOX_FN void philox_sincos2pi(float u, float *s_out, float *c_out)
{
    float q = PX_MUL(u, 4.0f);
    int k = (int)PX_ADD(q, 0.5f);
    float x = PX_MUL(PX_SUB(q, (float)k), 1.57079632679f);
    float x2 = PX_MUL(x, x);
    float sp = PX_SUB(1.0f / 120.0f, PX_MUL(x2, PX_SUB(1.0f / 5040.0f, PX_MUL(x2, 1.0f / 362880.0f))));
    float s = PX_MUL(x, PX_SUB(1.0f, PX_MUL(x2, PX_SUB(1.0f / 6.0f, PX_MUL(x2, sp)))));
    float cp = PX_SUB(1.0f / 720.0f, PX_MUL(x2, PX_SUB(1.0f / 40320.0f, PX_MUL(x2, 1.0f / 3628800.0f))));
    float c = PX_SUB(1.0f, PX_MUL(x2, PX_SUB(0.5f, PX_MUL(x2, PX_SUB(1.0f / 24.0f, PX_MUL(x2, cp))))));
    switch (k & 3) {
    case 0: *s_out = s; *c_out = c; break;
    case 1: *s_out = c; *c_out = -s; break;
    case 2: *s_out = -s; *c_out = -c; break;
    default: *s_out = -c; *c_out = s; break;
    }
}

/* Uniform in [lo, hi) for element i of a draw at `offset`. */
PHILOX_FN float philox_uniform_at(uint64_t seed, uint64_t offset, int64_t i, float lo, float hi)
{
    PhiloxOut r = philox4x32(seed, offset + (uint64_t)(i >> 2));
    return PX_ADD(lo, PX_MUL(PX_SUB(hi, lo), philox_u01(r.v[i & 3])));
}

/* Four standard normals from one counter (Box-Muller on lanes 0,1 and 2,3). */
PHILOX_FN void philox_normal4(uint64_t seed, uint64_t ctr, float z[4])
{
    PhiloxOut r = philox4x32(seed, ctr);
    for (int h = 0; h < 2; h++) {
        float u1 = philox_u01_open0(r.v[2 * h]);
        float u2 = philox_u01(r.v[2 * h + 1]);
        float rad = PX_SQRT(PX_MUL(-2.0f, philox_log(u1)));
        float s, c;
        philox_sincos2pi(u2, &s, &c);
        z[2 * h] = PX_MUL(rad, c);
        z[2 * h + 1] = PX_MUL(rad, s);
    }
}

#endif
