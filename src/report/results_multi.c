/* See results_multi.h. The single-session cells (sessview_fmt_metric, sessview_fmt_diff) and
 * the bootstrap (ocd/bootstrap.h, the eval stage's key and level) are the ones `ocd results`
 * uses for one session, so a difference between sessions reads like a difference to the base. */
#include "results_multi.h"

#include "config.h"
#include "results_table.h"
#include "ocd/eval.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* settings that say nothing about the result: the preset's name and text, threads, device */
static int ignored_key(const char *key)
{
    return !strncmp(key, "preset.", 7) || !strcmp(key, "run.threads") || !strcmp(key, "run.device");
}

/* data.* keys that leave the test split as it is: how much training data is used or held
 * out for validation, and how many test samples (a prefix: paired on the common part) */
static int keeps_test_set(const char *key)
{
    return !strcmp(key, "data.train_limit") || !strcmp(key, "data.val_count") || !strcmp(key, "data.test_limit");
}

static void describe_differences(MultiView *mv, int s)
{
    const Config *a = &mv->v[mv->ref]->cfg, *b = &mv->v[s]->cfg;
    int nk = 0, n = 0;
    const CfgKey *keys = config_schema(&nk);
    size_t used = 0;
    char *buf = mv->differs[s];
    const size_t len = sizeof mv->differs[s];
    buf[0] = 0;
    mv->same_tests[s] = 1;
    for (int i = 0; i < nk; i++) {
        const char *va = cfg_str(a, keys[i].key), *vb = cfg_str(b, keys[i].key);
        if (ignored_key(keys[i].key) || !strcmp(va, vb)) continue;
        if (!strncmp(keys[i].key, "data.", 5) && !keeps_test_set(keys[i].key)) mv->same_tests[s] = 0;
        if (used + 2 < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s=%s (#1: %s)", n ? ", " : "", keys[i].key, vb, va);
        n++;
    }
}

int multi_load(MultiView *mv, char **dirs, int n, Status *st)
{
    memset(mv, 0, sizeof *mv);
    mv->ref = -1;
    if (n > MULTI_MAX) n = MULTI_MAX;
    for (int i = 0; i < n; i++) {
        snprintf(mv->dir[i], sizeof mv->dir[i], "%s", dirs[i]);
        Status s;
        status_clear(&s);
        SessView *v = malloc(sizeof *v);
        if (!v) {
            snprintf(mv->err[i], sizeof mv->err[i], "out of memory");
            continue;
        }
        if (sessview_load(dirs[i], v, &s)) {
            snprintf(mv->err[i], sizeof mv->err[i], "%s", s.msg);
            free(v);
            continue;
        }
        if (!sessview_stage_complete(v, "eval") || v->nrows <= 0) {
            snprintf(mv->err[i], sizeof mv->err[i], "no complete eval stage yet");
            sessview_free(v);
            free(v);
            continue;
        }
        mv->v[i] = v;
        if (mv->ref < 0) mv->ref = i;
    }
    mv->n = n;
    if (mv->ref < 0) return status_fail(st, ERR_STATE, "none of the %d sessions has a complete eval stage", n);
    for (int i = 0; i < n; i++)
        if (mv->v[i] && i != mv->ref) describe_differences(mv, i);
    mv->same_tests[mv->ref] = 1;
    return 0;
}

void multi_free(MultiView *mv)
{
    for (int i = 0; i < mv->n; i++)
        if (mv->v[i]) {
            sessview_free(mv->v[i]);
            free(mv->v[i]);
            mv->v[i] = NULL;
        }
}

static int cmp_dir(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int multi_find_sessions(const char *root, char (*dirs)[512], int max)
{
    DIR *d = opendir(root);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
        if (e->d_name[0] == '.') continue;
        char p[1024];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s/session.h5", root, e->d_name);
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) snprintf(dirs[n++], 512, "%.400s/%.100s", root, e->d_name);
    }
    closedir(d);
    qsort(dirs, (size_t)n, 512, cmp_dir);
    return n;
}

int multi_diff(const MultiView *mv, int s, const char *key, int m, MultiDiff *out)
{
    memset(out, 0, sizeof *out);
    out->verdict = "";
    const SessView *a = mv->v[s], *b = mv->ref >= 0 ? mv->v[mv->ref] : NULL;
    if (!a || !b || !sessview_row(a, key) || !sessview_row(b, key)) {
        snprintf(out->why, sizeof out->why, "not in both sessions");
        return -1;
    }
    if (strcmp(a->metrics[m], b->metrics[m])) {
        snprintf(out->why, sizeof out->why, "different metrics (%s vs %s)", a->metrics[m], b->metrics[m]);
        return -1;
    }
    Status st;
    status_clear(&st);
    int na = 0, nb = 0;
    double sa = 1.0, sb = 1.0;
    double *x = sessview_row_samples(a, key, m, &na, &sa, &st);
    double *y = x ? sessview_row_samples(b, key, m, &nb, &sb, &st) : NULL;
    if (!x || !y) {
        snprintf(out->why, sizeof out->why, "%.250s", st.msg);
        free(x);
        free(y);
        return -1;
    }
    const EvalMetricInfo *mi = eval_metric_find(a->metrics[m]);
    const int resamples = cfg_int(&b->cfg, "eval.bootstrap");
    int rc;
    if (mv->same_tests[s]) {
        out->paired = 1;
        out->n = na < nb ? na : nb;
        const BootSeries ser = {x, y, mi->stat, sb};
        rc = boot_paired(&ser, 1, out->n, resamples, BOOT_KEY, &out->iv);
    } else {
        out->n = na;
        rc = boot_unpaired(x, na, y, nb, mi->stat, sb, resamples, BOOT_KEY, &out->iv);
    }
    free(x);
    free(y);
    if (rc) {
        snprintf(out->why, sizeof out->why, "no interval (too few samples)");
        return -1;
    }
    out->have = 1;
    out->verdict = boot_verdict(&out->iv, mi->higher_is_better);
    return 0;
}

/* the methods of every session, in the reference's order, then the others' extra ones */
static int method_keys(const MultiView *mv, const char *keys[], int max)
{
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < mv->n; s++) {
            if (!mv->v[s] || (pass == 0) != (s == mv->ref)) continue;
            for (int i = 0; i < mv->v[s]->nrows && n < max; i++) {
                int seen = 0;
                for (int k = 0; k < n && !seen; k++) seen = !strcmp(keys[k], mv->v[s]->rows[i].key);
                if (!seen) keys[n++] = mv->v[s]->rows[i].key;
            }
        }
    return n;
}

static const SvRow *row_label(const MultiView *mv, const char *key)
{
    for (int s = 0; s < mv->n; s++)
        if (mv->v[s] && sessview_row(mv->v[s], key)) return sessview_row(mv->v[s], key);
    return NULL;
}

void multi_write_md(const MultiView *mv, FILE *f)
{
    const SessView *r = mv->v[mv->ref];
    fprintf(f, "%d sessions; reference #%d `%s` (preset `%s`, seed %d).\n\n", mv->n, mv->ref + 1, mv->dir[mv->ref],
            r->preset, r->seed);
    fprintf(f, "| # | session | preset | settings that differ from #%d | test samples | OCD vs its base model |\n",
            mv->ref + 1);
    fprintf(f, "|---:|---|---|---|---|---|\n");
    for (int s = 0; s < mv->n; s++) {
        const SessView *v = mv->v[s];
        if (!v) {
            fprintf(f, "| %d | `%s` | - | not compared: %s | - | - |\n", s + 1, mv->dir[s], mv->err[s]);
            continue;
        }
        char verdict[512];
        sessview_verdict_line(v, 1, verdict, sizeof verdict);
        fprintf(f, "| %d | `%s` | %s | %s | %lld%s | %s |\n", s + 1, mv->dir[s], v->preset,
                s == mv->ref ? "(the reference)" : mv->differs[s][0] ? mv->differs[s] : "none",
                (long long)v->test_samples, mv->same_tests[s] ? "" : " (another test set: unpaired)", verdict);
    }
    const char *keys[SV_MAX_ROWS * 4];
    const int nk = method_keys(mv, keys, SV_MAX_ROWS * 4);
    for (int m = 0; m < 2; m++) {
        const char *metric = r->metrics[m];
        fprintf(f, "\n%s (%s is better): each session's mean over the repeats; #k − #%d on the same test samples "
                   "with a %.0f%% bootstrap interval (paired where both evaluated them)\n\n",
                metric, sessview_metric_higher_is_better(metric) ? "higher" : "lower", mv->ref + 1, 100 * BOOT_LEVEL);
        fprintf(f, "| method | #%d", mv->ref + 1);
        for (int s = 0; s < mv->n; s++)
            if (s != mv->ref && mv->v[s]) fprintf(f, " | #%d | #%d − #%d [95%% CI] | verdict", s + 1, s + 1, mv->ref + 1);
        fprintf(f, " |\n|---|---:");
        for (int s = 0; s < mv->n; s++)
            if (s != mv->ref && mv->v[s]) fprintf(f, "|---:|---:|---");
        fprintf(f, "|\n");
        for (int k = 0; k < nk; k++) {
            const SvRow *lab = row_label(mv, keys[k]), *rr = sessview_row(r, keys[k]);
            char cell[96] = "-";
            if (rr) sessview_fmt_metric(metric, rr->mean[m], rr->sd[m], cell, sizeof cell);
            fprintf(f, "| %s | %s", lab->label, cell);
            for (int s = 0; s < mv->n; s++) {
                if (s == mv->ref || !mv->v[s]) continue;
                const SvRow *x = sessview_row(mv->v[s], keys[k]);
                char mean[96] = "-", d[128] = "-";
                if (x) sessview_fmt_metric(metric, x->mean[m], x->sd[m], mean, sizeof mean);
                MultiDiff md;
                const char *w = "-";
                if (multi_diff(mv, s, keys[k], m, &md) == 0) {
                    sessview_fmt_diff(metric, md.iv.diff, md.iv.lo, md.iv.hi, d, sizeof d);
                    if (!md.paired) snprintf(d + strlen(d), sizeof d - strlen(d), " unpaired");
                    w = md.verdict;
                }
                fprintf(f, " | %s | %s | %s", mean, d, w);
            }
            fprintf(f, " |\n");
        }
    }
    fprintf(f, "\nA difference is %s − #%d of the same method; \"no difference\" when its interval contains 0. "
               "Paired: resampled over the test samples both sessions evaluated (a row run on a subset is paired on "
               "the common first samples); unpaired: each session's samples resampled on their own (the sessions "
               "used different test sets).\n",
            "#k", mv->ref + 1);
}

void multi_write_csv(const MultiView *mv, FILE *f)
{
    fprintf(f, "session,index,method,label,metric,mean,sd,test_samples,diff,diff_lo,diff_hi,verdict,paired,paired_samples\n");
    const char *keys[SV_MAX_ROWS * 4];
    const int nk = method_keys(mv, keys, SV_MAX_ROWS * 4);
    for (int s = 0; s < mv->n; s++) {
        const SessView *v = mv->v[s];
        if (!v) continue;
        for (int k = 0; k < nk; k++) {
            const SvRow *x = sessview_row(v, keys[k]);
            if (!x) continue;
            for (int m = 0; m < 2; m++) {
                fprintf(f, "\"%s\",%d,%s,\"%s\",%s,%.9g,%.9g,%lld", mv->dir[s], s + 1, x->key, x->label, v->metrics[m],
                        x->mean[m], x->sd[m], (long long)x->test_samples);
                MultiDiff md;
                if (s != mv->ref && multi_diff(mv, s, keys[k], m, &md) == 0)
                    fprintf(f, ",%.9g,%.9g,%.9g,%s,%d,%d\n", md.iv.diff, md.iv.lo, md.iv.hi, md.verdict, md.paired,
                            md.paired ? md.n : 0);
                else
                    fprintf(f, ",,,,,,\n");
            }
        }
    }
}

int multi_write_json(const MultiView *mv, FILE *f)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    cJSON_AddNumberToObject(root, "reference", mv->ref + 1);
    cJSON_AddNumberToObject(root, "bootstrap_level", BOOT_LEVEL);
    cJSON *arr = cJSON_AddArrayToObject(root, "sessions");
    const char *keys[SV_MAX_ROWS * 4];
    const int nk = method_keys(mv, keys, SV_MAX_ROWS * 4);
    for (int s = 0; s < mv->n; s++) {
        const SessView *v = mv->v[s];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "index", s + 1);
        cJSON_AddStringToObject(o, "session", mv->dir[s]);
        if (!v) {
            cJSON_AddStringToObject(o, "error", mv->err[s]);
            continue;
        }
        char line[512];
        sessview_verdict_line(v, 0, line, sizeof line);
        cJSON_AddStringToObject(o, "preset", v->preset);
        cJSON_AddStringToObject(o, "differs", mv->differs[s]);
        cJSON_AddBoolToObject(o, "same_test_set", mv->same_tests[s]);
        cJSON_AddNumberToObject(o, "test_samples", (double)v->test_samples);
        cJSON_AddStringToObject(o, "verdict", line);
        cJSON *ms = cJSON_AddArrayToObject(o, "methods");
        for (int k = 0; k < nk; k++) {
            const SvRow *x = sessview_row(v, keys[k]);
            if (!x) continue;
            cJSON *mo = cJSON_CreateObject();
            cJSON_AddItemToArray(ms, mo);
            cJSON_AddStringToObject(mo, "method", x->key);
            cJSON_AddStringToObject(mo, "label", x->label);
            for (int m = 0; m < 2; m++) {
                cJSON *mm = cJSON_AddObjectToObject(mo, v->metrics[m]);
                cJSON_AddNumberToObject(mm, "mean", x->mean[m]);
                cJSON_AddNumberToObject(mm, "sd", x->sd[m]);
                MultiDiff md;
                if (s != mv->ref && multi_diff(mv, s, keys[k], m, &md) == 0) {
                    cJSON_AddNumberToObject(mm, "diff_to_reference", md.iv.diff);
                    if (isfinite(md.iv.lo)) cJSON_AddNumberToObject(mm, "diff_lo", md.iv.lo);
                    if (isfinite(md.iv.hi)) cJSON_AddNumberToObject(mm, "diff_hi", md.iv.hi);
                    cJSON_AddStringToObject(mm, "verdict", md.verdict);
                    cJSON_AddBoolToObject(mm, "paired", md.paired);
                    cJSON_AddNumberToObject(mm, "samples", md.n);
                }
            }
        }
    }
    return results_json_print(root, f);
}
