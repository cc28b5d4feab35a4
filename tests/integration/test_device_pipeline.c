/* The whole method on a device against the same run on the CPU: `ocd run` of a small preset
 * with --device DEV and with --device cpu, then every dataset of the two session files, and
 * probes (the denoising trajectory with its Omega_t at every step, predicted rho, the base
 * model, the overfit-on-test gain) of the CPU session opened on both devices.
 *
 * DEV is OCD_PARITY_DEVICE:
 *   - "cpu-guard" (ctest device_pipeline_guard, CI): the CPU kernels behind a wall, so every
 *     number must be bit for bit the CPU's. What can fail is the code above the backend
 *     table: a host read of device memory faults, a host pointer given to the table aborts
 *     naming the entry. This is how the OCD stages are checked for the GPU without one.
 *   - "cuda" (ctest device_pipeline_cuda, label cuda; exits 77 without a GPU). Tolerances
 *     below, per dataset; they follow the op-level parity test's reasoning (float32 with other
 *     summation orders; Adam amplifies ~1e-7 differences into a slow drift) and are first
 *     estimates until a GPU run confirms them.
 *
 * OCD_PARITY_PRESETS names the runs, comma-separated, each "PRESET [KEY=VALUE ...]" (the
 * settings are given to --set; a bare name of a default run means that run); every run also
 * gets eval.repeats=1. The default covers the three tasks, each cut to seconds: mnist-tiny
 * (classification), California housing (regression: MLP, MSE, rho of a regression target)
 * and lego NeRF (rays, volume rendering, whole-view renders in eval and in the probes). */
#include "harness.h"
#include "parity.h"
#include "run_util.h"

#include "probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the two runs ---- */

/* entry: "PRESET [KEY=VALUE ...]" */
static int run_on(const char *entry, const char *dev, const char *dir)
{
    char buf[512], out[16384];
    snprintf(buf, sizeof buf, "%s", entry);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)run_ocd_bin();
    argv[n++] = "run";
    char *save = NULL, *tok = strtok_r(buf, " ", &save);
    argv[n++] = tok;
    argv[n++] = "--device";
    argv[n++] = (char *)dev;
    argv[n++] = "--session";
    argv[n++] = (char *)dir;
    argv[n++] = "--set";
    argv[n++] = "eval.repeats=1";
    while ((tok = strtok_r(NULL, " ", &save)) && n < 60) {
        argv[n++] = "--set";
        argv[n++] = tok;
    }
    argv[n] = NULL;
    const int rc = run_capture(argv, out, sizeof out);
    CHECK(rc == 0, "ocd run %s --device %s: exit %d\n%s", entry, dev, rc, out);
    return rc;
}

/* sessions <root>/<k>-cpu and <root>/<k>-dev for entry k, made once per program */
static int sessions(int k, const char *entry, char *cpu, char *dev, size_t len)
{
    static int made[16], ok[16];
    const char *root = run_temp_root("devpipe");
    snprintf(cpu, len, "%s/%d-cpu", root, k);
    snprintf(dev, len, "%s/%d-dev", root, k);
    if (k < 16 && made[k]) return ok[k];
    const char *device = parity_device(); /* skips here, before the CPU run, without the device */
    const int good = run_on(entry, "cpu", cpu) == 0 && run_on(entry, device, dev) == 0;
    if (k < 16) made[k] = 1, ok[k] = good;
    return good;
}

/* Tolerances for CUDA, by dataset. NULL-rule (bit for bit) on cpu-guard. */
static int cuda_rule(const char *path, double *atol, double *rtol)
{
    /* weights, optimiser moments and overfit directions: the drift of training shows in them
     * first and means nothing alone; what they do is checked through the curves, losses and
     * eval rows they produce */
    if (strstr(path, "/weights/") || strstr(path, "/checkpoint/") || strstr(path, "/directions") ||
        strstr(path, "/cond_"))
        return 0;
    if (strstr(path, "indices") || strstr(path, "/step")) return 1; /* the same samples and steps: exact */
    if (!strncmp(path, "/base/", 6)) { /* base training: one LeNet5 run, Adam */
        *atol = 1e-4, *rtol = 1e-3;
        return 1;
    }
    if (strstr(path, "accuracy")) { /* one test sample of 40 may flip near a tie */
        *atol = 0.026;
        return 1;
    }
    if (strstr(path, "correct_per_sample")) { /* the same flip, per sample: 0/1 entries, so no bound on one */
        *atol = 1;
        return 1;
    }
    /* everything downstream of two trainings (overfit losses and rho, diffusion and scale
     * curves, eval CE): the U-Net parity test allows 2e-2 after 100 steps */
    *atol = 1e-4, *rtol = 2e-2;
    return 1;
}

static void check_preset(int k, const char *preset)
{
    char cpu[256], dev[256], a[300], b[300];
    if (!sessions(k, preset, cpu, dev, sizeof cpu)) return;
    snprintf(a, sizeof a, "%s/session.h5", cpu);
    snprintf(b, sizeof b, "%s/session.h5", dev);
    const int n = parity_session_datasets(b, a, parity_exact() ? NULL : cuda_rule);
    /* every stage writes several: curves, collections, eval rows */
    CHECK(n >= 20, "%s: only %d datasets compared", preset, n);
}

/* The default runs: the three tasks, each cut to seconds. A bare preset name in
 * OCD_PARITY_PRESETS stands for its entry here. */
static const char *const RUNS[] = {
    "mnist-tiny",
    "california-mlp base.epochs=2 select.samples=32 select.draws=8 overfit.samples=256 diffusion.steps=20 "
    "diffusion.checkpoint_every=10 scale.steps=20 alt.diffusion_steps=10 eval.test_limit=200 eval.ensemble=2",
    "nerf-lego base.iters=60 select.samples=4 select.draws=4 overfit.samples=6 overfit.steps=3 diffusion.steps=10 "
    "diffusion.checkpoint_every=5 scale.steps=10 alt.enabled=false eval.test_limit=1 eval.ensemble=2",
};
enum { NRUNS = sizeof RUNS / sizeof RUNS[0] };

static const char *expand(const char *entry)
{
    for (int i = 0; i < NRUNS; i++) {
        const size_t n = strlen(entry);
        if (!strncmp(RUNS[i], entry, n) && (RUNS[i][n] == ' ' || RUNS[i][n] == 0)) return RUNS[i];
    }
    return entry;
}

/* calls fn(k, entry) for each run */
static void for_each_run(void (*fn)(int, const char *))
{
    const char *env = getenv("OCD_PARITY_PRESETS");
    if (!env || !env[0]) {
        for (int i = 0; i < NRUNS; i++) fn(i, RUNS[i]);
        return;
    }
    char list[1024];
    snprintf(list, sizeof list, "%s", env);
    int k = 0;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) fn(k++, expand(p));
}

TEST(every_dataset_of_a_run_on_the_device_matches_the_cpu_run) { for_each_run(check_preset); }

/* ---- probes of one session on both devices ---- */

static void check_doubles(const char *what, const double *got, const double *ref, int n, double atol, double rtol)
{
    for (int i = 0; i < n; i++) {
        const int ok = parity_exact() ? memcmp(&got[i], &ref[i], sizeof got[i]) == 0
                                      : fabs(got[i] - ref[i]) <= atol + rtol * fabs(ref[i]);
        if (!ok) {
            CHECK(0, "%s[%d] on %s: %.9g, the CPU %.9g", what, i, parity_device(), got[i], ref[i]);
            return;
        }
    }
}

static void check_probes(int k, const char *preset)
{
    char cpu[256], dev[256];
    if (!sessions(k, preset, cpu, dev, sizeof cpu)) return;
    Status st;
    status_clear(&st);
    Probe *pc = probe_open_on(cpu, OCD_SOURCE_DIR "/assets", 2, "cpu", &st);
    CHECK(pc != NULL, "probe_open_on cpu: %s", st.msg);
    Probe *pd = probe_open_on(cpu, OCD_SOURCE_DIR "/assets", 1, parity_device(), &st);
    CHECK(pd != NULL, "probe_open_on %s: %s", parity_device(), st.msg);
    if (!pc || !pd) {
        probe_close(pc);
        probe_close(pd);
        return;
    }
    /* DDIM from the same trained networks and the same seed: Omega_t after every step. On
     * CUDA each U-Net pass carries ~1e-6 relative differences (the op tolerance) through 10
     * steps: 1e-3 of the largest |Omega_0| element, and the losses made with them to 1e-3. */
    const int task = probe_task(pc), ntest = probe_test_count(pc);
    for (int i = 0; i < 3 && i < ntest; i++) {
        ProbeTrajectory a, b;
        const int want_pred = task != 2;
        if (probe_trajectory(pc, i, 0, 0, want_pred, 1, &a, &st)) {
            CHECK(0, "trajectory %d on cpu: %s", i, st.msg);
            break;
        }
        if (probe_trajectory(pd, i, 0, 0, want_pred, 1, &b, &st)) {
            CHECK(0, "trajectory %d on %s: %s", i, parity_device(), st.msg);
            probe_trajectory_free(&a);
            break;
        }
        const int64_t per = (int64_t)a.rows * a.cols, n = per * a.steps;
        float big = 0;
        for (int64_t e = 0; e < per; e++) big = fmaxf(big, fabsf(a.omega[(a.steps - 1) * per + e]));
        char what[96];
        snprintf(what, sizeof what, "%s: Omega_t of test sample %d, every step, on %s", preset, i, parity_device());
        CHECK(b.steps == a.steps && b.rows == a.rows && b.cols == a.cols, "%s: shapes differ", what);
        if (b.steps == a.steps && b.rows == a.rows && b.cols == a.cols) {
            if (parity_exact())
                CHECK(memcmp(a.omega, b.omega, sizeof(float) * (size_t)n) == 0, "%s: not bit-identical", what);
            else
                CHECK_ARRAYS(b.omega, a.omega, n, 1e-3 * big, 1e-3, what);
            snprintf(what, sizeof what, "%s: sample %d's loss per step", preset, i);
            check_doubles(what, b.loss, a.loss, a.steps, 1e-5, 1e-3);
            check_doubles("base loss", &b.loss_base, &a.loss_base, 1, 1e-6, 1e-5);
            check_doubles("predicted rho", &b.rho_pred, &a.rho_pred, 1, 1e-6, 1e-4);
        }
        probe_trajectory_free(&a);
        probe_trajectory_free(&b);
    }
    double ra[8], rb[8];
    const int nr = ntest < 8 ? ntest : 8;
    CHECK(probe_rho_test(pc, nr, ra, &st) == 0 && probe_rho_test(pd, nr, rb, &st) == 0, "rho on test: %s", st.msg);
    check_doubles("rho on test", rb, ra, nr, 1e-6, 1e-4);
    if (task != 2) {
        const int64_t np = probe_pred_floats(pc);
        float *fa = malloc(sizeof(float) * (size_t)np), *fb = malloc(sizeof(float) * (size_t)np);
        CHECK(probe_base_predict(pc, ntest - 1, fa, &st) == 0 && probe_base_predict(pd, ntest - 1, fb, &st) == 0,
              "base predict: %s", st.msg);
        if (parity_exact())
            CHECK(memcmp(fa, fb, sizeof(float) * (size_t)np) == 0, "base prediction not bit-identical on %s", parity_device());
        else
            CHECK_ARRAYS(fb, fa, np, 1e-5, 1e-4, "base prediction");
        free(fa);
        free(fb);
        /* the workbench's "what if": overfitting the selected layer on test samples */
        int rows, cols;
        const char *lname, *names[64];
        probe_layer(pc, &rows, &cols, &lname);
        const int nl = probe_layers(pc, names, 64);
        int L = -1;
        for (int j = 0; j < nl; j++)
            if (!strcmp(names[j], lname)) L = j;
        double ba = 0, oa = 0, bb = 0, ob = 0;
        CHECK(L >= 0 && probe_layer_gain(pc, L, 4, &ba, &oa, NULL, NULL, &st) == 0 &&
                  probe_layer_gain(pd, L, 4, &bb, &ob, NULL, NULL, &st) == 0,
              "layer gain of %s: %s", lname, st.msg);
        check_doubles("what-if base loss", &bb, &ba, 1, 1e-6, 1e-5);
        check_doubles("what-if overfit loss", &ob, &oa, 1, 1e-5, 1e-3);
    }
    probe_close(pc);
    probe_close(pd);
}

TEST(probes_of_one_session_agree_on_the_device_and_the_cpu) { for_each_run(check_probes); }
