/* The CIFAR-10 GoogLeNet against its PyTorch twin (kuangliu's code, tests/ref/make_googlenet_ref.py)
 * at width_div 8: train-mode logits, the gradients of sum(R * logits), the running statistics
 * that forward leaves, eval-mode logits; the full network's size; the tap's contract.
 *
 * Tolerances for the reference comparison: 1e-4 absolute + 1e-3 relative. The network is 28
 * conv+BatchNorm+ReLU stages deep (64 in all; sums of up to 216 terms) in float32 against a
 * float64 reference: PyTorch's own float32 run drifts from it by an RMS growing to ~1e-5 at the
 * last BatchNorms, and the reference's seed keeps every ReLU and max-pool decision > 4 x that
 * drift from its threshold, so no kink flips. Measured: every element within 0.2 x these
 * tolerances (the largest error 5e-5 on a 0.86 gradient). A wiring error is O(1). */
#include "fixture.h"
#include "fork_check.h"
#include "harness.h"

#include "autograd.h"
#include "models/googlenet.h"
#include "ops/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF OCD_SOURCE_DIR "/tests/ref/googlenet_ref.h5"
enum { MAX_PIECES = 512, NAMES_LEN = 32768 };
static const double ATOL = 1e-4, RTOL = 1e-3;

/* Where each named tensor lies in one of the fixture's flat vectors. */
typedef struct {
    char names[NAMES_LEN];
    const char *name[MAX_PIECES];
    int64_t off[MAX_PIECES];
    int size[MAX_PIECES];
    int n;
} Layout;

static int layout_read(Fixture *f, const char *names_attr, const char *sizes_attr, Layout *l)
{
    memset(l, 0, sizeof *l);
    if (!fixture_attr_string(f, "/", names_attr, l->names, sizeof l->names)) return 0;
    int nsize = fixture_attr_ints(f, "/", sizes_attr, l->size, MAX_PIECES);
    int64_t off = 0;
    for (char *save = NULL, *s = strtok_r(l->names, "\n", &save); s && l->n < MAX_PIECES;
         s = strtok_r(NULL, "\n", &save)) {
        l->name[l->n] = s;
        l->off[l->n] = off;
        off += l->size[l->n++];
    }
    return l->n == nsize;
}

/* The offset of a tensor of `numel` floats named `name`, or -1. */
static int64_t layout_find(const Layout *l, const char *name, int64_t numel)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->name[i], name) == 0) return l->size[i] == numel ? l->off[i] : -1;
    return -1;
}

/* Uploads every tensor of ps from the flat vector; returns how many were found. */
static int load_set(Ctx *c, ParamSet *ps, const Layout *l, const float *flat)
{
    int n = 0;
    for (int i = 0; i < ps->count; i++) {
        Tensor *p = ps->params[i];
        int64_t off = layout_find(l, p->name, p->numel);
        CHECK(off >= 0, "%s: missing from the reference or of another size", p->name);
        if (off < 0) continue;
        c->be->upload(c->bc, p->data, flat + off, sizeof(float) * (size_t)p->numel);
        n++;
    }
    return n;
}

/* Compares every tensor's values (grad = 0) or gradients (grad = 1) with the flat vector. */
static int compare_set(Ctx *c, const ParamSet *ps, const Layout *l, const float *flat, int grad, const char *what)
{
    int n = 0;
    for (int i = 0; i < ps->count; i++) {
        const Tensor *p = ps->params[i];
        int64_t off = layout_find(l, p->name, p->numel);
        if (off < 0) continue;
        float *got = malloc(sizeof(float) * (size_t)p->numel);
        c->be->download(c->bc, got, grad ? p->grad : p->data, sizeof(float) * (size_t)p->numel);
        char label[96];
        snprintf(label, sizeof label, "%s %s", what, p->name);
        CHECK_ARRAYS(got, flat + off, p->numel, ATOL, RTOL, label);
        free(got);
        n++;
    }
    return n;
}

static float *download(Ctx *c, const Tensor *t)
{
    float *h = malloc(sizeof(float) * (size_t)t->numel);
    tensor_download(c, t, h);
    return h;
}

TEST(googlenet_matches_pytorch_train_backward_running_stats_and_eval)
{
    Fixture *f = fixture_open(REF);
    CHECK(f != NULL, "tests/ref/googlenet_ref.h5 is missing: run tests/ref/make_googlenet_ref.py");
    if (!f) return;
    int wd = 0, K = 0, nd, shape[4];
    fixture_attr_ints(f, "/", "width_div", &wd, 1);
    fixture_attr_ints(f, "/", "n_classes", &K, 1);
    static Layout pl, bl;
    CHECK(layout_read(f, "param_names", "param_sizes", &pl), "reference: parameter layout");
    CHECK(layout_read(f, "buffer_names", "buffer_sizes", &bl), "reference: buffer layout");

    Ctx *c = ctx_create(backend_cpu(), 2, 1);
    Model *m = googlenet_create(c, K, wd);
    float *params = fixture_read(f, "params", &nd, shape), *buffers = fixture_read(f, "buffers", &nd, shape);
    CHECK(load_set(c, m->ps, &pl, params) == m->ps->count && pl.n == m->ps->count, "parameters: %d in the reference",
          pl.n);
    CHECK(load_set(c, m->buffers, &bl, buffers) == m->buffers->count && bl.n == m->buffers->count,
          "buffers: %d in the reference", bl.n);

    /* train mode: batch statistics, running statistics updated */
    ctx_set_training(c, 1);
    int xshape[4];
    float *xs = fixture_read(f, "x", &nd, xshape);
    Tensor *x = tensor_from_host(c, nd, xshape, xs);
    x->requires_grad = 1;
    Tensor *out = m->forward(c, m, x, NULL);
    float *want = fixture_read(f, "out_train", &nd, shape), *got = download(c, out);
    CHECK(out->ndim == 2 && out->shape[0] == 2 && out->shape[1] == K && shape_numel(nd, shape) == out->numel,
          "train-mode output shape");
    CHECK_ARRAYS(got, want, out->numel, ATOL, RTOL, "train-mode logits");
    free(want);
    free(got);

    float *R = fixture_read(f, "R", &nd, shape);
    params_zero_grad(m->ps);
    ag_backward_seeded(c, out, tensor_from_host(c, nd, shape, R));
    float *dxw = fixture_read(f, "dx", &nd, shape), *dxg = malloc(sizeof(float) * (size_t)x->numel);
    c->be->download(c->bc, dxg, x->grad, sizeof(float) * (size_t)x->numel);
    CHECK_ARRAYS(dxg, dxw, x->numel, ATOL, RTOL, "d/d input");
    float *grads = fixture_read(f, "grads", &nd, shape), *after = fixture_read(f, "buffers_after", &nd, shape);
    CHECK(compare_set(c, m->ps, &pl, grads, 1, "grad") == m->ps->count, "compared every parameter gradient");
    CHECK(compare_set(c, m->buffers, &bl, after, 0, "after train step") == m->buffers->count,
          "compared every running statistic");
    ctx_step_end(c);

    /* eval mode: the running statistics just updated (x died with the step) */
    ctx_set_training(c, 0);
    ctx_no_grad_begin(c);
    out = m->forward(c, m, tensor_from_host(c, 4, xshape, xs), NULL);
    want = fixture_read(f, "out_eval", &nd, shape);
    got = download(c, out);
    CHECK_ARRAYS(got, want, out->numel, ATOL, RTOL, "eval-mode logits");
    ctx_no_grad_end(c);
    ctx_step_end(c);

    free(want);
    free(got);
    free(params);
    free(buffers);
    free(xs);
    free(R);
    free(dxw);
    free(dxg);
    free(grads);
    free(after);
    model_destroy(m);
    ctx_destroy(c);
    fixture_close(f);
}

TEST(full_googlenet_has_kuanglius_parameter_count_and_65_candidate_layers)
{
    /* constructed and counted, never run: 6.2 M parameters */
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    Model *m = googlenet_create(c, 10, 1);
    int64_t n = 0, nb = 0;
    for (int i = 0; i < m->ps->count; i++)
        n += m->ps->params[i]->numel;
    for (int i = 0; i < m->buffers->count; i++)
        nb += m->buffers->params[i]->numel;
    int ref = 0;
    Fixture *f = fixture_open(REF);
    if (f) fixture_attr_ints(f, "/", "params_wd1", &ref, 1);
    fixture_close(f);
    CHECK(n == ref, "%lld parameters, PyTorch counts %d", (long long)n, ref);
    CHECK(n == 6166250, "%lld parameters, kuangliu's GoogLeNet has 6,166,250", (long long)n);
    /* two running statistics per BatchNorm channel: half the gamma+beta count */
    int64_t bn = 0;
    for (int i = 0; i < m->ps->count; i++)
        if (strstr(m->ps->params[i]->name, ".bn")) bn += m->ps->params[i]->numel;
    CHECK(nb == bn, "%lld running statistics for %lld BatchNorm parameters", (long long)nb, (long long)bn);
    for (int i = 0; i < m->buffers->count; i++)
        CHECK(!m->buffers->params[i]->requires_grad, "%s is trainable", m->buffers->params[i]->name);

    CHECK(m->nlayers == 65, "%d candidate layers (1 stem + 9 x 7 inception convs + linear)", m->nlayers);
    const char *names[] = {"pre.conv", "a3.b1.conv", "a3.b2.conv1", "a3.b2.conv2", "c4.b3.conv3", "b5.b4.conv"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        int k = model_layer_index(m, names[i]);
        CHECK(k >= 0 && !m->layers[k].is_linear, "%s: index %d", names[i], k);
    }
    int lin = model_layer_index(m, "linear");
    CHECK(lin == m->nlayers - 1 && m->layers[lin].is_linear && m->layers[lin].in == 1024 && m->layers[lin].out == 10,
          "the linear layer: index %d", lin);
    int linear_count = 0;
    for (int i = 0; i < m->nlayers; i++)
        linear_count += m->layers[i].is_linear;
    CHECK(linear_count == 1, "%d layers marked linear", linear_count);
    model_destroy(m);
    ctx_destroy(c);
}

/* a deterministic pseudo-random batch in [-1, 1) */
static Tensor *test_batch(Ctx *c, int B)
{
    const int n = B * 3 * 32 * 32;
    float *h = malloc(sizeof(float) * (size_t)n);
    uint32_t s = 12345;
    for (int i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        h[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
    Tensor *x = tensor_from_host(c, 4, (int[]){B, 3, 32, 32}, h);
    free(h);
    return x;
}

/* B copies of a (rows, cols) or (rows) tensor's values as (B, rows, cols) / (B, rows) */
static Tensor *repeat_batch(Ctx *c, const Tensor *t, int B)
{
    float *one = download(c, t), *all = malloc(sizeof(float) * (size_t)(t->numel * B));
    for (int b = 0; b < B; b++)
        memcpy(all + b * t->numel, one, sizeof(float) * (size_t)t->numel);
    Tensor *r = t->ndim == 2 ? tensor_from_host(c, 3, (int[]){B, t->shape[0], t->shape[1]}, all)
                             : tensor_from_host(c, 2, (int[]){B, t->shape[0]}, all);
    free(one);
    free(all);
    return r;
}

static int has_shape(const Tensor *t, int ndim, const int *shape)
{
    if (!t || t->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i]) return 0;
    return 1;
}

TEST(tap_captures_layers_and_per_sample_weights_equal_to_shared_reproduce_the_logits)
{
    /* default init, train mode; per-sample vs shared differ only in GEMM summation order,
     * so the logits agree to float32 rounding (1e-5 on O(1) values) */
    const int B = 3, K = 10, F = 128;
    Ctx *c = ctx_create(backend_cpu(), 2, 5);
    Model *m = googlenet_create(c, K, 8);
    const int lin = model_layer_index(m, "linear");
    ModelLayer *L = &m->layers[lin];

    ModelTap tap = {.layer = lin};
    Tensor *x = test_batch(c, B);
    Tensor *y0 = m->forward(c, m, x, &tap);
    CHECK(has_shape(tap.input, 2, (int[]){B, F}), "linear tap input is not (B, %d)", F);
    CHECK(tap.activation == y0 && has_shape(y0, 2, (int[]){B, K}), "linear tap activation is not the logits");
    float *shared = download(c, y0);
    float *R = malloc(sizeof(float) * (size_t)(B * K));
    for (int i = 0; i < B * K; i++)
        R[i] = sinf(0.7f * (float)i + 0.3f);
    params_zero_grad(m->ps);
    ag_backward_seeded(c, y0, tensor_from_host(c, 2, (int[]){B, K}, R));
    float *gw_shared = malloc(sizeof(float) * (size_t)L->weight->numel);
    c->be->download(c->bc, gw_shared, L->weight->grad, sizeof(float) * (size_t)L->weight->numel);
    ctx_step_end(c);

    /* per-sample weights, shared bias: same logits; the per-sample gradients add up to the
     * shared weight's, which itself receives none */
    Tensor *psw = repeat_batch(c, L->weight, B);
    psw->requires_grad = 1;
    tap = (ModelTap){.layer = lin, .ps_weight = psw};
    Tensor *y1 = m->forward(c, m, test_batch(c, B), &tap);
    float *got = download(c, y1);
    CHECK_ARRAYS(got, shared, B * K, 1e-5, 1e-4, "per-sample weight = shared weight");
    CHECK(tap.activation == y1 && has_shape(tap.input, 2, (int[]){B, F}), "tap with per-sample weights");
    free(got);
    params_zero_grad(m->ps);
    ag_backward_seeded(c, y1, tensor_from_host(c, 2, (int[]){B, K}, R));
    float *gps = malloc(sizeof(float) * (size_t)psw->numel), *gsum = calloc((size_t)L->weight->numel, sizeof(float));
    c->be->download(c->bc, gps, psw->grad, sizeof(float) * (size_t)psw->numel);
    for (int b = 0; b < B; b++)
        for (int64_t i = 0; i < L->weight->numel; i++)
            gsum[i] += gps[b * L->weight->numel + i];
    CHECK_ARRAYS(gsum, gw_shared, L->weight->numel, 1e-5, 1e-4, "sum over samples of d/d per-sample weight");
    c->be->download(c->bc, gps, L->weight->grad, sizeof(float) * (size_t)L->weight->numel);
    float gmax = 0.0f;
    for (int64_t i = 0; i < L->weight->numel; i++)
        gmax = fmaxf(gmax, fabsf(gps[i]));
    CHECK(gmax == 0.0f, "the replaced shared weight got a gradient (max %g)", (double)gmax);
    free(gps);
    free(gsum);
    ctx_step_end(c);

    /* per-sample weights and bias */
    tap = (ModelTap){.layer = lin, .ps_weight = repeat_batch(c, L->weight, B), .ps_bias = repeat_batch(c, L->bias, B)};
    got = download(c, m->forward(c, m, test_batch(c, B), &tap));
    CHECK_ARRAYS(got, shared, B * K, 1e-5, 1e-4, "per-sample weight and bias = shared");
    free(got);
    ctx_step_end(c);

    /* convs: the tap holds the conv's input and its post-BN-ReLU output */
    struct {
        const char *name;
        int in[4], out[4];
    } convs[] = {{"pre.conv", {B, 3, 32, 32}, {B, 24, 32, 32}},
                 {"a3.b2.conv2", {B, 12, 32, 32}, {B, 16, 32, 32}},
                 {"a4.b4.conv", {B, 60, 16, 16}, {B, 8, 16, 16}},
                 {"b5.b3.conv3", {B, 16, 8, 8}, {B, 16, 8, 8}}};
    for (size_t i = 0; i < sizeof convs / sizeof *convs; i++) {
        tap = (ModelTap){.layer = model_layer_index(m, convs[i].name)};
        Tensor *xi = test_batch(c, B);
        m->forward(c, m, xi, &tap);
        CHECK(has_shape(tap.input, 4, convs[i].in) && has_shape(tap.activation, 4, convs[i].out), "%s: tap shapes",
              convs[i].name);
        if (i == 0) CHECK(tap.input == xi, "pre.conv: the tap input is the network's input");
        if (tap.activation) {
            float *a = download(c, tap.activation), amin = 0.0f;
            for (int64_t k = 0; k < tap.activation->numel; k++)
                amin = fminf(amin, a[k]);
            CHECK(amin == 0.0f, "%s: the activation is not post-ReLU (min %g)", convs[i].name, (double)amin);
            free(a);
        }
        ctx_step_end(c);
    }
    free(shared);
    free(R);
    free(gw_shared);
    model_destroy(m);
    ctx_destroy(c);
}

static void per_sample_on_a_conv(void *arg)
{
    (void)arg;
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    Model *m = googlenet_create(c, 10, 8);
    ModelLayer *L = &m->layers[model_layer_index(m, "a3.b1.conv")];
    ModelTap tap = {.layer = model_layer_index(m, "a3.b1.conv"),
                    .ps_weight = tensor_zeros(c, 3, (int[]){2, L->out, L->in})};
    m->forward(c, m, test_batch(c, 2), &tap);
}

TEST(per_sample_weights_on_a_conv_abort_with_a_message)
{
    char out[4096];
    int r = run_expect_abort(per_sample_on_a_conv, NULL, out, sizeof out);
    CHECK(r == 1, "the child did not abort (result %d): %s", r, out);
    CHECK(strstr(out, "only the final linear") && strstr(out, "a3.b1.conv"), "message: %s", out);
}
