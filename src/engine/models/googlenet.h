/* The CIFAR-10 GoogLeNet of kuangliu/pytorch-cifar (the paper's image-classification base
 * model): a 3x3 stem, nine Inception blocks (two 3x3 convs where the original has a 5x5),
 * BatchNorm after every conv, global average pooling and one linear layer, the layer OCD tunes. */
#ifndef OCD_GOOGLENET_H
#define OCD_GOOGLENET_H

#include "models/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* width_div divides every channel count (1: the real network, 6,166,250 parameters with 10
 * classes; 2, 4 or 8: narrower copies for tests). Inputs are (B, 3, 32, 32). Parameters
 * ("a3.b2.conv1.weight", "a3.b2.bn1.bias", ...) are in m->ps, BatchNorm running statistics
 * ("....running_mean", "....running_var") in m->buffers; every conv and the final linear are
 * candidate layers, named as their parameters' prefix ("pre.conv", "a3.b1.conv", "linear").
 * The tap captures any of them; per-sample weights only replace the linear. */
Model *googlenet_create(Ctx *c, int n_classes, int width_div);

#ifdef __cplusplus
}
#endif

#endif
