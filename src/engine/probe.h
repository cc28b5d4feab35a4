/* Probes: computations on a session whose stages are complete, for front ends that want to
 * look inside (the workbench's denoising stepper and "what if" layer, `ocd report`'s figures).
 * A probe loads the session's data, base model and trained OCD pipeline once; each call
 * then runs on the calling thread (the workbench calls it from a worker thread, never from
 * the UI thread). Nothing here writes to the session.
 *
 * Every call is deterministic: a trajectory or render depends only on the session, the
 * arguments, and the seed the session recorded. */
#ifndef OCD_PROBE_H
#define OCD_PROBE_H

#include "core/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Probe Probe;

/* Opens the session in `dir` (its configuration as stored). asset_dir: where a relative
 * data.path is found (the bundled assets/). threads: 0 = the session's run.threads. Needs
 * the base stage; the OCD calls need overfit, diffusion and scale (ERR_STATE otherwise). */
Probe *probe_open(const char *dir, const char *asset_dir, int threads, Status *st);
/* The same on a named device (cpu, cuda, auto, cpu-guard). probe_open uses the session's
 * run.device, except that a session made with --device cuda is probed on the CPU where no
 * GPU is usable (a GPU session looked at on a laptop). The device-parity tests open one
 * session on two devices. */
Probe *probe_open_on(const char *dir, const char *asset_dir, int threads, const char *device, Status *st);
void probe_close(Probe *p);

/* what the session is: 0 classification, 1 regression, 2 NeRF (TaskKind) */
int probe_task(const Probe *p);
int probe_test_count(const Probe *p);
int probe_classes(const Probe *p); /* classification: K; otherwise 0 */
/* floats of one prediction: K logits, 1 value, or H*W*3 pixels (NeRF) */
int64_t probe_pred_floats(const Probe *p);
/* the selected layer's weight shape and name */
void probe_layer(const Probe *p, int *rows, int *cols, const char **name);
int probe_sample_steps(const Probe *p);

/* the label (classification), the target in the target's units (regression) of test sample i */
double probe_test_target(const Probe *p, int i);

/* the base model's prediction of test sample i (probe_pred_floats floats) */
int probe_base_predict(Probe *p, int i, float *pred, Status *st);

/* predicted rho (the scale model) for test samples [0, n): rho[n] */
int probe_rho_test(Probe *p, int n, double *rho, Status *st);

/* The denoising trajectory of test sample `index`, draw `draw` (the eval stage's draw 0 of
 * repeat 0 is draw 0): for each sampling step k = 0..S-1 (S = probe_sample_steps; step k
 * gives the model timestep t_model[k]), after the step:
 *   t[k]        the model timestep the step used
 *   norm[k]     ||Omega_t|| (Frobenius, over the real matrix) of the state after the step
 *   x0norm[k]   ||x0-hat|| of the step's prediction of Omega_0
 *   loss[k]     the sample's loss with W + rho * x0-hat(k) (rho from the scale model)
 *   pred        S x pred_floats predictions with that weight (NeRF: NULL is allowed, and is
 *               best: a render per step is costly)
 *   omega       S x rows x cols: the state after each step (may be NULL)
 * plus, for reference, loss_base (the base model) and rho_pred. ancestral: 0 the session's
 * sampler, 1 ancestral DDPM over every training timestep (T of the schedule: slower). */
typedef struct {
    int steps, rows, cols;
    int *t;
    double *norm, *x0norm, *loss;
    float *pred, *omega; /* NULL unless asked for */
    double loss_base, rho_pred;
    float *pred_base; /* pred_floats */
    /* a collected training sample (PROBE_SRC_HELDOUT / _TRAINED) only, else NULL / -1: its true
     * direction (rows x cols, unit norm as the generator learns it), the cosine of Omega_t
     * and of x0-hat with it after each step, its collection and training indices, and the
     * target of the training sample (label or value, as probe_test_target) */
    float *truth;
    double *cos_xt, *cos_x0;
    int kindex;
    int64_t train_index;
    double target;
} ProbeTrajectory;

int probe_trajectory(Probe *p, int index, int draw, int ancestral, int want_pred, int want_omega, ProbeTrajectory *out,
                     Status *st);

/* Where a trajectory's sample comes from: the test split, or the overfit collection's
 * samples the generator never trained on (held out, diffusion.holdout) or trained on. */
typedef enum { PROBE_SRC_TEST, PROBE_SRC_HELDOUT, PROBE_SRC_TRAINED, PROBE_SRC_COUNT } ProbeSource;
extern const char *const PROBE_SOURCE_NAMES[PROBE_SRC_COUNT]; /* "test", "held-out", "trained-on" */
/* samples of a source (test: the split; held-out / trained-on: of the collection) */
int probe_source_count(const Probe *p, ProbeSource src);
/* probe_trajectory for sample `index` of a source. For the collection's samples the
 * conditioning is the stored one, the noise is the diffusion stage's fit draw (FIT_DRAW_KEY,
 * stream id = the collection index) with the session's sampler, so draw 0's last cosine is
 * the one /diffusion/fit stored for that sample; the losses are the training sample's with
 * W + rho * x0-hat (rho from the scale model). draw > 0 draws other noise; ancestral as
 * probe_trajectory. */
int probe_trajectory_from(Probe *p, ProbeSource src, int index, int draw, int ancestral, int want_pred, int want_omega,
                          ProbeTrajectory *out, Status *st);
/* OCD's prediction (draw 0 of the session's sampler, W + rho * Omega_0) for test samples
 * [first, first+B) in one batch, as the eval stage makes it: B x probe_pred_floats. The
 * inference benchmark times this. */
int probe_ocd_predict(Probe *p, int first, int B, float *pred, Status *st);
/* per-op timing of the probe's context on (1) or off (0) (ctx_profile); returns the rows
 * gathered so far (NULL when off): the inference benchmark's --profile */
struct Profile *probe_profile(Probe *p, int on);
void probe_trajectory_free(ProbeTrajectory *tr);

/* NeRF: a test view rendered whole, H x W x 3 in [0,1]: 0 truth, 1 base, 2 OCD (draw 0),
 * 3 overfit on test (the selected layer, the overfit stage's settings) */
typedef enum { PROBE_TRUTH, PROBE_BASE, PROBE_OCD, PROBE_OVERFIT } ProbeView;
int probe_view_size(const Probe *p, int *h, int *w);
int probe_render(Probe *p, int view, ProbeView which, float *rgb, Status *st);
/* NeRF: the view rendered with W + rho * x0-hat of denoising step `step` (draw 0, the
 * session's sampler or ancestral): the denoise pane's picture of a step */
int probe_render_step(Probe *p, int view, int ancestral, int step, float *rgb, Status *st);

/* "What if" OCD used another layer: the overfit-on-test gain on test samples [0, n) with
 * layer `layer` (an index into the model's layers; its name in *name): the mean loss of the
 * base model and after overfitting that layer on each sample (the upper bound OCD chases).
 * progress (may be NULL) is called after each batch with samples done; a nonzero return
 * stops early (ERR_STATE). */
typedef int (*ProbeProgress)(void *user, int done, int total);
int probe_layer_gain(Probe *p, int layer, int n, double *loss_base, double *loss_overfit, ProbeProgress progress,
                     void *user, Status *st);
/* the model's layers that OCD can use (the select stage's candidates): count and names */
int probe_layers(const Probe *p, const char **names, int max);

#ifdef __cplusplus
}
#endif

#endif
