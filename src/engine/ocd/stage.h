/* What every stage works with: the compute context, the resolved configuration, the
 * session, the bus, the dataset and the base model. Stages read only what earlier stages
 * committed, write their own group, and mark themselves complete last (session.h). */
#ifndef OCD_STAGE_H
#define OCD_STAGE_H

#include "bus.h"
#include "config.h"
#include "core/ctx.h"
#include "core/status.h"
#include "data/dataset.h"
#include "models/model.h"
#include "session.h"

typedef struct StageEnv {
    Ctx *c;
    const Config *cfg;
    Session *s;
    Bus *bus;
    Dataset *ds;
    Model *model;
    Status *st;
} StageEnv;

/* Metrics of a model on a split (eval mode, no gradients). Classification: mean cross-entropy
 * and accuracy; regression: MSE in standardised units and RMSE in the target's own units. */
typedef struct {
    double loss;     /* CE, or MSE (standardised) */
    double accuracy; /* classification */
    double rmse;     /* regression, target units */
    int64_t n;
} SplitMetrics;

int eval_split(StageEnv *env, const Split *split, SplitMetrics *out);

/* The base stage: train the model on the training split (stage.h's conventions). */
int stage_base(StageEnv *env);
/* One training step of the base stage on a host batch (inputs (B, split dims), targets (B)):
 * returns the loss; a non-finite loss leaves the weights untouched. *hits counts the batch's
 * correct predictions (classification). The benchmarks time this same step. */
struct Optimizer;
float base_train_step(Ctx *c, Model *m, struct Optimizer *opt, const Split *tr, const float *xb, const float *yb, int B,
                      int classify, int *hits);
/* Loads the committed base weights into env->model (a completed base stage). */
int stage_base_load(StageEnv *env);

/* Writes/reads a model's parameters (and buffers) as named datasets under `group`. */
struct H5File;
struct Optimizer;
int model_save(struct H5File *f, const char *group, Model *m, Status *st);
int model_load(struct H5File *f, const char *group, Model *m, Status *st);
/* A parameter set as named datasets under `group` (group/<param name>). */
int paramset_save(struct H5File *f, const char *group, ParamSet *ps, Status *st);
int paramset_load(struct H5File *f, const char *group, ParamSet *ps, Status *st);
/* An optimiser's state (its flat buffers and step count) under `group`. */
int optimizer_save(struct H5File *f, const char *group, Ctx *c, struct Optimizer *o, Status *st);
int optimizer_load(struct H5File *f, const char *group, Ctx *c, struct Optimizer *o, Status *st);

#endif
