/* See temperature.h. With b = 1/T, NLL(b) = mean_i [logsumexp(b z_i) - b z_iy], whose
 * derivative is mean_i [E_p(b)[z_i] - z_iy]: increasing in b (its own derivative is a
 * variance), so the minimum is where it changes sign. */
#include "ocd/temperature.h"

#include <math.h>

/* dNLL/db at b = 1/T */
static double slope(const float *z, const float *y, int n, int K, double b)
{
    double g = 0.0;
    for (int i = 0; i < n; i++) {
        const float *zi = z + (long)i * K;
        double mx = zi[0];
        for (int k = 1; k < K; k++)
            mx = fmax(mx, zi[k]);
        double s = 0.0, ez = 0.0;
        for (int k = 0; k < K; k++) {
            const double e = exp(b * (zi[k] - mx));
            s += e;
            ez += e * zi[k];
        }
        g += ez / s - zi[(int)y[i]];
    }
    return g / n;
}

double temperature_nll(const float *logits, const float *labels, int n, int K, double T)
{
    if (n < 1 || K < 1) return NAN;
    double nll = 0.0;
    for (int i = 0; i < n; i++) {
        const float *zi = logits + (long)i * K;
        double mx = zi[0] / T;
        for (int k = 1; k < K; k++)
            mx = fmax(mx, zi[k] / T);
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += exp(zi[k] / T - mx);
        nll += log(s) + mx - zi[(int)labels[i]] / T;
    }
    return nll / n;
}

double temperature_fit(const float *logits, const float *labels, int n, int K)
{
    if (n < 1 || K < 1) return 1.0;
    /* bisection on log b over [1/TMAX, 1/TMIN]; the ends stand when the slope keeps its sign
     * (logits that rank every label first want T -> 0, constant logits any T) */
    double lo = log(1.0 / TEMPERATURE_MAX), hi = log(1.0 / TEMPERATURE_MIN);
    if (slope(logits, labels, n, K, exp(lo)) >= 0) return TEMPERATURE_MAX;
    if (slope(logits, labels, n, K, exp(hi)) <= 0) return TEMPERATURE_MIN;
    for (int it = 0; it < 100 && hi - lo > 1e-13; it++) {
        const double mid = 0.5 * (lo + hi);
        if (slope(logits, labels, n, K, exp(mid)) > 0)
            hi = mid;
        else
            lo = mid;
    }
    return 1.0 / exp(0.5 * (lo + hi));
}
