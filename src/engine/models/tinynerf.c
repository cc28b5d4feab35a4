/* TinyNeRF (see tinynerf.h). */
#include "models/tinynerf.h"

#include "config.h"
#include "core/check.h"
#include "data/dataset.h"
#include "models/model_util.h"
#include "nn/init.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>

/* layer idx on the points of B views: x (B*R*S, in) -> (B*R*S, out), per view when the tap
 * gives weights; the tap keeps the per-point input and activation (reduced below) */
static Tensor *nerf_layer(Ctx *c, Model *m, int idx, Tensor *x, int B, ModelTap *tap, int relu)
{
    const ModelLayer *l = &m->layers[idx];
    const int P = x->shape[0] / B;
    Tensor *h;
    const int tapped = tap && tap->layer == idx;
    if (tapped && tap->ps_weight) { /* each view its own weights */
        h = op_linear_per_sample(c, op_reshape(c, x, SHAPE(B, P, l->in)), tap->ps_weight, tap->ps_bias);
        h = op_reshape(c, h, SHAPE(B * P, l->out));
        if (!tap->ps_bias) h = op_add(c, h, l->bias);
    } else {
        h = op_linear(c, x, l->weight, l->bias);
    }
    Tensor *a = relu ? op_relu(c, h) : h;
    if (tapped) {
        tap->input = x;
        tap->activation = a;
    }
    return a;
}

/* sum(w v) / sum(w) over each view's points: (B*P, d) -> (B, d) */
static Tensor *view_mean(Ctx *c, Tensor *v, Tensor *w, int B)
{
    const int P = v->shape[0] / B, d = v->shape[1];
    Tensor *w3 = op_reshape(c, w, SHAPE(B, P, 1));
    Tensor *num = op_sum_dim(c, op_mul(c, op_reshape(c, v, SHAPE(B, P, d)), w3), 1); /* (B, d) */
    Tensor *den = op_reshape(c, op_sum_dim(c, op_reshape(c, w, SHAPE(B, P)), 1), SHAPE(B, 1));
    return op_div(c, num, op_add(c, den, tensor_scalar(c, 1e-10f)));
}

static Tensor *tinynerf_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap)
{
    const TinyNerfConfig *k = m->impl;
    ShapeStr sx;
    ENG_ASSERT(x->ndim == 3 && x->shape[2] == 6, "tinynerf: rays must be (B, R, 6), got %s", tensor_shape_str(x, &sx));
    const int B = x->shape[0], R = x->shape[1];
    Tensor *z;
    Tensor *enc = op_nerf_encode(c, op_reshape(c, x, SHAPE(B * R, 6)), k->samples, k->freqs, k->near, k->far, &z);
    Tensor *a1 = nerf_layer(c, m, 0, enc, B, tap, 1);
    Tensor *a2 = nerf_layer(c, m, 1, a1, B, tap, 1);
    Tensor *raw = nerf_layer(c, m, 2, a2, B, tap, 0);
    Tensor *w;
    Tensor *rgb = op_nerf_composite(c, raw, z, k->white, &w);
    if (tap && tap->layer >= 0 && tap->layer < 3) { /* one vector per view: the render-weighted means */
        tap->input = view_mean(c, tap->input, w, B);
        tap->activation = view_mean(c, tap->activation, w, B);
    }
    return op_reshape(c, rgb, SHAPE(B, R, 3));
}

static void tinynerf_destroy(Model *m)
{
    free(m->impl);
    model_free_base(m);
}

const TinyNerfConfig *tinynerf_config(const Model *m) { return m->impl; }

Model *tinynerf_create(Ctx *c, const TinyNerfConfig *cfg)
{
    Model *m = model_alloc(c, "tinynerf", 0);
    TinyNerfConfig *k = malloc(sizeof *k);
    ENG_CHECK_ALLOC(k);
    *k = *cfg;
    m->impl = k;
    const int E = 3 + 6 * cfg->freqs;
    const int sizes[4] = {E, 128, 128, 4};
    Tensor *w[3], *b[3];
    char nm[32];
    for (int i = 0; i < 3; i++) {
        snprintf(nm, sizeof nm, "layer%d.weight", i + 1);
        w[i] = params_add(m->ps, nm, SHAPE(sizes[i + 1], sizes[i]));
        snprintf(nm, sizeof nm, "layer%d.bias", i + 1);
        b[i] = params_add(m->ps, nm, SHAPE(sizes[i + 1]));
    }
    params_finalize(m->ps);
    for (int i = 0; i < 3; i++) {
        init_torch_default(c, w[i], b[i]);
        snprintf(nm, sizeof nm, "layer%d", i + 1);
        model_add_layer(m, nm, w[i], b[i], 1);
    }
    m->forward = tinynerf_forward;
    m->destroy = tinynerf_destroy;
    return m;
}

Model *tinynerf_from_config(Ctx *c, const Config *cfg, const Dataset *ds);
Model *tinynerf_from_config(Ctx *c, const Config *cfg, const Dataset *ds)
{
    TinyNerfConfig k = {.freqs = cfg_int(cfg, "model.nerf_freqs"), .samples = cfg_int(cfg, "model.nerf_samples"),
                        .near = ds->near, .far = ds->far, .white = cfg_bool(cfg, "model.nerf_white_bkgd")};
    return tinynerf_create(c, &k);
}
