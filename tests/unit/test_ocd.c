/* The OCD pipeline's parts: noise schedules against values worked out by hand and against
 * the DDPM/DDIM identities; the KDE entropy against closed forms; the per-sample overfit of B
 * samples against B one-at-a-time overfits and against Adam's first-step rule; the weight
 * padding geometry (the authors' numbers) and its round trip; the nearest-neighbour lookup;
 * the sampler's draws not depending on the batch; the scale losses' derivatives; the overfit
 * toward the base model's own argmax (the eval's label-free ceiling) against the overfit with
 * the true label; the temperature fit on logits whose scale is known. */
#include "harness.h"

#include "autograd.h"
#include "core/philox.h"
#include "models/lenet5.h"
#include "models/mlp.h"
#include "ocd/gkde.h"
#include "ocd/overfit.h"
#include "ocd/sampler.h"
#include "ocd/scale.h"
#include "ocd/schedule.h"
#include "ocd/temperature.h"
#include "ocd/tent.h"
#include "ocd/util.h"
#include "ocd/wnet.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

TEST(official_schedule_alpha_bar_matches_the_values_worked_out_by_hand)
{
    static Schedule s;
    CHECK(schedule_make(&s, SCHED_OFFICIAL, 1000, 1e-6, 1e-2, 10) == 0, "official schedule refused");
    /* beta_t = 1e-6 + (1e-2 - 1e-6) t / 999; alpha-bar = prod (1 - beta): values from the
     * study of the authors' code (anchors/ocd-official-code.md §3), 3-4 significant digits */
    const struct {
        int t;
        double ab, tol;
    } want[] = {{0, 0.999999, 1e-7}, {100, 0.9506, 1e-4}, {300, 0.636, 1e-3}, {500, 0.285, 1e-3},
                {700, 0.085, 1e-3},  {900, 0.0171, 1e-4}, {999, 0.0066, 1e-4}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_CLOSE(schedule_alpha_bar(&s, want[i].t), want[i].ab, want[i].tol, 0, "alpha-bar");
    CHECK(s.nsteps == 10 && s.t_model[0] == 900 && s.t_model[9] == 0, "DDIM timesteps 900 .. 0");
    CHECK(schedule_alpha_bar(&s, -1) == 1.0, "alpha-bar before the first step is 1");
    CHECK(schedule_make(&s, SCHED_OFFICIAL, 1000, 1e-6, 1e-2, 7) != 0, "T must be a multiple of the sampling steps");
}

TEST(ddim_steps_move_a_noised_point_along_its_own_trajectory)
{
    /* with the true noise, x_t = sqrt(ab_t) x0 + sqrt(1-ab_t) e steps to sqrt(ab_n) x0 + sqrt(1-ab_n) e,
     * and the last step returns x0 exactly */
    static Schedule s;
    schedule_make(&s, SCHED_OFFICIAL, 1000, 1e-6, 1e-2, 10);
    const double x0 = 0.7, e = -1.3;
    double x = sqrt(schedule_alpha_bar(&s, 900)) * x0 + sqrt(1 - schedule_alpha_bar(&s, 900)) * e;
    for (int i = 0; i < s.nsteps; i++) {
        x = s.a[i] * x + s.b[i] * e;
        const int tn = s.t_model[i] - 100;
        const double abn = schedule_alpha_bar(&s, tn);
        CHECK_CLOSE(x, sqrt(abn) * x0 + sqrt(1 - abn) * e, 1e-12, 1e-9, "DDIM step");
        CHECK(s.c[i] == 0.0, "DDIM adds no noise");
    }
    CHECK_CLOSE(x, x0, 1e-12, 1e-9, "the last DDIM step gives x0");
    double cx, ce;
    schedule_x0_coef(&s, 500, &cx, &ce);
    const double ab = schedule_alpha_bar(&s, 500);
    CHECK_CLOSE(cx * (sqrt(ab) * x0 + sqrt(1 - ab) * e) + ce * e, x0, 1e-12, 1e-9, "x0-hat");
}

TEST(ancestral_sampler_of_either_schedule_matches_the_paper_recursion)
{
    /* on the paper schedule it must give back the paper's own coefficients; on the official
     * one it runs over every timestep 999 .. 0 with the same DDPM posterior formulas */
    static Schedule p, q, o;
    schedule_make(&p, SCHED_PAPER, 10, 1e-4, 1e-2, 10);
    q = p;
    CHECK(schedule_ancestral(&q) == 0, "ancestral on the paper schedule refused");
    CHECK(q.nsteps == p.nsteps, "steps %d vs %d", q.nsteps, p.nsteps);
    for (int i = 0; i < p.nsteps; i++) {
        CHECK(q.t_model[i] == p.t_model[i], "step %d: t %d vs %d", i, q.t_model[i], p.t_model[i]);
        CHECK_CLOSE(q.a[i], p.a[i], 1e-15, 1e-13, "a");
        CHECK_CLOSE(q.b[i], p.b[i], 1e-15, 1e-13, "b");
        CHECK_CLOSE(q.c[i], p.c[i], 1e-15, 1e-13, "c");
    }
    schedule_make(&o, SCHED_OFFICIAL, 1000, 1e-6, 1e-2, 10);
    CHECK(schedule_ancestral(&o) == 0 && o.nsteps == 1000, "ancestral on the official schedule: 1000 steps");
    CHECK(o.t_model[0] == 999 && o.t_model[999] == 0 && o.c[999] == 0.0, "timesteps 999 .. 0, no noise at the end");
    /* step 500 by hand: t = 499 */
    const double beta = o.beta[499], ab = schedule_alpha_bar(&o, 499), abp = schedule_alpha_bar(&o, 498);
    CHECK_CLOSE(o.a[500], 1 / sqrt(1 - beta), 1e-15, 1e-13, "a by hand");
    CHECK_CLOSE(o.b[500], -beta / (sqrt(1 - ab) * sqrt(1 - beta)), 1e-15, 1e-13, "b by hand");
    CHECK_CLOSE(o.c[500], sqrt((1 - abp) / (1 - ab) * beta), 1e-15, 1e-13, "c by hand");
}

TEST(paper_schedule_matches_hand_values_and_the_ddpm_posterior)
{
    static Schedule s;
    CHECK(schedule_make(&s, SCHED_PAPER, 10, 1e-4, 1e-2, 10) == 0, "paper schedule refused");
    /* beta_t = (1e-4 (T - t) + 1e-2 (t - 1)) / (T - 1) for t = 1..10, written out */
    const double beta[10] = {1e-4, 1.2e-3, 2.3e-3, 3.4e-3, 4.5e-3, 5.6e-3, 6.7e-3, 7.8e-3, 8.9e-3, 1e-2};
    double ab = 1.0;
    for (int t = 1; t <= 10; t++) {
        CHECK_CLOSE(s.beta[t - 1], beta[t - 1], 1e-15, 1e-12, "beta");
        ab *= 1.0 - beta[t - 1];
        CHECK_CLOSE(schedule_alpha_bar(&s, t), ab, 1e-15, 1e-12, "alpha-bar");
    }
    CHECK_CLOSE(schedule_alpha_bar(&s, 10), 0.9505843631, 1e-9, 0, "alpha-bar_T (OCD-SPEC: about 0.95; numpy's product)");
    CHECK(s.nsteps == 10 && s.t_model[0] == 10 && s.t_model[9] == 1, "ancestral over t = 10 .. 1");
    /* the mean of an ancestral step with the true noise is the DDPM posterior mean
     * mu = sqrt(ab_{t-1}) beta_t / (1 - ab_t) x0 + sqrt(alpha_t) (1 - ab_{t-1}) / (1 - ab_t) x_t */
    const double x0 = 0.4, e = 0.9;
    for (int i = 0; i < s.nsteps; i++) {
        const int t = s.t_model[i];
        const double abt = schedule_alpha_bar(&s, t), abp = schedule_alpha_bar(&s, t - 1), bt = beta[t - 1];
        const double xt = sqrt(abt) * x0 + sqrt(1 - abt) * e;
        const double mu = sqrt(abp) * bt / (1 - abt) * x0 + sqrt(1 - bt) * (1 - abp) / (1 - abt) * xt;
        CHECK_CLOSE(s.a[i] * xt + s.b[i] * e, mu, 1e-12, 1e-9, "posterior mean");
        CHECK_CLOSE(s.c[i], t > 1 ? sqrt((1 - abp) / (1 - abt) * bt) : 0.0, 1e-15, 1e-12, "posterior std");
    }
}

/* Box-Muller normals from Philox */
static void normals(uint64_t seed, int n, double sd, double *x)
{
    for (int i = 0; i < n; i++) {
        PhiloxOut r = philox4x32(seed, (uint64_t)i);
        const double u1 = ((double)r.v[0] + 1.0) / 4294967297.0, u2 = (double)r.v[1] / 4294967296.0;
        x[i] = sd * sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
    }
}

TEST(kde_entropy_matches_closed_forms)
{
    /* a large Gaussian sample: the KDE is N(0, s^2) smoothed by N(0, h^2), whose entropy is
     * 0.5 ln(2 pi e (s^2 + h^2)); the sampling error of the estimate is ~1/sqrt(n) ~ 0.01 */
    const int n = 20000;
    double *x = malloc(sizeof(double) * n);
    normals(7, n, 2.0, x);
    double m = 0, ss = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m /= n;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    const double s2 = ss / (n - 1), h = gkde_bandwidth(x, n);
    CHECK_CLOSE(h, sqrt(s2) * pow(0.75 * n, -0.2), 1e-12, 1e-9, "Silverman's bandwidth (scipy's factor)");
    CHECK_CLOSE(gkde_entropy(x, n, 512), 0.5 * log(2 * M_PI * M_E * (s2 + h * h)), 0.02, 0, "Gaussian entropy");
    /* scaling the values by a adds ln a, exactly up to the quadrature */
    double *y = malloc(sizeof(double) * n);
    for (int i = 0; i < 200; i++) y[i] = 1e-3 * x[i];
    CHECK_CLOSE(gkde_entropy(y, 200, 512), gkde_entropy(x, 200, 512) + log(1e-3), 1e-6, 0, "scale equivariance");
    /* two samples: an equal mixture of two Gaussians of width h at distance d = |x1 - x2|, with
     * h = d / sqrt(2) * 1.5^-0.2; its entropy by a fine independent quadrature */
    const double two[2] = {0.0, 1.0}, h2 = gkde_bandwidth(two, 2);
    double H = 0.0;
    const double dx = 1e-4;
    for (double v = -8.0; v <= 9.0; v += dx) {
        const double p = 0.5 * (exp(-v * v / (2 * h2 * h2)) + exp(-(v - 1) * (v - 1) / (2 * h2 * h2))) / (h2 * sqrt(2 * M_PI));
        if (p > 0) H -= p * log(p) * dx;
    }
    CHECK_CLOSE(h2, 1.0 / sqrt(2.0) * pow(1.5, -0.2), 1e-12, 1e-9, "two-point bandwidth");
    CHECK_CLOSE(gkde_entropy(two, 2, 512), H, 1e-4, 0, "two-point mixture entropy");
    /* equal values do not give -inf or NaN: a very low, finite score */
    const double same[4] = {3.0, 3.0, 3.0, 3.0};
    const double hs = gkde_entropy(same, 4, 512);
    CHECK(isfinite(hs) && hs < -10, "equal values: %g", hs);
    free(x);
    free(y);
}

/* a small classification world: LeNet5 with its initial weights on random images */
typedef struct {
    Ctx *c;
    Dataset ds;
    Model *m;
    Config cfg;
    StageEnv env;
    Status st;
    Task t;
} World;

static void world_make_on(World *w, int n, const Backend *be)
{
    memset(w, 0, sizeof *w);
    w->c = ctx_create(be, 2, 5);
    w->m = lenet5_create(w->c);
    config_init(&w->cfg);
    status_clear(&w->st);
    w->ds.task = TASK_CLASSIFICATION;
    w->ds.n_classes = 10;
    Split *s[2] = {&w->ds.train, &w->ds.test};
    for (int k = 0; k < 2; k++) {
        s[k]->n = n;
        s[k]->ndim = 3;
        s[k]->dims[0] = 1;
        s[k]->dims[1] = s[k]->dims[2] = 28;
        s[k]->x = malloc(sizeof(float) * (size_t)n * 784);
        s[k]->y = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n * 784; i++) s[k]->x[i] = (float)(philox4x32(11 + k, (uint64_t)i).v[0] % 1000) / 1000.0f;
        for (int i = 0; i < n; i++) s[k]->y[i] = (float)(i % 10);
    }
    w->env = (StageEnv){.c = w->c, .cfg = &w->cfg, .ds = &w->ds, .model = w->m, .st = &w->st};
    task_init(&w->t, &w->env);
}

static void world_make(World *w, int n) { world_make_on(w, n, backend_cpu()); }

static void world_free(World *w)
{
    task_free(&w->t);
    free(w->ds.train.x);
    free(w->ds.train.y);
    free(w->ds.test.x);
    free(w->ds.test.y);
    model_destroy(w->m);
    config_free(&w->cfg);
    ctx_destroy(w->c);
}

TEST(batched_overfit_equals_one_sample_at_a_time)
{
    World w;
    world_make(&w, 6);
    const int L = model_layer_index(w.m, "fc1");
    const int64_t per = 84 * 120;
    OverfitCfg oc = {.layer = L, .steps = 3, .lr = 5e-3f, .adam = 1};
    int64_t idx[6] = {0, 1, 2, 3, 4, 5};
    float *batched = malloc(sizeof(float) * 6 * per), *single = malloc(sizeof(float) * per);
    float l0[6], l1[6];
    CHECK(overfit_batch(&w.t, &oc, SPLIT_TRAIN, idx, 6, 0, batched, l0, l1) == 0, "%s", w.st.msg);
    for (int b = 0; b < 6; b++) {
        float s0, s1;
        overfit_batch(&w.t, &oc, SPLIT_TRAIN, idx + b, 1, 0, single, &s0, &s1);
        char what[64];
        snprintf(what, sizeof what, "sample %d's shift", b);
        CHECK_ARRAYS(batched + b * per, single, per, 1e-7, 1e-4, what);
        CHECK_CLOSE(l0[b], s0, 1e-6, 1e-5, "loss before");
        CHECK_CLOSE(l1[b], s1, 1e-6, 1e-5, "loss after");
        CHECK(l1[b] < l0[b], "sample %d: the overfit did not lower its loss (%g -> %g)", b, (double)l0[b], (double)l1[b]);
    }
    free(batched);
    free(single);
    world_free(&w);
}

/* The eval stage's "overfit on test, predicted label" row: overfit_batch_to toward the base
 * model's argmax is the overfit with the true label, bit for bit, on a sample the base model
 * classifies correctly, and another fit on one it gets wrong. */
TEST(overfitting_toward_the_predicted_label_is_overfit_on_test_where_the_base_is_right)
{
    World w;
    world_make(&w, 6);
    const int L = model_layer_index(w.m, "fc1");
    const int64_t per = 84 * 120;
    OverfitCfg oc = {.layer = L, .steps = 3, .lr = 5e-3f, .adam = 1};
    int64_t idx[6] = {0, 1, 2, 3, 4, 5};
    float logits[6 * 10], argmax[6];
    CHECK(task_predict(&w.t, -1, SPLIT_TEST, idx, 6, NULL, NULL, logits) == 0, "%s", w.st.msg);
    for (int b = 0; b < 6; b++) {
        int best = 0;
        for (int k = 1; k < 10; k++)
            if (logits[b * 10 + k] > logits[b * 10 + best]) best = k;
        argmax[b] = (float)best;
    }
    /* sample 0 classified correctly, sample 1 not; the others keep their labels */
    w.ds.test.y[0] = argmax[0];
    w.ds.test.y[1] = (float)(((int)argmax[1] + 1) % 10);
    float *pred_label = malloc(sizeof(float) * 6 * per), *true_label = malloc(sizeof(float) * 6 * per);
    CHECK(overfit_batch_to(&w.t, &oc, SPLIT_TEST, idx, 6, argmax, 0, pred_label, NULL, NULL) == 0, "%s", w.st.msg);
    CHECK(overfit_batch(&w.t, &oc, SPLIT_TEST, idx, 6, 0, true_label, NULL, NULL) == 0, "%s", w.st.msg);
    int same = 0, differ = 0;
    for (int b = 0; b < 6; b++) {
        const int equal = !memcmp(pred_label + b * per, true_label + b * per, sizeof(float) * per);
        if (w.ds.test.y[b] == argmax[b]) {
            CHECK(equal, "sample %d is classified correctly, yet its predicted-label shift differs", b);
            same++;
        } else {
            CHECK(!equal, "sample %d is misclassified, yet its predicted-label shift is the true label's", b);
            differ++;
        }
    }
    CHECK(same >= 1 && differ >= 1, "%d correct and %d misclassified samples: the test needs both", same, differ);
    /* NULL labels are the split's */
    CHECK(overfit_batch_to(&w.t, &oc, SPLIT_TEST, idx, 6, NULL, 0, pred_label, NULL, NULL) == 0 &&
              !memcmp(pred_label, true_label, sizeof(float) * 6 * per),
          "overfit_batch_to(NULL labels) is not overfit_batch");
    free(pred_label);
    free(true_label);
    world_free(&w);
}

/* Temperature scaling: labels drawn from softmax(z) make z calibrated; the fit on z * T0
 * (over- or under-confident by T0) must give T close to T0, and be the NLL's minimum. */
TEST(temperature_fit_recovers_the_scale_of_miscalibrated_logits)
{
    enum { N = 20000, K = 10 };
    float *z = malloc(sizeof(float) * N * K), *zs = malloc(sizeof(float) * N * K), *y = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        double p[K], s = 0;
        for (int k = 0; k < K; k++) {
            float g[4];
            philox_normal4(21, (uint64_t)(i * K + k), g);
            z[i * K + k] = 2.0f * g[0] + (k == i % K ? 2.0f : 0.0f);
            p[k] = exp(z[i * K + k]);
            s += p[k];
        }
        const double u = (philox4x32(22, (uint64_t)i).v[0] >> 8) * (1.0 / 16777216.0) * s;
        int lab = 0;
        for (double acc = p[0]; acc < u && lab < K - 1;) acc += p[++lab];
        y[i] = (float)lab;
    }
    const double T0s[2] = {2.5, 0.5};
    for (int t = 0; t < 2; t++) {
        const double T0 = T0s[t];
        for (int e = 0; e < N * K; e++) zs[e] = (float)(z[e] * T0);
        const double T = temperature_fit(zs, y, N, K);
        /* sampling error of T over 20,000 labels: about 1%; 5% leaves room */
        CHECK_CLOSE(T, T0, 0, 0.05, "fitted T vs the scale the logits were given");
        const double at = temperature_nll(zs, y, N, K, T);
        CHECK(at <= temperature_nll(zs, y, N, K, T * 1.05) && at <= temperature_nll(zs, y, N, K, T / 1.05),
              "T = %g is not the NLL's minimum", T);
    }
    CHECK(temperature_fit(zs, y, 0, K) == 1.0, "no samples: T = 1");
    free(z);
    free(zs);
    free(y);
}

TEST(one_adam_step_moves_each_weight_by_lr_against_its_gradient_sign)
{
    World w;
    world_make(&w, 3);
    const int L = model_layer_index(w.m, "fc1");
    const ModelLayer *l = &w.m->layers[L];
    const int64_t per = 84 * 120;
    /* the gradient of sample 2's loss for fc1, through the shared weights */
    int64_t idx = 2;
    float x[784], y;
    task_fill(&w.t, SPLIT_TRAIN, &idx, 1, 1, 0, x, &y);
    params_zero_grad(w.m->ps);
    Tensor *pred = w.m->forward(w.c, w.m, task_input(w.c, &w.t, x, 1, 1), NULL);
    ag_backward(w.c, op_sum(w.c, task_loss(w.c, &w.t, pred, task_target(w.c, &w.t, &y, 1, 1))));
    float *g = malloc(sizeof(float) * per), *d = malloc(sizeof(float) * per);
    w.c->be->download(w.c->bc, g, l->weight->grad, sizeof(float) * per);
    ctx_step_end(w.c);
    const float lr = 1e-3f;
    OverfitCfg oc = {.layer = L, .steps = 1, .lr = lr, .adam = 1};
    overfit_batch(&w.t, &oc, SPLIT_TRAIN, &idx, 1, 0, d, NULL, NULL);
    int moved = 0;
    for (int64_t e = 0; e < per; e++) {
        /* Adam's first step: m/sqrt(v) = g/|g|, so the shift is -lr sign(g) (eps 1e-8 aside) */
        const float want = fabsf(g[e]) > 1e-5f ? -lr * (g[e] > 0 ? 1.0f : -1.0f) : d[e];
        if (fabsf(g[e]) > 1e-5f) moved++;
        if (fabsf(d[e] - want) > 1e-6f) {
            CHECK(0, "entry %lld: shift %g, gradient %g", (long long)e, (double)d[e], (double)g[e]);
            break;
        }
        if (g[e] == 0.0f && d[e] != 0.0f) {
            CHECK(0, "entry %lld: zero gradient but shift %g", (long long)e, (double)d[e]);
            break;
        }
    }
    CHECK(moved > 100, "only %d entries had a gradient", moved);
    /* plain gradient descent: shift = -lr g */
    oc.adam = 0;
    overfit_batch(&w.t, &oc, SPLIT_TRAIN, &idx, 1, 0, d, NULL, NULL);
    for (int64_t e = 0; e < per; e++) g[e] *= -lr;
    /* the shift is (W - lr g) - W in float: |W| ~ 0.1 leaves an absolute error of ~1e-8 */
    CHECK_ARRAYS(d, g, per, 2e-8, 1e-4, "GD shift");
    free(g);
    free(d);
    world_free(&w);
}

TEST(padding_geometry_is_the_authors_and_round_trips)
{
    Config cfg;
    config_init(&cfg);
    Status st;
    status_clear(&st);
    WNet w;
    CondDims d = {120, 84, 10};
    config_set(&cfg, "diffusion.pad=128", &st);
    CHECK(wnet_config(&cfg, 84, 120, d, &w, &st) == 0, "%s", st.msg);
    /* LeNet fc1 84x120 -> rows [22,22], cols [4,4] */
    CHECK(w.H == 128 && w.W == 128 && w.top == 22 && w.left == 4, "84x120 in 128: %dx%d at %d,%d", w.H, w.W, w.top, w.left);
    CondDims dn = {63, 128, 300};
    CHECK(wnet_config(&cfg, 128, 63, dn, &w, &st) == 0 && w.top == 0 && w.left == 33,
          "NeRF 128x63 in 128: the odd column goes first (33 left, 32 right): %d,%d", w.top, w.left);
    config_set(&cfg, "diffusion.pad=0", &st);
    config_set(&cfg, "diffusion.ch_mult=1,2,2,2", &st);
    CHECK(wnet_config(&cfg, 84, 120, d, &w, &st) == 0 && w.H == 88 && w.W == 120 && w.top == 2 && w.left == 0,
          "auto padding to multiples of 8: %dx%d at %d,%d", w.H, w.W, w.top, w.left);
    status_clear(&st);
    config_set(&cfg, "diffusion.pad=100", &st);
    CHECK(wnet_config(&cfg, 84, 120, d, &w, &st) != 0 && strstr(st.msg, "diffusion.pad"), "a pad too small: %s", st.msg);
    status_clear(&st);
    config_set(&cfg, "diffusion.pad=0", &st);
    config_set(&cfg, "diffusion.ch_mult=1,x", &st);
    CHECK(wnet_config(&cfg, 84, 120, d, &w, &st) != 0 && strstr(st.msg, "ch_mult"), "a bad list: %s", st.msg);
    /* the round trip the network sees: pad at (top, left), crop back */
    status_clear(&st);
    config_set(&cfg, "diffusion.ch_mult=1,2,2,2", &st);
    config_set(&cfg, "diffusion.cond_maps=true", &st);
    wnet_config(&cfg, 84, 120, d, &w, &st);
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    float *m = malloc(sizeof(float) * 84 * 120), *back = malloc(sizeof(float) * 84 * 120);
    for (int i = 0; i < 84 * 120; i++) m[i] = (float)i;
    Tensor *x = tensor_from_host(c, SHAPE(1, 84, 120), m);
    Tensor *p = op_pad(c, x, (int[]){0, w.top, w.left}, (int[]){0, w.H - 84 - w.top, w.W - 120 - w.left});
    tensor_download(c, op_slice(c, p, (int[]){0, w.top, w.left}, (int[]){1, 84, 120}), back);
    CHECK(memcmp(m, back, sizeof(float) * 84 * 120) == 0, "pad then crop changed the matrix");
    /* the condition maps: activation along rows, input along columns, zero in the padding */
    float act[84], in[120], *maps = malloc(sizeof(float) * 4 * 88 * 120);
    for (int i = 0; i < 84; i++) act[i] = (float)(i + 1);
    for (int i = 0; i < 120; i++) in[i] = -(float)(i + 1);
    tensor_download(c, wnet_maps(c, &w, in, act, 1), maps);
    const int64_t at = (int64_t)(w.top + 5) * 120 + 7, HW = 88 * 120;
    CHECK(maps[0] == 0.0f && maps[at] == 6.0f && maps[HW + at] == -8.0f, "map entries: %g %g %g", (double)maps[0],
          (double)maps[at], (double)maps[HW + at]);
    CHECK_CLOSE(maps[2 * HW + at], 2.0 * 5 / 83 - 1, 1e-6, 0, "row position");
    CHECK_CLOSE(maps[3 * HW + at], 2.0 * 7 / 119 - 1, 1e-6, 0, "column position");
    CHECK(maps[2 * HW] == 0.0f && maps[3 * HW] == 0.0f, "positions are zero in the padding");
    ctx_step_end(c);
    ctx_destroy(c);
    free(m);
    free(back);
    free(maps);
    config_free(&cfg);
}

TEST(nearest_neighbour_lookup)
{
    const float rows[5 * 3] = {0, 0, 0, 1, 1, 1, 5, 5, 5, 1, 1, 1, -2, 0, 1};
    const float q1[3] = {0.9f, 1.2f, 1.0f}, q2[3] = {-2, 0, 1}, q3[3] = {4, 4, 9};
    CHECK(ocd_nearest(rows, 5, 3, q1) == 1, "the first of two equal rows wins");
    CHECK(ocd_nearest(rows, 5, 3, q2) == 4, "an exact match");
    CHECK(ocd_nearest(rows, 5, 3, q3) == 2, "the far one");
    /* against brute force on random data */
    float *r = malloc(sizeof(float) * 300 * 7), q[7];
    for (int i = 0; i < 300 * 7; i++) r[i] = (float)(philox4x32(3, (uint64_t)i).v[0] % 10000) / 100.0f;
    for (int k = 0; k < 7; k++) q[k] = 50.0f;
    int best = 0;
    double bd = 1e300;
    for (int i = 0; i < 300; i++) {
        double s = 0;
        for (int k = 0; k < 7; k++) s += ((double)r[i * 7 + k] - q[k]) * ((double)r[i * 7 + k] - q[k]);
        if (s < bd) bd = s, best = i;
    }
    CHECK(ocd_nearest(r, 300, 7, q) == best, "random rows");
    free(r);
}

/* a tiny weight-diffusion network (4 x 6 matrices, conditioning widths 6, 4, 3) in c */
static void small_wnet(Ctx *c, WNet *w)
{
    Config cfg;
    config_init(&cfg);
    Status st;
    status_clear(&st);
    config_set(&cfg, "diffusion.ch=4", &st);
    config_set(&cfg, "diffusion.ch_mult=1,2", &st);
    config_set(&cfg, "diffusion.cond_maps=true", &st);
    CondDims d = {6, 4, 3};
    CHECK(wnet_config(&cfg, 4, 6, d, w, &st) == 0, "%s", st.msg);
    wnet_create(c, w);
    config_free(&cfg);
}

TEST(a_draw_does_not_depend_on_its_batch)
{
    Ctx *c = ctx_create(backend_cpu(), 2, 3);
    WNet w;
    small_wnet(c, &w);
    static Schedule s;
    schedule_make(&s, SCHED_PAPER, 10, 1e-4, 1e-2, 10); /* ancestral: noise at every step too */
    float cin[3 * 6], cact[3 * 4], cout[3 * 3], all[3 * 24], one[24];
    for (int i = 0; i < 18; i++) cin[i] = 0.1f * (float)i;
    for (int i = 0; i < 12; i++) cact[i] = 0.2f * (float)i;
    for (int i = 0; i < 9; i++) cout[i] = -0.1f * (float)i;
    const uint64_t ids[3] = {40, 41, 42};
    SamplerOpts o = {.key = 99, .ids = ids};
    sampler_run(c, &w, &s, cin, cact, cout, 3, &o, all);
    SamplerOpts o1 = {.key = 99, .ids = ids + 1};
    sampler_run(c, &w, &s, cin + 6, cact + 4, cout + 3, 1, &o1, one);
    CHECK_ARRAYS(one, all + 24, 24, 1e-6, 1e-5, "sample 41 alone vs in a batch of 3");
    SamplerOpts o2 = {.key = 100, .ids = ids + 1};
    sampler_run(c, &w, &s, cin + 6, cact + 4, cout + 3, 1, &o2, one);
    double diff = 0;
    for (int i = 0; i < 24; i++) diff += fabs(one[i] - all[24 + i]);
    CHECK(diff > 1e-3, "another key gave the same draw");
    wnet_destroy(&w);
    ctx_destroy(c);
}

/* The per-sample loops (overfit batches, Tent, predictions with shifted weights, overfitting
 * every layer on one sample, sampling)
 * allocate device memory on their first pass only: on the GPU each allocation would be a
 * cudaMalloc and a synchronising cudaFree per batch. Counted by cpu-guard, which sees every
 * allocation the backend gets. */
TEST(per_sample_loops_allocate_nothing_after_their_first_pass)
{
    World w;
    world_make_on(&w, 12, backend_cpu_guard());
    const int L = model_layer_index(w.m, "fc1");
    const int64_t per = 84 * 120;
    OverfitCfg oc = {.layer = L, .steps = 2, .lr = 5e-3f, .adam = 1};
    int64_t idx[12];
    for (int i = 0; i < 12; i++) idx[i] = i;
    float *delta = malloc(sizeof(float) * 4 * per), *pred = malloc(sizeof(float) * 4 * 10), scale[4] = {1, 1, 1, 1};
    int64_t after_first = -1;
    for (int b0 = 0; b0 < 12; b0 += 4) {
        CHECK(overfit_batch(&w.t, &oc, SPLIT_TRAIN, idx + b0, 4, 0, delta, NULL, NULL) == 0, "%s", w.st.msg);
        task_predict(&w.t, L, SPLIT_TEST, idx + b0, 4, delta, scale, pred);
        tent_predict(&w.t, L, SPLIT_TEST, idx + b0, 4, 2, 1e-3f, pred);
        overfit_all_predict(&w.t, &oc, SPLIT_TEST, idx[b0], 0, pred);
        if (b0 == 0) after_first = backend_guard_allocs(w.c->bc);
    }
    CHECK(backend_guard_allocs(w.c->bc) == after_first,
          "overfit/predict/Tent/overfit-all allocated %lld more device buffers after the first batch",
          (long long)(backend_guard_allocs(w.c->bc) - after_first));
    free(delta);
    free(pred);

    WNet wn;
    small_wnet(w.c, &wn);
    static Schedule s;
    schedule_make(&s, SCHED_PAPER, 10, 1e-4, 1e-2, 5);
    float cin[3 * 6] = {0}, cact[3 * 4] = {0}, cout[3 * 3] = {0}, om[3 * 24];
    const uint64_t ids[3] = {1, 2, 3};
    SamplerOpts o = {.key = 7, .ids = ids};
    for (int k = 0; k < 3; k++) {
        sampler_run(w.c, &wn, &s, cin, cact, cout, 3, &o, om);
        if (k == 0) after_first = backend_guard_allocs(w.c->bc);
    }
    CHECK(backend_guard_allocs(w.c->bc) == after_first, "sampling allocated %lld more device buffers after its first batch",
          (long long)(backend_guard_allocs(w.c->bc) - after_first));
    wnet_destroy(&wn);
    world_free(&w);
}

TEST(scale_losses_have_the_right_derivatives)
{
    const ScaleLoss kinds[3] = {LOSS_CODE, LOSS_PAPER, LOSS_LOGMSE};
    const double cases[][2] = {{0.3, 0.2}, {0.001, 0.004}, {0.5, 0.45}, {2e-4, 1e-4}};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const double p = cases[i][0], r = cases[i][1], h = 1e-7 * p;
            double d, d1, d2;
            scale_loss(kinds[k], p, r, &d);
            const double fd = (scale_loss(kinds[k], p + h, r, &d1) - scale_loss(kinds[k], p - h, r, &d2)) / (2 * h);
            CHECK_CLOSE(d, fd, 1e-6 * fabs(fd) + 1e-9, 1e-5, "scale loss derivative");
        }
    double d;
    /* the authors' loss: relative error in dB, -80 dB floor at the exact value */
    CHECK_CLOSE(scale_loss(LOSS_CODE, 0.2, 0.2, &d), -80.0, 1e-9, 0, "floor");
    CHECK_CLOSE(scale_loss(LOSS_CODE, 0.3, 0.2, &d), 10 * log10(0.25 + 1e-8), 1e-9, 0, "a 50% error");
    CHECK_CLOSE(scale_loss(LOSS_LOGMSE, 0.2 * M_E, 0.2, &d), 1.0, 1e-12, 0, "log error 1");
}
