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

#include "h5io.h"
#include "ocd/util.h"

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
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(session_h5, &st);
    const int found = f && h5r_attr_str(f, stage, "taken_from", buf, len);
    if (f) h5r_close(f);
    return found;
}

/* every /eval/<method>/loss_per_sample of a and b equal bit for bit; the methods compared in *n */
static int same_eval(const char *a_h5, const char *b_h5, int *n, char *why, size_t wl)
{
    static const char *keys[] = {"base", "base_temperature", "ocd", "ocd_ensemble", "ocd_mean_network", "ocd_noscale",
                                 "ocd_nearest_neighbour", "ocd_alternative_layer", "overfit_test_predicted",
                                 "overfit_test", "overfit_test_all_layers", "tent_1", "tent_10", "tent_30"};
    Status st;
    status_clear(&st);
    H5File *fa = h5r_open(a_h5, &st), *fb = fa ? h5r_open(b_h5, &st) : NULL;
    int ok = fa && fb;
    if (!ok) snprintf(why, wl, "%s", st.msg);
    *n = 0;
    for (size_t k = 0; ok && k < sizeof keys / sizeof keys[0]; k++) {
        char p[128];
        snprintf(p, sizeof p, "eval/%s/loss_per_sample", keys[k]);
        int64_t na = 0, nb = 0;
        double *x = h5_read_doubles_alloc(fa, p, &na, &st), *y = x ? h5_read_doubles_alloc(fb, p, &nb, &st) : NULL;
        ok = x && y && na == nb && memcmp(x, y, sizeof(double) * (size_t)na) == 0;
        if (!ok) snprintf(why, wl, "%s differs (%lld vs %lld values) %s", p, (long long)na, (long long)nb, st.msg);
        (*n)++;
        free(x);
        free(y);
    }
    if (fa) h5r_close(fa);
    if (fb) h5r_close(fb);
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
