/* `ocd results DIR1 DIR2 ... [--all ROOT]`: sessions side by side (src/report/results_multi.c),
 * on copies of tests/ui/data/view-session (a real mnist-tiny run with per-sample values):
 *   - a session against a copy of itself: every method's difference is 0 with an interval
 *     that contains it ("no difference");
 *   - against a copy whose OCD losses are all raised by 0.05 (written into the copy's
 *     /eval/ocd/loss_per_sample with the HDF5 library): OCD's difference is +0.05 with an
 *     interval that excludes 0 ("worse"), the other methods' still 0;
 *   - --all finds the sessions under a folder in name order and lists an unreadable one with
 *     its reason without stopping the others; md, csv and json say the same. */
#include "harness.h"
#include "run_util.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 20];

static int copy_session(const char *dst)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/tests/ui/data/view-session/session.h5' '%s/'", dst, OCD_SOURCE_DIR,
             dst);
    return system(cmd);
}

/* adds d to every value of /eval/<key>/loss_per_sample of the session in dir */
static int shift_losses(const char *dir, const char *key, double d)
{
    char path[700], ds[128];
    snprintf(path, sizeof path, "%s/session.h5", dir);
    snprintf(ds, sizeof ds, "/eval/%s/loss_per_sample", key);
    const hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    const hid_t s = H5Dopen2(f, ds, H5P_DEFAULT);
    const hid_t sp = s >= 0 ? H5Dget_space(s) : -1;
    const hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int rc = -1;
    double *x = n > 0 ? malloc(sizeof(double) * (size_t)n) : NULL;
    if (x && H5Dread(s, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0) {
        for (hssize_t i = 0; i < n; i++) x[i] += d;
        rc = H5Dwrite(s, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0 ? 0 : -1;
    }
    free(x);
    if (sp >= 0) H5Sclose(sp);
    if (s >= 0) H5Dclose(s);
    H5Fclose(f);
    return rc;
}

static cJSON *results_json(char **dirs, int n)
{
    char *argv[16] = {(char *)run_ocd_bin(), "results"};
    int k = 2;
    for (int i = 0; i < n; i++) argv[k++] = dirs[i];
    argv[k++] = "--format";
    argv[k++] = "json";
    argv[k] = NULL;
    const int rc = run_capture(argv, out, sizeof out);
    CHECK(rc == 0, "ocd results failed (%d): %.2000s", rc, out);
    return rc ? NULL : cJSON_Parse(out);
}

/* the ce object of method `key` of session index s (0-based) */
static const cJSON *ce_of(const cJSON *j, int s, const char *key)
{
    const cJSON *ss = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sessions"), s);
    for (const cJSON *m = cJSON_GetObjectItem(ss, "methods")->child; m; m = m->next)
        if (!strcmp(cJSON_GetObjectItem(m, "method")->valuestring, key)) return cJSON_GetObjectItem(m, "ce");
    return NULL;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *x = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(x) ? x->valuestring : "";
}

TEST(a_session_against_itself_differs_by_nothing_and_a_shifted_one_by_the_shift)
{
    const char *root = run_temp_root("multi");
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/all/a", root);
    snprintf(b, sizeof b, "%s/all/b", root);
    CHECK(copy_session(a) == 0 && copy_session(b) == 0, "could not copy the session");
    char *same[2] = {a, b};
    cJSON *j = results_json(same, 2);
    if (!j) return;
    static const char *keys[] = {"base", "ocd", "ocd_ensemble", "overfit_test_predicted", "overfit_test", "tent_30"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *c = ce_of(j, 1, keys[k]);
        CHECK(c && num(c, "diff_to_reference") == 0 && num(c, "diff_lo") <= 0 && num(c, "diff_hi") >= 0 &&
                  !strcmp(str(c, "verdict"), "no difference") && cJSON_IsTrue(cJSON_GetObjectItem(c, "paired")),
              "%s against an identical copy: diff %g [%g, %g] %s", keys[k], num(c, "diff_to_reference"), num(c, "diff_lo"),
              num(c, "diff_hi"), str(c, "verdict"));
    }
    CHECK(!strcmp(str(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sessions"), 1), "differs"), ""),
          "an identical copy has settings that differ");
    cJSON_Delete(j);

    CHECK(shift_losses(b, "ocd", 0.05) == 0, "could not shift b's OCD losses");
    j = results_json(same, 2);
    if (!j) return;
    const cJSON *o = ce_of(j, 1, "ocd");
    /* the row is on the first 20 of 40 samples: paired on those 20 */
    CHECK(o && fabs(num(o, "diff_to_reference") - 0.05) < 1e-9 && num(o, "diff_lo") > 0 && num(o, "diff_hi") >= 0.05 - 1e-9 &&
              num(o, "diff_lo") <= 0.05 + 1e-9 && !strcmp(str(o, "verdict"), "worse") && num(o, "samples") == 20,
          "OCD shifted by 0.05: diff %g [%g, %g] %s over %g samples", num(o, "diff_to_reference"), num(o, "diff_lo"),
          num(o, "diff_hi"), str(o, "verdict"), num(o, "samples"));
    const cJSON *e = ce_of(j, 1, "ocd_ensemble");
    CHECK(e && num(e, "diff_to_reference") == 0 && !strcmp(str(e, "verdict"), "no difference"),
          "the ensemble moved with OCD's losses");
    /* the mean in the table is the stored one (the shift only touched the per-sample values) */
    CHECK(fabs(num(o, "mean") - num(ce_of(j, 0, "ocd"), "mean")) < 1e-12, "the row's mean is not the stored one");
    cJSON_Delete(j);

    /* md and csv say the same */
    char *md[] = {(char *)run_ocd_bin(), "results", a, b, NULL};
    CHECK(run_capture(md, out, sizeof out) == 0, "md failed: %s", out);
    CHECK(strstr(out, "| OCD (fc1) [first 20 of 40 test samples] |") && strstr(out, "+0.05000 [") && strstr(out, "| worse |"),
          "md lacks OCD's shifted row:\n%s", out);
    CHECK(strstr(out, "(the reference)") && strstr(out, "| none |"), "md sessions table:\n%.2000s", out);
    char *csv[] = {(char *)run_ocd_bin(), "results", a, b, "--format", "csv", NULL};
    CHECK(run_capture(csv, out, sizeof out) == 0, "csv failed: %s", out);
    char want[800];
    snprintf(want, sizeof want, "\"%s\",2,ocd,", b);
    const char *line = strstr(out, want);
    CHECK(line && strstr(line, ",ce,") && strstr(line, ",worse,1,20\n") && strstr(line, ",ce,") < strchr(line, '\n'),
          "csv OCD row of b:\n%.3000s", out);

    /* --all: a, b in name order, and a folder whose session.h5 is not HDF5 */
    char bad[600], cmd[1400];
    snprintf(bad, sizeof bad, "%s/all/c-broken", root);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && echo 'not a session' > '%s/session.h5'", bad, bad);
    CHECK(system(cmd) == 0, "could not make the broken session");
    snprintf(cmd, sizeof cmd, "%s/all", root);
    char *all[] = {(char *)run_ocd_bin(), "results", "--all", cmd, "--format", "json", NULL};
    CHECK(run_capture(all, out, sizeof out) == 0, "--all failed: %.2000s", out);
    j = cJSON_Parse(out);
    CHECK(j != NULL, "--all json does not parse");
    if (!j) return;
    const cJSON *ss = cJSON_GetObjectItem(j, "sessions");
    CHECK(cJSON_GetArraySize(ss) == 3, "--all found %d sessions (want a, b, c-broken)", cJSON_GetArraySize(ss));
    CHECK(strstr(str(cJSON_GetArrayItem(ss, 0), "session"), "/a") && strstr(str(cJSON_GetArrayItem(ss, 1), "session"), "/b"),
          "--all is not in name order");
    CHECK(strlen(str(cJSON_GetArrayItem(ss, 2), "error")) > 0, "the broken session has no error in its row");
    CHECK(!strcmp(str(ce_of(j, 1, "ocd"), "verdict"), "worse"), "--all lost b's verdict");
    cJSON_Delete(j);
    /* a folder with no session at all: a clear error, not a crash */
    char *none[] = {(char *)run_ocd_bin(), "results", bad, "/nonexistent-session", NULL};
    CHECK(run_capture(none, out, sizeof out) != 0 && strstr(out, "no such file") && strstr(out, "none of the 2 sessions"),
          "two unusable sessions: %s", out);
}
