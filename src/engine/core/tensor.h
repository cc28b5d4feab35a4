/* Tensors: float32, up to 4-D, row-major, on one device. Step tensors (activations) live in
 * the context's step arena and die at ctx_step_end(); parameters live in a ParamSet's flat
 * blocks (nn/params.h). A view (reshape, leading-dimension slice) shares its base's data and
 * gradient. */
#ifndef OCD_TENSOR_H
#define OCD_TENSOR_H

#include "backend.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MAX_DIMS = 4 };

typedef struct Ctx Ctx;

typedef struct Tensor {
    float *data;             /* numel floats on `device` */
    float *grad;             /* same size; NULL until backward reaches it (parameters: always) */
    struct Tensor *view_of;  /* the base whose data and grad this view shares, or NULL */
    int64_t view_offset;     /* elements into the base */
    int ndim;
    int shape[MAX_DIMS];
    int64_t numel;
    uint8_t device;          /* DeviceKind */
    uint8_t requires_grad;   /* set for parameters being trained and for what depends on them */
    uint8_t is_param;        /* grad belongs to a ParamSet: never freed by a step */
    uint8_t grad_pooled;     /* grad is a loan from the context's gradient pool */
    const char *name;        /* parameters: "conv1.weight" */
} Tensor;

/* `tensor_new(c, SHAPE(4, 1, 28, 28))` */
#define SHAPE(...) (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__}

typedef struct {
    char s[64];
} ShapeStr;

int64_t shape_numel(int ndim, const int *shape);
const char *tensor_shape_str(const Tensor *t, ShapeStr *buf); /* "[4,1,28,28]" */
int tensor_same_shape(const Tensor *a, const Tensor *b);

/* Step-arena tensors (uninitialised, zeroed, or copied from the host). */
Tensor *tensor_new(Ctx *c, int ndim, const int *shape);
Tensor *tensor_zeros(Ctx *c, int ndim, const int *shape);
Tensor *tensor_from_host(Ctx *c, int ndim, const int *shape, const float *host);
Tensor *tensor_like(Ctx *c, const Tensor *t);
Tensor *tensor_scalar(Ctx *c, float v);

/* A step tensor over memory the caller owns on the context's device (no copy): data kept
 * elsewhere, e.g. a dataset already in memory, or a benchmark's inputs. */
Tensor *tensor_wrap(Ctx *c, int ndim, const int *shape, float *device_data);

/* Copies between the host and a tensor's device memory. */
void tensor_upload(Ctx *c, Tensor *t, const float *host);
void tensor_download(Ctx *c, const Tensor *t, float *host);
float tensor_item(Ctx *c, const Tensor *t); /* the first element, to the host */

/* A view with another shape of the same numel (no copy, not recorded on the tape). */
Tensor *tensor_view(Ctx *c, Tensor *base, int ndim, const int *shape);
/* Rows [start, start+count) of the leading dimension, as a view. */
Tensor *tensor_narrow0(Ctx *c, Tensor *base, int start, int count);

/* The gradient buffer, allocated zeroed (from the context's gradient pool) on first use.
 * An op output's gradient is given back once its producer's backward has run; leaves keep
 * theirs until ctx_step_end. */
float *tensor_grad(Ctx *c, Tensor *t);

#ifdef __cplusplus
}
#endif

#endif
