/* Temperature scaling (Guo et al. 2017): one T > 0 such that softmax(z / T) minimises the
 * mean negative log-likelihood of held-out labels. The eval stage's "temperature-scaled base"
 * row fits T on the validation split (never on test) and shows what calibration alone does
 * to the base model's cross-entropy: a method that only sharpens or softens the base's
 * probabilities cannot beat it. Pure C: no engine state. */
#ifndef OCD_TEMPERATURE_H
#define OCD_TEMPERATURE_H

/* the range T is searched in */
#define TEMPERATURE_MIN 1e-3
#define TEMPERATURE_MAX 1e3

/* T minimising mean_i [logsumexp(z_i / T) - z_i[y_i] / T] over logits z (n x K) and labels
 * y (n, class indices as floats). The NLL is convex in 1/T, so its derivative in 1/T is
 * monotone: bisection on its sign (in log T) finds the minimum to ~1e-12 relative. Returns 1
 * when n < 1. */
double temperature_fit(const float *logits, const float *labels, int n, int K);

/* the mean NLL at temperature T (the quantity temperature_fit minimises) */
double temperature_nll(const float *logits, const float *labels, int n, int K, double T);

#endif
