/* Paired bootstrap intervals for the eval table: is a method better than the base model on
 * the same test samples, beyond what the choice of test samples explains?
 *
 * Each metric of the table is a statistic of the mean of a per-sample value (the loss or the
 * 0/1 correct flag): the mean itself (CE, MSE, accuracy), its square root (RMSE) or
 * -10 log10 of it (PSNR). For a method with per-sample values a[i] and the base with b[i]
 * (each first averaged over the repeats), one resample draws n test indices with
 * replacement, the same for a and b (paired), and recomputes stat(mean a) - stat(mean b).
 * The 95% interval is the 2.5th..97.5th percentile of those differences. Indices come from
 * Philox with a fixed key, so an interval is the same on every run and machine.
 * Pure C: no engine state. */
#ifndef OCD_BOOTSTRAP_H
#define OCD_BOOTSTRAP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* the eval stage's key: any fixed value makes the intervals reproducible */
#define BOOT_KEY 0x0CDB0075A9ull
#define BOOT_LEVEL 0.95
enum { BOOT_MIN_RESAMPLES = 1000 };

/* what a metric reports of the mean m of its per-sample values, times a scale s */
typedef enum {
    BOOT_MEAN,     /* s * m                 CE, MSE, accuracy */
    BOOT_SQRT,     /* s * sqrt(m)           RMSE (s: the target's std, for its units) */
    BOOT_NEG_LOG10 /* -10 log10(m)          PSNR (s unused) */
} BootStat;

double boot_stat(BootStat stat, double scale, double mean);

/* one metric of one method against the base: n values each */
typedef struct {
    const double *a, *b;
    BootStat stat;
    double scale;
} BootSeries;

/* diff: stat(mean a) - stat(mean b) on all n samples; lo, hi: the percentile interval.
 * NaN when a resample's statistic is not finite (PSNR of a zero error). */
typedef struct {
    double diff, lo, hi;
} BootInterval;

/* Intervals of every series (each with n values, all on the same test samples), with one
 * stream of `resamples` x n indices shared by all of them. 0, or -1 when n < 1 or
 * resamples < 2. */
int boot_paired(const BootSeries *s, int ns, int n, int resamples, uint64_t key, BootInterval *out);

/* The same for two methods evaluated on different samples (sessions on different test
 * sets): a[na] and b[nb] are resampled independently (a's indices from the first half of each
 * resample's counters, b's from the second), so the interval also carries the difference
 * between the samples. 0, or -1 when na or nb < 1 or resamples < 2. */
int boot_unpaired(const double *a, int na, const double *b, int nb, BootStat stat, double scale, int resamples,
                  uint64_t key, BootInterval *out);

/* "better" when the whole interval lies on the good side of 0 (below 0 where lower is
 * better, above where higher is), "worse" when it lies on the other side, "no difference"
 * when it contains 0, "undetermined" when it is NaN */
const char *boot_verdict(const BootInterval *iv, int higher_is_better);

/* the q-quantile (0..1) of sorted x[n], linear between order statistics (type 7) */
double boot_quantile(const double *sorted, int n, double q);

#ifdef __cplusplus
}
#endif

#endif
