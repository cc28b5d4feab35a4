/* Models: parameters, the named candidate layers OCD scores, and a forward OCD can steer.
 * A forward takes a ModelTap that (1) captures one layer's input and activation (the layer's
 * output after its nonlinearity), which OCD uses as the conditioning I(x), and (2) can give
 * that layer per-sample weights (B, out, in) through the per-sample linear op, which OCD uses
 * to overfit B samples at once and to evaluate B inputs with B predicted weights.
 * Models are plain forward functions over engine ops; their backward is the tape's. */
#ifndef OCD_MODEL_H
#define OCD_MODEL_H

#include "core/ctx.h"
#include "core/tensor.h"
#include "nn/params.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { MODEL_MAX_LAYERS = 96 };

typedef struct {
    char name[48];   /* "fc1", "conv2", "inception_a3.b2.conv1" */
    Tensor *weight;  /* linear (out, in); conv (O, C, KH, KW) */
    Tensor *bias;    /* or NULL */
    int is_linear;   /* per-sample replacement is possible (a linear layer, or a conv on a 1x1 output) */
    int in, out;     /* linear sizes (for a conv: C*KH*KW and O) */
} ModelLayer;

typedef struct {
    int layer;          /* index into Model.layers; -1: neither capture nor replace */
    Tensor *ps_weight;  /* (B, out, in) used instead of the layer's weight, per sample; or NULL */
    Tensor *ps_bias;    /* (B, out) used instead of the layer's bias, with or without ps_weight; or NULL */
    Tensor *input;      /* set by forward: the layer's input, (B, in) */
    Tensor *activation; /* set by forward: the layer's activation, (B, out) */
} ModelTap;

typedef struct Model {
    char kind[32];     /* "lenet5", "mlp", "googlenet", "tinynerf" */
    ParamSet *ps;      /* trainable parameters */
    ParamSet *buffers; /* non-trainable state (BatchNorm running statistics), or NULL */
    int nlayers;
    ModelLayer layers[MODEL_MAX_LAYERS];
    void *impl;
    /* x: a batch of inputs (B, ...); tap may be NULL; returns the output (B, K) */
    Tensor *(*forward)(Ctx *c, struct Model *m, Tensor *x, ModelTap *tap);
    void (*destroy)(struct Model *m);
} Model;

/* the index of a named layer, or -1 */
int model_layer_index(const Model *m, const char *name);
/* registers a candidate layer (during creation, after params_add) */
void model_add_layer(Model *m, const char *name, Tensor *weight, Tensor *bias, int is_linear);
void model_destroy(Model *m);

#ifdef __cplusplus
}
#endif

#endif
