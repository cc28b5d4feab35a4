/* The weight-diffusion network of a layer: the U-Net noise predictor over the layer's weight
 * matrix (rows = outputs, cols = inputs) zero-padded, centred, to an H x W image, with OCD's
 * conditioning e = PE(t) + codeout(E_i(input) + E_a(activation) + E_o(output)) added in every
 * residual block (OCD-SPEC §4). Padding: diffusion.pad = 0 takes each side up to the next
 * multiple of 2^(levels-1) (the smallest image); N > 0 pads to an N x N square (the authors'
 * 128). With diffusion.cond_maps (a choice of this workbench, off in the paper presets) four
 * more input channels carry the activation along the rows, the input along the columns and
 * each entry's row and column position in [-1, 1] (CoordConv), so that a small network sees
 * each entry's inputs and which unit it belongs to (a single-sample gradient of a linear
 * layer is an outer product of a per-unit and a per-input factor). With diffusion.rc_maps = k
 * the network also gets k learned row maps R(c) (k x rows, broadcast along the columns) and k
 * column maps C(c) (k x cols, broadcast along the rows) computed from the conditioning
 * embedding (unet_cond_rowcol), and with diffusion.rc_product their k products R_i C_j, so
 * that the factors of that outer product, which depend on the sample, reach every pixel.
 * diffusion.target says what the network's output is: the noise (eps) or Omega_0 (x0).
 * The loss and the sampler see only the real matrix: noise is added before padding and the
 * prediction is cropped. */
#ifndef OCD_WNET_H
#define OCD_WNET_H

#include "config.h"
#include "core/status.h"
#include "models/unet.h"
#include "ocd/task.h"

typedef struct {
    int rows, cols;
    int H, W, top, left;
    int maps;
    int rc_k, rc_product; /* learned row/column maps and their products */
    int target_x0;        /* 1: the output is Omega_0; 0: the noise */
    CondDims d;
    UNetConfig ucfg;
    UNet *unet;
    Ctx *c;             /* the context the network lives in (wnet_create) */
    float *sample_buf;  /* the sampler's state and noise, kept between calls (wnet_sample_buffer) */
    int64_t sample_floats;
} WNet;

/* the network's shape from the configuration; ERR_CONFIG for a bad list or size */
int wnet_config(const Config *cfg, int rows, int cols, CondDims d, WNet *w, Status *st);
void wnet_create(Ctx *c, WNet *w);
void wnet_destroy(WNet *w);
/* a device buffer of at least `floats` floats for the sampler, grown, never shrunk, freed
 * by wnet_destroy: a batch's sampling allocates nothing after the first (on the GPU, no
 * cudaMalloc and no synchronising cudaFree per batch) */
float *wnet_sample_buffer(WNet *w, int64_t floats);

/* the conditioning embedding (B, 4ch) of host arrays (B x din, B x dact, B x dout) */
Tensor *wnet_embed(Ctx *c, WNet *w, const float *cin, const float *cact, const float *cout, int B);
/* the four map channels (B, 4, H, W): activation by row, input by column, row and column
 * position; or NULL without maps */
Tensor *wnet_maps(Ctx *c, WNet *w, const float *cin, const float *cact, int B);
/* the network's output (B, rows, cols) for x_t (B, rows, cols) at model timesteps t (B): the
 * predicted noise, or Omega_0 with diffusion.target = x0 (w->target_x0) */
Tensor *wnet_eps(Ctx *c, WNet *w, Tensor *xt, Tensor *t, Tensor *emb, Tensor *maps);
/* the learned row/column map channels (B, 2k [+ k], H, W) of an embedding, zero outside the
 * real matrix; NULL without them */
Tensor *wnet_rc_maps(Ctx *c, WNet *w, Tensor *emb);

#endif
