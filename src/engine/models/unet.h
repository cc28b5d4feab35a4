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
    int height, width;        /* a rectangular input instead (both 0: resolution x resolution);
                                 attention at a level whose larger side is in attn_res */
    int temb_in;              /* width of the timestep sinusoid (0: ch, as DDIM) */
    int ncond;                /* conditioning inputs embedded by unet_cond_embed (0..3) */
    int cond_dim[3];          /* their widths */
    int mid_attn;             /* attention blocks in the middle (DDIM: 1, the paper says 2) */
    int map_k;                /* learned row/column maps from the conditioning (0: none) */
    int map_rows, map_cols;   /* their lengths (the weight matrix's rows and columns) */
    int map_hidden;           /* a hidden SiLU layer of this width before them (0: none) */
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

/* x (B, in_ch, H, W), t (B) timesteps, cond (B, 4*ch) or NULL -> (B, out_ch, H, W) */
Tensor *unet_forward(Ctx *c, UNet *u, Tensor *x, Tensor *t, Tensor *cond);

/* OCD's conditioning embedding (the authors' MNIST form): each input (B, cond_dim[i]) through
 * Linear + SiLU to 4*ch, summed, then one more Linear ("codeout"). The result is the `cond`
 * of unet_forward; it depends on the sample only, so a sampler computes it once. */
Tensor *unet_cond_embed(Ctx *c, UNet *u, Tensor *const *inputs);

/* Learned row and column maps of a conditioning embedding emb (B, 4*ch) (a choice of this
 * workbench, not the paper's): R = Linear(h) as (B, map_k, map_rows, 1) and C = Linear(h) as
 * (B, map_k, 1, map_cols) with h = SiLU(emb), or h = SiLU(Linear(SiLU(emb))) of width
 * map_hidden when that is set, to be broadcast along the other axis by
 * the caller. A single-sample shift of a linear layer is an outer product r c^T whose factors
 * depend on the sample; as image channels the outer product becomes a per-pixel product. */
void unet_cond_rowcol(Ctx *c, UNet *u, Tensor *emb, Tensor **rows, Tensor **cols);

#ifdef __cplusplus
}
#endif

#endif
