/* The op-test table. A case names an op, its inputs (shape, how to draw them, whether the
 * gradient is checked) and its integer/float parameters. One dispatcher runs a case on any
 * context, so the same cases drive the finite-difference checks, the PyTorch reference
 * checks (tests/ref/make_ops_ref.py writes the same op names and parameters) and, on a GPU,
 * the CUDA-vs-CPU parity checks.
 *
 * Dispatch contract (op: inputs; ip; fp):
 *   linear, linear_per_sample: x, w[, b]
 *   conv2d: x, w[, b]; ip = stride, pad            maxpool2d, avgpool2d: x; ip = k, stride, pad
 *   upsample: x; ip = factor                        relu silu gelu tanh sigmoid: x
 *   add sub mul: a, b (broadcast)                   scale: x; fp = s
 *   permute: x; ip = perm                           concat: x0..; ip = axis
 *   pad: x; ip = before[nd], after[nd]              slice: x; ip = start[nd], size[nd]
 *   reshape_mul: x, b; ip = ndim, shape..           (x viewed as shape, times b)
 *   sum mean softmax log_softmax: x                 cross_entropy(_mean): logits, labels
 *   mse(_mean): a, b                                group_norm: x, gamma, beta; ip = groups; fp = eps
 *   layer_norm: x, gamma, beta; fp = eps            batch_norm: x, gamma, beta, mean, var; ip = training;
 *                                                                fp = momentum, eps
 *   attention: q, k, v; fp = scale                  spatial_attention: x, wqkv, bqkv, wo, bo; ip = heads
 *   dropout: x; fp = p                              timestep_embedding: t; ip = dim
 *   div: a, b (broadcast)                           sum_dim: x; ip = dim
 *   nerf_composite: raw (R*S, 4), z (R, S); ip = white
 *   nerf_encode: rays (R, 6); ip = samples, freqs; fp = near, far (output: encoding then depths,
 *                flattened; the jitter is drawn from the context's stream at offset 4242) */
#ifndef OCD_TEST_OP_CASES_H
#define OCD_TEST_OP_CASES_H

#include "core/ctx.h"
#include "core/tensor.h"

enum { OPC_MAX_IN = 5, OPC_MAX_IP = 12 };

typedef enum {
    IN_NORMAL,   /* N(0, 1) */
    IN_AWAY0,    /* N(0, 1) pushed 0.1 away from zero: no ReLU kink within the FD step */
    IN_DISTINCT, /* a shuffled ramp with spacing 0.05: no max-pool ties within the FD step */
    IN_LABELS,   /* class indices in [0, param) */
    IN_TIMES,    /* integer timesteps in [0, param) */
    IN_VAR,      /* positive variances in [0.5, 1.5] */
    IN_DEPTHS,   /* increasing depths along each row of the last dimension, from 2 up */
    IN_SMALL,    /* N(0, 0.5^2): weights at the scale of an initialised layer, where attention's
                    softmax is not saturated (a saturated one has curvature large enough that a
                    finite difference with h = 0.01 misses the derivative by several percent) */
} InKind;

typedef struct {
    const char *name;
    const char *op;
    int nin;
    int ndim[OPC_MAX_IN];
    int shape[OPC_MAX_IN][4];
    InKind kind[OPC_MAX_IN];
    int kparam[OPC_MAX_IN];
    int grad[OPC_MAX_IN]; /* the input requires (and has checked) a gradient */
    int ip[OPC_MAX_IP];
    float fp[4];
} OpCase;

extern const OpCase OP_CASES[];
extern const int OP_CASES_COUNT;

/* Runs `op` on the inputs; aborts (via the op's own checks) on misuse. */
Tensor *op_case_apply(Ctx *c, const char *op, Tensor **in, int nin, const int *ip, const float *fp);

/* Draws the case's inputs on the host (deterministic in seed). host[i] holds numel floats. */
void op_case_draw(const OpCase *oc, uint64_t seed, float **host);
int64_t op_case_numel(const OpCase *oc, int i);

#endif
