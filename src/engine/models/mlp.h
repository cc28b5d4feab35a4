/* The tabular MLP of Gorishniy et al. (2021) as OCD uses it (OCD-SPEC §7): three linear
 * layers, ReLU and dropout after the first two. */
#ifndef OCD_MLP_H
#define OCD_MLP_H

#include "models/model.h"

/* fc1 in->hidden (the layer OCD selects), ReLU, dropout; fc2 hidden->hidden, ReLU, dropout;
 * fc3 hidden->out. Input (B, in), output (B, out). All three accept per-sample weights. */
Model *mlp_create(Ctx *c, int in, int hidden, int out, float dropout);

#endif
