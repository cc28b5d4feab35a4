/* Tick values and labels for the chart axes: nice linear steps (1, 2 or 5 x 10^k), log10
 * decades, and labels with the digits the step needs. Pure arithmetic, no cairo. */
#include "chart.h"

#include <math.h>
#include <stdio.h>

static double nice_step(double lo, double hi, int target)
{
    const double raw = (hi - lo) / (target > 1 ? target : 1);
    if (!(raw > 0) || !isfinite(raw)) return 1;
    const double mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

int chart_nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step)
{
    if (lo > hi) {
        const double t = lo;
        lo = hi;
        hi = t;
    }
    const double s = nice_step(lo, hi, target);
    if (step) *step = s;
    int n = 0;
    /* k * s rather than a running sum, so 0.1 + 0.2 never shows as 0.30000000000000004 */
    for (double k = ceil(lo / s - 1e-9); k <= floor(hi / s + 1e-9) && n < max; k++) {
        double v = k * s;
        if (fabs(v) < 1e-12 * s) v = 0;
        ticks[n++] = v;
    }
    return n;
}

void chart_nice_range(double *lo, double *hi, int target)
{
    if (!(*hi - *lo > 1e-12 * (fabs(*lo) + fabs(*hi)))) {
        const double d = *lo != 0 ? 0.1 * fabs(*lo) : 1;
        *lo -= d;
        *hi += d;
    }
    const double s = nice_step(*lo, *hi, target);
    *lo = floor(*lo / s + 1e-9) * s;
    *hi = ceil(*hi / s - 1e-9) * s;
}

int chart_log_ticks(double lo, double hi, double *ticks, int max)
{
    if (!(lo > 0) || !(hi > lo)) return 0;
    const int d0 = (int)floor(log10(lo) + 1e-9), d1 = (int)ceil(log10(hi) - 1e-9);
    static const double few[] = {1, 2, 5}, all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int span = d1 - d0;
    const double *m = span <= 3 ? few : all;
    const int nm = span <= 3 ? 3 : 1; /* wide ranges: powers of ten only */
    int n = 0;
    for (int d = d0; d <= d1; d++)
        for (int i = 0; i < nm && n < max; i++) {
            const double v = m[i] * pow(10, d);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks[n++] = v;
        }
    if (n < 3) { /* about one decade: every integer multiple */
        n = 0;
        for (int d = d0; d <= d1; d++)
            for (int i = 0; i < 9 && n < max; i++) {
                const double v = all[i] * pow(10, d);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks[n++] = v;
            }
    }
    return n;
}

void chart_tick_label(double v, double step, int log, char *buf, int len)
{
    if (v == 0) {
        snprintf(buf, len, "0");
        return;
    }
    const double a = fabs(v);
    if (log || a >= 1e5 || a < 1e-4) {
        snprintf(buf, len, a >= 1e-3 && a < 1e5 ? "%g" : "%.0e", v);
        return;
    }
    int dec = step > 0 ? (int)ceil(-log10(step) - 1e-9) : 2;
    if (dec < 0) dec = 0;
    if (dec > 8) dec = 8;
    snprintf(buf, len, "%.*f", dec, v);
}
