/* The `ocd` command with bad input, run as a user would: each mistake gives a clear message
 * naming what is wrong and where, exit status 2 (input) or 5 (session state), and writes
 * nothing to the session. The binary comes from $OCD_BIN (ctest sets it). */
#include "harness.h"
#include "run_util.h"

#include "buildinfo.h"
#include "data/dataset.h"
#include "h5io.h"

#include <math.h>
#include <sys/stat.h>

/* runs `ocd run mnist-lenet5 --session DIR <extra...>`; returns the status, output in text */
static int run_preset(const char *session, char *text, size_t len, const char *e1, const char *e2, const char *e3,
                      const char *e4)
{
    /* data.val_count=0: the preset holds 5,000 images out for validation, more than 256 */
    char *v[20] = {(char *)run_ocd_bin(), "run", "mnist-lenet5", "--session", (char *)session, "--stages", "base", "--set",
                   "data.train_limit=256", "--set", "data.test_limit=100", "--set", "base.epochs=1", "--set",
                   "data.val_count=0", NULL};
    int n = 15;
    const char *extra[4] = {e1, e2, e3, e4};
    for (int i = 0; i < 4; i++)
        if (extra[i]) v[n++] = (char *)extra[i];
    v[n] = NULL;
    return run_capture(v, text, len);
}

TEST(an_unknown_key_lists_the_valid_ones)
{
    char s[128], t[8192];
    snprintf(s, sizeof s, "%s/unknown", run_temp_root("cli"));
    int rc = run_preset(s, t, sizeof t, "--set", "base.epoch=3", NULL, NULL);
    CHECK(rc == 2, "status %d (want 2): %s", rc, t);
    CHECK(strstr(t, "unknown key 'base.epoch'") && strstr(t, "epochs") && strstr(t, "batch"), "message: %s", t);
    CHECK(!run_exists(s), "a session folder was made for a bad option");
}

TEST(a_bad_value_states_the_valid_range)
{
    char s[128], t[8192];
    snprintf(s, sizeof s, "%s/range", run_temp_root("cli"));
    int rc = run_preset(s, t, sizeof t, "--set", "base.lr=-1", NULL, NULL);
    CHECK(rc == 2 && strstr(t, "base.lr") && strstr(t, "[1e-09, 10]"), "status %d: %s", rc, t);
    rc = run_preset(s, t, sizeof t, "--device", "gpu", NULL, NULL);
    CHECK(rc == 2 && strstr(t, "cpu|cuda|auto"), "status %d: %s", rc, t);
    CHECK(!run_exists(s), "a session folder was made for a bad option");
}

TEST(a_missing_dataset_is_named_and_nothing_is_written)
{
    char s[128], t[8192];
    snprintf(s, sizeof s, "%s/missing", run_temp_root("cli"));
    int rc = run_preset(s, t, sizeof t, "--set", "data.path=/nonexistent/mnist", NULL, NULL);
    CHECK(rc == 2 && strstr(t, "/nonexistent/mnist"), "status %d: %s", rc, t);
    char h5[200];
    snprintf(h5, sizeof h5, "%s/session.h5", s);
    CHECK(!run_exists(h5), "a session file was written although the data could not be read");
}

TEST(a_corrupt_dataset_is_named_and_nothing_is_written)
{
    char d[128], s[128], t[8192], cmd[1024];
    snprintf(d, sizeof d, "%s/badmnist", run_temp_root("cli"));
    snprintf(s, sizeof s, "%s/corrupt", run_temp_root("cli"));
    /* the real files, with the test labels' magic number broken */
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && cp %s/assets/data/mnist/*.gz %s/ && gzip -dc %s/t10k-labels-idx1-ubyte.gz | "
             "(printf '\\000\\000\\010\\007'; tail -c +5) > %s/t10k-labels-idx1-ubyte && rm %s/t10k-labels-idx1-ubyte.gz",
             d, OCD_SOURCE_DIR, d, d, d, d);
    CHECK(system(cmd) == 0, "could not prepare the corrupt dataset");
    char opt[200];
    snprintf(opt, sizeof opt, "data.path=%s", d);
    int rc = run_preset(s, t, sizeof t, "--set", opt, NULL, NULL);
    CHECK(rc == 2 && strstr(t, "t10k-labels-idx1-ubyte") && strstr(t, "magic"), "status %d: %s", rc, t);
    char h5[200];
    snprintf(h5, sizeof h5, "%s/session.h5", s);
    CHECK(!run_exists(h5), "a session file was written although the data was corrupt");
}

/* runs `preset` on a copy of its data broken by `breaker` (a shell command run in the copy):
 * exit 2, a message holding want1 and want2, no session file. `shorten` keeps the run to
 * seconds should the breakage go unnoticed. */
static void check_broken_data(const char *preset, const char *shorten, const char *data, const char *file,
                              const char *breaker, const char *want1, const char *want2)
{
    char d[160], s[160], t[8192], cmd[2048], opt[400], h5[200];
    static int n;
    snprintf(d, sizeof d, "%s/data%d", run_temp_root("cli"), n);
    snprintf(s, sizeof s, "%s/broken%d", run_temp_root("cli"), n++);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -r %s/assets/%s %s/ && cd %s && %s", d, OCD_SOURCE_DIR, data, d, d,
             breaker);
    CHECK(system(cmd) == 0, "could not prepare the broken data: %s", cmd);
    snprintf(opt, sizeof opt, "data.path=%s/%s", d, file);
    char *v[] = {(char *)run_ocd_bin(), "run", (char *)preset, "--session", s, "--stages", "base", "--set", opt, "--set", (char *)shorten, NULL};
    const int rc = run_capture(v, t, sizeof t);
    CHECK(rc == 2 && strstr(t, want1) && strstr(t, want2), "%s: status %d (want 2), message: %s", preset, rc, t);
    snprintf(h5, sizeof h5, "%s/session.h5", s);
    CHECK(!run_exists(h5), "%s: a session file was written although the data was broken", preset);
}

TEST(a_csv_row_with_a_non_number_is_named_and_nothing_is_written)
{
    /* line 97, the 4th field */
    check_broken_data("california-mlp", "base.epochs=1", "data/california_housing/cal_housing.data", "cal_housing.data",
                      "sed -i '97s/^\\([^,]*,[^,]*,[^,]*,\\)[^,]*/\\1n\\/a/' cal_housing.data", "cal_housing.data:97:",
                      "not a finite number");
}

TEST(a_csv_row_with_a_missing_column_is_named_and_nothing_is_written)
{
    check_broken_data("california-mlp", "base.epochs=1", "data/california_housing/cal_housing.data", "cal_housing.data",
                      "sed -i '1234s/,[^,]*$//' cal_housing.data", "cal_housing.data:1234:",
                      "expected 9");
}

TEST(a_json_without_its_focal_length_is_named_and_nothing_is_written)
{
    check_broken_data("nerf-lego", "base.iters=2", "data/nerf/lego", "lego",
                      "sed -i 's/\"focal\"/\"focus\"/' lego/transforms_test.json", "transforms_test.json",
                      "focal");
}

TEST(a_cut_off_png_is_named_and_nothing_is_written)
{
    check_broken_data("nerf-lego", "base.iters=2", "data/nerf/lego", "lego",
                      "head -c 700 lego/train/r_7.png > cut.png && mv cut.png lego/train/r_7.png", "r_7.png", "lego");
}

TEST(a_session_made_with_other_settings_is_refused_and_kept)
{
    char s[128], t[8192];
    snprintf(s, sizeof s, "%s/other", run_temp_root("cli"));
    int rc = run_preset(s, t, sizeof t, NULL, NULL, NULL, NULL);
    CHECK(rc == 0, "the first run failed (%d): %s", rc, t);
    rc = run_preset(s, t, sizeof t, "--set", "base.lr=0.01", NULL, NULL);
    CHECK(rc == 5 && strstr(t, "base.lr") && strstr(t, "other settings"), "status %d: %s", rc, t);
    char *v[] = {(char *)run_ocd_bin(), "inspect", s, NULL};
    rc = run_capture(v, t, sizeof t);
    CHECK(rc == 0 && strstr(t, "base       complete") && strstr(t, "test_accuracy"), "inspect (%d): %s", rc, t);
}

TEST(a_regression_session_keeps_its_standardisation_and_units)
{
    char s[128], t[8192], h5[200];
    snprintf(s, sizeof s, "%s/california", run_temp_root("cli"));
    char *v[] = {(char *)run_ocd_bin(), "run", "california-mlp", "--session", s, "--stages", "base", "--set", "base.epochs=2", NULL};
    int rc = run_capture(v, t, sizeof t);
    CHECK(rc == 0, "california run failed (%d): %s", rc, t);
    snprintf(h5, sizeof h5, "%s/session.h5", s);
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(h5, &st);
    CHECK(f != NULL, "%s", st.msg);
    if (!f) return;
    /* the stored statistics are the training split's, as the loader computes them */
    Dataset ds;
    CHECK(dataset_load_california(OCD_SOURCE_DIR "/assets/data/california_housing/cal_housing.data", 0, &ds, &st) == 0,
          "%s", st.msg);
    double mean[8] = {0}, sd[8] = {0}, ym = 0, ys = 0;
    CHECK(h5r_doubles(f, "base/standardisation/feature_mean", mean, 8, &st) == 0 &&
              h5r_doubles(f, "base/standardisation/feature_std", sd, 8, &st) == 0,
          "standardisation: %s", st.msg);
    for (int i = 0; i < 8; i++)
        CHECK(mean[i] == ds.feat_mean[i] && sd[i] == ds.feat_std[i] && sd[i] > 0, "feature %d: %g/%g vs %g/%g", i,
              mean[i], sd[i], (double)ds.feat_mean[i], (double)ds.feat_std[i]);
    CHECK(h5r_attr_double(f, "base/standardisation", "target_mean", &ym) && ym == ds.y_mean &&
              h5r_attr_double(f, "base/standardisation", "target_std", &ys) && ys == ds.y_std,
          "target statistics %g %g", ym, ys);
    /* RMSE in target units = sqrt(standardised MSE) x the target's std */
    double mse = 0, rmse = 0, mse_t = 0;
    CHECK(h5r_attr_double(f, "base/metrics", "test_loss", &mse) && h5r_attr_double(f, "base/metrics", "test_rmse", &rmse) &&
              h5r_attr_double(f, "base/metrics", "test_mse_target_units", &mse_t),
          "metrics missing");
    CHECK_CLOSE(rmse, sqrt(mse) * ys, 1e-6, 1e-5, "test RMSE from the standardised MSE");
    CHECK_CLOSE(mse_t, rmse * rmse, 1e-9, 1e-9, "MSE in target units");
    int nd = 0;
    int64_t dims[8];
    CHECK(h5r_shape(f, "base/curves/val_loss", &nd, dims) == 0 && nd == 1 && dims[0] == 2, "val curve: 2 epochs");
    /* what made the digits: every /meta record is there and not empty, and `ocd inspect`
     * shows it */
    for (int i = 0; i < BUILDINFO_FIELDS; i++) {
        char val[256] = "";
        CHECK(h5r_attr_str(f, "meta", BUILDINFO_ATTRS[i], val, sizeof val) && val[0], "/meta %s missing or empty",
              BUILDINFO_ATTRS[i]);
    }
    h5r_close(f);
    dataset_free(&ds);
    char *ins[] = {(char *)run_ocd_bin(), "inspect", s, NULL};
    rc = run_capture(ins, t, sizeof t);
    CHECK(rc == 0 && strstr(t, "git_commit") && strstr(t, "kernel_path") && strstr(t, "blas_core"),
          "ocd inspect (%d) does not show the build record: %s", rc, t);
}

TEST(cuda_without_a_device_is_a_clear_error)
{
    char s[128], t[8192];
    snprintf(s, sizeof s, "%s/cuda", run_temp_root("cli"));
    char *probe[] = {(char *)run_ocd_bin(), "devices", NULL};
    run_capture(probe, t, sizeof t);
    if (strstr(t, "cuda      available")) return; /* this machine has a GPU: nothing to check */
    int rc = run_preset(s, t, sizeof t, "--device", "cuda", NULL, NULL);
    CHECK(rc == 4 && strstr(t, "--device cuda"), "status %d: %s", rc, t);
}
