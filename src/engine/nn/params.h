/* Parameter sets: a model's parameters are views into one contiguous block, with one more
 * block for their gradients, so the optimiser, gradient norms, EMA and checkpoints are
 * single calls over flat buffers. Build: params_add() each tensor, then params_finalize(). */
#ifndef OCD_PARAMS_H
#define OCD_PARAMS_H

#include "core/ctx.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ParamSet {
    Ctx *c;          /* the context whose backend owns the blocks */
    Tensor **params; /* in the order added */
    int64_t *offsets;/* each parameter's place in the blocks (floats) */
    int count, cap;
    int64_t total;   /* floats in each block */
    float *data;     /* (total) on the device */
    float *grad;     /* (total) on the device */
    int finalized;
} ParamSet;

ParamSet *params_create(Ctx *c);
void params_destroy(ParamSet *ps);

/* A parameter that requires a gradient; its data exists after params_finalize. */
Tensor *params_add(ParamSet *ps, const char *name, int ndim, const int *shape);
/* Allocates both blocks, zeroed. */
void params_finalize(ParamSet *ps);

Tensor *params_find(const ParamSet *ps, const char *name); /* NULL if absent */
int64_t params_offset(const ParamSet *ps, const Tensor *p); /* floats into the block */
void params_zero_grad(ParamSet *ps);
/* Freeze (0) or train (1) every parameter; single ones via p->requires_grad. */
void params_set_trainable(ParamSet *ps, int on);
int params_all_trainable(const ParamSet *ps);

/* Whole-block host copies (checkpoints, tests). */
void params_download(const ParamSet *ps, float *host);
void params_upload(ParamSet *ps, const float *host);
/* dst's values := src's (same layout). */
void params_copy(ParamSet *dst, const ParamSet *src);

#ifdef __cplusplus
}
#endif

#endif
