/* The paired bootstrap (ocd/bootstrap.h): two identical methods give an interval around 0 and
 * "no difference"; a constant shift of every sample gives that shift as the difference, an
 * interval that excludes 0 and the verdict its direction says; the intervals are the same
 * for the same key and move with another; the statistic is recomputed on each resample
 * (RMSE of the mean, not the mean of RMSEs); the percentiles interpolate as type 7. */
#include "harness.h"

#include "core/philox.h"
#include "ocd/bootstrap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 400, RES = 2000 };

/* per-sample losses of a "base model": positive, skewed, like cross-entropies */
static void losses(uint64_t seed, int n, double *x)
{
    for (int i = 0; i < n; i++) {
        const double u = (philox4x32(seed, (uint64_t)i).v[0] >> 8) * (1.0 / 16777216.0);
        x[i] = -log(1.0 - 0.999 * u) * 0.3;
    }
}

TEST(two_identical_methods_have_an_interval_around_zero_and_no_difference)
{
    double a[N];
    losses(3, N, a);
    const BootSeries s = {a, a, BOOT_MEAN, 1.0};
    BootInterval iv;
    CHECK(boot_paired(&s, 1, N, RES, BOOT_KEY, &iv) == 0, "boot_paired failed");
    CHECK(iv.diff == 0 && iv.lo <= 0 && iv.hi >= 0, "interval [%g, %g] around %g", iv.lo, iv.hi, iv.diff);
    CHECK(!strcmp(boot_verdict(&iv, 0), "no difference") && !strcmp(boot_verdict(&iv, 1), "no difference"),
          "verdicts %s / %s", boot_verdict(&iv, 0), boot_verdict(&iv, 1));
    /* two methods that differ only by noise of mean zero: still no difference */
    double b[N];
    for (int i = 0; i < N; i++)
        b[i] = a[i] + ((i % 2) ? 0.01 : -0.01);
    const BootSeries t = {b, a, BOOT_MEAN, 1.0};
    CHECK(boot_paired(&t, 1, N, RES, BOOT_KEY, &iv) == 0, "boot_paired failed");
    CHECK(iv.lo < 0 && iv.hi > 0 && !strcmp(boot_verdict(&iv, 0), "no difference"), "+-0.01 noise: [%g, %g] %s", iv.lo,
          iv.hi, boot_verdict(&iv, 0));
}

TEST(a_constant_shift_is_the_difference_and_its_interval_excludes_zero)
{
    double base[N], worse[N], better[N];
    losses(5, N, base);
    const double c = 0.05;
    for (int i = 0; i < N; i++) {
        worse[i] = base[i] + c;
        better[i] = base[i] - c;
    }
    const BootSeries s[2] = {{worse, base, BOOT_MEAN, 1.0}, {better, base, BOOT_MEAN, 1.0}};
    BootInterval iv[2];
    CHECK(boot_paired(s, 2, N, RES, BOOT_KEY, iv) == 0, "boot_paired failed");
    /* every resample's difference is c up to the rounding of two sums of N doubles */
    for (int k = 0; k < 2; k++) {
        const double want = k == 0 ? c : -c;
        CHECK_CLOSE(iv[k].diff, want, 1e-12, 0, "the difference is the shift");
        CHECK_CLOSE(iv[k].lo, want, 1e-12, 0, "the interval's low end");
        CHECK_CLOSE(iv[k].hi, want, 1e-12, 0, "the interval's high end");
    }
    /* lower is better (a loss): +c is worse, -c better; higher is better (accuracy): the reverse */
    CHECK(!strcmp(boot_verdict(&iv[0], 0), "worse") && !strcmp(boot_verdict(&iv[1], 0), "better"), "losses: %s, %s",
          boot_verdict(&iv[0], 0), boot_verdict(&iv[1], 0));
    CHECK(!strcmp(boot_verdict(&iv[0], 1), "better") && !strcmp(boot_verdict(&iv[1], 1), "worse"), "scores: %s, %s",
          boot_verdict(&iv[0], 1), boot_verdict(&iv[1], 1));
    /* a shift smaller than the spread but systematic: still resolved, since the pairs cancel the spread */
    for (int i = 0; i < N; i++)
        better[i] = base[i] - 1e-4;
    const BootSeries t = {better, base, BOOT_MEAN, 1.0};
    CHECK(boot_paired(&t, 1, N, RES, BOOT_KEY, iv) == 0 && iv[0].hi < 0, "a 1e-4 paired shift: [%g, %g]", iv[0].lo,
          iv[0].hi);
}

TEST(intervals_repeat_with_the_key_and_move_with_another)
{
    double a[N], b[N];
    losses(7, N, a);
    losses(8, N, b);
    const BootSeries s = {a, b, BOOT_MEAN, 1.0};
    BootInterval x, y, z;
    boot_paired(&s, 1, N, RES, BOOT_KEY, &x);
    boot_paired(&s, 1, N, RES, BOOT_KEY, &y);
    boot_paired(&s, 1, N, RES, BOOT_KEY + 1, &z);
    CHECK(x.lo == y.lo && x.hi == y.hi && x.diff == y.diff, "the same key gave [%.17g, %.17g] then [%.17g, %.17g]",
          x.lo, x.hi, y.lo, y.hi);
    CHECK(z.diff == x.diff, "the point estimate does not depend on the key");
    CHECK(z.lo != x.lo || z.hi != x.hi, "another key gave the same interval [%g, %g]", z.lo, z.hi);
    /* the same series in a call with others: the index stream is shared, so the same interval */
    const BootSeries two[2] = {{b, a, BOOT_MEAN, 1.0}, {a, b, BOOT_MEAN, 1.0}};
    BootInterval w[2];
    boot_paired(two, 2, N, RES, BOOT_KEY, w);
    CHECK(w[1].lo == x.lo && w[1].hi == x.hi, "a series' interval depends on the other series of the call");
    /* independent samples of equal distribution differ by chance: a finite, ordered interval */
    CHECK(x.lo < x.diff && x.diff < x.hi, "the estimate %g is not inside [%g, %g]", x.diff, x.lo, x.hi);
}

TEST(the_statistic_is_recomputed_on_each_resample)
{
    double a[N], b[N];
    losses(9, N, a);
    for (int i = 0; i < N; i++)
        b[i] = 4 * a[i];
    /* RMSE in target units (scale 2): 2 sqrt(mean a) - 2 sqrt(mean 4a) = -2 sqrt(mean a) exactly */
    const BootSeries s[2] = {{a, b, BOOT_SQRT, 2.0}, {a, b, BOOT_NEG_LOG10, 1.0}};
    BootInterval iv[2];
    boot_paired(s, 2, N, RES, BOOT_KEY, iv);
    double m = 0;
    for (int i = 0; i < N; i++)
        m += a[i];
    m /= N;
    CHECK_CLOSE(iv[0].diff, -2 * sqrt(m), 1e-12, 1e-12, "RMSE difference of the means");
    CHECK(iv[0].lo < iv[0].diff && iv[0].diff < iv[0].hi && iv[0].hi < 0, "RMSE interval [%g, %g]", iv[0].lo, iv[0].hi);
    /* PSNR: -10 log10(m) + 10 log10(4 m) = 10 log10 4 on every resample */
    CHECK_CLOSE(iv[1].diff, 10 * log10(4.0), 1e-9, 0, "PSNR difference");
    CHECK_CLOSE(iv[1].lo, 10 * log10(4.0), 1e-9, 0, "PSNR interval low");
    CHECK(!strcmp(boot_verdict(&iv[1], 1), "better"), "a 4x smaller error is a better PSNR: %s",
          boot_verdict(&iv[1], 1));
    /* a zero error has an infinite PSNR: no interval */
    double z[4] = {0, 0, 0, 0}, o[4] = {1, 1, 1, 1};
    const BootSeries p = {z, o, BOOT_NEG_LOG10, 1.0};
    boot_paired(&p, 1, 4, RES, BOOT_KEY, iv);
    CHECK(isnan(iv[0].lo) && !strcmp(boot_verdict(&iv[0], 1), "undetermined"), "PSNR of zero error: [%g, %g] %s",
          iv[0].lo, iv[0].hi, boot_verdict(&iv[0], 1));
}

TEST(percentiles_interpolate_between_order_statistics)
{
    const double x[5] = {1, 2, 3, 4, 5};
    CHECK_CLOSE(boot_quantile(x, 5, 0.0), 1.0, 0, 0, "q 0");
    CHECK_CLOSE(boot_quantile(x, 5, 1.0), 5.0, 0, 0, "q 1");
    CHECK_CLOSE(boot_quantile(x, 5, 0.5), 3.0, 0, 0, "median");
    CHECK_CLOSE(boot_quantile(x, 5, 0.025), 1.1, 1e-12, 0, "2.5%: 1 + 0.1");
    CHECK_CLOSE(boot_quantile(x, 5, 0.975), 4.9, 1e-12, 0, "97.5%");
    double a[1] = {2}, b[1] = {1};
    const BootSeries s = {a, b, BOOT_MEAN, 1.0};
    BootInterval iv;
    CHECK(boot_paired(&s, 1, 1, 1, BOOT_KEY, &iv) != 0, "one resample is refused");
    CHECK(boot_paired(&s, 1, 0, RES, BOOT_KEY, &iv) != 0, "no samples is refused");
}

/* Unpaired (sessions on different test sets): a set against itself resampled independently
 * has an interval around 0 that is not degenerate (the paired one is [0, 0]); a second set of
 * other samples shifted by a constant gives about that shift, with an interval that holds it */
TEST(unpaired_intervals_carry_the_sampling_of_both_sets)
{
    double a[N], b[N / 2];
    losses(3, N, a);
    losses(4, N / 2, b);
    BootInterval iv;
    CHECK(boot_unpaired(a, N, a, N, BOOT_MEAN, 1.0, RES, BOOT_KEY, &iv) == 0, "boot_unpaired failed");
    CHECK(iv.diff == 0 && iv.lo < 0 && iv.hi > 0 && !strcmp(boot_verdict(&iv, 0), "no difference"),
          "a set against itself, unpaired: %g [%g, %g]", iv.diff, iv.lo, iv.hi);
    double mb = 0.0, ma = 0.0;
    for (int i = 0; i < N / 2; i++) {
        mb += b[i];
        b[i] += 1.0;
    }
    for (int i = 0; i < N; i++) ma += a[i];
    CHECK(boot_unpaired(b, N / 2, a, N, BOOT_MEAN, 1.0, RES, BOOT_KEY, &iv) == 0, "boot_unpaired failed");
    const double want = mb / (N / 2) + 1.0 - ma / N;
    CHECK_CLOSE(iv.diff, want, 1e-12, 1e-12, "the unpaired difference is the difference of the means");
    CHECK(iv.lo < want && want < iv.hi && iv.lo > 0.5 && !strcmp(boot_verdict(&iv, 0), "worse"),
          "shifted by 1: %g [%g, %g]", iv.diff, iv.lo, iv.hi);
    CHECK(boot_unpaired(a, 0, b, 1, BOOT_MEAN, 1.0, RES, BOOT_KEY, &iv) != 0, "an empty set is refused");
}
