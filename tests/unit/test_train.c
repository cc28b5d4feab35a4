/* End-to-end learning: a small CNN memorises 256 fixed noise images with random labels to
 * 100% training accuracy, and an MLP learns XOR. */
#include "harness.h"

#include "autograd.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include <stdlib.h>

static int argmax_row(const float *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

TEST(cnn_fits_256_fixed_images_to_full_training_accuracy)
{
    enum { N = 256, S = 12, K = 10 };
    Ctx *c = ctx_create(backend_cpu(), 2, 2026);
    ParamSet *ps = params_create(c);
    Tensor *w1 = params_add(ps, "c1.w", SHAPE(8, 1, 3, 3)), *b1 = params_add(ps, "c1.b", SHAPE(8));
    Tensor *w2 = params_add(ps, "c2.w", SHAPE(16, 8, 3, 3)), *b2 = params_add(ps, "c2.b", SHAPE(16));
    Tensor *w3 = params_add(ps, "f1.w", SHAPE(64, 144)), *b3 = params_add(ps, "f1.b", SHAPE(64));
    Tensor *w4 = params_add(ps, "f2.w", SHAPE(K, 64)), *b4 = params_add(ps, "f2.b", SHAPE(K));
    params_finalize(ps);
    init_torch_default(c, w1, b1);
    init_torch_default(c, w2, b2);
    init_torch_default(c, w3, b3);
    init_torch_default(c, w4, b4);
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAM, 1e-2f));

    float *xs = malloc(sizeof(float) * N * S * S), *ys = malloc(sizeof(float) * N), *lg = malloc(sizeof(float) * N * K);
    c->be->rng_normal(c->bc, N * S * S, 99, 0, 0.0f, 1.0f, xs);
    c->be->rng_uniform(c->bc, N, 99, 1u << 20, 0.0f, (float)K, ys);
    for (int i = 0; i < N; i++) ys[i] = (float)(int)ys[i];

    int correct = 0;
    float first = 0, last = 0;
    for (int step = 0; step < 200 && correct < N; step++) {
        Tensor *x = tensor_from_host(c, SHAPE(N, 1, S, S), xs), *y = tensor_from_host(c, SHAPE(N), ys);
        Tensor *h = op_maxpool2d(c, op_relu(c, op_conv2d(c, x, w1, b1, 1, 1)), 2, 2, 0);
        h = op_maxpool2d(c, op_relu(c, op_conv2d(c, h, w2, b2, 1, 1)), 2, 2, 0);
        Tensor *logits = op_linear(c, op_relu(c, op_linear(c, op_reshape(c, h, SHAPE(N, 144)), w3, b3)), w4, b4);
        Tensor *loss = op_cross_entropy_mean(c, logits, y);
        last = tensor_item(c, loss);
        if (step == 0) first = last;
        tensor_download(c, logits, lg);
        correct = 0;
        for (int i = 0; i < N; i++) correct += argmax_row(lg + i * K, K) == (int)ys[i];
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_step(o);
        ctx_step_end(c);
    }
    CHECK(correct == N, "training accuracy %d/%d (loss %.3f -> %.3f)", correct, N, (double)first, (double)last);
    CHECK(first > 2.0f, "the initial loss %.3f should be near ln(10) = 2.30 for random labels", (double)first);
    free(xs);
    free(ys);
    free(lg);
    optim_destroy(o);
    params_destroy(ps);
    ctx_destroy(c);
}

TEST(mlp_learns_xor)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 11);
    ParamSet *ps = params_create(c);
    Tensor *w1 = params_add(ps, "w1", SHAPE(8, 2)), *b1 = params_add(ps, "b1", SHAPE(8));
    Tensor *w2 = params_add(ps, "w2", SHAPE(2, 8)), *b2 = params_add(ps, "b2", SHAPE(2));
    params_finalize(ps);
    init_torch_default(c, w1, b1);
    init_torch_default(c, w2, b2);
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAM, 5e-2f));
    const float xs[8] = {0, 0, 0, 1, 1, 0, 1, 1}, ys[4] = {0, 1, 1, 0};
    float loss_v = 0, lg[8];
    for (int step = 0; step < 400; step++) {
        Tensor *x = tensor_from_host(c, SHAPE(4, 2), xs), *y = tensor_from_host(c, SHAPE(4), ys);
        Tensor *logits = op_linear(c, op_tanh(c, op_linear(c, x, w1, b1)), w2, b2);
        Tensor *loss = op_cross_entropy_mean(c, logits, y);
        loss_v = tensor_item(c, loss);
        tensor_download(c, logits, lg);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_step(o);
        ctx_step_end(c);
    }
    for (int i = 0; i < 4; i++) CHECK(argmax_row(lg + 2 * i, 2) == (int)ys[i], "XOR input %d misclassified", i);
    CHECK(loss_v < 0.05f, "final loss %.4f", (double)loss_v);
    optim_destroy(o);
    params_destroy(ps);
    ctx_destroy(c);
}
