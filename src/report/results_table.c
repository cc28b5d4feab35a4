/* See results_table.h. The Markdown table's metric cells are sessview_fmt_metric's, so every
 * front end prints a metric the same way; the verdict is sessview_verdict's. */
#include "results_table.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

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
    fprintf(f, "| method | %s | %s | n |\n|---|---:|---:|---:|\n", v->metrics[0], v->metrics[1]);
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        char a[64], b[64];
        sessview_fmt_metric(v->metrics[0], r->mean[0], r->sd[0], a, sizeof a);
        sessview_fmt_metric(v->metrics[1], r->mean[1], r->sd[1], b, sizeof b);
        fprintf(f, "| %s | %s | %s | %lld |\n", r->label, a, b, (long long)r->n);
    }
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
    double d = 0, sd = 0;
    const char *verdict = sessview_verdict(v, &d, &sd);
    if (verdict) {
        const SvRow *base = sessview_row(v, "base"), *ocd = sessview_row(v, "ocd");
        fprintf(f, "OCD %s the base model on %s: %.5f vs %.5f (%+.5f; SD over repeats %.5f).\n", verdict, v->metrics[0],
                ocd->mean[0], base->mean[0], d, sd);
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

void results_write_csv(const SessView *v, FILE *f)
{
    fprintf(f, "method,label,%s_mean,%s_sd,%s_mean,%s_sd,n\n", v->metrics[0], v->metrics[0], v->metrics[1],
            v->metrics[1]);
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        fprintf(f, "%s,\"%s\",%.9g,%.9g,%.9g,%.9g,%lld\n", r->key, r->label, r->mean[0], r->sd[0], r->mean[1], r->sd[1],
                (long long)r->n);
    }
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
    cJSON *sw = cJSON_AddObjectToObject(root, "stage_wall_seconds");
    for (int i = 0; i < v->nstages; i++)
        if (v->wall[i] >= 0) cJSON_AddNumberToObject(sw, v->stage[i], v->wall[i]);
    cJSON *arr = cJSON_AddArrayToObject(root, "methods");
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", r->key);
        cJSON_AddStringToObject(o, "label", r->label);
        for (int m = 0; m < 2; m++) {
            cJSON *x = cJSON_AddObjectToObject(o, v->metrics[m]);
            cJSON_AddNumberToObject(x, "mean", r->mean[m]);
            cJSON_AddNumberToObject(x, "sd", r->sd[m]);
            cJSON_AddNumberToObject(x, "n", (double)r->n);
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *js = cJSON_Print(root);
    cJSON_Delete(root);
    if (!js) return -1;
    fprintf(f, "%s\n", js);
    free(js);
    return 0;
}
