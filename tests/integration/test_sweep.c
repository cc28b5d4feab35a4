/* `ocd sweep` (src/cli/cmd_sweep.c) on mnist-tiny:
 *   - scale.loss = mse,code: the second point takes base, select, overfit and diffusion from the
 *     first (each stage records `taken_from`), runs scale, alt and eval itself, and its eval
 *     table equals a separate `ocd run` of the same settings bit for bit (every method's
 *     per-sample losses);
 *   - a point that fails (its data folder does not exist) is reported with its exit status,
 *     the sweep goes on with the next point and exits non-zero;
 *   - a malformed grid (no values, an unknown key) is refused before anything runs. */
#include "harness.h"
#include "run_util.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 18];

/* a whole text file, NULL when it cannot be read (the caller frees) */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1 << 20, 1);
    if (s) fread(s, 1, (1 << 20) - 1, f);
    fclose(f);
    return s;
}

/* 1 when the string attribute `taken_from` of group /stage exists, its value in buf */
static int taken_from(const char *session_h5, const char *stage, char *buf, size_t len)
{
    buf[0] = 0;
    const hid_t f = H5Fopen(session_h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    char obj[64];
    snprintf(obj, sizeof obj, "/%s", stage);
    int found = 0;
    if (H5Aexists_by_name(f, obj, "taken_from", H5P_DEFAULT) > 0) {
        const hid_t a = H5Aopen_by_name(f, obj, "taken_from", H5P_DEFAULT, H5P_DEFAULT);
        const hid_t t = H5Aget_type(a);
        const size_t n = H5Tget_size(t);
        char *s = calloc(n + 1, 1);
        if (s && H5Aread(a, t, s) >= 0) {
            snprintf(buf, len, "%s", s);
            found = 1;
        }
        free(s);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(f);
    return found;
}

/* every /eval/<method>/loss_per_sample of a and b equal bit for bit; the methods compared in *n */
static int same_eval(const char *a_h5, const char *b_h5, int *n, char *why, size_t wl)
{
    static const char *keys[] = {"base", "base_temperature", "ocd", "ocd_ensemble", "ocd_mean_network", "ocd_noscale",
                                 "ocd_nearest_neighbour", "ocd_alternative_layer", "overfit_test_predicted",
                                 "overfit_test", "overfit_test_all_layers", "tent_1", "tent_10", "tent_30"};
    const hid_t fa = H5Fopen(a_h5, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(b_h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    int ok = fa >= 0 && fb >= 0;
    *n = 0;
    for (size_t k = 0; ok && k < sizeof keys / sizeof keys[0]; k++) {
        char p[128];
        snprintf(p, sizeof p, "/eval/%s/loss_per_sample", keys[k]);
        if (H5Lexists(fa, "/eval", H5P_DEFAULT) <= 0 || H5Lexists(fa, p, H5P_DEFAULT) <= 0) {
            snprintf(why, wl, "%s missing in %s", p, a_h5);
            ok = 0;
            break;
        }
        double x[4096], y[4096];
        const hid_t da = H5Dopen2(fa, p, H5P_DEFAULT), db = H5Dopen2(fb, p, H5P_DEFAULT);
        const hid_t sa = H5Dget_space(da), sb = db >= 0 ? H5Dget_space(db) : -1;
        const hssize_t na = H5Sget_simple_extent_npoints(sa), nb = sb >= 0 ? H5Sget_simple_extent_npoints(sb) : -1;
        ok = na == nb && na > 0 && na <= 4096 && H5Dread(da, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0 &&
             H5Dread(db, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y) >= 0 &&
             memcmp(x, y, sizeof(double) * (size_t)na) == 0;
        if (!ok) snprintf(why, wl, "%s differs (%lld vs %lld values)", p, (long long)na, (long long)nb);
        (*n)++;
        H5Sclose(sa);
        if (sb >= 0) H5Sclose(sb);
        H5Dclose(da);
        if (db >= 0) H5Dclose(db);
    }
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
    return ok;
}

TEST(a_sweep_shares_the_stages_its_points_agree_on_and_equals_separate_runs)
{
    const char *root = run_temp_root("sweep");
    char sessions[600];
    snprintf(sessions, sizeof sessions, "%s/sw", root);
    char *argv[] = {(char *)run_ocd_bin(), "sweep", "mnist-tiny", "--set", "scale.loss=mse,code", "--sessions", sessions, NULL};
    const int rc = run_capture(argv, out, sizeof out);
    CHECK(rc == 0, "the sweep failed (%d):\n%s", rc, out);
    CHECK(strstr(out, "sweep: 2 of 2 points done"), "the sweep's summary:\n%s", out);
    char a[700], b[700], buf[700];
    snprintf(a, sizeof a, "%s/mnist-tiny+scale.loss=mse/session.h5", sessions);
    snprintf(b, sizeof b, "%s/mnist-tiny+scale.loss=code/session.h5", sessions);
    static const char *shared[] = {"base", "select", "overfit", "diffusion"}, *own[] = {"scale", "alt", "eval"};
    for (int i = 0; i < 4; i++)
        CHECK(taken_from(b, shared[i], buf, sizeof buf) && strstr(buf, "mnist-tiny+scale.loss=mse/session.h5"),
              "stage %s of the second point was not taken from the first ('%s')", shared[i], buf);
    for (int i = 0; i < 3; i++) {
        CHECK(!taken_from(b, own[i], buf, sizeof buf), "stage %s of the second point was taken (from '%s'), not run", own[i],
              buf);
        CHECK(!taken_from(a, own[i], buf, sizeof buf), "the first point took stage %s", own[i]);
    }
    /* the same point run on its own */
    char sep[700];
    snprintf(sep, sizeof sep, "%s/separate", root);
    char *run[] = {(char *)run_ocd_bin(), "run", "mnist-tiny", "--set", "scale.loss=code", "--session", sep, NULL};
    CHECK(run_capture(run, out, sizeof out) == 0, "the separate run failed:\n%s", out);
    snprintf(sep, sizeof sep, "%s/separate/session.h5", root);
    int n = 0;
    char why[512] = "";
    CHECK(same_eval(b, sep, &n, why, sizeof why) && n == 14, "the swept point differs from its separate run: %s", why);
    /* the two points differ where the setting does: scale.loss changes OCD's losses */
    CHECK(!same_eval(a, b, &n, why, sizeof why), "scale.loss = mse and code gave the same eval table");
}

TEST(a_failed_point_is_reported_and_the_rest_go_on)
{
    const char *root = run_temp_root("sweep");
    char sessions[600];
    snprintf(sessions, sizeof sessions, "%s/fail", root);
    char *argv[] = {(char *)run_ocd_bin(), "sweep", "mnist-tiny", "--set", "data.path=data/no-such-set,data/mnist",
                    "--set", "eval.repeats=1", "--sessions", sessions, NULL};
    const int rc = run_capture(argv, out, sizeof out);
    CHECK(rc == 2, "a sweep with a failed point exits %d (want 2, the failed point's status)", rc);
    CHECK(strstr(out, "mnist-tiny+data.path=data/no-such-set+eval.repeats=1: FAILED with exit status 2") &&
              strstr(out, "mnist-tiny+data.path=data/mnist+eval.repeats=1: done") && strstr(out, "sweep: 1 of 2 points done"),
          "the sweep's report:\n%s", out);
    char log[800];
    snprintf(log, sizeof log, "%s/mnist-tiny+data.path=data/no-such-set+eval.repeats=1/sweep.log", sessions);
    char *text = read_text(log);
    CHECK(text && strstr(text, "no-such-set"), "the failed point's log does not name the missing data: %s", text ? text : "(none)");
    free(text);
}

TEST(a_malformed_grid_is_refused_before_anything_runs)
{
    const char *root = run_temp_root("sweep");
    char sessions[600];
    snprintf(sessions, sizeof sessions, "%s/bad", root);
    char *novalue[] = {(char *)run_ocd_bin(), "sweep", "mnist-tiny", "--set", "scale.loss=", "--sessions", sessions, NULL};
    CHECK(run_capture(novalue, out, sizeof out) == 2 && strstr(out, "usage: ocd sweep"), "no values: %s", out);
    char *unknown[] = {(char *)run_ocd_bin(), "sweep", "mnist-tiny", "--set", "scale.nonsense=1,2", "--sessions", sessions, NULL};
    CHECK(run_capture(unknown, out, sizeof out) == 2 && strstr(out, "scale.nonsense"), "an unknown key: %s", out);
    CHECK(!run_exists(sessions), "a refused sweep made %s", sessions);
}
