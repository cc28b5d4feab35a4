/* A device's backend against the CPU reference: every op of the op-test table (outputs and
 * every input gradient), the Philox streams bit for bit, and short training runs whose loss
 * curves must agree. The device is OCD_PARITY_DEVICE: "cuda" (ctest cuda_parity, label
 * cuda; exits 77, skipped, where no GPU is present) or "cpu-guard" (ctest guard_parity).
 *
 * Tolerances for CUDA: |cuda - cpu| <= atol + rtol |cpu|. Both compute in float32 with
 * different summation orders (cuBLAS/cuDNN tile K differently, GPU reductions are trees): for
 * the table's sums of <= ~400 O(1) terms that is ~ sqrt(400) * 6e-8 ~ 1e-6 relative, and the
 * GPU's expf/erff/tanhf differ from glibc by <= 2 ulp: atol 1e-5, rtol 1e-4 by default.
 * cuDNN may pick Winograd or FFT convolutions (deterministic, float32, but with transform
 * error ~1e-5 relative): convolutions get atol 1e-4, rtol 1e-3.
 *
 * cpu-guard runs the CPU's own kernels behind its wall, so everything must be bit for bit:
 * what it tests is that each of its table entries hands every argument through unchanged
 * and that nothing here reads device memory outside the table. */
#include "gradcheck.h"
#include "harness.h"
#include "op_cases.h"
#include "parity.h"

#include "autograd.h"
#include "models/unet.h"
#include "core/philox.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the tolerance for CUDA, or 0 (bit for bit) on cpu-guard */
static double tol(double cuda) { return parity_exact() ? 0.0 : cuda; }

static Ctx *dev_ctx(uint64_t seed) { return ctx_create(backend_find(parity_device()), 1, seed); }

TEST(every_op_matches_the_cpu_outputs_and_gradients)
{
    Ctx *gpu = dev_ctx(5), *cpu = ctx_create(backend_cpu(), 2, 5);
    const ParityTol t = {.atol = tol(1e-5), .rtol = tol(1e-4), .conv_atol = tol(1e-4), .conv_rtol = tol(1e-3)};
    const int compared = parity_op_cases(gpu, cpu, &t);
    CHECK(compared == OP_CASES_COUNT, "compared %d of %d cases", compared, OP_CASES_COUNT);
    ctx_destroy(gpu);
    ctx_destroy(cpu);
}

TEST(philox_streams_are_bit_identical_to_the_cpu)
{
    Ctx *gpu = dev_ctx(1), *cpu = ctx_create(backend_cpu(), 2, 1);
    enum { N = 1000003 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N), *d = NULL;
    d = gpu->be->alloc(gpu->bc, sizeof(float) * N);
    const uint64_t offsets[3] = {0, 12345, (uint64_t)1 << 40};
    for (int k = 0; k < 3; k++) {
        cpu->be->rng_uniform(cpu->bc, N, 77, offsets[k], -2.0f, 5.0f, a);
        gpu->be->rng_uniform(gpu->bc, N, 77, offsets[k], -2.0f, 5.0f, d);
        gpu->be->download(gpu->bc, b, d, sizeof(float) * N);
        CHECK(memcmp(a, b, sizeof(float) * N) == 0, "uniform draws differ at offset %llu", (unsigned long long)offsets[k]);
        cpu->be->rng_normal(cpu->bc, N, 77, offsets[k], 0.5f, 2.0f, a);
        gpu->be->rng_normal(gpu->bc, N, 77, offsets[k], 0.5f, 2.0f, d);
        gpu->be->download(gpu->bc, b, d, sizeof(float) * N);
        int64_t diff = 0;
        for (int64_t i = 0; i < N; i++) diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
        CHECK(diff == 0, "%lld of %d normal draws differ at offset %llu", (long long)diff, N,
              (unsigned long long)offsets[k]);
        cpu->be->dropout_mask(cpu->bc, N, 77, offsets[k], 0.3f, a);
        gpu->be->dropout_mask(gpu->bc, N, 77, offsets[k], 0.3f, d);
        gpu->be->download(gpu->bc, b, d, sizeof(float) * N);
        CHECK(memcmp(a, b, sizeof(float) * N) == 0, "dropout masks differ at offset %llu", (unsigned long long)offsets[k]);
    }
    gpu->be->release(gpu->bc, d);
    free(a);
    free(b);
    ctx_destroy(gpu);
    ctx_destroy(cpu);
}

/* A LeNet-shaped CNN with dropout, trained with Adam on the same data: the loss curves of
 * the two devices must track each other. Rounding differences (~1e-7 per op) are amplified
 * by Adam, whose steps have size lr whatever the gradient's size, so the trajectories drift
 * apart slowly (0.2% after 50 steps was seen on an H100): the first 10 steps must agree to
 * 1e-4 relative, all 50 to 1e-2. A wrong kernel is off by far more from the first step. */
static void train_cnn(Ctx *c, float *curve, int steps)
{
    enum { N = 64, K = 10 };
    ParamSet *ps = params_create(c);
    Tensor *w1 = params_add(ps, "c1.w", SHAPE(6, 1, 5, 5)), *b1 = params_add(ps, "c1.b", SHAPE(6));
    Tensor *w2 = params_add(ps, "c2.w", SHAPE(16, 6, 5, 5)), *b2 = params_add(ps, "c2.b", SHAPE(16));
    Tensor *w3 = params_add(ps, "f1.w", SHAPE(84, 400)), *b3 = params_add(ps, "f1.b", SHAPE(84));
    Tensor *w4 = params_add(ps, "f2.w", SHAPE(K, 84)), *b4 = params_add(ps, "f2.b", SHAPE(K));
    params_finalize(ps);
    init_torch_default(c, w1, b1);
    init_torch_default(c, w2, b2);
    init_torch_default(c, w3, b3);
    init_torch_default(c, w4, b4);
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAM, 1e-3f));
    float *xs = malloc(sizeof(float) * N * 28 * 28), ys[N];
    for (int i = 0; i < N * 28 * 28; i++) xs[i] = philox_uniform_at(8, 0, i, 0.0f, 1.0f);
    for (int i = 0; i < N; i++) ys[i] = (float)(i % K);
    for (int s = 0; s < steps; s++) {
        Tensor *x = tensor_from_host(c, SHAPE(N, 1, 28, 28), xs), *y = tensor_from_host(c, SHAPE(N), ys);
        Tensor *h = op_maxpool2d(c, op_relu(c, op_conv2d(c, x, w1, b1, 1, 2)), 2, 2, 0);
        h = op_maxpool2d(c, op_relu(c, op_conv2d(c, h, w2, b2, 1, 0)), 2, 2, 0);
        h = op_dropout(c, op_reshape(c, h, SHAPE(N, 400)), 0.2f);
        Tensor *loss = op_cross_entropy_mean(c, op_linear(c, op_relu(c, op_linear(c, h, w3, b3)), w4, b4), y);
        curve[s] = tensor_item(c, loss);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_step(o);
        ctx_step_end(c);
    }
    free(xs);
    optim_destroy(o);
    params_destroy(ps);
}

TEST(cnn_training_curves_agree_with_the_cpu)
{
    enum { STEPS = 50 };
    float a[STEPS], b[STEPS];
    Ctx *gpu = dev_ctx(3), *cpu = ctx_create(backend_cpu(), 2, 3);
    train_cnn(cpu, a, STEPS);
    train_cnn(gpu, b, STEPS);
    CHECK_ARRAYS(b, a, 10, tol(1e-5), tol(1e-4), "CNN loss curve, first 10 steps");
    CHECK_ARRAYS(b, a, STEPS, tol(1e-4), tol(1e-2), "CNN loss curve, 50 steps");
    CHECK(a[STEPS - 1] < 0.9f * a[0], "the CNN did not learn (%.3f -> %.3f)", (double)a[0], (double)a[STEPS - 1]);
    ctx_destroy(gpu);
    ctx_destroy(cpu);
}

/* 100 steps of diffusion-style training of a small U-Net (GroupNorm, SiLU, attention,
 * dropout, skip concatenations, timestep embedding): noise and timesteps come from Philox
 * and are bit-identical on both devices; Adam, clipping and EMA as the diffusion stage uses
 * them. Loss curves: first 10 steps to 1e-4 relative, all 100 to 2e-2 (see the CNN test for
 * why trajectories drift). */
static void train_unet(Ctx *c, float *curve, int steps)
{
    enum { B = 8, R = 16 };
    UNetConfig cfg = {.in_ch = 1, .out_ch = 1, .ch = 16, .nlevels = 2, .ch_mult = {1, 2}, .num_res_blocks = 1,
                      .attn_res = {8}, .n_attn_res = 1, .resolution = R, .mid_attn = 1, .dropout = 0.1f,
                      .gn_eps = 1e-6f};
    UNet *u = unet_create(c, &cfg);
    ParamSet *ps = unet_params(u);
    Optimizer *o = optim_create(ps, optim_defaults(OPT_ADAM, 2e-4f));
    Ema *ema = ema_create(ps);
    float x0[B * R * R], t[B], ab[B];
    for (int i = 0; i < B * R * R; i++) x0[i] = philox_uniform_at(12, 0, i, -1.0f, 1.0f);
    for (int s = 0; s < steps; s++) {
        for (int b = 0; b < B; b++) {
            t[b] = (float)(int)philox_uniform_at(13, (uint64_t)s * 4, b, 1.0f, 1000.0f);
            ab[b] = expf(-1e-5f * t[b] * t[b] / 2.0f); /* any decreasing schedule will do here */
        }
        Tensor *eps = tensor_new(c, SHAPE(B, 1, R, R));
        c->be->rng_normal(c->bc, eps->numel, c->seed, ctx_rng_take(c, eps->numel), 0, 1, eps->data);
        float *xt = malloc(sizeof(float) * B * R * R), *e = malloc(sizeof(float) * B * R * R);
        tensor_download(c, eps, e);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < R * R; i++)
                xt[b * R * R + i] = sqrtf(ab[b]) * x0[b * R * R + i] + sqrtf(1.0f - ab[b]) * e[b * R * R + i];
        Tensor *pred = unet_forward(c, u, tensor_from_host(c, SHAPE(B, 1, R, R), xt), tensor_from_host(c, SHAPE(B), t),
                                    NULL);
        Tensor *loss = op_mse_mean(c, pred, eps);
        curve[s] = tensor_item(c, loss);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_clip_grad_norm(ps, 1.0f);
        optim_step(o);
        ema_update(ema, 0.999f);
        ctx_step_end(c);
        free(xt);
        free(e);
    }
    ema_destroy(ema);
    optim_destroy(o);
    unet_destroy(u);
}

TEST(unet_diffusion_training_curves_agree_with_the_cpu)
{
    enum { STEPS = 100 };
    float a[STEPS], b[STEPS];
    Ctx *gpu = dev_ctx(21), *cpu = ctx_create(backend_cpu(), 2, 21);
    train_unet(cpu, a, STEPS);
    train_unet(gpu, b, STEPS);
    CHECK_ARRAYS(b, a, 10, tol(1e-5), tol(1e-4), "U-Net loss curve, first 10 steps");
    CHECK_ARRAYS(b, a, STEPS, tol(1e-4), tol(2e-2), "U-Net loss curve, 100 steps");
    double first = 0, last = 0;
    for (int i = 0; i < 10; i++) {
        first += a[i];
        last += a[STEPS - 10 + i];
    }
    CHECK(last < first, "the U-Net did not learn (mean loss of the first 10 steps %.4f, last 10 %.4f)", first / 10,
          last / 10);
    ctx_destroy(gpu);
    ctx_destroy(cpu);
}
