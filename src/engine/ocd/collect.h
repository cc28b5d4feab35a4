/* The overfit stage's data collection (OCD-SPEC §2.3) and the record it leaves: for each
 * sample of the overfit set, the unit direction of its weight shift, its scale rho, the
 * losses before and after, and its conditioning I(x). Shared by the overfit stage and the
 * alternative-layer stage (which runs it on the runner-up layer), and read back by the
 * diffusion, scale and eval stages. */
#ifndef OCD_COLLECT_H
#define OCD_COLLECT_H

#include "ocd/overfit.h"

typedef struct {
    int layer, rows, cols; /* the layer and its weight's shape (out x in) */
    int n;                 /* samples */
    int64_t *idx;          /* training indices */
    double *rho;           /* the scale used to normalise: std of the entries (official) or L2 norm */
    double *rho_std, *rho_l2, *loss0, *loss1;
    CondDims d;
    float *cin, *cact, *cout; /* n x din, n x dact, n x dout */
    float *dir;               /* n x rows x cols unit directions, or NULL: made again on the fly */
    int norm_l2;              /* 1: rho = L2 norm (the paper); 0: std (the authors' code) */
    double seconds;
} Collected;

/* Runs (or resumes) collection for `layer` into group `grp` of the work file `work`.
 * `stage` names the stage for progress and messages. */
int collect_run(StageEnv *env, Task *t, int layer, const char *work, const char *grp, const char *stage);
/* Loads a complete collection from group grp ("overfit", "alt/overfit") of the file `path`
 * (the session, or a stage's work file). */
int collect_load(StageEnv *env, const char *path, const char *grp, Collected *out);
void collect_free(Collected *k);
/* The unit directions of samples [i0, i0+B) of the collection into dir (B x rows x cols):
 * stored ones are copied, otherwise the overfit is run again (deterministic). */
int collect_directions(StageEnv *env, Task *t, const Collected *k, const int *which, int B, float *dir);
OverfitCfg collect_overfit_cfg(const Config *cfg, int layer);
/* Samples held out of diffusion and scale training to measure their fit: the last
 * collect_holdout() of the collection's n (diffusion.holdout, at most n / 4); the first
 * n - holdout are trained on. */
int collect_holdout(const Config *cfg, int n);

#endif
