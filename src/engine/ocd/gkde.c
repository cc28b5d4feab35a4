/* KDE entropy; see gkde.h. */
#include "ocd/gkde.h"

#include <math.h>
#include <stdlib.h>

/* the smallest bandwidth: relative to the values' magnitude, so that a layer whose
 * perturbation leaves the loss unchanged scores very low instead of -inf */
static double floor_h(const double *x, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return fmax(1e-12, 1e-9 * m);
}

double gkde_bandwidth(const double *x, int n)
{
    if (n < 2) return floor_h(x, n);
    double mean = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    const double sd = sqrt(ss / (n - 1));
    return fmax(sd * pow(0.75 * n, -0.2), floor_h(x, n));
}

double gkde_entropy(const double *x, int n, int grid)
{
    if (n < 1) return NAN;
    if (grid < 64) grid = 64;
    const double h = gkde_bandwidth(x, n);
    double lo = x[0], hi = x[0];
    for (int i = 1; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    lo -= 6 * h;
    hi += 6 * h;
    /* at least 4 points per bandwidth wherever the values spread (outliers widen the range) */
    const double need = ceil((hi - lo) / (0.25 * h)) + 1;
    if (need > grid) grid = need > 200000 ? 200000 : (int)need;
    const double dx = (hi - lo) / (grid - 1), norm = 1.0 / (n * h * sqrt(2 * M_PI)), inv = 1.0 / (2 * h * h);
    /* p on the grid; kernels farther than 9h contribute < 1e-17 of their peak */
    double H = 0.0;
    for (int g = 0; g < grid; g++) {
        const double y = lo + g * dx;
        double p = 0.0;
        for (int i = 0; i < n; i++) {
            const double d = y - x[i];
            if (fabs(d) < 9 * h) p += exp(-d * d * inv);
        }
        p *= norm;
        const double w = (g == 0 || g == grid - 1) ? 0.5 : 1.0;
        if (p > 0) H -= w * p * log(p);
    }
    return H * dx;
}
