/* See wnet.h. */
#include "ocd/wnet.h"

#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1,2,2" -> {1,2,2}; returns the count or -1 */
static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || v > 4096 || n >= max) return -1;
        out[n++] = (int)v;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return n;
}

enum { MAP_CHANNELS = 4 };

static int round_up(int v, int m) { return (v + m - 1) / m * m; }

int wnet_config(const Config *cfg, int rows, int cols, CondDims d, WNet *w, Status *st)
{
    memset(w, 0, sizeof *w);
    w->rows = rows;
    w->cols = cols;
    w->d = d;
    w->maps = cfg_bool(cfg, "diffusion.cond_maps");
    w->rc_k = cfg_int(cfg, "diffusion.rc_maps");
    w->rc_product = w->rc_k > 0 && cfg_bool(cfg, "diffusion.rc_product");
    w->target_x0 = !strcmp(cfg_str(cfg, "diffusion.target"), "x0");
    UNetConfig *u = &w->ucfg;
    u->nlevels = parse_list(cfg_str(cfg, "diffusion.ch_mult"), u->ch_mult, UNET_MAX_LEVELS);
    if (u->nlevels < 1)
        return status_fail(st, ERR_CONFIG, "diffusion.ch_mult = '%s': expected 1 to %d comma-separated positive integers",
                           cfg_str(cfg, "diffusion.ch_mult"), UNET_MAX_LEVELS);
    const char *attn = cfg_str(cfg, "diffusion.attn_res");
    u->n_attn_res = attn[0] ? parse_list(attn, u->attn_res, UNET_MAX_ATTN_RES) : 0;
    if (u->n_attn_res < 0)
        return status_fail(st, ERR_CONFIG, "diffusion.attn_res = '%s': expected up to %d comma-separated sizes", attn,
                           UNET_MAX_ATTN_RES);
    const int m = 1 << (u->nlevels - 1), pad = cfg_int(cfg, "diffusion.pad");
    if (pad > 0) {
        if (pad < rows || pad < cols || pad % m)
            return status_fail(st, ERR_CONFIG,
                               "diffusion.pad = %d must hold the %d x %d matrix and be divisible by 2^%d (diffusion.ch_mult has %d levels)",
                               pad, rows, cols, u->nlevels - 1, u->nlevels);
        w->H = w->W = pad;
    } else {
        w->H = round_up(rows, m);
        w->W = round_up(cols, m);
    }
    /* centred; an odd remainder puts the extra row/column first (the authors' padding) */
    w->top = (w->H - rows) / 2 + (w->H - rows) % 2;
    w->left = (w->W - cols) / 2 + (w->W - cols) % 2;
    u->in_ch = 1 + (w->maps ? MAP_CHANNELS : 0) + w->rc_k * (w->rc_product ? 3 : 2);
    u->map_k = w->rc_k;
    u->map_rows = rows;
    u->map_cols = cols;
    u->map_hidden = w->rc_k ? cfg_int(cfg, "diffusion.rc_hidden") : 0;
    u->out_ch = 1;
    u->ch = cfg_int(cfg, "diffusion.ch");
    /* DDIM's sinusoid has ch frequencies; a narrow CPU network gets 64 so that 1000 timesteps
     * stay distinguishable (8 channels would give 4 frequencies, mostly aliased) */
    u->temb_in = u->ch < 64 ? 64 : 0;
    u->num_res_blocks = cfg_int(cfg, "diffusion.res_blocks");
    u->height = w->H;
    u->width = w->W;
    u->resolution = w->H;
    u->mid_attn = cfg_int(cfg, "diffusion.mid_attn");
    u->dropout = (float)cfg_float(cfg, "diffusion.dropout");
    u->gn_eps = 1e-6f;
    u->ncond = 3;
    u->cond_dim[0] = d.din;
    u->cond_dim[1] = d.dact;
    u->cond_dim[2] = d.dout;
    if (w->maps && (d.dact != rows || d.din != cols))
        return status_fail(st, ERR_CONFIG, "diffusion.cond_maps: the layer's activation (%d) and input (%d) do not match its %d x %d weight",
                           d.dact, d.din, rows, cols);
    return 0;
}

void wnet_create(Ctx *c, WNet *w)
{
    w->c = c;
    w->unet = unet_create(c, &w->ucfg);
}

void wnet_destroy(WNet *w)
{
    unet_destroy(w->unet);
    w->unet = NULL;
    if (w->sample_buf) w->c->be->release(w->c->bc, w->sample_buf);
    w->sample_buf = NULL;
    w->sample_floats = 0;
}

float *wnet_sample_buffer(WNet *w, int64_t floats)
{
    if (floats > w->sample_floats) {
        if (w->sample_buf) w->c->be->release(w->c->bc, w->sample_buf);
        w->sample_buf = w->c->be->alloc(w->c->bc, sizeof(float) * (size_t)floats);
        w->sample_floats = floats;
    }
    return w->sample_buf;
}

Tensor *wnet_embed(Ctx *c, WNet *w, const float *cin, const float *cact, const float *cout, int B)
{
    Tensor *in[3] = {tensor_from_host(c, SHAPE(B, w->d.din), cin), tensor_from_host(c, SHAPE(B, w->d.dact), cact),
                     tensor_from_host(c, SHAPE(B, w->d.dout), cout)};
    return unet_cond_embed(c, w->unet, in);
}

Tensor *wnet_maps(Ctx *c, WNet *w, const float *cin, const float *cact, int B)
{
    if (!w->maps) return NULL;
    const int64_t HW = (int64_t)w->H * w->W;
    float *h = calloc((size_t)(B * MAP_CHANNELS * HW), sizeof(float));
    for (int b = 0; b < B; b++) {
        float *rowmap = h + (int64_t)b * MAP_CHANNELS * HW, *colmap = rowmap + HW, *rowpos = colmap + HW, *colpos = rowpos + HW;
        for (int r = 0; r < w->rows; r++)
            for (int q = 0; q < w->cols; q++) {
                const int64_t at = (int64_t)(w->top + r) * w->W + w->left + q;
                rowmap[at] = cact[(int64_t)b * w->d.dact + r];
                colmap[at] = cin[(int64_t)b * w->d.din + q];
                rowpos[at] = w->rows > 1 ? 2.0f * (float)r / (float)(w->rows - 1) - 1.0f : 0.0f;
                colpos[at] = w->cols > 1 ? 2.0f * (float)q / (float)(w->cols - 1) - 1.0f : 0.0f;
            }
    }
    Tensor *t = tensor_from_host(c, SHAPE(B, MAP_CHANNELS, w->H, w->W), h);
    free(h);
    return t;
}

Tensor *wnet_eps(Ctx *c, WNet *w, Tensor *xt, Tensor *t, Tensor *emb, Tensor *maps)
{
    const int B = xt->shape[0];
    Tensor *x = op_pad(c, op_reshape(c, xt, SHAPE(B, 1, w->rows, w->cols)), (int[]){0, 0, w->top, w->left},
                       (int[]){0, 0, w->H - w->rows - w->top, w->W - w->cols - w->left});
    Tensor *parts[3] = {x};
    int np = 1;
    if (maps) parts[np++] = maps;
    if (w->rc_k) parts[np++] = wnet_rc_maps(c, w, emb);
    if (np > 1) x = op_concat(c, parts, np, 1);
    Tensor *e = unet_forward(c, w->unet, x, t, emb);
    e = op_slice(c, e, (int[]){0, 0, w->top, w->left}, (int[]){B, 1, w->rows, w->cols});
    return op_reshape(c, e, SHAPE(B, w->rows, w->cols));
}

Tensor *wnet_rc_maps(Ctx *c, WNet *w, Tensor *emb)
{
    if (!w->rc_k) return NULL;
    Tensor *R, *C;
    unet_cond_rowcol(c, w->unet, emb, &R, &C);
    /* (B, k, rows, 1) and (B, k, 1, cols) broadcast to (B, k, rows, cols) */
    Tensor *parts[3] = {op_add(c, R, tensor_zeros(c, SHAPE(1, 1, 1, w->cols))),
                        op_add(c, C, tensor_zeros(c, SHAPE(1, 1, w->rows, 1))), NULL};
    if (w->rc_product) parts[2] = op_mul(c, R, C);
    Tensor *m = op_concat(c, parts, w->rc_product ? 3 : 2, 1);
    return op_pad(c, m, (int[]){0, 0, w->top, w->left}, (int[]){0, 0, w->H - w->rows - w->top, w->W - w->cols - w->left});
}
