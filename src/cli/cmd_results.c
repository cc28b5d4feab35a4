/* `ocd results DIR [--format md|csv|json]`: the eval stage's table, read from the session
 * file: every method with each metric's mean and SD over the repeats (and n), beside the
 * base model, with a line saying whether OCD beat the base model. JSON (cJSON) has one object
 * per method. */
#include "cli.h"

#include "config.h"
#include "engine.h"
#include "h5io.h"
#include "session.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char key[64], label[160];
    double mean[2], sd[2];
    int64_t n;
} Row;

static int load_rows(H5File *f, char metrics[2][32], Row *rows, int max)
{
    char list[1024] = "", mlist[64] = "";
    h5r_attr_str(f, "eval", "methods", list, sizeof list);
    h5r_attr_str(f, "eval", "metrics", mlist, sizeof mlist);
    char *comma = strchr(mlist, ',');
    if (!comma) return -1;
    *comma = 0;
    snprintf(metrics[0], 32, "%s", mlist);
    snprintf(metrics[1], 32, "%s", comma + 1);
    int n = 0;
    for (char *tok = strtok(list, ","); tok && n < max; tok = strtok(NULL, ",")) {
        Row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        snprintf(r->key, sizeof r->key, "%s", tok);
        char g[96], a[80];
        snprintf(g, sizeof g, "eval/%s", tok);
        h5r_attr_str(f, g, "label", r->label, sizeof r->label);
        for (int m = 0; m < 2; m++) {
            snprintf(a, sizeof a, "%s_mean", metrics[m]);
            r->mean[m] = NAN;
            h5r_attr_double(f, g, a, &r->mean[m]);
            snprintf(a, sizeof a, "%s_sd", metrics[m]);
            h5r_attr_double(f, g, a, &r->sd[m]);
        }
        h5r_attr_int(f, g, "n", &r->n);
    }
    return n;
}

static void fmt_metric(const char *metric, double mean, double sd, char *buf, size_t len)
{
    if (!strcmp(metric, "accuracy"))
        snprintf(buf, len, "%.2f%% ± %.2f", 100 * mean, 100 * sd);
    else if (!strcmp(metric, "psnr"))
        snprintf(buf, len, "%.2f ± %.2f", mean, sd);
    else
        snprintf(buf, len, "%.5f ± %.5f", mean, sd);
}

int cmd_results(int argc, char **argv)
{
    const char *dir = NULL, *format = "md";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: ocd results DIR [--format md|csv|json]\n");
            return 2;
        }
    }
    if (!dir || (strcmp(format, "md") && strcmp(format, "csv") && strcmp(format, "json"))) {
        fprintf(stderr, "usage: ocd results DIR [--format md|csv|json]\n");
        return 2;
    }
    Status st;
    status_clear(&st);
    Session s;
    if (session_load(dir, &s, &st)) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        return cli_exit_code(st.code);
    }
    if (!session_stage_complete(&s, "eval")) {
        fprintf(stderr, "ocd: %s has no complete eval stage yet (ocd inspect %s shows where it is)\n", dir, dir);
        session_end(&s);
        return 5;
    }
    H5File *f = h5r_open(s.path, &st);
    if (!f) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        session_end(&s);
        return cli_exit_code(st.code);
    }
    char metrics[2][32];
    Row rows[32];
    const int n = load_rows(f, metrics, rows, 32);
    int64_t ntest = 0, repeats = 0, ens = 0;
    char layer[64] = "", alt[64] = "", units[256] = "", device[16] = "";
    double per_sample = 0, base_per = 0;
    h5r_attr_int(f, "eval", "test_samples", &ntest);
    h5r_attr_int(f, "eval", "repeats", &repeats);
    h5r_attr_int(f, "eval", "ensemble", &ens);
    h5r_attr_str(f, "eval", "layer", layer, sizeof layer);
    h5r_attr_str(f, "eval", "alt_layer", alt, sizeof alt);
    h5r_attr_str(f, "eval", "units", units, sizeof units);
    h5r_attr_str(f, "eval", "device", device, sizeof device);
    h5r_attr_double(f, "eval", "ocd_seconds_per_sample", &per_sample);
    h5r_attr_double(f, "eval", "base_seconds_per_sample", &base_per);
    int n_stages = 0;
    const char *const *stage_names = engine_stage_names(&n_stages);
    double stage_wall[16] = {0};
    for (int i = 0; i < n_stages && i < 16; i++) {
        stage_wall[i] = -1.0; /* sessions made before wall times were recorded */
        h5r_attr_double(f, stage_names[i], "wall_seconds", &stage_wall[i]);
    }
    h5r_close(f);
    if (n <= 0) {
        fprintf(stderr, "ocd: %s: /eval has no methods\n", s.path);
        session_end(&s);
        return 2;
    }
    const char *preset = cfg_str(&s.cfg, "preset.name");
    const int seed = cfg_int(&s.cfg, "run.seed");
    /* lower loss is better; compare OCD with the base on the first metric */
    const Row *base = NULL, *ocd = NULL;
    for (int i = 0; i < n; i++) {
        if (!strcmp(rows[i].key, "base")) base = &rows[i];
        if (!strcmp(rows[i].key, "ocd")) ocd = &rows[i];
    }
    if (!strcmp(format, "json")) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "session", s.dir);
        cJSON_AddStringToObject(root, "preset", preset);
        cJSON_AddNumberToObject(root, "seed", seed);
        cJSON_AddNumberToObject(root, "test_samples", (double)ntest);
        cJSON_AddNumberToObject(root, "repeats", (double)repeats);
        cJSON_AddStringToObject(root, "layer", layer);
        cJSON_AddStringToObject(root, "alt_layer", alt);
        cJSON_AddStringToObject(root, "units", units);
        cJSON_AddNumberToObject(root, "ocd_seconds_per_sample", per_sample);
        cJSON *sw = cJSON_AddObjectToObject(root, "stage_wall_seconds");
        for (int i = 0; i < n_stages && i < 16; i++)
            if (stage_wall[i] >= 0) cJSON_AddNumberToObject(sw, stage_names[i], stage_wall[i]);
        cJSON *arr = cJSON_AddArrayToObject(root, "methods");
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "method", rows[i].key);
            cJSON_AddStringToObject(o, "label", rows[i].label);
            for (int m = 0; m < 2; m++) {
                cJSON *v = cJSON_AddObjectToObject(o, metrics[m]);
                cJSON_AddNumberToObject(v, "mean", rows[i].mean[m]);
                cJSON_AddNumberToObject(v, "sd", rows[i].sd[m]);
                cJSON_AddNumberToObject(v, "n", (double)rows[i].n);
            }
            cJSON_AddItemToArray(arr, o);
        }
        char *js = cJSON_Print(root);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(root);
    } else if (!strcmp(format, "csv")) {
        printf("method,label,%s_mean,%s_sd,%s_mean,%s_sd,n\n", metrics[0], metrics[0], metrics[1], metrics[1]);
        for (int i = 0; i < n; i++)
            printf("%s,\"%s\",%.9g,%.9g,%.9g,%.9g,%lld\n", rows[i].key, rows[i].label, rows[i].mean[0], rows[i].sd[0],
                   rows[i].mean[1], rows[i].sd[1], (long long)rows[i].n);
    } else {
        printf("Session `%s` (preset `%s`, seed %d, device %s): %lld test samples, %lld repeat(s), OCD on `%s`%s%s%s.\n\n",
               s.dir, preset, seed, device, (long long)ntest, (long long)repeats, layer, alt[0] ? ", alternative layer `" : "",
               alt, alt[0] ? "`" : "");
        printf("| method | %s | %s | n |\n|---|---:|---:|---:|\n", metrics[0], metrics[1]);
        for (int i = 0; i < n; i++) {
            char a[64], b[64];
            fmt_metric(metrics[0], rows[i].mean[0], rows[i].sd[0], a, sizeof a);
            fmt_metric(metrics[1], rows[i].mean[1], rows[i].sd[1], b, sizeof b);
            printf("| %s | %s | %s | %lld |\n", rows[i].label, a, b, (long long)rows[i].n);
        }
        printf("\n%s (mean ± SD over the repeats; deterministic methods have SD 0).\n", units);
        if (base && ocd) {
            /* a difference inside the spread of OCD's own repeats is not called a win */
            const double d = ocd->mean[0] - base->mean[0], sd = ocd->sd[0] > base->sd[0] ? ocd->sd[0] : base->sd[0];
            const char *verdict = fabs(d) <= sd ? "is within one SD of" : d < 0 ? "beats" : "does NOT beat";
            printf("OCD %s the base model on %s: %.5f vs %.5f (%+.5f; SD over repeats %.5f).\n", verdict, metrics[0],
                   ocd->mean[0], base->mean[0], d, sd);
        }
        if (per_sample > 0)
            printf("OCD inference: %.2f ms per test sample (conditioning, rho, %lld draws of the sampler, one prediction) "
                   "vs %.3f ms for the base model.\n",
                   1000 * per_sample, (long long)ens, 1000 * base_per);
        printf("Stage wall times:");
        for (int i = 0; i < n_stages && i < 16; i++)
            if (stage_wall[i] >= 0) printf(" %s %.1f s%s", stage_names[i], stage_wall[i], i + 1 < n_stages ? "," : "");
            else printf(" %s (not recorded)%s", stage_names[i], i + 1 < n_stages ? "," : "");
        printf("\n");
    }
    session_end(&s);
    return 0;
}
