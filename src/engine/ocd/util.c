/* See util.h. */
#include "ocd/util.h"

#include "core/philox.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

void ocd_permutation(uint64_t seed, uint64_t stream, int64_t n, int64_t *idx)
{
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    const uint64_t base = (stream + 1) << 36;
    for (int64_t i = n - 1; i > 0; i--) {
        const PhiloxOut r = philox4x32(seed ^ 0x9e3779b97f4a7c15ull, base + (uint64_t)i);
        const uint64_t v = ((uint64_t)r.v[0] << 32) | r.v[1];
        const int64_t j = (int64_t)(v % (uint64_t)(i + 1)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

void ocd_mean_sd(const double *x, int n, double *mean, double *sd)
{
    double m = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++) m += x[i];
    m = n ? m / n : 0.0;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
}

static int64_t numel_of(H5File *f, const char *path, Status *st)
{
    int nd = 0;
    int64_t dims[8], n = 1;
    if (h5r_shape(f, path, &nd, dims) != 0) {
        status_fail(st, ERR_FORMAT, "session: dataset %s is missing", path);
        return -1;
    }
    for (int i = 0; i < nd; i++) n *= dims[i];
    return n;
}

float *h5_read_floats_alloc(H5File *f, const char *path, int64_t *numel, Status *st)
{
    const int64_t n = numel_of(f, path, st);
    if (n < 0) return NULL;
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (h5r_floats(f, path, p, n, st)) {
        free(p);
        return NULL;
    }
    if (numel) *numel = n;
    return p;
}

double *h5_read_doubles_alloc(H5File *f, const char *path, int64_t *numel, Status *st)
{
    const int64_t n = numel_of(f, path, st);
    if (n < 0) return NULL;
    double *p = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (h5r_doubles(f, path, p, n, st)) {
        free(p);
        return NULL;
    }
    if (numel) *numel = n;
    return p;
}

int64_t *h5_read_ints_alloc(H5File *f, const char *path, int64_t *numel, Status *st)
{
    const int64_t n = numel_of(f, path, st);
    if (n < 0) return NULL;
    int64_t *p = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (h5r_ints(f, path, p, n, st)) {
        free(p);
        return NULL;
    }
    if (numel) *numel = n;
    return p;
}

H5File *ocd_work_begin(const char *work, Status *st)
{
    const int have = access(work, F_OK) == 0;
    return h5w_begin(work, have ? work : NULL, st);
}

H5File *ocd_work_open(const char *work)
{
    if (access(work, F_OK) != 0) return NULL;
    Status quiet;
    status_clear(&quiet);
    return h5r_open(work, &quiet);
}

int ocd_nearest(const float *rows, int n, int d, const float *q)
{
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        const float *r = rows + (int64_t)i * d;
        for (int k = 0; k < d && s < bd; k++) {
            const double e = (double)r[k] - q[k];
            s += e * e;
        }
        if (s < bd) {
            bd = s;
            best = i;
        }
    }
    return best;
}
