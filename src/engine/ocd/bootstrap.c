/* See bootstrap.h. */
#include "ocd/bootstrap.h"

#include "core/philox.h"

#include <math.h>
#include <stdlib.h>

double boot_stat(BootStat stat, double scale, double mean)
{
    switch (stat) {
    case BOOT_MEAN: return scale * mean;
    case BOOT_SQRT: return scale * sqrt(mean);
    case BOOT_NEG_LOG10: return -10.0 * log10(mean);
    }
    return NAN;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double boot_quantile(const double *sorted, int n, double q)
{
    if (n < 1) return NAN;
    const double h = q * (n - 1);
    const int i = (int)floor(h);
    if (i >= n - 1) return sorted[n - 1];
    return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

int boot_paired(const BootSeries *s, int ns, int n, int resamples, uint64_t key, BootInterval *out)
{
    if (n < 1 || resamples < 2) return -1;
    double *diff = malloc(sizeof(double) * (size_t)resamples * (size_t)(ns > 0 ? ns : 1));
    double *sa = calloc((size_t)(ns > 0 ? ns : 1), sizeof(double)),
           *sb = calloc((size_t)(ns > 0 ? ns : 1), sizeof(double));
    /* the counters of one resample: n indices, four per Philox call */
    const uint64_t per = ((uint64_t)n + 3) / 4;
    for (int k = 0; k < resamples; k++) {
        for (int j = 0; j < ns; j++)
            sa[j] = sb[j] = 0.0;
        for (int i = 0; i < n; i += 4) {
            const PhiloxOut r = philox4x32(key, (uint64_t)k * per + (uint64_t)i / 4);
            for (int lane = 0; lane < 4 && i + lane < n; lane++) {
                /* uniform in [0, n): the high half of a 32x32-bit product (bias below n / 2^32) */
                const int at = (int)(((uint64_t)r.v[lane] * (uint64_t)n) >> 32);
                for (int j = 0; j < ns; j++) {
                    sa[j] += s[j].a[at];
                    sb[j] += s[j].b[at];
                }
            }
        }
        for (int j = 0; j < ns; j++)
            diff[(size_t)j * resamples + k] =
                boot_stat(s[j].stat, s[j].scale, sa[j] / n) - boot_stat(s[j].stat, s[j].scale, sb[j] / n);
    }
    for (int j = 0; j < ns; j++) {
        double ma = 0.0, mb = 0.0;
        for (int i = 0; i < n; i++) {
            ma += s[j].a[i];
            mb += s[j].b[i];
        }
        out[j].diff = boot_stat(s[j].stat, s[j].scale, ma / n) - boot_stat(s[j].stat, s[j].scale, mb / n);
        double *d = diff + (size_t)j * resamples;
        int finite = 1;
        for (int k = 0; k < resamples && finite; k++)
            finite = isfinite(d[k]);
        if (!finite) {
            out[j].lo = out[j].hi = NAN;
            continue;
        }
        qsort(d, (size_t)resamples, sizeof(double), cmp_double);
        out[j].lo = boot_quantile(d, resamples, (1.0 - BOOT_LEVEL) / 2);
        out[j].hi = boot_quantile(d, resamples, 1.0 - (1.0 - BOOT_LEVEL) / 2);
    }
    free(diff);
    free(sa);
    free(sb);
    return 0;
}

const char *boot_verdict(const BootInterval *iv, int higher_is_better)
{
    if (!isfinite(iv->lo) || !isfinite(iv->hi)) return "undetermined";
    if (iv->lo > 0) return higher_is_better ? "better" : "worse";
    if (iv->hi < 0) return higher_is_better ? "worse" : "better";
    return "no difference";
}

/* the mean of n values of x drawn with replacement from counter `first` on */
static double resample_mean(const double *x, int n, uint64_t key, uint64_t first)
{
    double s = 0.0;
    for (int i = 0; i < n; i += 4) {
        const PhiloxOut r = philox4x32(key, first + (uint64_t)i / 4);
        for (int lane = 0; lane < 4 && i + lane < n; lane++)
            s += x[((uint64_t)r.v[lane] * (uint64_t)n) >> 32];
    }
    return s / n;
}

int boot_unpaired(const double *a, int na, const double *b, int nb, BootStat stat, double scale, int resamples,
                  uint64_t key, BootInterval *out)
{
    if (na < 1 || nb < 1 || resamples < 2) return -1;
    double *d = malloc(sizeof(double) * (size_t)resamples);
    if (!d) return -1;
    const uint64_t pa = ((uint64_t)na + 3) / 4, per = pa + ((uint64_t)nb + 3) / 4;
    int finite = 1;
    for (int k = 0; k < resamples; k++) {
        const uint64_t c0 = (uint64_t)k * per;
        d[k] = boot_stat(stat, scale, resample_mean(a, na, key, c0)) - boot_stat(stat, scale, resample_mean(b, nb, key, c0 + pa));
        finite = finite && isfinite(d[k]);
    }
    double ma = 0.0, mb = 0.0;
    for (int i = 0; i < na; i++) ma += a[i];
    for (int i = 0; i < nb; i++) mb += b[i];
    out->diff = boot_stat(stat, scale, ma / na) - boot_stat(stat, scale, mb / nb);
    if (finite) {
        qsort(d, (size_t)resamples, sizeof(double), cmp_double);
        out->lo = boot_quantile(d, resamples, (1.0 - BOOT_LEVEL) / 2);
        out->hi = boot_quantile(d, resamples, 1.0 - (1.0 - BOOT_LEVEL) / 2);
    } else {
        out->lo = out->hi = NAN;
    }
    free(d);
    return 0;
}
