/* The noise predictor of OCD's weight diffusion: the DDIM reference U-Net (Song et al.),
 * as in the authors' code: per level `num_res_blocks` residual blocks (GroupNorm, SiLU,
 * 3x3 conv, timestep projection, dropout), self-attention at the listed resolutions, one
 * attention block between two residual blocks in the middle, strided-conv downsampling,
 * nearest+conv upsampling, skip concatenations. A conditioning embedding of the timestep
 * width (4*ch) may be added to the timestep embedding (OCD's e = PE(t) + E(I(x))). */
#ifndef OCD_UNET_H
#define OCD_UNET_H

#include "core/ctx.h"
#include "core/tensor.h"
#include "nn/params.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { UNET_MAX_LEVELS = 8, UNET_MAX_ATTN_RES = 4 };

typedef struct {
    int in_ch, out_ch;        /* image channels (1 for a weight matrix) */
    int ch;                   /* base channels */
    int nlevels;              /* len(ch_mult) */
    int ch_mult[UNET_MAX_LEVELS];
    int num_res_blocks;
    int attn_res[UNET_MAX_ATTN_RES]; /* resolutions with attention (e.g. 16) */
    int n_attn_res;
    int resolution;           /* input side, divisible by 2^(nlevels-1) */
    int mid_attn;             /* attention blocks in the middle (DDIM: 1, the paper says 2) */
    float dropout;
    float gn_eps;             /* GroupNorm epsilon (DDIM: 1e-6) */
} UNetConfig;

typedef struct UNet UNet;

/* The paper-size network of the authors' MNIST run: 128 channels, mult (1,1,2,2,4,4), two
 * residual blocks per level, attention at 16, on a 128x128 matrix. */
UNetConfig unet_config_paper(void);

/* Builds and initialises (PyTorch's default init; GroupNorm 1/0) the parameters. */
UNet *unet_create(Ctx *c, const UNetConfig *cfg);
void unet_destroy(UNet *u);
ParamSet *unet_params(UNet *u);
int unet_temb_dim(const UNet *u); /* 4*ch: the width of a conditioning embedding */

/* x (B, in_ch, R, R), t (B) timesteps, cond (B, 4*ch) or NULL -> (B, out_ch, R, R) */
Tensor *unet_forward(Ctx *c, UNet *u, Tensor *x, Tensor *t, Tensor *cond);

#ifdef __cplusplus
}
#endif

#endif
