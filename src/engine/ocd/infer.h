/* What the eval stage and the probes both compute to make OCD's predictions, in one place so
 * that a probe's draw is the eval stage's to the bit: the trained pipeline of one layer
 * (collection, noise predictor, scale model, the training mean rho), the sampler's key of a
 * repeat, a draw's stream id, the conditioning + predicted rho + draws of Omega_0 for a batch
 * of samples, and the per-sample loss the eval table is made of. */
#ifndef OCD_INFER_H
#define OCD_INFER_H

#include "ocd/collect.h"
#include "ocd/sampler.h"
#include "ocd/scale.h"
#include "ocd/task.h"
#include "ocd/wnet.h"

/* draws per sample a stream id can tell apart (infer_draw_id) */
enum { INFER_MAX_DRAWS = 64 };

/* a trained OCD pipeline on one layer */
typedef struct {
    int ok, layer;
    Collected k;
    WNet w;
    ScaleNet *scale;
    double rho_mean; /* the mean rho of the training collection (the no-scale ablation) */
} OcdPipeline;

/* Loads the committed stages "<prefix>overfit", "<prefix>diffusion" and "<prefix>scale" of
 * env's session (prefix "" for the selected layer, "alt/" for the runner-up). On failure the
 * parts loaded so far are freed and env->st says why. */
int infer_pipeline_load(StageEnv *env, const char *prefix, OcdPipeline *p);
/* frees what was loaded (a zeroed pipeline is fine) */
void infer_pipeline_free(OcdPipeline *p);

/* the sampler's key of repeat r of a session seeded `seed` (repeat 0 is what probes draw) */
uint64_t infer_key(uint64_t seed, int repeat);
/* the noise stream of draw d of test sample `index`: a draw does not depend on its batch */
uint64_t infer_draw_id(int64_t index, int draw);

/* the key of the overfit-on-test fits of repeat r (NeRF's ray draws; the other tasks use
 * none): the selected layer, and every layer */
uint64_t infer_overfit_key(uint64_t seed, int repeat);
uint64_t infer_overfit_all_key(uint64_t seed, int repeat);

/* For test samples idx[0..B): the conditioning, the scale model's rho (B) and draws
 * draw0 .. draw0+D-1 of Omega_0, draw-major (om: D x B x rows x cols, draw d of sample b at
 * (d * B + b)). hook (may be NULL) sees every sampler step. */
int infer_draws(StageEnv *env, Task *t, OcdPipeline *p, const Schedule *sch, const int64_t *idx, int B, int draw0,
                int D, uint64_t key, SamplerHook hook, void *user, float *rho, float *om);

/* The loss of one sample's prediction against its target (task_fill's y): cross-entropy
 * (nats), the squared error of the standardised target, or the view's MSE over pixels and
 * colours. *correct (may be NULL): 1 when a classification's argmax is the label, else 0. */
double infer_loss(const Task *t, const float *pred, const float *y, int *correct);

#endif
