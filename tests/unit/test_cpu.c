/* The CPU backend's vector kernels against scalar references computed in double: the
 * vectorised exp (cpu_simd.h) and what uses it (SiLU, sigmoid, softmax rows), GroupNorm with
 * SiLU in one pass (the same bits as GroupNorm then SiLU), and attention in row blocks (the
 * same bits with and without keeping P, and on one or two threads). The ops' gradients are
 * checked by test_ops_grad (op cases group_norm_silu_*, attention_blocks, softmax_wide). */
#include "harness.h"

#include "backend.h"
#include "cpu/cpu_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* n floats, uniform in [lo, hi), from a fixed stream */
static float *draw(int64_t n, float lo, float hi, uint32_t key)
{
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)i * 2654435761u ^ key;
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        x[i] = lo + (hi - lo) * (float)(h >> 8) / 16777216.0f;
    }
    return x;
}

static double ulp_of(double v) { return ldexp(1.0, ilogb(v) - 23); }

/* Measured on every float in [-87, 88]: at most 0.99 ulp of the exact value (the polynomial's
 * error plus the rounding of its evaluation). The step through the floats here keeps the test
 * short; 1.0 ulp would fail on a wrong coefficient or reduction constant by orders of
 * magnitude. */
TEST(vexp_is_within_one_ulp_of_exp)
{
    double worst = 0.0;
    float at = 0.0f;
    for (float x = -87.0f; x <= 88.0f; x = nextafterf(x + fmaxf(1e-5f * fabsf(x), 1e-6f), 100.0f)) {
        const double t = exp((double)x), e = fabs((double)cpu_expf(x) - t) / ulp_of(t);
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    CHECK(worst <= 1.0, "cpu_vexp is %.3f ulp off at %.9g", worst, (double)at);
    CHECK(cpu_expf(0.0f) == 1.0f, "exp(0) = %.9g", (double)cpu_expf(0.0f));
    CHECK(isnan(cpu_expf(NAN)), "exp(NaN) is not NaN");
    /* clamped: underflow to the smallest normal, overflow to a finite 2.4e38 (cpu_simd.h) */
    CHECK(cpu_expf(-INFINITY) > 0.0f && cpu_expf(-INFINITY) <= 1.2e-38f, "exp(-inf) = %g", (double)cpu_expf(-INFINITY));
    CHECK(isfinite(cpu_expf(INFINITY)) && cpu_expf(INFINITY) > 2e38f, "exp(inf) = %g", (double)cpu_expf(INFINITY));
}

/* Both go through 1/(1 + exp(-x)): exp's 1 ulp, the addition's and division's roundings and
 * the product with x add up to a few ulps; 1e-6 relative is ~8 ulps. Inputs span the range
 * the U-Net sees and the saturated ends, and a length that is not a multiple of a vector. */
TEST(silu_and_sigmoid_match_a_double_reference)
{
    const Backend *be = backend_cpu();
    BackendCtx *bc = be->create(2);
    const int64_t n = 10007;
    float *x = draw(n, -30.0f, 30.0f, 11), *y = malloc(sizeof(float) * (size_t)n);
    be->unary_fwd(bc, UNARY_SILU, n, x, y);
    for (int64_t i = 0; i < n; i++) {
        const double want = x[i] / (1.0 + exp(-(double)x[i]));
        CHECK_CLOSE(y[i], want, 1e-30, 1e-6, "silu");
    }
    be->unary_fwd(bc, UNARY_SIGMOID, n, x, y);
    for (int64_t i = 0; i < n; i++) CHECK_CLOSE(y[i], 1.0 / (1.0 + exp(-(double)x[i])), 1e-30, 1e-6, "sigmoid");
    free(x);
    free(y);
    be->destroy(bc);
}

/* A softmax probability is exp(x - max) / sum: ~1 ulp from exp, and the sum's rounding over
 * at most 630 terms in 16 partials (~40 terms each, ~40 * 6e-8 relative at worst); 5e-6
 * relative covers both with a margin, and a wrong maximum or normaliser is off by O(1). */
TEST(softmax_rows_match_a_double_reference)
{
    const Backend *be = backend_cpu();
    BackendCtx *bc = be->create(2);
    const int widths[] = {1, 5, 16, 37, 630};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const int rows = 7, cols = widths[w];
        float *x = draw((int64_t)rows * cols, -8.0f, 8.0f, 20 + (uint32_t)w), *y = malloc(sizeof(float) * (size_t)(rows * cols));
        be->softmax_fwd(bc, rows, cols, 0, x, y);
        for (int r = 0; r < rows; r++) {
            double mx = -INFINITY, s = 0.0;
            for (int j = 0; j < cols; j++) mx = fmax(mx, x[r * cols + j]);
            for (int j = 0; j < cols; j++) s += exp(x[r * cols + j] - mx);
            for (int j = 0; j < cols; j++) CHECK_CLOSE(y[r * cols + j], exp(x[r * cols + j] - mx) / s, 1e-30, 5e-6, "softmax");
        }
        free(x);
        free(y);
    }
    be->destroy(bc);
}

/* The fused entry promises GroupNorm's bits for y and SiLU's for z (backend.h): compared
 * with memcmp, over positions shorter than a vector, a vector and a tail, and the sampler's
 * largest plane; and the statistics against a two-pass double reference, with a large mean
 * (a one-pass E[x^2] - E[x]^2 in float would lose every digit here). The mean and 1/std are
 * rounded once from double: 1e-6 relative. */
TEST(groupnorm_silu_gives_groupnorm_then_silu_bit_for_bit)
{
    const Backend *be = backend_cpu();
    BackendCtx *bc = be->create(2);
    const int shapes[][3] = {{4, 8, 1}, {2, 6, 9}, {2, 8, 37}, {6, 24, 10080}}; /* G, C, S */
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int N = 2, C = shapes[k][1], S = shapes[k][2], G = shapes[k][0];
        const int64_t n = (int64_t)N * C * S;
        float *x = draw(n, 990.0f, 1010.0f, 30 + (uint32_t)k), *ga = draw(C, 0.5f, 1.5f, 40), *bb = draw(C, -1.0f, 1.0f, 41);
        float *y0 = malloc(sizeof(float) * (size_t)n), *z0 = malloc(sizeof(float) * (size_t)n);
        float *y1 = malloc(sizeof(float) * (size_t)n), *z1 = malloc(sizeof(float) * (size_t)n);
        float *z2 = malloc(sizeof(float) * (size_t)n);
        float m0[64], r0[64], m1[64], r1[64], m2[64], r2[64];
        be->groupnorm_fwd(bc, N, C, S, G, 1e-6f, x, ga, bb, y0, m0, r0);
        be->unary_fwd(bc, UNARY_SILU, n, y0, z0);
        be->groupnorm_silu_fwd(bc, N, C, S, G, 1e-6f, x, ga, bb, y1, z1, m1, r1);
        be->groupnorm_silu_fwd(bc, N, C, S, G, 1e-6f, x, ga, bb, NULL, z2, m2, r2);
        CHECK(!memcmp(y0, y1, sizeof(float) * (size_t)n), "S=%d: the fused y differs from groupnorm_fwd", S);
        CHECK(!memcmp(z0, z1, sizeof(float) * (size_t)n), "S=%d: the fused z differs from silu(groupnorm)", S);
        CHECK(!memcmp(z0, z2, sizeof(float) * (size_t)n), "S=%d: z differs when y is not kept", S);
        CHECK(!memcmp(m0, m1, sizeof(float) * (size_t)(N * G)) && !memcmp(r0, r1, sizeof(float) * (size_t)(N * G)),
              "S=%d: statistics differ", S);
        const int64_t len = n / (N * G);
        for (int g = 0; g < N * G; g++) {
            double s = 0.0, ss = 0.0;
            for (int64_t i = 0; i < len; i++) s += x[g * len + i];
            const double mu = s / (double)len;
            for (int64_t i = 0; i < len; i++) ss += (x[g * len + i] - mu) * (x[g * len + i] - mu);
            CHECK_CLOSE(m0[g], mu, 0.0, 1e-6, "group mean");
            CHECK_CLOSE(r0[g], 1.0 / sqrt(ss / (double)len + 1e-6), 0.0, 1e-6, "group 1/std");
        }
        free(x);
        free(ga);
        free(bb);
        free(y0);
        free(z0);
        free(y1);
        free(z1);
        free(z2);
    }
    be->destroy(bc);
}

/* attention of (B, L, S, d, dv) on `threads` threads; P kept or not */
static void attention_run(int threads, int B, int L, int S, int d, int dv, const float *q, const float *k,
                          const float *v, float *P, float *out)
{
    const Backend *be = backend_cpu();
    BackendCtx *bc = be->create(threads);
    be->attention_fwd(bc, B, L, S, d, dv, 1.0f / sqrtf((float)d), q, k, v, P, out);
    be->destroy(bc);
}

/* The sampler's shape per item (630 positions, 16 channels) over more than one 64-row block
 * and a ragged last block. Against double: each score sums 16 products (~1e-6 relative), the
 * softmax adds ~1e-6 (above), the product with V sums 630 terms (~630 * 6e-8 worst case):
 * 2e-5 + 1e-4 relative is a ~5x margin; a misplaced block or a wrong scale is off by O(1). */
TEST(attention_in_row_blocks_matches_a_double_reference)
{
    const int B = 2, L = 630, S = 630, d = 16, dv = 16;
    float *q = draw((int64_t)B * L * d, -1.0f, 1.0f, 50), *k = draw((int64_t)B * S * d, -1.0f, 1.0f, 51);
    float *v = draw((int64_t)B * S * dv, -1.0f, 1.0f, 52);
    float *P = malloc(sizeof(float) * (size_t)(B * L * S)), *o1 = malloc(sizeof(float) * (size_t)(B * L * dv));
    float *o2 = malloc(sizeof(float) * (size_t)(B * L * dv)), *o3 = malloc(sizeof(float) * (size_t)(B * L * dv));
    attention_run(2, B, L, S, d, dv, q, k, v, P, o1);
    attention_run(2, B, L, S, d, dv, q, k, v, NULL, o2);
    attention_run(1, B, L, S, d, dv, q, k, v, NULL, o3);
    CHECK(!memcmp(o1, o2, sizeof(float) * (size_t)(B * L * dv)), "the output changes when P is not kept");
    CHECK(!memcmp(o1, o3, sizeof(float) * (size_t)(B * L * dv)), "the output changes with the thread count");
    const double scale = 1.0 / sqrt((double)d);
    double *p = malloc(sizeof(double) * (size_t)S);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < L; i += 37) { /* every 37th query row: each block, and the last */
            double mx = -INFINITY, s = 0.0;
            for (int j = 0; j < S; j++) {
                double a = 0.0;
                for (int e = 0; e < d; e++) a += (double)q[((int64_t)b * L + i) * d + e] * k[((int64_t)b * S + j) * d + e];
                p[j] = a * scale;
                mx = fmax(mx, p[j]);
            }
            for (int j = 0; j < S; j++) s += (p[j] = exp(p[j] - mx));
            for (int j = 0; j < S; j++) CHECK_CLOSE(P[((int64_t)b * L + i) * S + j], p[j] / s, 1e-9, 1e-5, "P");
            for (int e = 0; e < dv; e++) {
                double o = 0.0;
                for (int j = 0; j < S; j++) o += p[j] / s * v[((int64_t)b * S + j) * dv + e];
                CHECK_CLOSE(o1[((int64_t)b * L + i) * dv + e], o, 2e-5, 1e-4, "attention output");
            }
        }
    free(p);
    free(q);
    free(k);
    free(v);
    free(P);
    free(o1);
    free(o2);
    free(o3);
}

/* conv3x3(upsample2(x)) by four 2x2 phase convolutions with summed weights: against the two
 * steps it replaces, over image sizes that leave ragged tiles and output channels below and
 * above one register block. Each output sums 9*C products of O(1) terms either way; summing
 * weights first changes the rounding by a few ulps of the terms (~C * 1e-7 absolute):
 * 1e-5 + 1e-5 relative; a wrong phase or tap is off by O(1). A 5x5 kernel goes the two-step
 * way inside the entry and must match bit for bit. */
TEST(upsample_conv_matches_upsample_then_conv)
{
    const Backend *be = backend_cpu();
    const int shapes[][4] = {{3, 8, 5, 7}, {16, 16, 21, 30}, {5, 4, 3, 3}}; /* C, O, h, w */
    for (int threads = 1; threads <= 2; threads++) {
        BackendCtx *bc = be->create(threads);
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            const int N = 3, C = shapes[k][0], O = shapes[k][1], h = shapes[k][2], w = shapes[k][3];
            for (int K = 3; K <= 5; K += 2) {
                ConvGeom q = {.N = N, .C = C, .H = 2 * h, .W = 2 * w, .O = O, .KH = K, .KW = K, .SH = 1, .SW = 1,
                              .PH = K / 2, .PW = K / 2, .OH = 2 * h, .OW = 2 * w};
                const int64_t nx = (int64_t)N * C * h * w, ny = (int64_t)N * O * 4 * h * w;
                float *x = draw(nx, -1.0f, 1.0f, 60 + (uint32_t)k), *wt = draw((int64_t)O * C * K * K, -0.3f, 0.3f, 61);
                float *bias = draw(O, -0.5f, 0.5f, 62), *up = malloc(sizeof(float) * (size_t)(4 * nx));
                float *y0 = malloc(sizeof(float) * (size_t)ny), *y1 = malloc(sizeof(float) * (size_t)ny);
                be->upsample_fwd(bc, N, C, h, w, 2, x, up);
                be->conv2d_fwd(bc, &q, up, wt, bias, y0);
                be->conv2d_up2_fwd(bc, &q, x, wt, bias, y1);
                if (K == 3)
                    CHECK_ARRAYS(y1, y0, ny, 1e-5, 1e-5, "upsample + conv3x3 by phases");
                else
                    CHECK(!memcmp(y0, y1, sizeof(float) * (size_t)ny), "the 5x5 fallback differs from the two steps");
                free(x);
                free(wt);
                free(bias);
                free(up);
                free(y0);
                free(y1);
            }
        }
        be->destroy(bc);
    }
}

/* y = conv(x) in double, the definition */
static void conv_ref(const ConvGeom *q, const float *x, const float *w, const float *b, double *y)
{
    for (int n = 0; n < q->N; n++)
        for (int o = 0; o < q->O; o++)
            for (int i = 0; i < q->OH; i++)
                for (int j = 0; j < q->OW; j++) {
                    double s = b ? b[o] : 0.0;
                    for (int ch = 0; ch < q->C; ch++)
                        for (int kh = 0; kh < q->KH; kh++)
                            for (int kw = 0; kw < q->KW; kw++) {
                                const int u = i * q->SH - q->PH + kh, v = j * q->SW - q->PW + kw;
                                if (u >= 0 && u < q->H && v >= 0 && v < q->W)
                                    s += (double)w[((o * q->C + ch) * q->KH + kh) * q->KW + kw] *
                                         x[((int64_t)(n * q->C + ch) * q->H + u) * q->W + v];
                            }
                    y[((int64_t)(n * q->O + o) * q->OH + i) * q->OW + j] = s;
                }
}

/* The forward paths the U-Net's shapes take: stride-2 3x3 through four phase images and a
 * 2x2 direct convolution (with and without padding, odd sizes: the downsampling pads right
 * and bottom first), 1x1 through the direct kernel, 3x3 stride 1, and one output channel.
 * Against double: at most 9 * 32 products of O(1) terms, 1e-5 absolute + 1e-5 relative is
 * ~10x the float rounding; a wrong phase, tap or zero weight is off by O(1). One and two
 * threads give the same bits. */
TEST(conv_forward_paths_match_a_double_reference)
{
    const Backend *be = backend_cpu();
    const int shapes[][8] = {/* C, O, H, W, K, stride, pad */
                             {8, 8, 85, 121, 3, 2, 0}, {16, 16, 43, 61, 3, 2, 0}, {5, 7, 10, 9, 3, 2, 1},
                             {24, 8, 12, 17, 1, 1, 0}, {8, 16, 9, 11, 3, 1, 1},  {8, 1, 14, 20, 3, 1, 1}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int *s = shapes[k];
        ConvGeom q = {.N = 3, .C = s[0], .O = s[1], .H = s[2], .W = s[3], .KH = s[4], .KW = s[4], .SH = s[5], .SW = s[5],
                      .PH = s[6], .PW = s[6]};
        q.OH = (q.H + 2 * q.PH - q.KH) / q.SH + 1;
        q.OW = (q.W + 2 * q.PW - q.KW) / q.SW + 1;
        const int64_t nx = (int64_t)q.N * q.C * q.H * q.W, ny = (int64_t)q.N * q.O * q.OH * q.OW;
        float *x = draw(nx, -1.0f, 1.0f, 70 + (uint32_t)k), *w = draw((int64_t)q.O * q.C * q.KH * q.KW, -0.3f, 0.3f, 71);
        float *b = draw(q.O, -0.5f, 0.5f, 72), *y1 = malloc(sizeof(float) * (size_t)ny), *y2 = malloc(sizeof(float) * (size_t)ny);
        double *ref = malloc(sizeof(double) * (size_t)ny);
        for (int threads = 1; threads <= 2; threads++) {
            BackendCtx *bc = be->create(threads);
            be->conv2d_fwd(bc, &q, x, w, b, threads == 1 ? y1 : y2);
            be->destroy(bc);
        }
        conv_ref(&q, x, w, b, ref);
        int bad = 0;
        for (int64_t i = 0; i < ny && bad < 3; i++)
            if (!(fabs(y1[i] - ref[i]) <= 1e-5 + 1e-5 * fabs(ref[i]))) {
                CHECK(0, "shape %zu: y[%lld] = %.9g, reference %.9g", k, (long long)i, (double)y1[i], ref[i]);
                bad++;
            }
        CHECK(!memcmp(y1, y2, sizeof(float) * (size_t)ny), "shape %zu: one and two threads differ", k);
        free(x);
        free(w);
        free(b);
        free(y1);
        free(y2);
        free(ref);
    }
}
