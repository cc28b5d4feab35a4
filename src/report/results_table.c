/* See results_table.h. The Markdown table's metric and difference cells are sessview's
 * (sessview_fmt_metric, sessview_row_diff_cells), so every front end prints them the same
 * way; the verdict line is sessview_verdict_line's. Rows without an interval (the base, and
 * every row of a session made before the intervals) show "-". */
#include "results_table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int results_check(const SessView *v, Status *st)
{
    if (!sessview_stage_complete(v, "eval"))
        return status_fail(st, ERR_STATE, "%s has no complete eval stage yet (ocd inspect %s shows where it is)",
                           v->dir, v->dir);
    if (v->nrows <= 0) return status_fail(st, ERR_FORMAT, "%s: /eval has no methods", v->path);
    return 0;
}

void results_write_md_table(const SessView *v, FILE *f)
{
    const char *m0 = v->metrics[0], *m1 = v->metrics[1];
    fprintf(f, "| method | %s | %s | n | %s − base [%.0f%% CI] | %s verdict | %s − base [%.0f%% CI] | %s verdict |\n",
            m0, m1, m0, 100 * v->bootstrap_level, m0, m1, 100 * v->bootstrap_level, m1);
    fprintf(f, "|---|---:|---:|---:|---:|---|---:|---|\n");
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        char a[64], b[64], d[2][96];
        const char *w[2];
        sessview_fmt_metric(m0, r->mean[0], r->sd[0], a, sizeof a);
        sessview_fmt_metric(m1, r->mean[1], r->sd[1], b, sizeof b);
        for (int m = 0; m < 2; m++)
            sessview_row_diff_cells(r, v->metrics[m], m, d[m], sizeof d[m], &w[m]);
        fprintf(f, "| %s | %s | %s | %lld | %s | %s | %s | %s |\n", r->label, a, b, (long long)r->n, d[0], w[0], d[1],
                w[1]);
    }
}

/* Rows on a subset (the costly ones) are compared with the base on that subset; the table's
 * base row is on every sample, so the base's value on the subset is given too, or a reader
 * compares a row's mean with the wrong base. */
static void subset_base_note(const SessView *v, FILE *f)
{
    int64_t n = 0;
    for (int i = 0; i < v->nrows; i++)
        if (v->rows[i].test_samples > 0 && v->rows[i].test_samples < v->test_samples) n = v->rows[i].test_samples;
    if (n <= 0) return;
    char cell[2][64];
    for (int m = 0; m < 2; m++) {
        const double x = sessview_row_metric_on(v, "base", m, n);
        if (!isfinite(x)) return; /* an older session without per-sample values: nothing to add */
        sessview_fmt_metric(v->metrics[m], x, NAN, cell[m], sizeof cell[m]);
        char *pm = strstr(cell[m], " ±"); /* one number: no SD */
        if (pm) *pm = 0;
    }
    fprintf(f, "On the first %lld test samples (the subset of the rows marked so) the base model's %s is %s and its %s %s.\n",
            (long long)n, v->metrics[0], cell[0], v->metrics[1], cell[1]);
}

/* how the differences were made, which ceiling applies, which rows did not run */
static void write_notes(const SessView *v, FILE *f)
{
    if (v->bootstrap_resamples > 0)
        fprintf(f,
                "Differences: method − base on the same test samples (each sample's value first averaged over the "
                "repeats; a row run on a subset is compared with the base on that subset), with a %.0f%% paired "
                "percentile bootstrap interval from %lld resamples of the %lld test samples. Verdict: better or worse "
                "when the interval excludes 0, otherwise no difference (%s: %s is better; %s: %s is better).\n",
                100 * v->bootstrap_level, (long long)v->bootstrap_resamples, (long long)v->test_samples, v->metrics[0],
                sessview_metric_higher_is_better(v->metrics[0]) ? "higher" : "lower", v->metrics[1],
                sessview_metric_higher_is_better(v->metrics[1]) ? "higher" : "lower");
    else
        fprintf(f, "This session's eval stage stored no per-sample values: no paired intervals (\"-\"); run the eval "
                   "stage again for them.\n");
    subset_base_note(v, f);
    if (v->ceiling_note[0]) fprintf(f, "%s\n", v->ceiling_note);
    if (v->skipped[0]) fprintf(f, "Not run: %s.\n", v->skipped);
}

void results_write_md(const SessView *v, FILE *f)
{
    const char *alt = v->alt_layer;
    fprintf(f,
            "Session `%s` (preset `%s`, seed %d, device %s): %lld test samples, %lld repeat(s), OCD on `%s`%s%s%s.\n\n",
            v->dir, v->preset, v->seed, v->device, (long long)v->test_samples, (long long)v->repeats, v->eval_layer,
            alt[0] ? ", alternative layer `" : "", alt, alt[0] ? "`" : "");
    results_write_md_table(v, f);
    fprintf(f, "\n%s (mean ± SD over the repeats; deterministic methods have SD 0).\n", v->units);
    write_notes(v, f);
    char line[1024];
    sessview_verdict_line(v, 0, line, sizeof line);
    if (line[0]) fprintf(f, "%s\n", line);
    sessview_why_line(v, line, sizeof line);
    if (line[0]) fprintf(f, "%s\n", line);
    const SvFit *fits[2] = {&v->fit, &v->alt_fit};
    const char *layers[2] = {v->eval_layer, v->alt_layer};
    for (int i = 0; i < 2; i++) {
        if (!fits[i]->have) continue;
        sessview_fit_line(fits[i], line, sizeof line);
        fprintf(f, "Generator fit on `%s`%s (diffusion target %s, %lld learned row/column maps): %s.\n", layers[i],
                i ? ", the alternative layer," : "", fits[i]->target, (long long)fits[i]->rc_maps, line);
    }
    if (v->ocd_seconds_per_sample > 0)
        fprintf(f,
                "OCD inference: %.2f ms per test sample (conditioning, rho, %lld draws of the sampler, one prediction) "
                "vs %.3f ms for the base model.\n",
                1000 * v->ocd_seconds_per_sample, (long long)v->ensemble, 1000 * v->base_seconds_per_sample);
    fprintf(f, "Stage wall times:");
    for (int i = 0; i < v->nstages; i++) {
        const char *sep = i + 1 < v->nstages ? "," : "";
        if (v->wall[i] >= 0)
            fprintf(f, " %s %.1f s%s", v->stage[i], v->wall[i], sep);
        else
            fprintf(f, " %s (not recorded)%s", v->stage[i], sep);
    }
    fprintf(f, "\n");
}

/* a CSV field: empty where the row has no value */
static void csv_num(FILE *f, int have, double x)
{
    if (have && isfinite(x))
        fprintf(f, ",%.9g", x);
    else
        fprintf(f, ",");
}

void results_write_csv(const SessView *v, FILE *f)
{
    fprintf(f, "method,label,%s_mean,%s_sd,%s_mean,%s_sd,n,test_samples", v->metrics[0], v->metrics[0], v->metrics[1],
            v->metrics[1]);
    for (int m = 0; m < 2; m++)
        fprintf(f, ",%s_diff,%s_diff_lo,%s_diff_hi,%s_verdict", v->metrics[m], v->metrics[m], v->metrics[m],
                v->metrics[m]);
    fprintf(f, "\n");
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        fprintf(f, "%s,\"%s\",%.9g,%.9g,%.9g,%.9g,%lld", r->key, r->label, r->mean[0], r->sd[0], r->mean[1], r->sd[1],
                (long long)r->n);
        csv_num(f, r->test_samples > 0, (double)r->test_samples);
        for (int m = 0; m < 2; m++) {
            csv_num(f, r->has_diff, r->diff[m]);
            csv_num(f, r->has_diff, r->lo[m]);
            csv_num(f, r->has_diff, r->hi[m]);
            fprintf(f, ",%s", r->has_diff ? r->verdict[m] : "");
        }
        fprintf(f, "\n");
    }
}

int results_json_print(cJSON *root, FILE *f)
{
    char *js = cJSON_Print(root);
    cJSON_Delete(root);
    if (!js) return -1;
    fprintf(f, "%s\n", js);
    free(js);
    return 0;
}

/* a number, or null where there is none */
static void json_num(cJSON *o, const char *name, int have, double x)
{
    if (have && isfinite(x))
        cJSON_AddNumberToObject(o, name, x);
    else
        cJSON_AddNullToObject(o, name);
}

int results_write_json(const SessView *v, FILE *f)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    cJSON_AddStringToObject(root, "session", v->dir);
    cJSON_AddStringToObject(root, "preset", v->preset);
    cJSON_AddNumberToObject(root, "seed", v->seed);
    cJSON_AddNumberToObject(root, "test_samples", (double)v->test_samples);
    cJSON_AddNumberToObject(root, "repeats", (double)v->repeats);
    cJSON_AddStringToObject(root, "layer", v->eval_layer);
    cJSON_AddStringToObject(root, "alt_layer", v->alt_layer);
    cJSON_AddStringToObject(root, "units", v->units);
    cJSON_AddNumberToObject(root, "ocd_seconds_per_sample", v->ocd_seconds_per_sample);
    json_num(root, "bootstrap_resamples", v->bootstrap_resamples > 0, (double)v->bootstrap_resamples);
    cJSON_AddNumberToObject(root, "bootstrap_level", v->bootstrap_level);
    cJSON_AddStringToObject(root, "ceiling_note", v->ceiling_note);
    cJSON_AddStringToObject(root, "skipped", v->skipped);
    char line[1024];
    sessview_verdict_line(v, 0, line, sizeof line);
    cJSON_AddStringToObject(root, "verdict", line);
    sessview_why_line(v, line, sizeof line);
    cJSON_AddStringToObject(root, "why", line);
    const SvFit *fits[2] = {&v->fit, &v->alt_fit};
    const char *fit_names[2] = {"generator_fit", "alt_generator_fit"};
    for (int i = 0; i < 2; i++) {
        if (!fits[i]->have) continue;
        const SvFit *g = fits[i];
        cJSON *o = cJSON_AddObjectToObject(root, fit_names[i]);
        const char *fv = sessview_fit_verdict(g);
        cJSON_AddStringToObject(o, "verdict", fv ? fv : "not measured");
        cJSON_AddStringToObject(o, "target", g->target);
        cJSON_AddNumberToObject(o, "rc_maps", (double)g->rc_maps);
        cJSON_AddNumberToObject(o, "heldout_samples", g->n_held);
        json_num(o, "heldout_cos_mean", g->n_held > 0, g->held_cos_mean);
        json_num(o, "heldout_cos_q25", g->n_held > 0, g->held_cos_q[0]);
        json_num(o, "heldout_cos_median", g->n_held > 0, g->held_cos_q[1]);
        json_num(o, "heldout_cos_q75", g->n_held > 0, g->held_cos_q[2]);
        json_num(o, "train_cos_mean", 1, g->train_cos_mean);
        json_num(o, "other_sample_cos_mean", 1, g->other_cos_mean);
        json_num(o, "heldout_norm_ratio_median", g->n_held > 0, g->held_ratio_median);
        json_num(o, "rho_relative_error_heldout", 1, g->rho_rel_held);
        json_num(o, "rho_log_corr_heldout", 1, g->rho_logcorr_held);
    }
    cJSON *sw = cJSON_AddObjectToObject(root, "stage_wall_seconds");
    for (int i = 0; i < v->nstages; i++)
        if (v->wall[i] >= 0) cJSON_AddNumberToObject(sw, v->stage[i], v->wall[i]);
    cJSON *arr = cJSON_AddArrayToObject(root, "methods");
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", r->key);
        cJSON_AddStringToObject(o, "label", r->label);
        json_num(o, "test_samples", r->test_samples > 0, (double)r->test_samples);
        if (isfinite(r->temperature)) cJSON_AddNumberToObject(o, "temperature", r->temperature);
        for (int m = 0; m < 2; m++) {
            cJSON *x = cJSON_AddObjectToObject(o, v->metrics[m]);
            cJSON_AddNumberToObject(x, "mean", r->mean[m]);
            cJSON_AddNumberToObject(x, "sd", r->sd[m]);
            cJSON_AddNumberToObject(x, "n", (double)r->n);
            json_num(x, "diff", r->has_diff, r->diff[m]);
            json_num(x, "diff_lo", r->has_diff, r->lo[m]);
            json_num(x, "diff_hi", r->has_diff, r->hi[m]);
            if (r->has_diff)
                cJSON_AddStringToObject(x, "verdict", r->verdict[m]);
            else
                cJSON_AddNullToObject(x, "verdict");
        }
        cJSON_AddItemToArray(arr, o);
    }
    return results_json_print(root, f);
}
