/* The whole OCD pipeline through the real `ocd` binary.
 *
 * synthetic: on the bundled synthetic-mlp preset the best per-sample shift of the first layer
 * is a smooth function of the input (data/synthetic.c), so OCD must beat the base model by a
 * clear margin, and replacing the predicted scale by the training mean must do worse than
 * OCD. Measured on the development machine: base MSE 0.296, OCD 0.207, no-scale 0.230 (SD
 * over the two repeats below 0.004); the bounds below leave room for other CPUs' rounding.
 *
 * Its paired bootstrap interval (method - base on the same test samples) must exclude 0 with
 * the verdict "better".
 *
 * mnist: a few hundred real MNIST images, every stage at a tiny size: the table must have
 * every method (the predicted-label ceiling and the temperature-scaled base among them), with
 * finite numbers, the paired differences, intervals and verdicts, in all three formats; a
 * costly method on its stated subset; and the session every group with the per-sample
 * values. */
#include "harness.h"
#include "run_util.h"

#include "h5io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sys/stat.h>

static char big[1 << 20];

/* `ocd results DIR --format json`, parsed */
static cJSON *results_json(const char *dir)
{
    char *v[] = {(char *)run_ocd_bin(), "results", (char *)dir, "--format", "json", NULL};
    const int rc = run_capture(v, big, sizeof big);
    CHECK(rc == 0, "ocd results failed (%d): %s", rc, big);
    cJSON *j = rc == 0 ? cJSON_Parse(big) : NULL;
    CHECK(j != NULL, "ocd results printed no JSON: %.300s", big);
    return j;
}

/* the object of method `key`, NULL when absent */
static cJSON *method(cJSON *j, const char *key)
{
    cJSON *arr = cJSON_GetObjectItem(j, "methods"), *o;
    cJSON_ArrayForEach(o, arr)
    {
        cJSON *k = cJSON_GetObjectItem(o, "method");
        if (k && cJSON_IsString(k) && !strcmp(k->valuestring, key)) return o;
    }
    return NULL;
}

/* the mean of metric `m` of method `key`, NAN when absent */
static double metric(cJSON *j, const char *key, const char *m, int *n)
{
    cJSON *v = cJSON_GetObjectItem(method(j, key), m);
    if (!v) return NAN;
    if (n) *n = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(v, "n"));
    return cJSON_GetNumberValue(cJSON_GetObjectItem(v, "mean"));
}

/* field `f` ("diff", "diff_lo", "diff_hi") of metric `m` of method `key`: NAN when absent or null */
static double diff_field(cJSON *j, const char *key, const char *m, const char *f)
{
    cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(method(j, key), m), f);
    return x && cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* the verdict of metric `m` of method `key`: "" when absent or null */
static const char *verdict(cJSON *j, const char *key, const char *m)
{
    cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(method(j, key), m), "verdict");
    return x && cJSON_IsString(x) ? x->valuestring : "";
}

TEST(ocd_beats_the_base_model_where_the_shift_is_predictable)
{
    char s[128];
    snprintf(s, sizeof s, "%s/synthetic", run_temp_root("pipeline"));
    char *v[] = {(char *)run_ocd_bin(), "run", "synthetic-mlp", "--session", s, NULL};
    const int rc = run_capture(v, big, sizeof big);
    CHECK(rc == 0, "synthetic-mlp failed (%d): %.2000s", rc, big);
    if (rc) return;
    cJSON *j = results_json(s);
    if (!j) return;
    const double base = metric(j, "base", "mse", NULL), o = metric(j, "ocd", "mse", NULL);
    const double noscale = metric(j, "ocd_noscale", "mse", NULL), ens = metric(j, "ocd_ensemble", "mse", NULL);
    const double upper = metric(j, "overfit_test", "mse", NULL);
    CHECK(isfinite(base) && base > 0.2, "base MSE %g (the preset underfits by design)", base);
    CHECK(o < 0.85 * base, "OCD MSE %g is not clearly below the base's %g", o, base);
    CHECK(noscale > o, "no-scale (%g) is not worse than OCD (%g)", noscale, o);
    CHECK(ens < base, "the ensemble (%g) is not below the base (%g)", ens, base);
    CHECK(upper < o, "overfitting on the test sample itself (%g) should bound OCD (%g)", upper, o);
    /* the verdict comes from the paired interval over the 500 test samples, not from the SDs */
    const double d = diff_field(j, "ocd", "mse", "diff"), lo = diff_field(j, "ocd", "mse", "diff_lo"),
                 hi = diff_field(j, "ocd", "mse", "diff_hi");
    CHECK(lo <= d && d <= hi && hi < 0, "OCD - base MSE %g, 95%% CI [%g, %g]: the interval does not exclude 0", d, lo, hi);
    CHECK(!strcmp(verdict(j, "ocd", "mse"), "better"), "OCD's MSE verdict is '%s'", verdict(j, "ocd", "mse"));
    CHECK_CLOSE(d, o - base, 1e-9, 1e-6, "the paired MSE difference is the difference of the means (deterministic base)");
    CHECK(isnan(diff_field(j, "base", "mse", "diff")), "the base row has a difference to itself");
    cJSON *note = cJSON_GetObjectItem(j, "ceiling_note");
    CHECK(note && cJSON_IsString(note) && strstr(note->valuestring, "zero gradient"), "regression's ceiling note: %s",
          note && cJSON_IsString(note) ? note->valuestring : "(none)");
    cJSON_Delete(j);
}

/* The run is the tiny_mnist fixture's (fixture_tiny_mnist.cmake: the same command, which
 * must exit 0) when ctest names it in OCD_TINY_MNIST, so CI makes it once; run by hand
 * without it, the test makes its own. */
TEST(a_tiny_mnist_run_produces_the_whole_table)
{
    char s[256];
    const char *fixture = getenv("OCD_TINY_MNIST");
    snprintf(s, sizeof s, "%s", fixture && fixture[0] ? fixture : "");
    if (!s[0]) snprintf(s, sizeof s, "%s/mnist", run_temp_root("pipeline"));
    char *v[] = {(char *)run_ocd_bin(),  "run",   "mnist-lenet5", "--session", s,
                 "--set", "data.train_limit=300", "--set", "data.test_limit=40", "--set", "base.epochs=2",
                 "--set", "select.samples=32", "--set", "select.draws=8", "--set", "overfit.samples=120",
                 "--set", "overfit.batch=50", "--set", "diffusion.steps=20", "--set", "diffusion.checkpoint_every=10",
                 "--set", "scale.steps=20", "--set", "alt.diffusion_steps=10", "--set", "eval.repeats=2",
                 "--set", "eval.ensemble=2", "--set", "eval.batch=16", "--set", "data.val_count=60",
                 "--set", "eval.costly_limit=20", NULL};
    const int rc = fixture && fixture[0] ? 0 : run_capture(v, big, sizeof big);
    CHECK(rc == 0, "tiny MNIST run failed (%d): %.3000s", rc, big);
    if (rc) return;
    cJSON *j = results_json(s);
    if (!j) return;
    static const char *keys[] = {"base", "base_temperature", "ocd", "ocd_ensemble", "ocd_mean_network", "ocd_noscale",
                                 "ocd_nearest_neighbour", "ocd_alternative_layer", "overfit_test_predicted", "overfit_test",
                                 "overfit_test_all_layers", "tent_1", "tent_10", "tent_30"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int n = 0;
        const double ce = metric(j, keys[i], "ce", &n), acc = metric(j, keys[i], "accuracy", NULL);
        CHECK(isfinite(ce) && ce > 0 && acc >= 0 && acc <= 1 && n == 2, "%s: ce %g accuracy %g n %d", keys[i], ce, acc, n);
        if (i == 0) continue;
        /* every other row: its paired difference to the base inside its interval, and a verdict */
        for (int m = 0; m < 2; m++) {
            const char *mn = m ? "accuracy" : "ce", *w = verdict(j, keys[i], mn);
            const double d = diff_field(j, keys[i], mn, "diff"), lo = diff_field(j, keys[i], mn, "diff_lo"),
                         hi = diff_field(j, keys[i], mn, "diff_hi");
            CHECK(lo <= d + 1e-12 && d <= hi + 1e-12, "%s %s: %g outside [%g, %g]", keys[i], mn, d, lo, hi);
            CHECK(!strcmp(w, "better") || !strcmp(w, "worse") || !strcmp(w, "no difference"), "%s %s: verdict '%s'", keys[i],
                  mn, w);
            CHECK(!strcmp(w, "no difference") == (lo <= 0 && hi >= 0), "%s %s: verdict '%s' with [%g, %g]", keys[i], mn, w,
                  lo, hi);
        }
    }
    CHECK(!verdict(j, "base", "ce")[0], "the base row has a verdict against itself");
    cJSON *temp = cJSON_GetObjectItem(method(j, "base_temperature"), "temperature");
    CHECK(temp && cJSON_IsNumber(temp) && temp->valuedouble > 0, "the temperature-scaled base has no T");
    /* the costly row ran on the first 20 test samples and says so */
    cJSON *ts = cJSON_GetObjectItem(method(j, "overfit_test_all_layers"), "test_samples");
    cJSON *lab = cJSON_GetObjectItem(method(j, "overfit_test_all_layers"), "label");
    CHECK(ts && (int)ts->valuedouble == 20 && lab && strstr(lab->valuestring, "first 20 of 40 test samples"),
          "the all-layers row: %d samples, label '%s'", ts ? (int)ts->valuedouble : -1, lab ? lab->valuestring : "");
    cJSON *res = cJSON_GetObjectItem(j, "bootstrap_resamples"), *note = cJSON_GetObjectItem(j, "ceiling_note");
    CHECK(res && (int)res->valuedouble == 2000, "bootstrap_resamples %d", res ? (int)res->valuedouble : -1);
    CHECK(note && strstr(note->valuestring, "label-free ceiling"), "no ceiling note");
    /* overfitting every layer on the test sample with its label fits it better than the base */
    CHECK(metric(j, "overfit_test_all_layers", "ce", NULL) < metric(j, "base", "ce", NULL), "all-layer overfit not below base");
    /* every stage's wall time, as recorded in the session */
    cJSON *sw = cJSON_GetObjectItem(j, "stage_wall_seconds");
    CHECK(sw && cJSON_GetArraySize(sw) == 7, "stage_wall_seconds: %d entries", sw ? cJSON_GetArraySize(sw) : -1);
    cJSON_Delete(j);
    /* the other formats */
    char *md[] = {(char *)run_ocd_bin(), "results", s, NULL};
    CHECK(run_capture(md, big, sizeof big) == 0 && strstr(big, "| OCD nearest neighbour |") && strstr(big, "Tent, 30") &&
              strstr(big, "| overfit on test, predicted label") && strstr(big, "| temperature-scaled base (T = ") &&
              strstr(big, "| ce − base [95% CI] | ce verdict |") && strstr(big, "Ceilings: ") &&
              strstr(big, "OCD vs the base model on ce: ") && strstr(big, "paired bootstrap over 20 test samples"),
          "markdown table: %.3000s", big);
    char *csv[] = {(char *)run_ocd_bin(), "results", s, "--format", "csv", NULL};
    CHECK(run_capture(csv, big, sizeof big) == 0 && !strncmp(big, "method,label,ce_mean,ce_sd,accuracy_mean", 40) &&
              strstr(big, ",ce_diff,ce_diff_lo,ce_diff_hi,ce_verdict,") && strstr(big, "\nbase_temperature,") &&
              strstr(big, "\noverfit_test_predicted,"),
          "csv: %.1000s", big);
    /* every stage's group is in the session, complete, and nothing is left in work files */
    char h5[400], work[400];
    snprintf(h5, sizeof h5, "%s/session.h5", s);
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(h5, &st);
    CHECK(f != NULL, "%s", st.msg);
    if (!f) return;
    static const char *stages[] = {"base", "select", "overfit", "diffusion", "scale", "alt", "eval"};
    for (size_t i = 0; i < 7; i++) {
        char status[32] = "";
        h5r_attr_str(f, stages[i], "status", status, sizeof status);
        CHECK(!strcmp(status, "complete"), "stage %s: status '%s'", stages[i], status);
        double wall = -1.0;
        h5r_attr_double(f, stages[i], "wall_seconds", &wall);
        CHECK(wall >= 0.0 && wall < 3600.0, "stage %s: wall_seconds %g", stages[i], wall);
        snprintf(work, sizeof work, "%s/work-%s.h5", s, stages[i]);
        CHECK(!run_exists(work), "%s was left behind", work);
    }
    CHECK(h5r_exists(f, "select/scores") && h5r_exists(f, "overfit/directions") && h5r_exists(f, "diffusion/weights") &&
              h5r_exists(f, "scale/weights") && h5r_exists(f, "alt/overfit/rho_std") && h5r_exists(f, "eval/ocd/ce"),
          "a stage's data is missing");
    /* per-sample values: repeats x the samples each row ran on */
    int nd = 0;
    int64_t dims[8] = {0};
    /* the generator's rows are costly: the first 20; the base takes all 40 */
    CHECK(h5r_shape(f, "eval/ocd/loss_per_sample", &nd, dims) == 0 && nd == 2 && dims[0] == 2 && dims[1] == 20,
          "eval/ocd/loss_per_sample: %d dims, %lld x %lld", nd, (long long)dims[0], (long long)dims[1]);
    CHECK(h5r_shape(f, "eval/base/loss_per_sample", &nd, dims) == 0 && nd == 2 && dims[1] == 40,
          "eval/base/loss_per_sample: %d dims, %lld", nd, (long long)dims[1]);
    CHECK(h5r_shape(f, "eval/overfit_test_all_layers/correct_per_sample", &nd, dims) == 0 && nd == 2 && dims[1] == 20,
          "the costly row's correct_per_sample: %d dims, %lld", nd, (long long)dims[1]);
    char chosen[64] = "";
    h5r_attr_str(f, "select", "chosen", chosen, sizeof chosen);
    CHECK(chosen[0], "no chosen layer");
    h5r_close(f);

    /* --from: an ablation of the scale loss takes base..diffusion and re-runs scale, alt, eval */
    char s2[160];
    snprintf(s2, sizeof s2, "%s/mnist-code", run_temp_root("pipeline"));
    int nv = 0;
    char *v2[64];
    for (; v[nv]; nv++) v2[nv] = !strcmp(v[nv], s) ? s2 : v[nv];
    char *more[] = {"--set", "scale.loss=code", "--from", s, NULL};
    for (int k = 0; more[k]; k++) v2[nv++] = more[k];
    v2[nv] = NULL;
    CHECK(run_capture(v2, big, sizeof big) == 0, "--from run failed: %.2000s", big);
    CHECK(strstr(big, "stage diffusion taken") && !strstr(big, "stage scale taken") &&
              strstr(big, "stage scale not taken (settings differ: scale.loss"),
          "--from took the wrong stages: %.2000s", big);
    snprintf(h5, sizeof h5, "%s/session.h5", s2);
    f = h5r_open(h5, &st);
    CHECK(f != NULL, "%s", st.msg);
    if (!f) return;
    char from[512] = "", loss[32] = "";
    h5r_attr_str(f, "diffusion", "taken_from", from, sizeof from);
    h5r_attr_str(f, "config", "scale.loss", loss, sizeof loss);
    CHECK(strstr(from, s) != NULL, "diffusion taken_from '%s'", from);
    CHECK(!strcmp(loss, "code"), "the new session's scale.loss is '%s'", loss);
    CHECK(h5r_exists(f, "eval/ocd/ce") && h5r_exists(f, "scale/weights"), "scale or eval missing after --from");
    h5r_close(f);
    /* with --stages, the named stages are run again rather than taken, on the committed base
     * weights and from the RNG counter the stage before them ended at: the re-run is the first
     * session's to the last digit */
    snprintf(s2, sizeof s2, "%s/mnist-rerun", run_temp_root("pipeline"));
    char *more2[] = {"--stages", "diffusion,scale,alt,eval", NULL};
    nv -= 4; /* drop the scale.loss ablation, keep --from */
    v2[nv++] = "--from";
    v2[nv++] = s;
    for (int k = 0; more2[k]; k++) v2[nv++] = more2[k];
    v2[nv] = NULL;
    CHECK(run_capture(v2, big, sizeof big) == 0, "--from --stages diffusion,... failed: %.2000s", big);
    CHECK(strstr(big, "stage overfit taken") && !strstr(big, "stage diffusion taken") && strstr(big, "[diffusion] started"),
          "--stages diffusion,... did not re-run diffusion: %.2000s", big);
    cJSON *j1 = results_json(s), *j2 = results_json(s2);
    if (j1 && j2) {
        static const char *same[] = {"base", "ocd", "ocd_ensemble", "ocd_alternative_layer"};
        for (int k = 0; k < 4; k++) {
            const double a = metric(j1, same[k], "ce", NULL), b = metric(j2, same[k], "ce", NULL);
            CHECK(a == b, "%s CE %.9g after the re-run vs %.9g in the session it came from", same[k], b, a);
        }
    }
    cJSON_Delete(j1);
    cJSON_Delete(j2);
}

TEST(a_killed_diffusion_stage_resumes_to_the_same_network)
{
    /* the same tiny run twice, one of them killed during the diffusion stage and run again:
     * the diffusion weights (the EMA that gets sampled) must be identical */
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/straight", run_temp_root("pipeline"));
    snprintf(b, sizeof b, "%s/killed", run_temp_root("pipeline"));
    char *base[] = {(char *)run_ocd_bin(), "run", "synthetic-mlp", "--session", NULL, "--stages",
                    "base,select,overfit,diffusion", "--set", "diffusion.steps=3000", "--set",
                    "diffusion.checkpoint_every=100", "--threads", "1", NULL};
    base[4] = a;
    CHECK(run_capture(base, big, sizeof big) == 0, "straight run: %.1000s", big);
    base[4] = b;
    char out[300];
    snprintf(out, sizeof out, "%s/killed.log", run_temp_root("pipeline"));
    pid_t pid = run_start(base, out);
    /* wait for a diffusion checkpoint, then kill -9 */
    char work[200];
    snprintf(work, sizeof work, "%s/work-diffusion.h5", b);
    for (int i = 0; i < 6000 && !run_exists(work); i++) usleep(10000);
    usleep(300000);
    kill(pid, SIGKILL);
    run_wait(pid);
    CHECK(run_exists(work), "no diffusion checkpoint was written before the kill");
    CHECK(run_capture(base, big, sizeof big) == 0 && strstr(big, "resuming diffusion training"), "resumed run: %.1000s", big);
    char ha[200], hb[200];
    snprintf(ha, sizeof ha, "%s/session.h5", a);
    snprintf(hb, sizeof hb, "%s/session.h5", b);
    Status st;
    status_clear(&st);
    H5File *fa = h5r_open(ha, &st), *fb = h5r_open(hb, &st);
    CHECK(fa && fb, "%s", st.msg);
    if (!fa || !fb) return;
    char names[512][128];
    const int n = h5r_members(fa, "diffusion/weights", names, 512);
    CHECK(n > 10, "diffusion/weights has %d members", n);
    int differ = 0;
    for (int i = 0; i < n; i++) {
        char p[300];
        snprintf(p, sizeof p, "diffusion/weights/%.200s", names[i]);
        int nd;
        int64_t dims[8], numel = 1;
        h5r_shape(fa, p, &nd, dims);
        for (int d = 0; d < nd; d++) numel *= dims[d];
        float *x = malloc(sizeof(float) * (size_t)numel), *y = malloc(sizeof(float) * (size_t)numel);
        h5r_floats(fa, p, x, numel, &st);
        h5r_floats(fb, p, y, numel, &st);
        if (memcmp(x, y, sizeof(float) * (size_t)numel)) differ++;
        free(x);
        free(y);
    }
    CHECK(differ == 0, "%d of %d weight tensors differ after the resume", differ, n);
    h5r_close(fa);
    h5r_close(fb);
}
