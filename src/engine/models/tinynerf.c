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

static Tensor *tinynerf_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap)
{
    const TinyNerfConfig *k = m->impl;
    ShapeStr sx;
    ENG_ASSERT(x->ndim == 3 && x->shape[2] == 6, "tinynerf: rays must be (B, R, 6), got %s", tensor_shape_str(x, &sx));
    const int B = x->shape[0], R = x->shape[1], S = k->samples, E = 3 + 6 * k->freqs;
    Tensor *z;
    Tensor *enc = op_nerf_encode(c, op_reshape(c, x, SHAPE(B * R, 6)), S, k->freqs, k->near, k->far, &z);
    const ModelLayer *l1 = &m->layers[0];
    Tensor *h;
    const int tapped = tap && tap->layer == 0;
    if (tapped && tap->ps_weight) { /* each view its own layer1 */
        h = op_linear_per_sample(c, op_reshape(c, enc, SHAPE(B, R * S, E)), tap->ps_weight, tap->ps_bias);
        h = op_reshape(c, h, SHAPE(B * R * S, 128));
        if (!tap->ps_bias) h = op_add(c, h, l1->bias);
    } else {
        h = op_linear(c, enc, l1->weight, l1->bias);
    }
    Tensor *a1 = op_relu(c, h);
    ENG_ASSERT(!(tap && tap->layer > 0 && tap->ps_weight), "tinynerf: only layer1 takes per-sample weights");
    Tensor *a2 = model_linear(c, m, 1, a1, tap, 1);
    Tensor *raw = model_linear(c, m, 2, a2, tap, 0);
    Tensor *w;
    Tensor *rgb = op_nerf_composite(c, raw, z, k->white, &w);
    if (tapped) { /* sum(w a) / sum(w) over each view's points */
        Tensor *w3 = op_reshape(c, w, SHAPE(B, R * S, 1));
        Tensor *num = op_sum_dim(c, op_mul(c, op_reshape(c, a1, SHAPE(B, R * S, 128)), w3), 1); /* (B, 128) */
        Tensor *den = op_reshape(c, op_sum_dim(c, op_reshape(c, w, SHAPE(B, R * S)), 1), SHAPE(B, 1));
        Tensor *eps = tensor_scalar(c, 1e-10f);
        tap->activation = op_div(c, num, op_add(c, den, eps));
        tap->input = op_reshape(c, enc, SHAPE(B, R * S, E));
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
