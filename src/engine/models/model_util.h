/* Shared pieces of the model files: a linear layer that honours the ModelTap (capture its
 * input and activation, or use per-sample weights), and model allocation. */
#ifndef OCD_MODEL_UTIL_H
#define OCD_MODEL_UTIL_H

#include "models/model.h"

/* y = act(x w^T + b) for candidate layer `idx` (x (B, in)); relu selects the nonlinearity.
 * With tap->layer == idx: per-sample weights when given, and input/activation captured. */
Tensor *model_linear(Ctx *c, Model *m, int idx, Tensor *x, ModelTap *tap, int relu);
/* A zeroed Model with its parameter set (and a buffer set when `buffers`). */
Model *model_alloc(Ctx *c, const char *kind, int buffers);
/* Frees what model_alloc made; models with an impl free it before calling this. */
void model_free_base(Model *m);

#endif
