/* Optimisers against PyTorch trajectories (tests/ref/optim_ref.h5: three steps of SGD,
 * SGD with momentum and weight decay, Adam, Adam with L2, AdamW, all in float32), and
 * clipping, EMA and frozen parameters against their definitions.
 *
 * Tolerance: both sides run the same float32 formula; PyTorch's fused kernels may order
 * the operations differently, so allow a few ulps: 1e-6 absolute + 1e-5 relative. */
#include "fixture.h"
#include "harness.h"

#include "nn/params.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

TEST(optimisers_follow_pytorch_for_three_steps)
{
    Fixture *f = fixture_open(OCD_SOURCE_DIR "/tests/ref/optim_ref.h5");
    CHECK(f != NULL, "tests/ref/optim_ref.h5 is missing");
    if (!f) return;
    char names[16][64];
    int n = fixture_groups(f, names, 16);
    CHECK(n == 5, "%d optimiser cases (want 5)", n);
    Ctx *c = ctx_create(backend_cpu(), 2, 1);
    for (int i = 0; i < n; i++) {
        int kind = 0, nd, shape[4];
        float lr = 0, mom = 0, wd = 0;
        fixture_attr_ints(f, names[i], "kind", &kind, 1);
        fixture_attr_floats(f, names[i], "lr", &lr, 1);
        fixture_attr_floats(f, names[i], "momentum", &mom, 1);
        fixture_attr_floats(f, names[i], "wd", &wd, 1);
        char path[128];
        snprintf(path, sizeof path, "%.60s/p0", names[i]);
        float *p0 = fixture_read(f, path, &nd, shape);
        ParamSet *ps = params_create(c);
        Tensor *p = params_add(ps, "p", nd, shape);
        params_finalize(ps);
        params_upload(ps, p0);
        OptConfig cfg = optim_defaults((OptKind)kind, lr);
        cfg.momentum = mom;
        cfg.weight_decay = wd;
        Optimizer *o = optim_create(ps, cfg);
        for (int s = 1; s <= 3; s++) {
            snprintf(path, sizeof path, "%.60s/g%d", names[i], s);
            float *g = fixture_read(f, path, &nd, shape);
            c->be->upload(c->bc, p->grad, g, sizeof(float) * (size_t)p->numel);
            optim_step(o);
            snprintf(path, sizeof path, "%.60s/p%d", names[i], s);
            float *want = fixture_read(f, path, &nd, shape), *got = malloc(sizeof(float) * (size_t)p->numel);
            params_download(ps, got);
            char what[96];
            snprintf(what, sizeof what, "%.60s after step %d", names[i], s);
            CHECK_ARRAYS(got, want, p->numel, 1e-6, 1e-5, what);
            free(g);
            free(want);
            free(got);
        }
        optim_destroy(o);
        params_destroy(ps);
        free(p0);
    }
    ctx_destroy(c);
    fixture_close(f);
}

TEST(clip_grad_norm_scales_to_the_limit_and_leaves_small_ones)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    ParamSet *ps = params_create(c);
    Tensor *a = params_add(ps, "a", SHAPE(2)), *b = params_add(ps, "b", SHAPE(1));
    params_finalize(ps);
    a->grad[0] = 3.0f;
    a->grad[1] = 0.0f;
    b->grad[0] = 4.0f; /* norm 5 */
    double n = optim_clip_grad_norm(ps, 1.0f);
    CHECK_CLOSE(n, 5.0, 1e-12, 0, "norm before clipping");
    CHECK_CLOSE(a->grad[0], 3.0 / (5.0 + 1e-6), 1e-7, 0, "clipped a");
    CHECK_CLOSE(b->grad[0], 4.0 / (5.0 + 1e-6), 1e-7, 0, "clipped b");
    n = optim_clip_grad_norm(ps, 10.0f);
    CHECK_CLOSE(n, 1.0, 1e-6, 0, "norm of the clipped gradient");
    CHECK_CLOSE(b->grad[0], 4.0 / (5.0 + 1e-6), 1e-7, 0, "a small gradient is left alone");
    params_destroy(ps);
    ctx_destroy(c);
}

TEST(ema_tracks_the_weights_and_swaps_in_place)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    ParamSet *ps = params_create(c);
    Tensor *w = params_add(ps, "w", SHAPE(3));
    params_finalize(ps);
    w->data[0] = 1.0f;
    Ema *e = ema_create(ps);
    w->data[0] = 3.0f;
    ema_update(e, 0.9f); /* 0.9 * 1 + 0.1 * 3 */
    ema_update(e, 0.9f); /* 0.9 * 1.2 + 0.1 * 3 */
    CHECK_CLOSE(e->shadow[0], 1.38, 1e-6, 0, "EMA after two updates");
    ema_swap(e);
    CHECK_CLOSE(w->data[0], 1.38, 1e-6, 0, "parameter holds the average after the swap");
    ema_swap(e);
    CHECK(w->data[0] == 3.0f, "swapping back restores the weights (%g)", (double)w->data[0]);
    ema_destroy(e);
    params_destroy(ps);
    ctx_destroy(c);
}

TEST(a_step_leaves_frozen_parameters_untouched)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    ParamSet *ps = params_create(c);
    Tensor *a = params_add(ps, "a", SHAPE(4)), *b = params_add(ps, "b", SHAPE(4));
    params_finalize(ps);
    for (int i = 0; i < 4; i++) {
        a->data[i] = b->data[i] = 1.0f;
        a->grad[i] = b->grad[i] = 0.5f;
    }
    a->requires_grad = 0;
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAMW, 0.1f));
    optim_step(o);
    for (int i = 0; i < 4; i++) {
        CHECK(a->data[i] == 1.0f, "frozen a[%d] moved to %g", i, (double)a->data[i]);
        CHECK(b->data[i] < 1.0f, "trained b[%d] did not move", i);
    }
    optim_destroy(o);
    params_destroy(ps);
    ctx_destroy(c);
}
