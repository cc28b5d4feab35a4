/* Probes and the session view on a real finished session (the tiny MNIST fixture, or any
 * session named by OCD_TINY_MNIST): what a probe computes must agree with what the eval
 * stage stored, since the workbench and the report show probe results beside the table.
 *
 *   - the loss of each sample at the last denoising step, averaged over the eval's test
 *     samples, is the eval stage's OCD cross-entropy of repeat 0 (same draws: the sampler's
 *     noise is a function of (key, sample, draw), not of the batch);
 *   - the base loss of the trajectories averages to the eval's base row;
 *   - the last DDIM step returns x0-hat exactly, so ||Omega_0|| = ||x0-hat|| at that step;
 *   - overfitting the selected layer on each test sample lowers its loss (the upper bound);
 *   - the ancestral sampler runs every training timestep. */
#include "harness.h"
#include "run_util.h"

#include "backend.h"
#include "h5io.h"
#include "probe.h"
#include "sessview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *fixture(void)
{
    const char *d = getenv("OCD_TINY_MNIST");
    if (!d || !d[0]) harness_skip("OCD_TINY_MNIST is not set (the tiny_mnist fixture makes it)");
    return d;
}

/* the session in dir opened by a probe (the bundled assets); a failure is a failed check */
static Probe *open_probe(const char *dir, int threads, Status *st)
{
    Probe *p = probe_open(dir, OCD_SOURCE_DIR "/assets", threads, st);
    CHECK(p != NULL, "probe_open %s: %s", dir, st->msg);
    return p;
}

TEST(the_session_view_reads_every_stage_of_a_finished_session)
{
    SessView v;
    Status st;
    status_clear(&st);
    CHECK(sessview_load(fixture(), &v, &st) == 0, "sessview_load: %s", st.msg);
    for (int i = 0; i < v.nstages; i++) CHECK(v.complete[i], "stage %s not complete", v.stage[i]);
    CHECK(v.nlayers >= 2 && v.chosen >= 0 && v.runner_up >= 0 && v.chosen != v.runner_up, "select: %d layers, chosen %d, runner-up %d",
          v.nlayers, v.chosen, v.runner_up);
    CHECK(!strcmp(v.layer[v.chosen], v.overfit_layer), "chosen %s but overfit on %s", v.layer[v.chosen], v.overfit_layer);
    CHECK(v.base_train_loss.n > 0 && v.diffusion_loss.n > 0 && v.scale_loss.n > 0, "curves missing");
    CHECK(v.n_overfit > 0 && v.rho[0] > 0, "overfit collection missing");
    CHECK(v.nrows >= 10 && sessview_row(&v, "base") && sessview_row(&v, "ocd"), "eval rows: %d", v.nrows);
    CHECK(!strcmp(v.metrics[0], "ce") && !strcmp(v.metrics[1], "accuracy"), "metrics %s,%s", v.metrics[0], v.metrics[1]);
    CHECK(sessview_verdict(&v, 0, NULL, NULL, NULL) != NULL, "no verdict (the OCD row has no interval)");
    for (int i = 0; i < BUILDINFO_FIELDS; i++)
        CHECK(buildinfo_field(&v.build, i)[0], "the fixture session records no %s", BUILDINFO_ATTRS[i]);
    sessview_free(&v);
}

TEST(a_missing_session_is_a_clear_error)
{
    SessView v;
    Status st;
    status_clear(&st);
    CHECK(sessview_load("/nonexistent/session", &v, &st) != 0, "loaded a missing session");
    CHECK(strstr(st.msg, "/nonexistent/session") != NULL, "message does not name the path: %s", st.msg);
    status_clear(&st);
    CHECK(probe_open("/nonexistent/session", OCD_SOURCE_DIR "/assets", 1, &st) == NULL, "probed a missing session");
    CHECK(st.code != ERR_NONE, "no error code");
}

TEST(trajectories_reproduce_the_eval_stages_ocd_and_base_losses)
{
    const char *dir = fixture();
    SessView v;
    Status st;
    status_clear(&st);
    CHECK(sessview_load(dir, &v, &st) == 0, "sessview_load: %s", st.msg);
    Probe *p = open_probe(dir, 1, &st);
    if (!p) return;
    const int n = (int)v.test_samples;
    CHECK(n > 0 && n <= probe_test_count(p), "eval test samples %d", n);
    /* the generator's rows may run on the first eval.costly_limit samples only */
    const SvRow *ocd_row = sessview_row(&v, "ocd");
    const int n_ocd = ocd_row && ocd_row->test_samples > 0 ? (int)ocd_row->test_samples : n;
    CHECK(n_ocd > 0 && n_ocd <= n, "the OCD row's test samples %d of %d", n_ocd, n);
    double ocd = 0.0, base = 0.0;
    for (int i = 0; i < n; i++) {
        ProbeTrajectory tr;
        if (probe_trajectory(p, i, 0, 0, i == 0, i == 0, &tr, &st)) {
            CHECK(0, "trajectory %d: %s", i, st.msg);
            break;
        }
        const int S = tr.steps;
        if (i < n_ocd) ocd += tr.loss[S - 1];
        base += tr.loss_base;
        if (i == 0) {
            CHECK(S == probe_sample_steps(p) && S > 1, "steps %d", S);
            CHECK_CLOSE(tr.norm[S - 1], tr.x0norm[S - 1], 1e-4, 1e-4, "the last DDIM step returns x0-hat");
            CHECK(tr.norm[0] > tr.norm[S - 1] || tr.norm[0] < tr.norm[S - 1], "the norm does not move");
            CHECK(tr.rho_pred > 0 && isfinite(tr.rho_pred), "rho %g", tr.rho_pred);
            double s = 0.0;
            for (int64_t e = 0; e < (int64_t)tr.rows * tr.cols; e++)
                s += (double)tr.omega[(int64_t)(S - 1) * tr.rows * tr.cols + e] * tr.omega[(int64_t)(S - 1) * tr.rows * tr.cols + e];
            CHECK_CLOSE(sqrt(s), tr.norm[S - 1], 1e-5, 1e-5, "omega matches its norm");
            const int K = probe_classes(p);
            CHECK(K == 10, "classes %d", K);
        }
        probe_trajectory_free(&tr);
    }
    ocd /= n_ocd;
    base /= n;
    /* repeat 0 of each method, as the eval stage stored it */
    H5File *f = h5r_open(v.path, &st);
    CHECK(f != NULL, "open %s: %s", v.path, st.msg);
    if (f) {
        double *o = calloc((size_t)v.repeats, sizeof(double)), *b = calloc((size_t)v.repeats, sizeof(double));
        CHECK(h5r_doubles(f, "eval/ocd/ce", o, v.repeats, &st) == 0, "eval/ocd/ce: %s", st.msg);
        CHECK(h5r_doubles(f, "eval/base/ce", b, v.repeats, &st) == 0, "eval/base/ce: %s", st.msg);
        /* float32 forward passes in batches of eval.batch vs one at a time: BLAS may sum in
         * another order, so the same draws agree to a few ulps of the logits, not bitwise */
        CHECK_CLOSE(base, b[0], 1e-5, 1e-5, "base CE from the probe vs the eval stage");
        CHECK_CLOSE(ocd, o[0], 1e-4, 1e-4, "OCD CE (draw 0) from the probe vs the eval stage's repeat 0");
        free(o);
        free(b);
        h5r_close(f);
    }
    probe_close(p);
    sessview_free(&v);
}

/* A held-out and a trained-on sample of the collection: draw 0 with the session's sampler is
 * the diffusion stage's fit draw, so the last step's cosine with the true direction is the
 * one /diffusion/fit stored for that sample (held-out sample i is fit/heldout's i, trained-on
 * sample i fit/train's i). The stage sampled them in chunks of up to 64 and the probe one at
 * a time: BLAS may sum in another order, so a few ulps of the U-Net's outputs, 1e-4 on a
 * cosine and 1e-3 relative on the norm ratio ||Omega_0|| / ||Omega||; the last DDIM step
 * returns x0-hat. */
TEST(a_collected_samples_trajectory_ends_at_the_stored_fit_cosine)
{
    const char *dir = fixture();
    Status st;
    status_clear(&st);
    Probe *p = open_probe(dir, 1, &st);
    if (!p) return;
    char h5[512];
    snprintf(h5, sizeof h5, "%s/session.h5", dir);
    H5File *f = h5r_open(h5, &st);
    CHECK(f != NULL, "open %s: %s", h5, st.msg);
    static const char *sets[2] = {"diffusion/fit/heldout/cos", "diffusion/fit/train/cos"};
    static const char *ratios[2] = {"diffusion/fit/heldout/norm_ratio", "diffusion/fit/train/norm_ratio"};
    for (int s = 0; s < 2 && f; s++) {
        const ProbeSource src = s ? PROBE_SRC_TRAINED : PROBE_SRC_HELDOUT;
        int nd = 0;
        int64_t dims[4] = {0};
        CHECK(h5r_shape(f, sets[s], &nd, dims) == 0 && nd == 1 && dims[0] > 1, "%s: %d dims", sets[s], nd);
        if (nd != 1 || dims[0] < 2) continue;
        CHECK(probe_source_count(p, src) >= dims[0], "%s: %d samples, fit of %lld", PROBE_SOURCE_NAMES[src],
              probe_source_count(p, src), (long long)dims[0]);
        double *cos = calloc((size_t)dims[0], sizeof(double)), *ratio = calloc((size_t)dims[0], sizeof(double));
        CHECK(h5r_doubles(f, sets[s], cos, dims[0], &st) == 0, "%s: %s", sets[s], st.msg);
        CHECK(h5r_doubles(f, ratios[s], ratio, dims[0], &st) == 0, "%s: %s", ratios[s], st.msg);
        for (int i = 0; i < 2; i++) {
            ProbeTrajectory tr;
            if (probe_trajectory_from(p, src, i, 0, 0, 1, 0, &tr, &st)) {
                CHECK(0, "%s sample %d: %s", PROBE_SOURCE_NAMES[src], i, st.msg);
                break;
            }
            const int S = tr.steps;
            const int64_t n = (int64_t)tr.rows * tr.cols;
            double nt = 0.0;
            for (int64_t e = 0; e < n; e++) nt += (double)tr.truth[e] * tr.truth[e];
            CHECK(fabs(tr.x0norm[S - 1] / sqrt(nt) - ratio[i]) <= 1e-3 * ratio[i], "norm ratio %.6f, stored %.6f",
                  tr.x0norm[S - 1] / sqrt(nt), ratio[i]);
            CHECK(fabs(tr.cos_xt[S - 1] - cos[i]) <= 1e-4, "%s sample %d: last step's cosine %.6f, stored fit %.6f",
                  PROBE_SOURCE_NAMES[src], i, tr.cos_xt[S - 1], cos[i]);
            CHECK_CLOSE(tr.cos_x0[S - 1], tr.cos_xt[S - 1], 1e-5, 1e-5, "the last step's x0-hat is its state");
            CHECK(tr.kindex >= 0 && tr.train_index >= 0 && isfinite(tr.loss[S - 1]) && isfinite(tr.loss_base),
                  "indices %d %lld, losses %g %g", tr.kindex, (long long)tr.train_index, tr.loss[S - 1], tr.loss_base);
            CHECK(tr.pred && tr.target >= 0 && tr.target < 10, "the training sample's label %g", tr.target);
            probe_trajectory_free(&tr);
        }
        free(cos);
        free(ratio);
    }
    /* past the end of a source: a clear error */
    ProbeTrajectory tr;
    CHECK(probe_trajectory_from(p, PROBE_SRC_HELDOUT, probe_source_count(p, PROBE_SRC_HELDOUT), 0, 0, 0, 0, &tr, &st) != 0 &&
              strstr(st.msg, "held-out sample"),
          "past the held-out samples: '%s'", st.msg);
    if (f) h5r_close(f);
    probe_close(p);
}

TEST(overfitting_the_selected_layer_lowers_the_test_loss_and_ancestral_runs_every_timestep)
{
    const char *dir = fixture();
    Status st;
    status_clear(&st);
    Probe *p = open_probe(dir, 1, &st);
    if (!p) return;
    const char *names[64];
    const int nl = probe_layers(p, names, 64);
    int rows, cols;
    const char *lname;
    probe_layer(p, &rows, &cols, &lname);
    int L = -1;
    for (int i = 0; i < nl; i++)
        if (!strcmp(names[i], lname)) L = i;
    CHECK(L >= 0, "selected layer %s not among the model's layers", lname);
    double lb = 0, lo = 0;
    CHECK(probe_layer_gain(p, L, 8, &lb, &lo, NULL, NULL, &st) == 0, "layer gain: %s", st.msg);
    CHECK(isfinite(lb) && isfinite(lo) && lo < lb, "overfit on test %g is not below base %g", lo, lb);
    CHECK(probe_layer_gain(p, 0, 8, &lb, &lo, NULL, NULL, &st) != 0 && st.code == ERR_CONFIG,
          "a convolution layer was accepted for overfit (%s)", names[0]);
    double rho[8];
    CHECK(probe_rho_test(p, 8, rho, &st) == 0, "rho: %s", st.msg);
    for (int i = 0; i < 8; i++) CHECK(rho[i] > 0 && isfinite(rho[i]), "rho[%d] = %g", i, rho[i]);
    ProbeTrajectory tr;
    CHECK(probe_trajectory(p, 3, 1, 1, 0, 0, &tr, &st) == 0, "ancestral: %s", st.msg);
    CHECK(tr.steps == 1000 && tr.t[0] == 999 && tr.t[999] == 0, "ancestral steps %d (t %d .. %d)", tr.steps, tr.t[0],
          tr.steps ? tr.t[tr.steps - 1] : -1);
    CHECK(isfinite(tr.loss[999]), "ancestral final loss %g", tr.loss[999]);
    probe_trajectory_free(&tr);
    CHECK(probe_trajectory(p, 100000, 0, 0, 0, 0, &tr, &st) != 0 && st.code == ERR_CONFIG, "a bad index was accepted");
    probe_close(p);
}

/* OCD's predictions for a batch of test samples (what bench_infer times) are each sample's
 * trajectory's last step: a draw does not depend on its batch. Tolerance: the batch runs the
 * U-Net and LeNet5 with B rows where the trajectory has one (BLAS may sum in another order),
 * and the trajectory predicts with its last x0-hat, which equals Omega_0 up to rounding. */
TEST(ocd_predictions_in_a_batch_are_each_samples_last_trajectory_step)
{
    const char *dir = fixture();
    Status st;
    status_clear(&st);
    Probe *p = open_probe(dir, 2, &st);
    if (!p) return;
    enum { FIRST = 2, B = 6 };
    const int64_t K = probe_pred_floats(p);
    float *batch = malloc(sizeof(float) * (size_t)(B * K));
    CHECK(probe_ocd_predict(p, FIRST, B, batch, &st) == 0, "probe_ocd_predict: %s", st.msg);
    double moved = 0;
    for (int b = 0; b < B; b++) {
        ProbeTrajectory tr;
        if (probe_trajectory(p, FIRST + b, 0, 0, 1, 0, &tr, &st)) {
            CHECK(0, "trajectory %d: %s", FIRST + b, st.msg);
            break;
        }
        char what[64];
        snprintf(what, sizeof what, "test sample %d: batch vs trajectory", FIRST + b);
        CHECK_ARRAYS(batch + b * K, tr.pred + (int64_t)(tr.steps - 1) * K, K, 1e-4, 1e-3, what);
        for (int64_t k = 0; k < K; k++) moved += fabs((double)batch[b * K + k] - tr.pred_base[k]);
        probe_trajectory_free(&tr);
    }
    CHECK(moved > 1e-6, "OCD's predictions equal the base model's (sum of |difference| %g)", moved);
    CHECK(probe_ocd_predict(p, probe_test_count(p) - 2, 4, batch, &st) != 0 && st.code == ERR_CONFIG,
          "a batch past the test split was accepted");
    free(batch);
    probe_close(p);
}

/* A session made on a GPU (run.device = cuda) is looked at on a machine without one: the
 * probe (and so the workbench and `ocd report`) falls back to the CPU, where it gives the
 * CPU session's numbers exactly. Naming the device instead is honoured: cuda without a GPU
 * is ERR_DEVICE, an unknown name ERR_CONFIG. */
TEST(a_gpu_session_is_probed_on_the_cpu_where_no_gpu_is_usable)
{
    const char *dir = fixture();
    if (backend_usable(backend_cuda())) harness_skip("this machine has a GPU: the fallback is not taken here");
    char copy[512], cmd[1200], h5[600];
    snprintf(copy, sizeof copy, "%s/gpu-session", run_temp_root("probe"));
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", dir, copy);
    CHECK(system(cmd) == 0, "%s failed", cmd);
    snprintf(h5, sizeof h5, "%s/session.h5", copy);
    Status st;
    status_clear(&st);
    H5File *f = h5w_begin(h5, h5, &st);
    CHECK(f && h5w_attr_str(f, "config", "run.device", "cuda", &st) == 0 && h5w_commit(f, &st) == 0,
          "marking the copy as a GPU session: %s", st.msg);
    Probe *pg = probe_open(copy, OCD_SOURCE_DIR "/assets", 1, &st);
    CHECK(pg != NULL, "a cuda session could not be probed without a GPU: %s", st.msg);
    Probe *pc = open_probe(dir, 1, &st);
    if (pg && pc) {
        ProbeTrajectory a, b;
        CHECK(probe_trajectory(pc, 1, 0, 0, 0, 0, &a, &st) == 0 && probe_trajectory(pg, 1, 0, 0, 0, 0, &b, &st) == 0,
              "trajectories: %s", st.msg);
        CHECK(a.steps == b.steps && a.loss[a.steps - 1] == b.loss[b.steps - 1] && a.norm[0] == b.norm[0],
              "the fallback is not the CPU: final loss %.9g vs %.9g", b.loss[b.steps - 1], a.loss[a.steps - 1]);
        probe_trajectory_free(&a);
        probe_trajectory_free(&b);
    }
    probe_close(pg);
    probe_close(pc);
    status_clear(&st);
    CHECK(probe_open_on(copy, OCD_SOURCE_DIR "/assets", 1, "cuda", &st) == NULL && st.code == ERR_DEVICE &&
              strstr(st.msg, "cuda"),
          "--device cuda without a GPU: code %d, '%s'", st.code, st.msg);
    status_clear(&st);
    CHECK(probe_open_on(copy, OCD_SOURCE_DIR "/assets", 1, "tpu", &st) == NULL && st.code == ERR_CONFIG &&
              strstr(st.msg, "tpu"),
          "an unknown device: code %d, '%s'", st.code, st.msg);
}

/* NeRF (optional: a NeRF session named by OCD_TINY_NERF; CI has none, it takes minutes to
 * make): the render of the last DDIM step is the OCD render, since that step returns x0-hat
 * (up to float rounding: the hook forms x0-hat from x and eps with its own coefficients, the
 * sampler's last axpby forms Omega_0; a NeRF render is sensitive enough to show it in the
 * 4th decimal), while the first step's render is far from it. */
TEST(nerf_the_last_steps_render_is_the_ocd_render)
{
    const char *dir = getenv("OCD_TINY_NERF");
    if (!dir || !dir[0]) harness_skip("OCD_TINY_NERF is not set");
    Status st;
    status_clear(&st);
    Probe *p = open_probe(dir, 2, &st);
    if (!p) return;
    int h = 0, w = 0;
    CHECK(probe_view_size(p, &h, &w) == 0 && h > 0 && w > 0, "no view size");
    const size_t n = (size_t)h * w * 3;
    float *ocd = malloc(sizeof(float) * n), *last = malloc(sizeof(float) * n), *first = malloc(sizeof(float) * n);
    float *truth = malloc(sizeof(float) * n);
    const int S = probe_sample_steps(p);
    CHECK(probe_render(p, 1, PROBE_OCD, ocd, &st) == 0, "OCD render: %s", st.msg);
    CHECK(probe_render_step(p, 1, 0, S - 1, last, &st) == 0, "last step render: %s", st.msg);
    CHECK(probe_render_step(p, 1, 0, 0, first, &st) == 0, "first step render: %s", st.msg);
    CHECK(probe_render(p, 1, PROBE_TRUTH, truth, &st) == 0, "truth: %s", st.msg);
    CHECK_ARRAYS(last, ocd, (long)n, 2e-3, 0, "the last step's render vs the OCD render");
    double d_first = 0.0, d_last = 0.0, lo = 1, hi = 0;
    for (size_t i = 0; i < n; i++) {
        d_first += fabs((double)first[i] - ocd[i]) / n;
        d_last += fabs((double)last[i] - ocd[i]) / n;
        lo = fmin(lo, truth[i]);
        hi = fmax(hi, truth[i]);
    }
    CHECK(d_first > 10 * d_last, "the first step's render (mean |diff| %g) is not far from the last's (%g)", d_first, d_last);
    CHECK(lo >= 0 && hi <= 1 && hi > lo, "truth pixels in [%g, %g]", lo, hi);
    CHECK(probe_render_step(p, 1, 0, S, last, &st) != 0 && st.code == ERR_CONFIG, "a step past the end was accepted");
    free(ocd);
    free(last);
    free(first);
    free(truth);
    probe_close(p);
}
