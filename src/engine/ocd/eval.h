/* The eval stage (eval.c): every method on the test samples, per-sample losses stored, and
 * each method's difference to the base model with a paired bootstrap interval. Its methods
 * and metrics are described once, in the tables the stage runs and the front ends read: a
 * method's key, label, group and applicability; a metric's direction and how it is made of
 * per-sample values. */
#ifndef OCD_EVAL_H
#define OCD_EVAL_H

#include "ocd/bootstrap.h"
#include "ocd/stage.h"

/* what a row is (the compare figure's colours) */
typedef enum {
    EVAL_GROUP_BASE,    /* the base model and its controls (ensemble of renders, temperature) */
    EVAL_GROUP_OCD,     /* OCD and its ablations */
    EVAL_GROUP_CEILING, /* the label-free ceiling (overfit toward the predicted label) */
    EVAL_GROUP_BOUND,   /* overfit on test with the label: bounds that break the protocol */
    EVAL_GROUP_TENT,    /* test-time adaptation */
    EVAL_NGROUPS
} EvalGroup;

/* the task kinds a method applies to: bits 1 << TaskKind */
#define EVAL_TASK(k) (1u << (k))
#define EVAL_TASKS_ALL (EVAL_TASK(TASK_CLASSIFICATION) | EVAL_TASK(TASK_REGRESSION) | EVAL_TASK(TASK_NERF))

typedef struct {
    const char *key;   /* its group under /eval */
    const char *label; /* {layer}: the selected layer, {alt}: the runner-up, {E}: eval.ensemble,
                          {T}: the fitted temperature, {V}: the validation samples it was fitted on */
    EvalGroup group;
    int deterministic; /* no randomness outside NeRF (whose renders jitter): computed once, repeated */
    unsigned tasks;
    int costly; /* runs on the first eval.costly_limit test samples only */
} EvalMethodInfo;

int eval_method_count(void);
const EvalMethodInfo *eval_method_at(int i);
/* NULL for a key this version does not know (a newer session's row) */
const EvalMethodInfo *eval_method_find(const char *key);

/* a metric is a statistic (bootstrap.h) of the mean of one per-sample value */
typedef enum { EVAL_FROM_LOSS, EVAL_FROM_CORRECT } EvalSource;

typedef struct {
    const char *name; /* as in the session: "ce", "accuracy", "mse", "rmse", "psnr" */
    int higher_is_better;
    EvalSource from;
    BootStat stat;
    int target_units; /* scaled by the target's std (RMSE in the target's own units) */
} EvalMetricInfo;

/* NULL for an unknown name */
const EvalMetricInfo *eval_metric_find(const char *name);
/* the table's two metrics for a task kind */
void eval_task_metrics(TaskKind kind, const EvalMetricInfo *out[2]);

int stage_eval(StageEnv *env);

#endif
