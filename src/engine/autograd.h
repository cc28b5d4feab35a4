/* Define-by-run tape. Each op computes its output and, when the output needs a gradient,
 * pushes one record {backward fn, inputs, saved tensors, parameters}. ag_backward walks the
 * tape in reverse; every backward ACCUMULATES (+=) into its inputs' gradients, and only for
 * inputs that require one. requires_grad propagates forward, so nothing is recorded or
 * computed for what needs no gradient (overfitting one layer, Tent on a few parameters),
 * and no_grad scopes record nothing. */
#ifndef OCD_AUTOGRAD_H
#define OCD_AUTOGRAD_H

#include "core/ctx.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TAPE_MAX_IN = 4, TAPE_MAX_SAVED = 4, TAPE_MAX_IP = 16, TAPE_MAX_FP = 4 };

typedef void (*BackwardFn)(Ctx *c, const TapeRec *r);

struct TapeRec {
    const char *op;
    BackwardFn backward;
    Tensor *out;
    Tensor *in[TAPE_MAX_IN];
    Tensor *saved[TAPE_MAX_SAVED];
    void *aux;  /* device step memory an op keeps for its backward (argmax, statistics) */
    void *haux; /* host step memory an op keeps for its backward (geometry) */
    int64_t ip[TAPE_MAX_IP];
    float fp[TAPE_MAX_FP];
};

/* Decides whether `out` needs a gradient (some input does, outside no_grad) and if so pushes
 * a record holding `ins` and returns it for the op to fill; otherwise returns NULL. */
TapeRec *ag_record(Ctx *c, const char *op, BackwardFn fn, Tensor *out, Tensor *const *ins, int nin);

/* Whether an op with these inputs will be recorded (ag_record's test, without recording):
 * lets an op skip saving what only its backward reads. NULL inputs are allowed. */
int ag_needs_grad(const Ctx *c, Tensor *const *ins, int nin);

/* The gradient of `t` to accumulate into, or NULL when t needs none. */
float *ag_grad(Ctx *c, Tensor *t);

/* Seeds d(loss)/d(loss) = 1 and runs the tape backwards. `loss` must be a one-element tensor
 * that requires a gradient. A tape is consumed once. Afterwards parameters and leaf tensors
 * hold their gradients; op outputs' gradients have been given back to the pool. */
void ag_backward(Ctx *c, Tensor *loss);

/* The general form: runs the tape with d(out) = seed (same shape as out). */
void ag_backward_seeded(Ctx *c, Tensor *out, const Tensor *seed);

#ifdef __cplusplus
}
#endif

#endif
