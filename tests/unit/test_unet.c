/* The diffusion U-Net against its PyTorch twin (tests/bench/unet_torch.py): with the same
 * weights, the output for fixed inputs, timesteps and conditioning, and the gradients of
 * sum(R * output) for the input and every parameter (tests/ref/unet_ref.h5).
 *
 * Tolerance 1e-4 absolute + 1e-3 relative: the network chains ~40 float32 ops (sums of up
 * to 16*2*9 = 288 terms, GroupNorm, softmax) against a float64 reference; errors of ~1e-6
 * per op compound to ~1e-5 on O(1) values. A wiring error (a skip, a missing term) is O(1). */
#include "fixture.h"
#include "harness.h"

#include "autograd.h"
#include "models/unet.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>

TEST(unet_matches_pytorch_forward_and_gradients)
{
    Fixture *f = fixture_open(OCD_SOURCE_DIR "/tests/ref/unet_ref.h5");
    CHECK(f != NULL, "tests/ref/unet_ref.h5 is missing: run tests/ref/make_unet_ref.py");
    if (!f) return;
    int ch = 0, nb = 0, res = 0, mid = 0, mult[8] = {0}, attn[4] = {0};
    fixture_attr_ints(f, "/", "ch", &ch, 1);
    int nlev = fixture_attr_ints(f, "/", "ch_mult", mult, 8);
    fixture_attr_ints(f, "/", "num_res_blocks", &nb, 1);
    int nattn = fixture_attr_ints(f, "/", "attn_res", attn, 4);
    fixture_attr_ints(f, "/", "resolution", &res, 1);
    fixture_attr_ints(f, "/", "mid_attn", &mid, 1);
    UNetConfig cfg = {.in_ch = 1, .out_ch = 1, .ch = ch, .nlevels = nlev, .num_res_blocks = nb, .n_attn_res = nattn,
                      .resolution = res, .mid_attn = mid, .dropout = 0.0f, .gn_eps = 1e-6f};
    for (int i = 0; i < nlev; i++) cfg.ch_mult[i] = mult[i];
    for (int i = 0; i < nattn; i++) cfg.attn_res[i] = attn[i];

    Ctx *c = ctx_create(backend_cpu(), 2, 1);
    UNet *u = unet_create(c, &cfg);
    ParamSet *ps = unet_params(u);
    char path[160];
    int nd, shape[4], loaded = 0;
    for (int i = 0; i < ps->count; i++) {
        Tensor *p = ps->params[i];
        snprintf(path, sizeof path, "weights/%s", p->name);
        float *w = fixture_read(f, path, &nd, shape);
        CHECK(w && shape_numel(nd, shape) == p->numel, "%s: missing or of another size in the reference", p->name);
        if (!w) continue;
        c->be->upload(c->bc, p->data, w, sizeof(float) * (size_t)p->numel);
        loaded++;
        free(w);
    }
    int nref = 0;
    CHECK(loaded == ps->count, "loaded %d of %d parameters", loaded, ps->count);

    float *xs = fixture_read(f, "x", &nd, shape);
    Tensor *x = tensor_from_host(c, nd, shape, xs);
    x->requires_grad = 1;
    float *ts = fixture_read(f, "t", &nd, shape);
    Tensor *t = tensor_from_host(c, nd, shape, ts);
    float *cs = fixture_read(f, "cond", &nd, shape);
    Tensor *cond = tensor_from_host(c, nd, shape, cs);
    Tensor *out = unet_forward(c, u, x, t, cond);
    float *want = fixture_read(f, "out", &nd, shape), *got = malloc(sizeof(float) * (size_t)out->numel);
    CHECK(shape_numel(nd, shape) == out->numel, "output size");
    tensor_download(c, out, got);
    CHECK_ARRAYS(got, want, out->numel, 1e-4, 1e-3, "U-Net output");

    float *R = fixture_read(f, "R", &nd, shape);
    params_zero_grad(ps);
    ag_backward_seeded(c, out, tensor_from_host(c, nd, shape, R));
    float *dxw = fixture_read(f, "dx", &nd, shape), *dxg = malloc(sizeof(float) * (size_t)x->numel);
    c->be->download(c->bc, dxg, x->grad, sizeof(float) * (size_t)x->numel);
    CHECK_ARRAYS(dxg, dxw, x->numel, 1e-4, 1e-3, "U-Net d/d input");
    for (int i = 0; i < ps->count; i++) {
        Tensor *p = ps->params[i];
        snprintf(path, sizeof path, "grads/%s", p->name);
        float *gw = fixture_read(f, path, &nd, shape), *gg = malloc(sizeof(float) * (size_t)p->numel);
        c->be->download(c->bc, gg, p->grad, sizeof(float) * (size_t)p->numel);
        if (gw) {
            CHECK_ARRAYS(gg, gw, p->numel, 1e-4, 1e-3, p->name);
            nref++;
        }
        free(gw);
        free(gg);
    }
    CHECK(nref == ps->count, "compared %d of %d parameter gradients", nref, ps->count);
    free(xs);
    free(ts);
    free(cs);
    free(want);
    free(got);
    free(R);
    free(dxw);
    free(dxg);
    unet_destroy(u);
    ctx_destroy(c);
    fixture_close(f);
}

TEST(paper_unet_has_the_authors_size)
{
    /* ~110 M parameters at the MNIST size (OCD-SPEC §4); counted, not run */
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    UNetConfig cfg = unet_config_paper();
    UNet *u = unet_create(c, &cfg);
    int64_t n = 0;
    for (int i = 0; i < unet_params(u)->count; i++) n += unet_params(u)->params[i]->numel;
    CHECK(n > 100000000 && n < 120000000, "paper U-Net has %lld parameters", (long long)n);
    unet_destroy(u);
    ctx_destroy(c);
}
