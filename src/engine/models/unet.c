/* The DDIM reference U-Net; see unet.h. Parameter names follow the DDIM state dict
 * ("down.0.block.1.conv1.weight") so that a reader can match them to the paper's code.
 * Letters: B batch, C channels, R side, T timestep-embedding width (4*ch). */
#include "models/unet.h"

#include "core/check.h"
#include "nn/init.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int cin, cout;
    Tensor *n1g, *n1b, *c1w, *c1b, *tw, *tb, *n2g, *n2b, *c2w, *c2b, *skw, *skb;
} ResBlock;

typedef struct {
    int c;
    Tensor *ng, *nb, *wqkv, *bqkv, *wo, *bo;
} AttnBlock;

enum { MAX_BLOCKS = UNET_MAX_LEVELS * 4 + 4 };

struct UNet {
    UNetConfig cfg;
    Ctx *c;
    ParamSet *ps;
    Tensor *temb_w0, *temb_b0, *temb_w1, *temb_b1, *conv_in_w, *conv_in_b;
    ResBlock down_res[UNET_MAX_LEVELS][4];
    AttnBlock down_attn[UNET_MAX_LEVELS][4];
    int down_has_attn[UNET_MAX_LEVELS];
    Tensor *down_w[UNET_MAX_LEVELS], *down_b[UNET_MAX_LEVELS];
    ResBlock mid1, mid2;
    AttnBlock mid_attn[2];
    ResBlock up_res[UNET_MAX_LEVELS][5];
    AttnBlock up_attn[UNET_MAX_LEVELS][5];
    int up_has_attn[UNET_MAX_LEVELS];
    Tensor *up_w[UNET_MAX_LEVELS], *up_b[UNET_MAX_LEVELS];
    Tensor *norm_out_g, *norm_out_b, *conv_out_w, *conv_out_b;
    Tensor *cond_w[3], *cond_b[3], *codeout_w, *codeout_b;
    Tensor *maphid_w, *maphid_b;                       /* (hidden, T) or NULL */
    Tensor *maprow_w, *maprow_b, *mapcol_w, *mapcol_b; /* (k*rows, T or hidden), (k*cols, T or hidden) */
    int H, W;
};

UNetConfig unet_config_paper(void)
{
    UNetConfig c = {.in_ch = 1, .out_ch = 1, .ch = 128, .nlevels = 6, .ch_mult = {1, 1, 2, 2, 4, 4},
                    .num_res_blocks = 2, .attn_res = {16}, .n_attn_res = 1, .resolution = 128, .mid_attn = 1,
                    .dropout = 0.1f, .gn_eps = 1e-6f};
    return c;
}

/* GroupNorm(32) as DDIM; narrow CPU networks get groups of about 4 channels (C/4, a divisor
 * of C): with one channel per group the norm after the timestep projection would subtract
 * each channel's spatially constant shift, erasing the time and the conditioning */
static int gn_groups(int C)
{
    int g = C / 4 < 32 ? C / 4 : 32;
    if (g < 1) g = 1;
    while (C % g) g--;
    return g;
}

static Tensor *add_param(UNet *u, const char *prefix, const char *name, int ndim, const int *shape)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", prefix, name);
    return params_add(u->ps, full, ndim, shape);
}

static void res_build(UNet *u, ResBlock *r, const char *p, int cin, int cout)
{
    const int T = 4 * u->cfg.ch;
    r->cin = cin;
    r->cout = cout;
    r->n1g = add_param(u, p, "norm1.weight", SHAPE(cin));
    r->n1b = add_param(u, p, "norm1.bias", SHAPE(cin));
    r->c1w = add_param(u, p, "conv1.weight", SHAPE(cout, cin, 3, 3));
    r->c1b = add_param(u, p, "conv1.bias", SHAPE(cout));
    r->tw = add_param(u, p, "temb_proj.weight", SHAPE(cout, T));
    r->tb = add_param(u, p, "temb_proj.bias", SHAPE(cout));
    r->n2g = add_param(u, p, "norm2.weight", SHAPE(cout));
    r->n2b = add_param(u, p, "norm2.bias", SHAPE(cout));
    r->c2w = add_param(u, p, "conv2.weight", SHAPE(cout, cout, 3, 3));
    r->c2b = add_param(u, p, "conv2.bias", SHAPE(cout));
    r->skw = r->skb = NULL;
    if (cin != cout) {
        r->skw = add_param(u, p, "nin_shortcut.weight", SHAPE(cout, cin, 1, 1));
        r->skb = add_param(u, p, "nin_shortcut.bias", SHAPE(cout));
    }
}

static void attn_build(UNet *u, AttnBlock *a, const char *p, int C)
{
    a->c = C;
    a->ng = add_param(u, p, "norm.weight", SHAPE(C));
    a->nb = add_param(u, p, "norm.bias", SHAPE(C));
    a->wqkv = add_param(u, p, "qkv.weight", SHAPE(3 * C, C));
    a->bqkv = add_param(u, p, "qkv.bias", SHAPE(3 * C));
    a->wo = add_param(u, p, "proj_out.weight", SHAPE(C, C));
    a->bo = add_param(u, p, "proj_out.bias", SHAPE(C));
}

static int has_attn(const UNetConfig *cfg, int res)
{
    for (int i = 0; i < cfg->n_attn_res; i++)
        if (cfg->attn_res[i] == res) return 1;
    return 0;
}

static void res_init(Ctx *c, ResBlock *r)
{
    init_constant(c, r->n1g, 1.0f);
    init_constant(c, r->n2g, 1.0f);
    init_torch_default(c, r->c1w, r->c1b);
    init_torch_default(c, r->tw, r->tb);
    init_torch_default(c, r->c2w, r->c2b);
    if (r->skw) init_torch_default(c, r->skw, r->skb);
}

static void attn_init(Ctx *c, AttnBlock *a)
{
    init_constant(c, a->ng, 1.0f);
    init_torch_default(c, a->wqkv, a->bqkv);
    init_torch_default(c, a->wo, a->bo);
}

UNet *unet_create(Ctx *c, const UNetConfig *cfg)
{
    ENG_ASSERT(cfg->nlevels >= 1 && cfg->nlevels <= UNET_MAX_LEVELS, "unet: %d levels (1..%d)", cfg->nlevels,
               UNET_MAX_LEVELS);
    ENG_ASSERT(cfg->num_res_blocks >= 1 && cfg->num_res_blocks <= 3, "unet: %d residual blocks per level (1..3)",
               cfg->num_res_blocks);
    const int H = cfg->height ? cfg->height : cfg->resolution, W = cfg->width ? cfg->width : cfg->resolution;
    ENG_ASSERT(H > 0 && W > 0 && H % (1 << (cfg->nlevels - 1)) == 0 && W % (1 << (cfg->nlevels - 1)) == 0,
               "unet: input %dx%d not divisible by 2^%d", H, W, cfg->nlevels - 1);
    ENG_ASSERT(cfg->ncond >= 0 && cfg->ncond <= 3, "unet: %d conditioning inputs (0..3)", cfg->ncond);
    ENG_ASSERT(cfg->mid_attn >= 0 && cfg->mid_attn <= 2, "unet: %d middle attention blocks (0..2)", cfg->mid_attn);
    ENG_ASSERT(cfg->map_k >= 0 && (!cfg->map_k || (cfg->ncond > 0 && cfg->map_rows > 0 && cfg->map_cols > 0)),
               "unet: %d row/column maps of %d x %d need conditioning inputs", cfg->map_k, cfg->map_rows, cfg->map_cols);
    UNet *u = calloc(1, sizeof *u);
    ENG_CHECK_ALLOC(u);
    u->cfg = *cfg;
    u->c = c;
    u->H = H;
    u->W = W;
    u->ps = params_create(c);
    const int ch = cfg->ch, T = 4 * ch, nb = cfg->num_res_blocks;
    char p[64];
    const int tin = cfg->temb_in > 0 ? cfg->temb_in : ch;
    u->temb_w0 = params_add(u->ps, "temb.dense.0.weight", SHAPE(T, tin));
    u->temb_b0 = params_add(u->ps, "temb.dense.0.bias", SHAPE(T));
    u->temb_w1 = params_add(u->ps, "temb.dense.1.weight", SHAPE(T, T));
    u->temb_b1 = params_add(u->ps, "temb.dense.1.bias", SHAPE(T));
    u->conv_in_w = params_add(u->ps, "conv_in.weight", SHAPE(ch, cfg->in_ch, 3, 3));
    u->conv_in_b = params_add(u->ps, "conv_in.bias", SHAPE(ch));
    int hh = H, ww = W, block_in = ch;
#define RES (hh > ww ? hh : ww)
    for (int l = 0; l < cfg->nlevels; l++) {
        const int block_out = ch * cfg->ch_mult[l];
        u->down_has_attn[l] = has_attn(cfg, RES);
        for (int b = 0; b < nb; b++) {
            snprintf(p, sizeof p, "down.%d.block.%d", l, b);
            res_build(u, &u->down_res[l][b], p, block_in, block_out);
            block_in = block_out;
            if (u->down_has_attn[l]) {
                snprintf(p, sizeof p, "down.%d.attn.%d", l, b);
                attn_build(u, &u->down_attn[l][b], p, block_in);
            }
        }
        if (l != cfg->nlevels - 1) {
            snprintf(p, sizeof p, "down.%d.downsample.conv", l);
            u->down_w[l] = add_param(u, p, "weight", SHAPE(block_in, block_in, 3, 3));
            u->down_b[l] = add_param(u, p, "bias", SHAPE(block_in));
            hh /= 2;
            ww /= 2;
        }
    }
    res_build(u, &u->mid1, "mid.block_1", block_in, block_in);
    for (int i = 0; i < cfg->mid_attn; i++) {
        snprintf(p, sizeof p, "mid.attn_%d", i + 1);
        attn_build(u, &u->mid_attn[i], p, block_in);
    }
    res_build(u, &u->mid2, "mid.block_2", block_in, block_in);
    for (int l = cfg->nlevels - 1; l >= 0; l--) {
        const int block_out = ch * cfg->ch_mult[l];
        int skip_in = block_out;
        u->up_has_attn[l] = has_attn(cfg, RES);
        for (int b = 0; b <= nb; b++) {
            if (b == nb) skip_in = ch * (l == 0 ? 1 : cfg->ch_mult[l - 1]);
            snprintf(p, sizeof p, "up.%d.block.%d", l, b);
            res_build(u, &u->up_res[l][b], p, block_in + skip_in, block_out);
            block_in = block_out;
            if (u->up_has_attn[l]) {
                snprintf(p, sizeof p, "up.%d.attn.%d", l, b);
                attn_build(u, &u->up_attn[l][b], p, block_in);
            }
        }
        if (l != 0) {
            snprintf(p, sizeof p, "up.%d.upsample.conv", l);
            u->up_w[l] = add_param(u, p, "weight", SHAPE(block_in, block_in, 3, 3));
            u->up_b[l] = add_param(u, p, "bias", SHAPE(block_in));
            hh *= 2;
            ww *= 2;
        }
    }
    u->norm_out_g = params_add(u->ps, "norm_out.weight", SHAPE(block_in));
    u->norm_out_b = params_add(u->ps, "norm_out.bias", SHAPE(block_in));
    u->conv_out_w = params_add(u->ps, "conv_out.weight", SHAPE(cfg->out_ch, block_in, 3, 3));
    u->conv_out_b = params_add(u->ps, "conv_out.bias", SHAPE(cfg->out_ch));
#undef RES
    for (int i = 0; i < cfg->ncond; i++) {
        snprintf(p, sizeof p, "cond.%d", i);
        u->cond_w[i] = add_param(u, p, "weight", SHAPE(T, cfg->cond_dim[i]));
        u->cond_b[i] = add_param(u, p, "bias", SHAPE(T));
    }
    if (cfg->ncond) {
        u->codeout_w = params_add(u->ps, "codeout.weight", SHAPE(T, T));
        u->codeout_b = params_add(u->ps, "codeout.bias", SHAPE(T));
    }
    if (cfg->map_k) {
        const int hin = cfg->map_hidden > 0 ? cfg->map_hidden : T;
        if (cfg->map_hidden > 0) {
            u->maphid_w = params_add(u->ps, "condmap.hidden.weight", SHAPE(cfg->map_hidden, T));
            u->maphid_b = params_add(u->ps, "condmap.hidden.bias", SHAPE(cfg->map_hidden));
        }
        u->maprow_w = params_add(u->ps, "condmap.row.weight", SHAPE(cfg->map_k * cfg->map_rows, hin));
        u->maprow_b = params_add(u->ps, "condmap.row.bias", SHAPE(cfg->map_k * cfg->map_rows));
        u->mapcol_w = params_add(u->ps, "condmap.col.weight", SHAPE(cfg->map_k * cfg->map_cols, hin));
        u->mapcol_b = params_add(u->ps, "condmap.col.bias", SHAPE(cfg->map_k * cfg->map_cols));
    }
    params_finalize(u->ps);

    /* initialisation, in the order the parameters were made */
    init_torch_default(c, u->temb_w0, u->temb_b0);
    init_torch_default(c, u->temb_w1, u->temb_b1);
    init_torch_default(c, u->conv_in_w, u->conv_in_b);
    for (int l = 0; l < cfg->nlevels; l++) {
        for (int b = 0; b < nb; b++) {
            res_init(c, &u->down_res[l][b]);
            if (u->down_has_attn[l]) attn_init(c, &u->down_attn[l][b]);
        }
        if (u->down_w[l]) init_torch_default(c, u->down_w[l], u->down_b[l]);
    }
    res_init(c, &u->mid1);
    for (int i = 0; i < cfg->mid_attn; i++) attn_init(c, &u->mid_attn[i]);
    res_init(c, &u->mid2);
    for (int l = cfg->nlevels - 1; l >= 0; l--) {
        for (int b = 0; b <= nb; b++) {
            res_init(c, &u->up_res[l][b]);
            if (u->up_has_attn[l]) attn_init(c, &u->up_attn[l][b]);
        }
        if (u->up_w[l]) init_torch_default(c, u->up_w[l], u->up_b[l]);
    }
    init_constant(c, u->norm_out_g, 1.0f);
    init_torch_default(c, u->conv_out_w, u->conv_out_b);
    for (int i = 0; i < cfg->ncond; i++) init_torch_default(c, u->cond_w[i], u->cond_b[i]);
    if (cfg->ncond) init_torch_default(c, u->codeout_w, u->codeout_b);
    if (cfg->map_k) {
        if (u->maphid_w) init_torch_default(c, u->maphid_w, u->maphid_b);
        init_torch_default(c, u->maprow_w, u->maprow_b);
        init_torch_default(c, u->mapcol_w, u->mapcol_b);
    }
    return u;
}

void unet_destroy(UNet *u)
{
    if (!u) return;
    params_destroy(u->ps);
    free(u);
}

ParamSet *unet_params(UNet *u) { return u->ps; }
int unet_temb_dim(const UNet *u) { return 4 * u->cfg.ch; }

static Tensor *norm_act(Ctx *c, const UNet *u, Tensor *x, Tensor *g, Tensor *b)
{
    return op_group_norm_silu(c, x, g, b, gn_groups(x->shape[1]), u->cfg.gn_eps);
}

/* x (B, cin, R, R), temb_act = silu(temb) (B, T) */
static Tensor *res_forward(Ctx *c, const UNet *u, const ResBlock *r, Tensor *x, Tensor *temb_act)
{
    const int B = x->shape[0];
    Tensor *h = op_conv2d(c, norm_act(c, u, x, r->n1g, r->n1b), r->c1w, r->c1b, 1, 1);
    Tensor *t = op_reshape(c, op_linear(c, temb_act, r->tw, r->tb), SHAPE(B, r->cout, 1, 1));
    h = op_add(c, h, t);
    h = op_dropout(c, norm_act(c, u, h, r->n2g, r->n2b), u->cfg.dropout);
    h = op_conv2d(c, h, r->c2w, r->c2b, 1, 1);
    Tensor *skip = r->skw ? op_conv2d(c, x, r->skw, r->skb, 1, 0) : x;
    return op_add(c, skip, h);
}

static Tensor *attn_forward(Ctx *c, const UNet *u, const AttnBlock *a, Tensor *x)
{
    Tensor *h = op_group_norm(c, x, a->ng, a->nb, gn_groups(a->c), u->cfg.gn_eps);
    return op_add(c, x, op_spatial_attention(c, h, a->wqkv, a->bqkv, a->wo, a->bo, 1));
}

Tensor *unet_forward(Ctx *c, UNet *u, Tensor *x, Tensor *t, Tensor *cond)
{
    const UNetConfig *cfg = &u->cfg;
    ShapeStr sx;
    ENG_ASSERT(x->ndim == 4 && x->shape[1] == cfg->in_ch && x->shape[2] == u->H && x->shape[3] == u->W,
               "unet_forward: x %s, expected (B, %d, %d, %d)", tensor_shape_str(x, &sx), cfg->in_ch, u->H, u->W);
    const int nb = cfg->num_res_blocks;
    Tensor *temb = op_timestep_embedding(c, t, cfg->temb_in > 0 ? cfg->temb_in : cfg->ch);
    temb = op_linear(c, op_silu(c, op_linear(c, temb, u->temb_w0, u->temb_b0)), u->temb_w1, u->temb_b1);
    if (cond) temb = op_add(c, temb, cond);
    Tensor *temb_act = op_silu(c, temb);

    Tensor *hs[UNET_MAX_LEVELS * 4 + 2];
    int nh = 0;
    hs[nh++] = op_conv2d(c, x, u->conv_in_w, u->conv_in_b, 1, 1);
    for (int l = 0; l < cfg->nlevels; l++) {
        for (int b = 0; b < nb; b++) {
            Tensor *h = res_forward(c, u, &u->down_res[l][b], hs[nh - 1], temb_act);
            if (u->down_has_attn[l]) h = attn_forward(c, u, &u->down_attn[l][b], h);
            hs[nh++] = h;
        }
        if (l != cfg->nlevels - 1) { /* pad right and bottom by one, then a stride-2 conv */
            Tensor *p = op_pad(c, hs[nh - 1], (int[]){0, 0, 0, 0}, (int[]){0, 0, 1, 1});
            hs[nh++] = op_conv2d(c, p, u->down_w[l], u->down_b[l], 2, 0);
        }
    }
    Tensor *h = res_forward(c, u, &u->mid1, hs[nh - 1], temb_act);
    for (int i = 0; i < cfg->mid_attn; i++) h = attn_forward(c, u, &u->mid_attn[i], h);
    h = res_forward(c, u, &u->mid2, h, temb_act);
    for (int l = cfg->nlevels - 1; l >= 0; l--) {
        for (int b = 0; b <= nb; b++) {
            Tensor *pair[2] = {h, hs[--nh]};
            h = res_forward(c, u, &u->up_res[l][b], op_concat(c, pair, 2, 1), temb_act);
            if (u->up_has_attn[l]) h = attn_forward(c, u, &u->up_attn[l][b], h);
        }
        if (l != 0) h = op_upsample_conv2d(c, h, u->up_w[l], u->up_b[l], 1);
    }
    h = norm_act(c, u, h, u->norm_out_g, u->norm_out_b);
    return op_conv2d(c, h, u->conv_out_w, u->conv_out_b, 1, 1);
}

Tensor *unet_cond_embed(Ctx *c, UNet *u, Tensor *const *inputs)
{
    ENG_ASSERT(u->cfg.ncond > 0, "unet_cond_embed: the network was built without conditioning inputs");
    Tensor *sum = NULL;
    for (int i = 0; i < u->cfg.ncond; i++) {
        ShapeStr sx;
        ENG_ASSERT(inputs[i]->ndim == 2 && inputs[i]->shape[1] == u->cfg.cond_dim[i],
                   "unet_cond_embed: input %d is %s, expected (B, %d)", i, tensor_shape_str(inputs[i], &sx),
                   u->cfg.cond_dim[i]);
        Tensor *e = op_silu(c, op_linear(c, inputs[i], u->cond_w[i], u->cond_b[i]));
        sum = sum ? op_add(c, sum, e) : e;
    }
    return op_linear(c, sum, u->codeout_w, u->codeout_b);
}

void unet_cond_rowcol(Ctx *c, UNet *u, Tensor *emb, Tensor **rows, Tensor **cols)
{
    const UNetConfig *cfg = &u->cfg;
    ENG_ASSERT(cfg->map_k > 0, "unet_cond_rowcol: the network was built without row/column maps");
    const int B = emb->shape[0];
    Tensor *h = op_silu(c, emb);
    if (u->maphid_w) h = op_silu(c, op_linear(c, h, u->maphid_w, u->maphid_b));
    *rows = op_reshape(c, op_linear(c, h, u->maprow_w, u->maprow_b), SHAPE(B, cfg->map_k, cfg->map_rows, 1));
    *cols = op_reshape(c, op_linear(c, h, u->mapcol_w, u->mapcol_b), SHAPE(B, cfg->map_k, 1, cfg->map_cols));
}
