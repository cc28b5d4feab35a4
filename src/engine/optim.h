/* Optimisers over a ParamSet's flat blocks: SGD with momentum, Adam and AdamW (PyTorch's
 * formulas), gradient clipping by global norm, and an exponential moving average of the
 * weights. Frozen parameters (requires_grad = 0) are left untouched. */
#ifndef OCD_OPTIM_H
#define OCD_OPTIM_H

#include "nn/params.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW } OptKind;

typedef struct {
    OptKind kind;
    float lr;
    float momentum;     /* SGD */
    float beta1, beta2; /* Adam */
    float eps;
    float weight_decay; /* L2 for SGD/Adam, decoupled for AdamW */
} OptConfig;

typedef struct Optimizer {
    OptConfig cfg;
    ParamSet *ps;
    float *m, *v; /* flat state on the device (SGD uses m as its momentum buffer) */
    int64_t t;    /* steps taken */
} Optimizer;

OptConfig optim_defaults(OptKind kind, float lr); /* PyTorch's defaults */
Optimizer *optim_create(ParamSet *ps, OptConfig cfg);
void optim_destroy(Optimizer *o);
void optim_step(Optimizer *o);
/* back to the state optim_create left: moments zero, no step taken (an optimiser reused for
 * many short fits allocates nothing per fit) */
void optim_reset(Optimizer *o);

/* Global L2 norm of the trainable gradients; when above max_norm they are scaled by
 * max_norm / (norm + 1e-6) (as torch.nn.utils.clip_grad_norm_). Returns the norm before. */
double optim_clip_grad_norm(ParamSet *ps, float max_norm);

/* Exponential moving average of a set's weights: shadow = d*shadow + (1-d)*weights. */
typedef struct Ema {
    ParamSet *src;
    float *shadow; /* (src->total) on the device */
} Ema;

Ema *ema_create(ParamSet *src); /* starts as a copy of the weights */
void ema_destroy(Ema *e);
void ema_update(Ema *e, float decay);
/* Exchanges the weights and the shadow (evaluate with the average, then swap back). */
void ema_swap(Ema *e);

#ifdef __cplusplus
}
#endif

#endif
