/* The eval stage's state, shared by its two files: eval.c (the method table and the loop
 * that runs it) and eval_results.c (what is written to /eval). Not for other modules. */
#ifndef OCD_EVAL_INTERNAL_H
#define OCD_EVAL_INTERNAL_H

#include "ocd/eval.h"
#include "ocd/infer.h"
#include "ocd/overfit.h"

enum { EVAL_MAX_METHODS = 32 };

typedef struct Eval {
    StageEnv *env;
    Task *t;
    int K, R, E, ntest;
    int64_t pf; /* floats of one prediction */
    uint64_t seed;
    OcdPipeline main, alt;
    Schedule *sch;
    OverfitCfg oc;
    /* nearest neighbour: the collection's model inputs (n x din) */
    int din;
    float *train_in;
    /* the temperature-scaled base: T fitted on val_n validation samples */
    double T;
    int val_n;
    /* per method of the table: whether it runs here, or why not; the test samples it runs
     * on (the first n[m]); per-sample values, repeat-major (R x n[m]); seconds */
    int active[EVAL_MAX_METHODS];
    const char *skip[EVAL_MAX_METHODS];
    int n[EVAL_MAX_METHODS];
    double *loss[EVAL_MAX_METHODS], *correct[EVAL_MAX_METHODS];
    double seconds[EVAL_MAX_METHODS], seconds_r0[EVAL_MAX_METHODS];
} Eval;

/* Writes /eval to the stage's work file and commits the stage: per method its label, the
 * per-repeat metrics (mean and SD), the per-sample values, the paired difference to the base
 * with its bootstrap interval and verdict; on /eval the notes. */
int eval_write_results(Eval *ev, double total_seconds);

#endif
