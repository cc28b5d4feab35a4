/* LeNet5 as in the OCD authors' code (OCD-SPEC §7). */
#ifndef OCD_LENET5_H
#define OCD_LENET5_H

#include "models/model.h"

/* conv1 1->6 5x5 pad 2, ReLU, max-pool 2; conv2 6->16 5x5, ReLU, max-pool 2; conv3 16->120
 * 5x5 (on a 5x5 map: a linear 400->120), ReLU; fc1 120->84 (the layer OCD selects), ReLU;
 * fc2 84->10. Input (B, 1, 28, 28), output logits (B, 10). Layers: conv1, conv2, conv3, fc1,
 * fc2; conv3, fc1 and fc2 accept per-sample weights. */
Model *lenet5_create(Ctx *c);

#endif
