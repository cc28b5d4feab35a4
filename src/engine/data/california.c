/* California housing (StatLib cal_housing.data): the 8 features scikit-learn derives, a
 * reproducible 64/16/20 split by a Philox-driven Fisher-Yates shuffle, and standardisation
 * with the train split's statistics. */
#include "core/philox.h"
#include "data/data_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CAL_COLS = 9, CAL_FEATURES = 8, CAL_FIELD_MAX = 64 };

/* The file's columns, in order (no header line). */
enum { C_LON, C_LAT, C_AGE, C_ROOMS, C_BEDROOMS, C_POP, C_HOUSEHOLDS, C_INCOME, C_VALUE };
static const char *const cal_column_names[CAL_COLS] = {
    "longitude",  "latitude",   "housingMedianAge", "totalRooms",      "totalBedrooms",
    "population", "households", "medianIncome",     "medianHouseValue"};

/* Row k: the 8 features then the target, at v + 9k. */
typedef struct {
    double *v; /* (n, 9) */
    int n, cap;
} CalRows;

/* Room for one more row at r->v + 9 * r->n. */
static double *cal_rows_push(CalRows *r, const char *path, Status *st)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 4096;
        double *v = realloc(r->v, (size_t)cap * (CAL_FEATURES + 1) * sizeof *v);
        if (!v) {
            status_fail(st, ERR_IO, "%s: cannot allocate memory for %d rows", path, cap);
            return NULL;
        }
        r->v = v;
        r->cap = cap;
    }
    return r->v + (size_t)r->n++ * (CAL_FEATURES + 1);
}

/* One line (without its newline) into v[9]; columns in messages count characters from the
 * line's start, fields count from 1. */
static int cal_parse_line(const char *path, int line, const char *s, size_t len, double v[CAL_COLS], Status *st)
{
    int fields = 1;
    for (size_t i = 0; i < len; i++) fields += s[i] == ',';
    if (fields != CAL_COLS)
        return status_fail(st, ERR_FORMAT, "%s:%d: %d fields, expected %d (%s, ..., %s)", path, line, fields,
                           CAL_COLS, cal_column_names[0], cal_column_names[CAL_COLS - 1]);
    size_t pos = 0;
    for (int c = 0; c < CAL_COLS; c++) {
        size_t start = pos;
        while (pos < len && s[pos] != ',') pos++;
        size_t flen = pos - start;
        char buf[CAL_FIELD_MAX];
        /* copied out so that strtod sees exactly the field (it would skip a newline and
         * read on into the next line) */
        if (flen >= sizeof buf)
            return status_fail(st, ERR_FORMAT, "%s:%d: field %d (%s) at column %zu is %zu characters long", path,
                               line, c + 1, cal_column_names[c], start + 1, flen);
        memcpy(buf, s + start, flen);
        buf[flen] = 0;
        char *end = NULL;
        double x = flen ? strtod(buf, &end) : 0.0;
        if (!flen || end != buf + flen || !isfinite(x))
            return status_fail(st, ERR_FORMAT, "%s:%d: field %d (%s) at column %zu is not a finite number: \"%s\"",
                               path, line, c + 1, cal_column_names[c], start + 1, buf);
        v[c] = x;
        pos++; /* past the comma */
    }
    return 0;
}

/* The rows of the file, as scikit-learn's features and target. */
static int cal_parse(const char *path, const char *text, size_t len, CalRows *r, Status *st)
{
    size_t pos = 0;
    for (int line = 1; pos < len; line++) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - s) : len - pos;
        pos += llen + 1;
        if (llen && s[llen - 1] == '\r') llen--; /* the StatLib original has CRLF endings */
        if (llen == 0) continue;                 /* a blank line carries no row */
        double v[CAL_COLS] = {0};
        if (cal_parse_line(path, line, s, llen, v, st) != 0) return -1;
        if (!(v[C_HOUSEHOLDS] > 0))
            return status_fail(st, ERR_FORMAT, "%s:%d: field %d (households) is %g; the features divide by it", path,
                               line, C_HOUSEHOLDS + 1, v[C_HOUSEHOLDS]);
        double *f = cal_rows_push(r, path, st);
        if (!f) return -1;
        /* scikit-learn's fetch_california_housing: MedInc, HouseAge, AveRooms, AveBedrms,
         * Population, AveOccup, Latitude, Longitude */
        f[0] = v[C_INCOME];
        f[1] = v[C_AGE];
        f[2] = v[C_ROOMS] / v[C_HOUSEHOLDS];
        f[3] = v[C_BEDROOMS] / v[C_HOUSEHOLDS];
        f[4] = v[C_POP];
        f[5] = v[C_POP] / v[C_HOUSEHOLDS];
        f[6] = v[C_LAT];
        f[7] = v[C_LON];
        f[8] = v[C_VALUE] / 100000.0;
    }
    return 0;
}

/* Fisher-Yates from the top, the k-th swap (k = 0, 1, ...) drawing its index from 32-bit
 * word k of the Philox stream under `seed` (counter k/4, lane k%4) by multiply-shift: the
 * same permutation on every machine. The multiply-shift bias is below n / 2^32. */
static void cal_permute(int *perm, int n, uint64_t seed)
{
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1, k = 0; i > 0; i--, k++) {
        PhiloxOut r = philox4x32(seed, (uint64_t)k >> 2);
        int j = (int)(((uint64_t)r.v[k & 3] * (uint64_t)(i + 1)) >> 32);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* Train-split mean and population standard deviation, computed in double. */
static void cal_stats(const CalRows *r, const int *train, int n_train, Dataset *ds)
{
    double mean[CAL_FEATURES + 1] = {0}, var[CAL_FEATURES + 1] = {0};
    for (int k = 0; k < n_train; k++) {
        const double *f = r->v + (size_t)train[k] * (CAL_FEATURES + 1);
        for (int c = 0; c <= CAL_FEATURES; c++) mean[c] += f[c];
    }
    for (int c = 0; c <= CAL_FEATURES; c++) mean[c] /= n_train;
    for (int k = 0; k < n_train; k++) {
        const double *f = r->v + (size_t)train[k] * (CAL_FEATURES + 1);
        for (int c = 0; c <= CAL_FEATURES; c++) var[c] += (f[c] - mean[c]) * (f[c] - mean[c]);
    }
    for (int c = 0; c <= CAL_FEATURES; c++) {
        double sd = sqrt(var[c] / n_train);
        /* a constant column carries nothing; dividing by 1 keeps it finite (at 0) */
        float fsd = sd > 0 ? (float)sd : 1.0f;
        if (c < CAL_FEATURES) {
            ds->feat_mean[c] = (float)mean[c];
            ds->feat_std[c] = fsd;
        } else {
            ds->y_mean = (float)mean[c];
            ds->y_std = fsd;
        }
    }
}

static void cal_fill(const CalRows *r, const int *idx, const Dataset *ds, Split *s)
{
    for (int k = 0; k < s->n; k++) {
        const double *f = r->v + (size_t)idx[k] * (CAL_FEATURES + 1);
        for (int c = 0; c < CAL_FEATURES; c++)
            s->x[(size_t)k * CAL_FEATURES + c] = (float)((f[c] - ds->feat_mean[c]) / ds->feat_std[c]);
        s->y[k] = (float)((f[CAL_FEATURES] - ds->y_mean) / ds->y_std);
    }
}

int dataset_load_california(const char *path, uint64_t split_seed, Dataset *ds, Status *st)
{
    memset(ds, 0, sizeof *ds);
    unsigned char *text = NULL;
    size_t len = 0;
    CalRows rows = {0};
    int *perm = NULL;
    if (data_read_all(path, &text, &len, st) != 0) return -1;
    if (cal_parse(path, (const char *)text, len, &rows, st) != 0) goto fail;
    /* the split sizes in integers, so that no rounding of 0.64 * n can move a row */
    int n = rows.n, n_train = (int)((int64_t)n * 64 / 100), n_val = (int)((int64_t)n * 16 / 100);
    int n_test = n - n_train - n_val;
    if (n_train < 2 || n_test < 1) {
        status_fail(st, ERR_FORMAT, "%s: %d rows; a 64/16/20 split needs at least 4", path, n);
        goto fail;
    }
    perm = data_alloc((size_t)n * sizeof *perm, path, st);
    if (!perm) goto fail;
    cal_permute(perm, n, split_seed);
    cal_stats(&rows, perm, n_train, ds);
    const int dims[3] = {CAL_FEATURES, 0, 0};
    if (split_alloc(&ds->train, n_train, 1, dims, path, st) != 0 ||
        split_alloc(&ds->val, n_val, 1, dims, path, st) != 0 ||
        split_alloc(&ds->test, n_test, 1, dims, path, st) != 0)
        goto fail;
    cal_fill(&rows, perm, ds, &ds->train);
    cal_fill(&rows, perm + n_train, ds, &ds->val);
    cal_fill(&rows, perm + n_train + n_val, ds, &ds->test);
    ds->task = TASK_REGRESSION;
    snprintf(ds->name, sizeof ds->name, "california");
    ds->nfeat = CAL_FEATURES;
    free(perm);
    free(rows.v);
    free(text);
    return 0;
fail:
    free(perm);
    free(rows.v);
    free(text);
    dataset_free(ds);
    return -1;
}
