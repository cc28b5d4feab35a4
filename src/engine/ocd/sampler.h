/* Sampling weight directions (OCD-SPEC §3, Alg. 2): from Omega_T ~ N(0, I) over the real
 * matrix, each step asks the network for the noise and moves by the schedule's coefficients
 * (DDIM for the official schedule, ancestral DDPM for the paper's). The conditioning
 * embedding is computed once per sample, not per step. Each (sample, draw) has its own noise
 * stream, so a draw is the same whatever batch it is sampled in. */
#ifndef OCD_SAMPLER_H
#define OCD_SAMPLER_H

#include "ocd/schedule.h"
#include "ocd/wnet.h"

/* called after every step with the state x (host, B x rows x cols), the predicted noise and
 * x0-hat; for the workbench's stepper (may be NULL) */
typedef void (*SamplerHook)(void *user, int step, int t_model, const float *x, const float *eps, const float *x0);

typedef struct {
    uint64_t key;          /* the draw's seed */
    const uint64_t *ids;   /* B stream ids (e.g. test index) */
    int dropout;           /* 1: the network's dropout stays on (the authors' code never sets eval mode) */
    SamplerHook hook;
    void *user;
} SamplerOpts;

/* omega0 (B x rows x cols, host) for B samples with conditioning (host arrays) */
int sampler_run(Ctx *c, WNet *w, const Schedule *s, const float *cin, const float *cact, const float *cout, int B,
                const SamplerOpts *o, float *omega0);

#endif
