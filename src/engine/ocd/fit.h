/* How well a trained weight-diffusion network reproduces its target: for a set of collected
 * samples (held out of training, or trained on), one sampled direction Omega_0 per sample
 * beside the true one. Per sample: the cosine between them, the same cosine with another
 * sample's true direction (what the conditioning adds over a shared mean direction), and
 * the norm ratio ||Omega_0|| / ||Omega||; the set's mean and quartiles. A network that has
 * learned its target approaches cosine 1 on held-out samples; one that has only learned the
 * average direction scores the same with another sample's direction. */
#ifndef OCD_FIT_H
#define OCD_FIT_H

#include "h5io.h"
#include "ocd/collect.h"
#include "ocd/schedule.h"
#include "ocd/wnet.h"

typedef struct {
    int n;
    double *cos, *cos_other, *ratio; /* n each */
    double cos_mean, cos_q[3];       /* mean; 25th, 50th, 75th percentiles */
    double cos_other_mean;
    double ratio_mean, ratio_q[3];
} FitSet;

/* the sampler's key for fit draws: fixed, so a stage's fit numbers can be remade */
enum { FIT_DRAW_KEY = 0x5eed };

/* cosine and norm ratio of two n-vectors (0 when either is 0) */
double fit_cosine(const float *a, const float *b, int64_t n);
double fit_norm_ratio(const float *a, const float *b, int64_t n); /* ||a|| / ||b|| */
/* the q-quantile (0..1) of x[n] by linear interpolation between order statistics (numpy's
 * default); x is left unchanged */
double fit_quantile(const double *x, int n, double q);

/* samples which[0..n) of the collection: one draw each with the trained network w */
int fit_measure(StageEnv *env, Task *t, const Collected *k, WNet *w, const Schedule *sch, const int *which, int n,
                FitSet *out);
/* writes the set under group `grp` (datasets cos, cos_other, norm_ratio; attributes n,
 * cos_mean, cos_q25, cos_median, cos_q75, cos_other_mean, norm_ratio_mean, norm_ratio_median) */
int fit_save(H5File *f, const char *grp, const FitSet *s, Status *st);
void fit_free(FitSet *s);

#endif
