/* The per-sample values of an eval row, read from the session file (sessview.h): what
 * comparisons between sessions resample. */
#include "sessview.h"

#include "h5io.h"
#include "ocd/eval.h"
#include "ocd/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double *sessview_row_samples(const SessView *v, const char *key, int m, int *n, double *scale, Status *st)
{
    *n = 0;
    *scale = 1.0;
    const SvRow *row = sessview_row(v, key);
    if (!row || m < 0 || m > 1) {
        status_fail(st, ERR_STATE, "%s: no method '%s' in the eval table", v->path, key);
        return NULL;
    }
    const EvalMetricInfo *mi = eval_metric_find(v->metrics[m]);
    if (!mi) {
        status_fail(st, ERR_FORMAT, "%s: metric '%s' is unknown to this version", v->path, v->metrics[m]);
        return NULL;
    }
    H5File *f = h5r_open(v->path, st);
    if (!f) return NULL;
    char p[160];
    snprintf(p, sizeof p, "eval/%s/%s", key, mi->from == EVAL_FROM_CORRECT ? "correct_per_sample" : "loss_per_sample");
    int nd = 0;
    int64_t dims[4] = {0}, numel = 0;
    double *x = NULL, *out = NULL;
    if (!h5r_exists(f, p) || h5r_shape(f, p, &nd, dims) || nd != 2 || dims[0] < 1 || dims[1] < 1) {
        status_fail(st, ERR_FORMAT, "%s: /%s is missing or not repeats x samples (an eval stage older than per-sample values: run it again)",
                    v->path, p);
    } else if (mi->from == EVAL_FROM_CORRECT) {
        int64_t *c = h5_read_ints_alloc(f, p, &numel, st);
        x = c ? malloc(sizeof(double) * (size_t)numel) : NULL;
        for (int64_t i = 0; x && i < numel; i++) x[i] = (double)c[i];
        free(c);
    } else {
        x = h5_read_doubles_alloc(f, p, &numel, st);
    }
    const int64_t R = dims[0], N = dims[1];
    out = x ? calloc((size_t)N, sizeof(double)) : NULL;
    for (int64_t r = 0; out && r < R; r++)
        for (int64_t i = 0; i < N; i++) out[i] += x[r * N + i] / (double)R;
    free(x);
    if (out) {
        *n = (int)N;
        double sd = 1.0;
        if (mi->target_units && h5r_attr_double(f, "base/standardisation", "target_std", &sd)) *scale = sd;
    } else if (status_ok(st)) {
        status_fail(st, ERR_IO, "%s: out of memory reading /%s", v->path, p);
    }
    h5r_close(f);
    return out;
}

double sessview_row_metric_on(const SessView *v, const char *key, int m, int64_t n)
{
    Status st;
    status_clear(&st);
    int k = 0;
    double scale = 1.0;
    double *x = n > 0 ? sessview_row_samples(v, key, m, &k, &scale, &st) : NULL;
    const EvalMetricInfo *mi = m >= 0 && m < 2 ? eval_metric_find(v->metrics[m]) : NULL;
    double out = NAN;
    if (x && mi && k >= n) {
        double s = 0.0;
        for (int64_t i = 0; i < n; i++) s += x[i];
        out = boot_stat(mi->stat, scale, s / (double)n);
    }
    free(x);
    return out;
}
