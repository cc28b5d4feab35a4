/* The eval stage (eval.c) and its methods, in table order. */
#ifndef OCD_EVAL_H
#define OCD_EVAL_H

#include "ocd/stage.h"

typedef enum {
    M_BASE,
    M_OCD,
    M_ENS,
    M_MEAN,
    M_NOSCALE,
    M_NN,
    M_ALT,
    M_OVF,
    M_OVF_ALL,
    M_TENT1,
    M_TENT10,
    M_TENT30,
    M_BASE_ENS, /* NeRF: E base renders averaged, the control for the ensemble's jitter averaging */
    M_COUNT
} EvalMethod;

/* the method's group name under /eval ("ocd_noscale") */
const char *eval_method_key(EvalMethod m);

int stage_eval(StageEnv *env);

#endif
