/* The weight-diffusion network's additions for a generator that learns at CPU size: the
 * learned row/column conditioning maps (their layout, their products, and their gradients
 * against finite differences), the x0 training target (the sampler turns the network's
 * Omega_0 into the noise it implies, so DDIM's last step returns it), and the fit statistics
 * (cosine, norm ratio, quantiles) against values worked out by hand. */
#include "harness.h"

#include "autograd.h"
#include "core/philox.h"
#include "ocd/fit.h"
#include "ocd/sampler.h"
#include "ocd/schedule.h"
#include "ocd/wnet.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 5, COLS = 7, K = 2 };

/* a small network on a 5 x 7 matrix (padded to 6 x 8 by two levels), conditioning 7, 5, 3 */
static void make_wnet(Ctx *c, WNet *w, const char *target, int product, int hidden)
{
    Config cfg;
    config_init(&cfg);
    Status st;
    status_clear(&st);
    config_set(&cfg, "diffusion.ch=4", &st);
    config_set(&cfg, "diffusion.ch_mult=1,2", &st);
    config_set(&cfg, "diffusion.rc_maps=2", &st);
    config_set(&cfg, product ? "diffusion.rc_product=true" : "diffusion.rc_product=false", &st);
    char t[64];
    snprintf(t, sizeof t, "diffusion.target=%s", target);
    config_set(&cfg, t, &st);
    snprintf(t, sizeof t, "diffusion.rc_hidden=%d", hidden);
    config_set(&cfg, t, &st);
    CondDims d = {COLS, ROWS, 3};
    CHECK(wnet_config(&cfg, ROWS, COLS, d, w, &st) == 0, "%s", st.msg);
    CHECK(w->ucfg.in_ch == 1 + K * (product ? 3 : 2), "input channels %d", w->ucfg.in_ch);
    wnet_create(c, w);
    config_free(&cfg);
}

static void fill(float *x, int n, uint64_t key, float scale)
{
    for (int i = 0; i < n; i++) x[i] = scale * ((float)(philox4x32(key, (uint64_t)i).v[0] % 2001) / 1000.0f - 1.0f);
}

TEST(row_and_column_maps_broadcast_the_learned_factors)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 5);
    WNet w;
    make_wnet(c, &w, "eps", 1, 0);
    const int B = 2, T = unet_temb_dim(w.unet), H = w.H, W = w.W;
    CHECK(H == 6 && W == 8 && w.top == 1 && w.left == 1, "5x7 in %dx%d at %d,%d", H, W, w.top, w.left);
    float *e = malloc(sizeof(float) * (size_t)(B * T));
    fill(e, B * T, 1, 1.0f);
    Tensor *emb = tensor_from_host(c, SHAPE(B, T), e);
    Tensor *R, *C;
    unet_cond_rowcol(c, w.unet, emb, &R, &C);
    float r[B * K * ROWS], cc[B * K * COLS];
    tensor_download(c, R, r);
    tensor_download(c, C, cc);
    Tensor *m = wnet_rc_maps(c, &w, emb);
    CHECK(m->ndim == 4 && m->shape[0] == B && m->shape[1] == 3 * K && m->shape[2] == H && m->shape[3] == W,
          "maps are (B, 3k, H, W)");
    float *h = malloc(sizeof(float) * (size_t)m->numel);
    tensor_download(c, m, h);
    int bad = 0;
    double spread = 0.0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    const int i = y - w.top, j = x - w.left, inside = i >= 0 && i < ROWS && j >= 0 && j < COLS;
                    const float rv = inside ? r[(b * K + k) * ROWS + i] : 0.0f, cv = inside ? cc[(b * K + k) * COLS + j] : 0.0f;
                    const float *px = h + ((int64_t)b * 3 * K) * H * W + (int64_t)y * W + x;
                    bad += px[(int64_t)k * H * W] != rv;             /* row map: constant along the columns */
                    bad += px[(int64_t)(K + k) * H * W] != cv;       /* column map: constant along the rows */
                    bad += fabsf(px[(int64_t)(2 * K + k) * H * W] - rv * cv) > 1e-7f; /* their product */
                    spread += fabs(rv);
                }
    CHECK(bad == 0, "%d map entries are not the broadcast factors (or not zero in the padding)", bad);
    CHECK(spread > 1e-3, "the factors are all zero: nothing was tested");
    /* the factors depend on the embedding: another sample's maps differ */
    CHECK(memcmp(r, r + K * ROWS, sizeof(float) * K * ROWS) != 0, "two embeddings gave the same row maps");
    ctx_step_end(c);
    free(e);
    free(h);
    wnet_destroy(&w);
    ctx_destroy(c);
}

/* sum(P * maps(emb)) for a fixed projection P, in double on the host */
static double projected(Ctx *c, WNet *w, Tensor *emb, const float *P)
{
    Tensor *m = wnet_rc_maps(c, w, emb);
    float *h = malloc(sizeof(float) * (size_t)m->numel);
    tensor_download(c, m, h);
    double s = 0.0;
    for (int64_t i = 0; i < m->numel; i++) s += (double)P[i] * h[i];
    free(h);
    return s;
}

/* Directional check (KANN's): the tape's gradient g of sum(P * maps) with respect to the
 * embedding and every map parameter, dotted with a random direction v, against
 * (f(x + h v) - f(x - h v)) / 2h. The maps are linear in their weights and smooth in the
 * embedding (SiLU), so central differences are exact to O(h^2) plus float32 rounding:
 * h = 1e-2 and a relative tolerance of 1e-3 leave room for the rounding of ~50-term sums. */
TEST(row_and_column_maps_gradients_match_finite_differences)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 6);
    WNet w;
    make_wnet(c, &w, "eps", 1, 6); /* with the hidden layer: every map parameter on the path */
    const int B = 2, T = unet_temb_dim(w.unet);
    const int64_t nm = (int64_t)B * 3 * K * w.H * w.W;
    float *P = malloc(sizeof(float) * (size_t)nm), *e = malloc(sizeof(float) * (size_t)(B * T));
    fill(P, (int)nm, 2, 1.0f);
    fill(e, B * T, 3, 1.5f);
    ParamSet *ps = unet_params(w.unet);
    /* the tape's gradients */
    params_zero_grad(ps);
    Tensor *emb = tensor_from_host(c, SHAPE(B, T), e);
    emb->requires_grad = 1;
    Tensor *m = wnet_rc_maps(c, &w, emb);
    ag_backward_seeded(c, m, tensor_from_host(c, 4, m->shape, P));
    float *ge = malloc(sizeof(float) * (size_t)(B * T)), *ve = malloc(sizeof(float) * (size_t)(B * T));
    c->be->download(c->bc, ge, emb->grad, sizeof(float) * (size_t)(B * T));
    fill(ve, B * T, 4, 1.0f);
    double analytic = 0.0;
    for (int i = 0; i < B * T; i++) analytic += (double)ge[i] * ve[i];
    /* the map parameters: directions too */
    int checked = 0;
    float *vp[8] = {0}, *w0[8] = {0};
    for (int i = 0; i < ps->count && checked < 8; i++) {
        Tensor *p = ps->params[i];
        if (strncmp(p->name, "condmap.", 8)) continue;
        float *g = malloc(sizeof(float) * (size_t)p->numel);
        vp[checked] = malloc(sizeof(float) * (size_t)p->numel);
        w0[checked] = malloc(sizeof(float) * (size_t)p->numel);
        c->be->download(c->bc, g, p->grad, sizeof(float) * (size_t)p->numel);
        c->be->download(c->bc, w0[checked], p->data, sizeof(float) * (size_t)p->numel);
        fill(vp[checked], (int)p->numel, 10 + (uint64_t)i, 1.0f);
        for (int64_t j = 0; j < p->numel; j++) analytic += (double)g[j] * vp[checked][j];
        free(g);
        checked++;
    }
    CHECK(checked == 6, "found %d condmap parameters (hidden, row and column weight and bias)", checked);
    ctx_step_end(c);
    /* f(x +- h v) */
    const float h = 1e-2f;
    double f2[2];
    float *et = malloc(sizeof(float) * (size_t)(B * T));
    for (int s = 0; s < 2; s++) {
        const float sg = s ? -h : h;
        for (int i = 0; i < B * T; i++) et[i] = e[i] + sg * ve[i];
        int q = 0;
        for (int i = 0; i < ps->count; i++) {
            Tensor *p = ps->params[i];
            if (strncmp(p->name, "condmap.", 8)) continue;
            float *t = malloc(sizeof(float) * (size_t)p->numel);
            for (int64_t j = 0; j < p->numel; j++) t[j] = w0[q][j] + sg * vp[q][j];
            c->be->upload(c->bc, p->data, t, sizeof(float) * (size_t)p->numel);
            free(t);
            q++;
        }
        f2[s] = projected(c, &w, tensor_from_host(c, SHAPE(B, T), et), P);
        ctx_step_end(c);
    }
    const double numeric = (f2[0] - f2[1]) / (2.0 * h);
    CHECK_CLOSE(analytic, numeric, 1e-3, 1e-3, "directional derivative of the row/column maps");
    CHECK(fabs(analytic) > 1e-2, "the gradient is ~0 (%g): nothing was tested", analytic);
    for (int q = 0; q < checked; q++) {
        free(vp[q]);
        free(w0[q]);
    }
    free(P);
    free(e);
    free(ge);
    free(ve);
    free(et);
    wnet_destroy(&w);
    ctx_destroy(c);
}

/* With diffusion.target = x0 the network's output is Omega_0 itself. A network whose output
 * is a constant (every weight of the last convolution zero, its bias 0.37) predicts the
 * same Omega_0 at every step; the sampler turns it into the noise it implies, and DDIM's
 * last step returns x0-hat, so the draw is 0.37 everywhere whatever the start noise. The
 * same network read as a noise predictor (eps) gives something else. Tolerance 1e-4: the
 * x0 -> eps -> x0 round trip divides by sqrt(1 - alpha_bar), ~1e-3 at t = 0, which turns
 * float32 rounding (~1e-7) into ~1e-4. */
TEST(x0_target_sampler_returns_the_networks_omega0)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 7);
    static Schedule s;
    CHECK(schedule_make(&s, SCHED_OFFICIAL, 1000, 1e-6, 1e-2, 10) == 0, "schedule");
    float cin[COLS], cact[ROWS], cout[3], om[ROWS * COLS];
    fill(cin, COLS, 5, 1.0f);
    fill(cact, ROWS, 6, 1.0f);
    fill(cout, 3, 7, 1.0f);
    const uint64_t id = 3;
    for (int target_x0 = 1; target_x0 >= 0; target_x0--) {
        WNet w;
        make_wnet(c, &w, target_x0 ? "x0" : "eps", 0, 0);
        ParamSet *ps = unet_params(w.unet);
        for (int i = 0; i < ps->count; i++) {
            Tensor *p = ps->params[i];
            if (!strcmp(p->name, "conv_out.weight")) c->be->fill(c->bc, p->numel, 0.0f, p->data);
            if (!strcmp(p->name, "conv_out.bias")) c->be->fill(c->bc, p->numel, 0.37f, p->data);
        }
        SamplerOpts o = {.key = 11, .ids = &id};
        sampler_run(c, &w, &s, cin, cact, cout, 1, &o, om);
        double worst = 0.0;
        for (int i = 0; i < ROWS * COLS; i++) worst = fmax(worst, fabs(om[i] - 0.37));
        if (target_x0)
            CHECK(worst < 1e-4, "x0 target: the draw is off the network's Omega_0 by %g", worst);
        else
            CHECK(worst > 1e-2, "eps target: the constant output was taken for Omega_0 (off by only %g)", worst);
        wnet_destroy(&w);
    }
    ctx_destroy(c);
}

TEST(fit_statistics_match_hand_values)
{
    const float a[4] = {1, 0, 1, 0}, b[4] = {1, 1, 0, 0}, z[4] = {0};
    CHECK_CLOSE(fit_cosine(a, b, 4), 0.5, 1e-12, 0, "cosine of two vectors sharing one of two entries");
    CHECK_CLOSE(fit_cosine(a, a, 4), 1.0, 1e-12, 0, "cosine with itself");
    CHECK(fit_cosine(a, z, 4) == 0.0, "cosine with zero is 0, not NaN");
    const float a2[4] = {2, 0, 2, 0};
    CHECK_CLOSE(fit_norm_ratio(a2, b, 4), 2.0, 1e-12, 0, "norm ratio");
    const double x[5] = {5, 1, 4, 2, 3};
    CHECK_CLOSE(fit_quantile(x, 5, 0.5), 3.0, 1e-12, 0, "median");
    CHECK_CLOSE(fit_quantile(x, 5, 0.25), 2.0, 1e-12, 0, "first quartile");
    const double y[4] = {4, 1, 3, 2};
    CHECK_CLOSE(fit_quantile(y, 4, 0.5), 2.5, 1e-12, 0, "median of an even count interpolates");
    CHECK_CLOSE(fit_quantile(y, 4, 0.75), 3.25, 1e-12, 0, "numpy's linear rule: 1 + 0.75*3 = position 2.25");
    CHECK(x[0] == 5 && y[0] == 4, "the input is left unsorted");
}

