/* The differential entropy of a 1-D Gaussian kernel density estimate, used by layer
 * selection (OCD-SPEC §2.2): the loss values of one sample under M perturbations of a layer
 * are smoothed by a Gaussian KDE and the entropy -int p log p of that density is integrated
 * numerically. Bandwidth: Silverman's factor as scipy.stats.gaussian_kde defines it,
 * h = std * (3n/4)^(-1/5) (std with n-1), floored so that equal values do not divide by zero. */
#ifndef OCD_GKDE_H
#define OCD_GKDE_H

#ifdef __cplusplus
extern "C" {
#endif

double gkde_bandwidth(const double *x, int n);
/* entropy in nats; the trapezoid rule over [min - 6h, max + 6h] with at least `grid` points
 * (and at least 4 per bandwidth) */
double gkde_entropy(const double *x, int n, int grid);

#ifdef __cplusplus
}
#endif

#endif
