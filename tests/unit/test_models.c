/* The base models' contracts with OCD (models/model.h): parameter counts as in PyTorch,
 * output shapes, the tap capturing a layer's input and activation, per-sample weights equal
 * to the shared ones reproducing the shared output (and receiving the gradient), and the
 * layers that cannot take per-sample weights refusing them. */
#include "fork_check.h"
#include "harness.h"

#include "autograd.h"
#include "models/lenet5.h"
#include "models/mlp.h"
#include "models/tinynerf.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t count_params(const Model *m)
{
    int64_t n = 0;
    for (int i = 0; i < m->ps->count; i++) n += m->ps->params[i]->numel;
    return n;
}

/* per-sample weights (B, out, in): B copies of the layer's weight, trainable */
static Tensor *copies(Ctx *c, const ModelLayer *l, int B)
{
    Tensor *w = tensor_new(c, SHAPE(B, l->out, l->in));
    for (int b = 0; b < B; b++)
        c->be->copy(c->bc, w->data + (int64_t)b * l->out * l->in, l->weight->data, sizeof(float) * (size_t)(l->out * l->in));
    w->requires_grad = 1;
    return w;
}

static void random_input(Ctx *c, Tensor *x, float lo, float hi)
{
    c->be->rng_uniform(c->bc, x->numel, 99, 0, lo, hi, x->data);
}

/* forward with the shared weights, then with per-sample copies: same output; the copies'
 * gradients summed over the batch equal the shared weight's gradient */
/* xh: the input on the host (step tensors die at ctx_step_end, so each pass uploads it) */
static void check_per_sample(Ctx *c, Model *m, const char *layer, const float *xh, int ndim, const int *shape,
                             uint64_t rng_at)
{
    Tensor *x = tensor_from_host(c, ndim, shape, xh);
    const int idx = model_layer_index(m, layer);
    CHECK(idx >= 0, "%s has no layer %s", m->kind, layer);
    if (idx < 0) return;
    const ModelLayer *l = &m->layers[idx];
    const int B = x->shape[0];
    params_zero_grad(m->ps);
    c->rng_offset = rng_at;
    Tensor *y1 = m->forward(c, m, x, NULL);
    ag_backward(c, op_sum(c, op_mul(c, y1, y1)));
    float *shared_g = malloc(sizeof(float) * (size_t)l->weight->numel), *y1h = malloc(sizeof(float) * (size_t)y1->numel);
    c->be->download(c->bc, shared_g, l->weight->grad, sizeof(float) * (size_t)l->weight->numel);
    tensor_download(c, y1, y1h);
    ctx_step_end(c);

    params_zero_grad(m->ps);
    x = tensor_from_host(c, ndim, shape, xh);
    Tensor *w = copies(c, l, B);
    ModelTap tap = {.layer = idx, .ps_weight = w};
    c->rng_offset = rng_at;
    Tensor *y2 = m->forward(c, m, x, &tap);
    float *y2h = malloc(sizeof(float) * (size_t)y2->numel);
    tensor_download(c, y2, y2h);
    char what[96];
    snprintf(what, sizeof what, "%s %s per-sample output", m->kind, layer);
    CHECK_ARRAYS(y2h, y1h, y2->numel, 1e-5, 1e-4, what);
    ag_backward(c, op_sum(c, op_mul(c, y2, y2)));
    float *wg = malloc(sizeof(float) * (size_t)w->numel), *sum = calloc((size_t)l->weight->numel, sizeof(float));
    c->be->download(c->bc, wg, w->grad, sizeof(float) * (size_t)w->numel);
    for (int b = 0; b < B; b++)
        for (int64_t k = 0; k < l->weight->numel; k++) sum[k] += wg[b * l->weight->numel + k];
    snprintf(what, sizeof what, "%s %s per-sample gradients summed", m->kind, layer);
    CHECK_ARRAYS(sum, shared_g, l->weight->numel, 1e-4, 1e-3, what);
    CHECK(c->be->sumsq(c->bc, l->weight->numel, l->weight->grad) == 0.0, "%s: the shared %s got a gradient",
          m->kind, layer);
    ctx_step_end(c);
    free(shared_g);
    free(y1h);
    free(y2h);
    free(wg);
    free(sum);
}

TEST(lenet5_has_pytorchs_shapes_taps_and_per_sample_layers)
{
    Ctx *c = ctx_create(backend_cpu(), 2, 3);
    Model *m = lenet5_create(c);
    CHECK(count_params(m) == 61706, "LeNet5 has %lld parameters (PyTorch: 61706)", (long long)count_params(m));
    CHECK(m->nlayers == 5 && model_layer_index(m, "fc1") == 3, "candidate layers");
    Tensor *x = tensor_new(c, SHAPE(4, 1, 28, 28));
    random_input(c, x, 0.0f, 1.0f);
    ModelTap tap = {.layer = 3};
    Tensor *y = m->forward(c, m, x, &tap);
    CHECK(y->ndim == 2 && y->shape[0] == 4 && y->shape[1] == 10, "logits shape");
    CHECK(tap.input && tap.input->shape[1] == 120 && tap.activation && tap.activation->shape[1] == 84,
          "fc1 tap: input (4, 120), activation (4, 84)");
    float act[4 * 84];
    tensor_download(c, tap.activation, act);
    for (int i = 0; i < 4 * 84; i++) CHECK(act[i] >= 0.0f, "fc1's activation is after ReLU");
    float *xh = malloc(sizeof(float) * (size_t)x->numel);
    tensor_download(c, x, xh);
    ctx_step_end(c);
    check_per_sample(c, m, "fc1", xh, SHAPE(4, 1, 28, 28), 0);
    check_per_sample(c, m, "conv3", xh, SHAPE(4, 1, 28, 28), 0);
    check_per_sample(c, m, "fc2", xh, SHAPE(4, 1, 28, 28), 0);
    free(xh);
    model_destroy(m);
    ctx_destroy(c);
}

static void conv1_per_sample(void *arg)
{
    (void)arg;
    Ctx *c = ctx_create(backend_cpu(), 1, 3);
    Model *m = lenet5_create(c);
    Tensor *x = tensor_zeros(c, SHAPE(2, 1, 28, 28));
    ModelTap tap = {.layer = 0, .ps_weight = tensor_zeros(c, SHAPE(2, 6, 25))};
    m->forward(c, m, x, &tap);
}

TEST(lenet5_refuses_per_sample_weights_on_a_convolution)
{
    char out[2048];
    CHECK(run_expect_abort(conv1_per_sample, NULL, out, sizeof out) == 1 && strstr(out, "conv1"),
          "no clear abort: %s", out);
}

TEST(mlp_has_three_layers_and_per_sample_first_layer)
{
    Ctx *c = ctx_create(backend_cpu(), 2, 5);
    Model *m = mlp_create(c, 8, 32, 1, 0.0f);
    CHECK(count_params(m) == 8 * 32 + 32 + 32 * 32 + 32 + 32 + 1, "MLP parameters %lld", (long long)count_params(m));
    Tensor *x = tensor_new(c, SHAPE(5, 8));
    random_input(c, x, -1.0f, 1.0f);
    ModelTap tap = {.layer = 0};
    Tensor *y = m->forward(c, m, x, &tap);
    CHECK(y->shape[0] == 5 && y->shape[1] == 1 && tap.input == x && tap.activation->shape[1] == 32, "shapes");
    float xh[5 * 8];
    tensor_download(c, x, xh);
    ctx_step_end(c);
    check_per_sample(c, m, "fc1", xh, SHAPE(5, 8), 0);
    model_destroy(m);
    ctx_destroy(c);
}

TEST(tinynerf_renders_colours_and_conditions_on_the_weighted_activation)
{
    Ctx *c = ctx_create(backend_cpu(), 2, 9);
    TinyNerfConfig k = {.freqs = 10, .samples = 32, .near = 2.0f, .far = 6.0f, .white = 1};
    Model *m = tinynerf_create(c, &k);
    CHECK(count_params(m) == 63 * 128 + 128 + 128 * 128 + 128 + 128 * 4 + 4, "TinyNeRF parameters %lld",
          (long long)count_params(m));
    CHECK(m->layers[0].in == 63 && m->layers[0].out == 128, "layer1 is 128 x 63");
    /* 2 views x 50 rays from 4 units away, pointing roughly at the origin */
    Tensor *x = tensor_new(c, SHAPE(2, 50, 6));
    float *h = malloc(sizeof(float) * 2 * 50 * 6);
    for (int r = 0; r < 100; r++) {
        float o[3] = {0.0f, 0.0f, 4.0f}, d[3] = {0.01f * (float)(r % 10 - 5), 0.01f * (float)(r / 10 - 5), -1.0f};
        memcpy(h + r * 6, o, sizeof o);
        memcpy(h + r * 6 + 3, d, sizeof d);
    }
    tensor_upload(c, x, h);
    ModelTap tap = {.layer = 0};
    c->rng_offset = 77;
    Tensor *y = m->forward(c, m, x, &tap);
    CHECK(y->ndim == 3 && y->shape[0] == 2 && y->shape[1] == 50 && y->shape[2] == 3, "colours (2, 50, 3)");
    float col[300];
    tensor_download(c, y, col);
    for (int i = 0; i < 300; i++) CHECK(col[i] >= 0.0f && col[i] <= 1.0f + 1e-6f, "colour %g outside [0, 1]", (double)col[i]);
    CHECK(tap.activation && tap.activation->ndim == 2 && tap.activation->shape[0] == 2 && tap.activation->shape[1] == 128,
          "the conditioning is one 128-vector per view");
    float act[256];
    tensor_download(c, tap.activation, act);
    double s = 0;
    for (int i = 0; i < 256; i++) {
        CHECK(act[i] >= 0.0f, "a weighted mean of ReLU outputs is >= 0");
        s += act[i];
    }
    CHECK(s > 0.0, "the conditioning is all zeros");
    ctx_step_end(c);
    check_per_sample(c, m, "layer1", h, SHAPE(2, 50, 6), 77); /* same jitter in both passes */
    free(h);
    model_destroy(m);
    ctx_destroy(c);
}
