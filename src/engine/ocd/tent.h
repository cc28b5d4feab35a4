/* Tent (Wang et al. 2021) as a test-time baseline for classification: each test input alone
 * minimises the entropy of its own prediction for `iters` Adam steps. LeNet5 and the other
 * models here have no normalisation layers (Tent's usual parameters), so the parameters
 * adapted are the selected layer's bias (its affine shift), a copy per sample. */
#ifndef OCD_TENT_H
#define OCD_TENT_H

#include "ocd/task.h"

/* logits (B x K) after adaptation */
int tent_predict(Task *t, int layer, SplitId s, const int64_t *idx, int B, int iters, float lr, float *pred);

#endif
