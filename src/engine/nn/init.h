/* Parameter initialisation from the context's Philox stream. */
#ifndef OCD_INIT_H
#define OCD_INIT_H

#include "core/ctx.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

void init_uniform(Ctx *c, Tensor *t, float lo, float hi);
void init_normal(Ctx *c, Tensor *t, float mean, float std);
void init_constant(Ctx *c, Tensor *t, float value);
/* PyTorch's default for Linear and Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight
 * (kaiming_uniform with a = sqrt(5)) and the bias; fan_in = numel / shape[0]. b may be NULL. */
void init_torch_default(Ctx *c, Tensor *w, Tensor *b);

#ifdef __cplusplus
}
#endif

#endif
