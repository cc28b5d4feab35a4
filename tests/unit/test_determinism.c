/* The same seed gives bit-identical weights after 20 training steps on 1 and on 2 threads.
 * The model touches every kind of parallel loop: grouped convolution (with partial-sum
 * lanes), pooling, GroupNorm, spatial attention (batched gemm, softmax), dropout (Philox)
 * and a linear layer large enough for OpenBLAS to split across threads. */
#include "harness.h"

#include "autograd.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include <stdlib.h>
#include <string.h>

enum { N = 32, C = 8, S = 16, HID = 512, K = 10 };

static float *train(int threads, int steps, int64_t *count)
{
    Ctx *c = ctx_create(backend_cpu(), threads, 314);
    ParamSet *ps = params_create(c);
    Tensor *cw = params_add(ps, "conv.w", SHAPE(C, 3, 3, 3)), *cb = params_add(ps, "conv.b", SHAPE(C));
    Tensor *gg = params_add(ps, "gn.g", SHAPE(C)), *gb = params_add(ps, "gn.b", SHAPE(C));
    Tensor *wqkv = params_add(ps, "att.qkv", SHAPE(3 * C, C)), *bqkv = params_add(ps, "att.bqkv", SHAPE(3 * C));
    Tensor *wo = params_add(ps, "att.o", SHAPE(C, C)), *bo = params_add(ps, "att.bo", SHAPE(C));
    Tensor *w1 = params_add(ps, "fc1.w", SHAPE(HID, C * 8 * 8)), *b1 = params_add(ps, "fc1.b", SHAPE(HID));
    Tensor *w2 = params_add(ps, "fc2.w", SHAPE(K, HID)), *b2 = params_add(ps, "fc2.b", SHAPE(K));
    params_finalize(ps);
    init_torch_default(c, cw, cb);
    init_constant(c, gg, 1.0f);
    init_torch_default(c, wqkv, bqkv);
    init_torch_default(c, wo, bo);
    init_torch_default(c, w1, b1);
    init_torch_default(c, w2, b2);
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAMW, 1e-3f));
    float *xs = malloc(sizeof(float) * N * 3 * S * S), ys[N];
    c->be->rng_normal(c->bc, N * 3 * S * S, 5, 0, 0, 1, xs);
    for (int i = 0; i < N; i++) ys[i] = (float)(i % K);
    for (int step = 0; step < steps; step++) {
        Tensor *x = tensor_from_host(c, SHAPE(N, 3, S, S), xs), *y = tensor_from_host(c, SHAPE(N), ys);
        Tensor *h = op_silu(c, op_group_norm(c, op_conv2d(c, x, cw, cb, 1, 1), gg, gb, 4, 1e-5f));
        h = op_maxpool2d(c, h, 2, 2, 0);
        h = op_add(c, h, op_spatial_attention(c, h, wqkv, bqkv, wo, bo, 2));
        h = op_dropout(c, op_reshape(c, h, SHAPE(N, C * 8 * 8)), 0.2f);
        Tensor *logits = op_linear(c, op_gelu(c, op_linear(c, h, w1, b1)), w2, b2);
        Tensor *loss = op_cross_entropy_mean(c, logits, y);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_clip_grad_norm(ps, 1.0f);
        optim_step(o);
        ctx_step_end(c);
    }
    *count = ps->total;
    float *w = malloc(sizeof(float) * (size_t)ps->total);
    params_download(ps, w);
    free(xs);
    optim_destroy(o);
    params_destroy(ps);
    ctx_destroy(c);
    return w;
}

TEST(same_seed_gives_bit_identical_weights_on_1_and_2_threads)
{
    int64_t n1, n2;
    float *a = train(1, 20, &n1), *b = train(2, 20, &n2);
    CHECK(n1 == n2, "parameter counts differ");
    int64_t diff = 0, first = -1;
    for (int64_t i = 0; i < n1; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            if (first < 0) first = i;
            diff++;
        }
    CHECK(diff == 0, "%lld of %lld weights differ (first at %lld: %.9g vs %.9g)", (long long)diff, (long long)n1,
          (long long)first, first >= 0 ? (double)a[first] : 0.0, first >= 0 ? (double)b[first] : 0.0);
    /* and training moved them: the comparison is not between two untouched inits */
    float *c0 = train(2, 0, &n2);
    int64_t moved = 0;
    for (int64_t i = 0; i < n1; i++) moved += c0[i] != b[i];
    CHECK(moved > n1 / 2, "only %lld of %lld weights changed in 20 steps", (long long)moved, (long long)n1);
    free(a);
    free(b);
    free(c0);
}
