/* The Philox generator: known-answer vectors, our own log/sin/cos against libm, the
 * distributions' moments, independence from the thread count, and counter bookkeeping. */
#include "harness.h"

#include "core/ctx.h"
#include "core/philox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Known-answer tests from Random123 (kat_vectors, philox4x32 with 10 rounds). */
TEST(philox_matches_random123_known_answers)
{
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6,
         0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
         0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        const uint32_t *k = kat[i];
        PhiloxOut o = philox4x32_10(k[0], k[1], k[2], k[3], k[4], k[5]);
        for (int j = 0; j < 4; j++)
            CHECK(o.v[j] == k[6 + j], "vector %d word %d: %08x, want %08x", i, j, o.v[j], k[6 + j]);
    }
}

/* Our polynomials replace libm so that CPU and GPU agree bit for bit; they must still be
 * accurate: |log error| < 2e-7 relative-ish, |sin/cos error| < 1e-6. */
TEST(own_log_and_sincos_are_accurate)
{
    double worst_log = 0, worst_sc = 0;
    for (int i = 1; i <= 1 << 16; i++) {
        float u = (float)i / (float)(1 << 16);
        double e = fabs((double)philox_log(u) - log((double)u)) / fmax(1.0, fabs(log((double)u)));
        worst_log = fmax(worst_log, e);
        float s, c;
        float v = (float)(i - 1) / (float)(1 << 16);
        philox_sincos2pi(v, &s, &c);
        worst_sc = fmax(worst_sc, fmax(fabs(s - sin(2 * M_PI * v)), fabs(c - cos(2 * M_PI * v))));
    }
    CHECK(worst_log < 2e-7, "log error %.3g", worst_log);
    CHECK(worst_sc < 1e-6, "sincos error %.3g", worst_sc);
}

static void moments(const float *x, int n, double *mean, double *var)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    for (int i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    *var = ss / (n - 1);
}

/* Bounds at ~5 standard errors: a correct generator fails this with probability < 1e-6. */
TEST(uniform_and_normal_have_the_right_moments)
{
    enum { N = 1 << 20 };
    Ctx *c = ctx_create(backend_cpu(), 2, 42);
    float *x = malloc(sizeof(float) * N);
    double m, v;
    c->be->rng_uniform(c->bc, N, 42, 0, -1.0f, 3.0f, x); /* mean 1, var 16/12 */
    moments(x, N, &m, &v);
    CHECK(fabs(m - 1.0) < 5 * sqrt(16.0 / 12 / N), "uniform mean %g", m);
    CHECK(fabs(v - 16.0 / 12) < 5 * 16.0 / 12 * sqrt(0.8 / N) + 1e-4, "uniform var %g", v);
    float lo = x[0], hi = x[0];
    for (int i = 0; i < N; i++) lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    CHECK(lo >= -1.0f && hi < 3.0f, "uniform range [%g, %g]", (double)lo, (double)hi);
    c->be->rng_normal(c->bc, N, 42, 1000, 2.0f, 0.5f, x);
    moments(x, N, &m, &v);
    CHECK(fabs(m - 2.0) < 5 * 0.5 / sqrt(N), "normal mean %g", m);
    CHECK(fabs(v - 0.25) < 5 * 0.25 * sqrt(2.0 / N), "normal var %g", v);
    int tail = 0; /* P(|z| > 3) = 0.0027 */
    for (int i = 0; i < N; i++) tail += fabs((x[i] - 2.0) / 0.5) > 3.0;
    CHECK(fabs(tail / (double)N - 0.0027) < 5 * sqrt(0.0027 / N), "3-sigma tail %g", tail / (double)N);
    free(x);
    ctx_destroy(c);
}

TEST(draws_do_not_depend_on_the_thread_count)
{
    enum { N = 100003 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    Ctx *c = ctx_create(backend_cpu(), 1, 9);
    c->be->rng_normal(c->bc, N, 9, 77, 0, 1, a);
    ctx_set_threads(c, 2);
    c->be->rng_normal(c->bc, N, 9, 77, 0, 1, b);
    CHECK(memcmp(a, b, sizeof(float) * N) == 0, "normal draws differ between 1 and 2 threads");
    c->be->dropout_mask(c->bc, N, 9, 5, 0.25f, a);
    ctx_set_threads(c, 1);
    c->be->dropout_mask(c->bc, N, 9, 5, 0.25f, b);
    CHECK(memcmp(a, b, sizeof(float) * N) == 0, "dropout masks differ between 1 and 2 threads");
    int kept = 0;
    for (int i = 0; i < N; i++) {
        CHECK(a[i] == 0.0f || a[i] == 1.0f / 0.75f, "mask value %g", (double)a[i]);
        kept += a[i] != 0.0f;
    }
    CHECK(fabs(kept / (double)N - 0.75) < 5 * sqrt(0.75 * 0.25 / N), "kept fraction %g", kept / (double)N);
    free(a);
    free(b);
    ctx_destroy(c);
}

/* A draw split at a counter boundary continues the same stream; the context hands out
 * disjoint counter ranges. */
TEST(counters_are_consumed_in_order)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 3);
    float whole[40], part[40];
    c->be->rng_uniform(c->bc, 40, 3, 10, 0, 1, whole);
    c->be->rng_uniform(c->bc, 16, 3, 10, 0, 1, part);
    c->be->rng_uniform(c->bc, 24, 3, 14, 0, 1, part + 16);
    CHECK(memcmp(whole, part, sizeof whole) == 0, "a split draw differs from the whole one");
    uint64_t o1 = ctx_rng_take(c, 10), o2 = ctx_rng_take(c, 1), o3 = ctx_rng_take(c, 4);
    CHECK(o1 == 0 && o2 == 3 && o3 == 4, "offsets %llu %llu %llu (want 0 3 4)", (unsigned long long)o1,
          (unsigned long long)o2, (unsigned long long)o3);
    ctx_destroy(c);
}
