/* The eval stage's group /eval (DESIGN.md §3.4): per method its label, the two metrics per
 * repeat with their mean and SD, the per-sample values the metrics are made of, and the
 * paired difference to the base model with a bootstrap interval and a verdict per metric;
 * on /eval the table's settings and notes (which ceiling applies, which rows were skipped
 * and why). */
#include "ocd/eval_internal.h"

#include "ocd/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the label of row m: the table's format with {layer}, {alt}, {E}, {T}, {V} filled in, and
 * the subset a costly method ran on */
static void format_label(const Eval *ev, int m, char *buf, size_t len)
{
    const Model *model = ev->env->model;
    char val[64];
    size_t k = 0;
    buf[0] = 0;
    for (const char *p = eval_method_at(m)->label; *p && k + 1 < len;) {
        const char *v = NULL;
        if (!strncmp(p, "{layer}", 7)) {
            v = model->layers[ev->main.layer].name;
            p += 7;
        } else if (!strncmp(p, "{alt}", 5)) {
            v = ev->alt.ok ? model->layers[ev->alt.layer].name : "?";
            p += 5;
        } else if (!strncmp(p, "{E}", 3)) {
            snprintf(val, sizeof val, "%d", ev->E);
            v = val;
            p += 3;
        } else if (!strncmp(p, "{T}", 3)) {
            snprintf(val, sizeof val, "%.3f", ev->T);
            v = val;
            p += 3;
        } else if (!strncmp(p, "{V}", 3)) {
            snprintf(val, sizeof val, "%d", ev->val_n);
            v = val;
            p += 3;
        }
        if (v) {
            k += (size_t)snprintf(buf + k, len - k, "%s", v);
            if (k >= len) k = len - 1;
        } else {
            buf[k++] = *p++;
            buf[k] = 0;
        }
    }
    if (ev->n[m] < ev->ntest && k + 1 < len)
        snprintf(buf + k, len - k, " [first %d of %d test samples]", ev->n[m], ev->ntest);
}

/* per-sample values of row m on its first n samples, averaged over the repeats */
static void repeat_means(const Eval *ev, int m, EvalSource from, int n, double *out)
{
    const double *x = from == EVAL_FROM_CORRECT ? ev->correct[m] : ev->loss[m];
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int r = 0; r < ev->R; r++)
            s += x[(int64_t)r * ev->n[m] + i];
        out[i] = s / ev->R;
    }
}

static const char *ceiling_note(TaskKind kind)
{
    switch (kind) {
    case TASK_CLASSIFICATION:
        return "Ceilings: 'overfit on test, predicted label' is the label-free ceiling (what a perfect label-free "
               "generator reaches: the overfit toward the base model's own argmax, which cannot change the argmax, so "
               "accuracy cannot rise); 'overfit on test' with the true label is the bound that uses the label; the "
               "temperature-scaled base is what calibration alone reaches.";
    case TASK_REGRESSION:
        return "Ceiling: overfitting toward the model's own prediction gives a zero gradient, so a perfect label-free "
               "generator lands on the base model; the sign of the true shift is the sign of the residual, which the "
               "input cannot predict. 'overfit on test' uses the label: an upper bound, not a label-free ceiling.";
    case TASK_NERF:
        return "No label-free ceiling is computed: layer 1's shift is a sum over a view's many points (not rank 1); "
               "the nearest-neighbour row shows what the training views' shifts carry. 'overfit on test' uses the "
               "view's pixels: an upper bound.";
    }
    return "";
}

/* each row's difference to the base on the samples it ran on: one bootstrap per subset size,
 * all rows of that size on one stream of indices */
static int write_intervals(const Eval *ev, H5File *f, const EvalMetricInfo *mt[2], const double scale[2], int resamples,
                           Status *st)
{
    const int nm = eval_method_count();
    int ib = -1;
    for (int m = 0; m < nm; m++)
        if (!strcmp(eval_method_at(m)->key, "base")) ib = m;
    if (ib < 0 || !ev->active[ib]) return 0;
    int rc = 0;
    int done[EVAL_MAX_METHODS] = {0};
    for (int m0 = 0; m0 < nm && rc == 0; m0++) {
        if (!ev->active[m0] || m0 == ib || done[m0]) continue;
        const int n = ev->n[m0];
        int rows[EVAL_MAX_METHODS], nr = 0;
        for (int m = m0; m < nm; m++)
            if (ev->active[m] && m != ib && !done[m] && ev->n[m] == n) rows[nr++] = m, done[m] = 1;
        double *vals = malloc(sizeof(double) * (size_t)n * (size_t)(2 * nr + 2));
        double *base[2] = {vals + (size_t)n * 2 * nr, vals + (size_t)n * (2 * nr + 1)};
        BootSeries s[2 * EVAL_MAX_METHODS];
        BootInterval iv[2 * EVAL_MAX_METHODS];
        for (int k = 0; k < 2; k++)
            repeat_means(ev, ib, mt[k]->from, n, base[k]);
        for (int j = 0; j < nr; j++)
            for (int k = 0; k < 2; k++) {
                double *a = vals + (size_t)n * (2 * j + k);
                repeat_means(ev, rows[j], mt[k]->from, n, a);
                s[2 * j + k] = (BootSeries){a, base[k], mt[k]->stat, scale[k]};
            }
        boot_paired(s, 2 * nr, n, resamples, BOOT_KEY, iv);
        for (int j = 0; j < nr && rc == 0; j++) {
            char grp[96], an[64];
            snprintf(grp, sizeof grp, "eval/%s", eval_method_at(rows[j])->key);
            for (int k = 0; k < 2 && rc == 0; k++) {
                const BootInterval *x = &iv[2 * j + k];
                rc = rc ? rc
                        : (snprintf(an, sizeof an, "%s_diff", mt[k]->name), h5w_attr_double(f, grp, an, x->diff, st));
                rc = rc ? rc
                        : (snprintf(an, sizeof an, "%s_diff_lo", mt[k]->name), h5w_attr_double(f, grp, an, x->lo, st));
                rc = rc ? rc
                        : (snprintf(an, sizeof an, "%s_diff_hi", mt[k]->name), h5w_attr_double(f, grp, an, x->hi, st));
                rc = rc ? rc
                        : (snprintf(an, sizeof an, "%s_verdict", mt[k]->name),
                           h5w_attr_str(f, grp, an, boot_verdict(x, mt[k]->higher_is_better), st));
            }
            rc = rc ? rc : h5w_attr_int(f, grp, "bootstrap_resamples", resamples, st);
        }
        free(vals);
    }
    return rc;
}

/* one row: label, per-repeat metrics and their mean and SD, per-sample values */
static int write_row(const Eval *ev, H5File *f, int m, const EvalMetricInfo *mt[2], const double scale[2], Status *st)
{
    const int R = ev->R, n = ev->n[m];
    const TaskKind kind = ev->t->kind;
    char grp[96], p[160], an[64], label[256];
    snprintf(grp, sizeof grp, "eval/%s", eval_method_at(m)->key);
    format_label(ev, m, label, sizeof label);
    double v[2][1000], mu[2], sd[2]; /* R <= 1000 (the schema's bound) */
    for (int k = 0; k < 2; k++) {
        const double *x = mt[k]->from == EVAL_FROM_CORRECT ? ev->correct[m] : ev->loss[m];
        for (int r = 0; r < R; r++) {
            double s = 0.0;
            for (int i = 0; i < n; i++)
                s += x[(int64_t)r * n + i];
            v[k][r] = n > 0 ? boot_stat(mt[k]->stat, scale[k], s / n) : NAN;
        }
        ocd_mean_sd(v[k], R, &mu[k], &sd[k]);
    }
    const int64_t nr = R, dims[2] = {R, n};
    int rc = h5w_attr_str(f, grp, "label", label, st);
    for (int k = 0; k < 2; k++) {
        rc = rc ? rc : (snprintf(p, sizeof p, "%s/%s", grp, mt[k]->name), h5w_doubles(f, p, v[k], 1, &nr, st));
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_mean", mt[k]->name), h5w_attr_double(f, grp, an, mu[k], st));
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_sd", mt[k]->name), h5w_attr_double(f, grp, an, sd[k], st));
    }
    rc = rc ? rc : (snprintf(p, sizeof p, "%s/loss_per_sample", grp), h5w_doubles(f, p, ev->loss[m], 2, dims, st));
    if (kind == TASK_CLASSIFICATION && rc == 0) {
        int64_t *c = malloc(sizeof(int64_t) * (size_t)R * (size_t)(n > 0 ? n : 1));
        for (int64_t i = 0; i < (int64_t)R * n; i++)
            c[i] = ev->correct[m][i] != 0.0;
        snprintf(p, sizeof p, "%s/correct_per_sample", grp);
        rc = h5w_ints(f, p, c, 2, dims, st);
        free(c);
    }
    rc = rc ? rc : h5w_attr_int(f, grp, "n", R, st);
    rc = rc ? rc : h5w_attr_int(f, grp, "test_samples", n, st);
    rc = rc ? rc : h5w_attr_double(f, grp, "seconds", ev->seconds[m], st);
    rc = rc ? rc : h5w_attr_int(f, grp, "deterministic", eval_method_at(m)->deterministic && kind != TASK_NERF, st);
    if (!strcmp(eval_method_at(m)->key, "base_temperature")) {
        rc = rc ? rc : h5w_attr_double(f, grp, "temperature", ev->T, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "val_samples", ev->val_n, st);
    }
    return rc;
}

int eval_write_results(Eval *ev, double total_seconds)
{
    StageEnv *env = ev->env;
    Status *st = env->st;
    char work[600];
    session_work_path(env->s, "eval", work, sizeof work);
    H5File *f = h5w_begin(work, NULL, st);
    if (!f) return -1;
    const TaskKind kind = ev->t->kind;
    const EvalMetricInfo *mt[2];
    eval_task_metrics(kind, mt);
    const double scale[2] = {mt[0]->target_units ? env->ds->y_std : 1.0, mt[1]->target_units ? env->ds->y_std : 1.0};
    const int nm = eval_method_count(), resamples = cfg_int(env->cfg, "eval.bootstrap");
    char list[1024] = "", skipped[2048] = "", metrics[64];
    int rc = 0;
    for (int m = 0; m < nm && rc == 0; m++) {
        if (ev->skip[m])
            snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), "%s%s: %s", skipped[0] ? "; " : "",
                     eval_method_at(m)->key, ev->skip[m]);
        if (!ev->active[m]) continue;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? "," : "", eval_method_at(m)->key);
        rc = write_row(ev, f, m, mt, scale, st);
    }
    rc = rc ? rc : write_intervals(ev, f, mt, scale, resamples, st);
    const char *lname = env->model->layers[ev->main.layer].name;
    snprintf(metrics, sizeof metrics, "%s,%s", mt[0]->name, mt[1]->name);
    rc = rc ? rc : h5w_attr_str(f, "eval", "methods", list, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "metrics", metrics, st);
    rc = rc ? rc
            : h5w_attr_str(f, "eval", "units",
                           kind == TASK_CLASSIFICATION ? "ce: mean cross-entropy (nats); accuracy: fraction correct"
                           : kind == TASK_REGRESSION
                               ? "mse: of the standardised target; rmse: in the target's units"
                               : "mse: RGB in [0,1] over every pixel of the test views; psnr: -10 log10(mse)",
                           st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "test_samples", ev->ntest, st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "repeats", ev->R, st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "ensemble", ev->E, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "layer", lname, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "alt_layer", ev->alt.ok ? env->model->layers[ev->alt.layer].name : "", st);
    rc = rc ? rc : h5w_attr_double(f, "eval", "seconds", total_seconds, st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "bootstrap_resamples", resamples, st);
    rc = rc ? rc : h5w_attr_double(f, "eval", "bootstrap_level", BOOT_LEVEL, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "ceiling_note", ceiling_note(kind), st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "skipped", skipped, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "device", env->c->be->name, st);
    for (int m = 0; m < nm && rc == 0; m++) {
        /* inference time per sample in repeat 0: OCD's conditioning, rho, E draws and one
         * prediction; the base model's prediction */
        const char *key = eval_method_at(m)->key;
        if (!ev->active[m] || (strcmp(key, "ocd") && strcmp(key, "base"))) continue;
        rc = h5w_attr_double(f, "eval", !strcmp(key, "ocd") ? "ocd_seconds_per_sample" : "base_seconds_per_sample",
                             ev->seconds_r0[m] / fmax(ev->n[m], 1), st);
    }
    if (rc) {
        h5w_abort(f);
        return -1;
    }
    if (h5w_commit(f, st)) return -1;
    return session_commit_stage(env->s, "eval", st);
}
