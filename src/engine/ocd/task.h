/* The OCD stages' view of a dataset and its base model, the same for every task: samples are
 * images (classification), feature rows (regression) or whole views (NeRF), each with a
 * per-sample loss and the conditioning I(x) = (layer input, layer activation, base output)
 * of OCD-SPEC §2.3. The stages (select, overfit, diffusion, scale, eval) are written against
 * this and never look at the task kind themselves, except for the metrics. */
#ifndef OCD_TASK_H
#define OCD_TASK_H

#include "ocd/stage.h"

#include <stdint.h>

/* SPLIT_VAL: the dataset's validation split (classification and regression only; held out of
 * every stage's training: the eval stage fits the temperature-scaled base on it) */
typedef enum { SPLIT_TRAIN = 0, SPLIT_TEST = 1, SPLIT_VAL = 2 } SplitId;

/* the base output as conditioning: logits (classification), the prediction (regression), or
 * for NeRF the base render of the view, area-averaged to NERF_COND_SIDE^2 x 3 pixels (the
 * authors' VGG-11 encoding is not available offline) */
enum { NERF_COND_SIDE = 10 };

/* device buffers a task keeps between calls: a batch's weight copies and their Adam moments
 * (overfit_batch), the shifted weights of a prediction (task_predict), and the model's
 * weights saved while overfit_all_predict fits all of them */
enum { TASK_BUF_COPIES, TASK_BUF_ADAM_M, TASK_BUF_ADAM_V, TASK_BUF_PRED, TASK_BUF_SAVED, TASK_BUF_COUNT };

struct Optimizer;

typedef struct Task {
    StageEnv *env;
    TaskKind kind;
    /* NeRF */
    float *rays[2]; /* per split: (n, P, 6) */
    int64_t P;      /* rays (pixels) per view */
    /* grown, never shrunk, freed by task_free: allocating them per batch meant a cudaMalloc
     * and a synchronising cudaFree per batch on the GPU (found with cpu-guard's count) */
    float *buf[TASK_BUF_COUNT];
    size_t buf_floats[TASK_BUF_COUNT];
    struct Optimizer *opt; /* overfit_all_predict's, reset for each sample */
} Task;

typedef struct {
    int din, dact, dout; /* widths of the layer input, its activation and the base output */
} CondDims;

int task_init(Task *t, StageEnv *env);
/* frees the task's device buffers too: call it before the context goes */
void task_free(Task *t);
/* device buffer `slot` (TASK_BUF_*) of at least `floats` floats; its contents are not kept
 * when it grows */
float *task_buffer(Task *t, int slot, int64_t floats);

int task_count(const Task *t, SplitId s);
/* rays per sample: P for NeRF (all of a view), 1 otherwise */
int64_t task_full_rays(const Task *t);
/* floats of one sample's x and y, for R rays (ignored outside NeRF) */
int64_t task_x_floats(const Task *t, int64_t R);
int64_t task_y_floats(const Task *t, int64_t R);

/* x and y of B samples. NeRF: R rays per view, all of them in order when R == P, otherwise
 * R drawn with replacement from Philox (key, sample index, ray) so a draw can be repeated. */
void task_fill(const Task *t, SplitId s, const int64_t *idx, int B, int64_t R, uint64_t key, float *x, float *y);
/* the model's input tensor for B filled samples */
Tensor *task_input(Ctx *c, const Task *t, const float *x, int B, int64_t R);
Tensor *task_target(Ctx *c, const Task *t, const float *y, int B, int64_t R);
/* per-sample loss (B): cross-entropy, squared error, or the view's MSE over rays and colours */
Tensor *task_loss(Ctx *c, const Task *t, Tensor *pred, Tensor *y);

CondDims task_cond_dims(const Task *t, int layer);
/* I(x) of B samples with the base weights (no gradients, eval mode), to host arrays
 * (B x din, B x dact, B x dout). NeRF renders every view whole for it. */
int task_cond(Task *t, int layer, SplitId s, const int64_t *idx, int B, float *cin, float *cact, float *cout);

#endif
