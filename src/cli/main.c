/* The `ocd` command. Until the data, sessions and workbench issues land it offers the
 * engine's own checks: the devices it can use and a headless training demo. */
#include "autograd.h"
#include "blas_env.h"
#include "core/check.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: ocd COMMAND [options]\n\n"
               "commands:\n"
               "  devices                 list the compute backends and whether they can run here\n"
               "  demo [--device D] [--threads N] [--seed S]\n"
               "                          headless demo: train a small CNN on synthetic images\n"
               "  --help                  this text\n");
}

static int cmd_devices(void)
{
    const char *names[] = {"cpu", "cuda"};
    for (int i = 0; i < 2; i++) {
        const Backend *be = backend_find(names[i]);
        if (!be) {
            printf("%-5s not compiled in\n", names[i]);
            continue;
        }
        BackendCtx *bc = be->create(1);
        printf("%-5s %s\n", names[i], bc ? "available" : "compiled in, no device found");
        if (bc) be->destroy(bc);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A CNN memorises 256 random-label noise images: shows the engine training end to end. */
static int cmd_demo(const char *device, int threads, unsigned long long seed)
{
    const Backend *be = backend_find(device);
    if (!be) {
        fprintf(stderr, "ocd demo: unknown or unavailable device '%s' (cpu, cuda)\n", device);
        return 2;
    }
    Ctx *c = ctx_create(be, threads, seed);
    if (!c) {
        fprintf(stderr, "ocd demo: device '%s' is not usable on this machine\n", device);
        return 2;
    }
    enum { N = 256, S = 12, K = 10 };
    ParamSet *ps = params_create(c);
    Tensor *w1 = params_add(ps, "conv1.weight", SHAPE(8, 1, 3, 3)), *b1 = params_add(ps, "conv1.bias", SHAPE(8));
    Tensor *w2 = params_add(ps, "conv2.weight", SHAPE(16, 8, 3, 3)), *b2 = params_add(ps, "conv2.bias", SHAPE(16));
    Tensor *w3 = params_add(ps, "fc1.weight", SHAPE(64, 144)), *b3 = params_add(ps, "fc1.bias", SHAPE(64));
    Tensor *w4 = params_add(ps, "fc2.weight", SHAPE(K, 64)), *b4 = params_add(ps, "fc2.bias", SHAPE(K));
    params_finalize(ps);
    init_torch_default(c, w1, b1);
    init_torch_default(c, w2, b2);
    init_torch_default(c, w3, b3);
    init_torch_default(c, w4, b4);
    Optimizer *opt = optim_create(ps, optim_defaults(OPT_ADAM, 1e-2f));

    float *xs = malloc(sizeof(float) * N * S * S), *ys = malloc(sizeof(float) * N);
    Tensor *tx = tensor_new(c, SHAPE(N, 1, S, S));
    c->be->rng_normal(c->bc, tx->numel, seed, ctx_rng_take(c, tx->numel), 0.0f, 1.0f, tx->data);
    tensor_download(c, tx, xs);
    Tensor *ty = tensor_new(c, SHAPE(N));
    c->be->rng_uniform(c->bc, N, seed, ctx_rng_take(c, N), 0.0f, (float)K, ty->data);
    tensor_download(c, ty, ys);
    for (int i = 0; i < N; i++) ys[i] = (float)(int)ys[i];
    ctx_step_end(c);

    printf("demo: CNN (%lld parameters) memorising %d random-label images on %s, %d thread(s)\n",
           (long long)ps->total, N, be->name, threads);
    double t0 = now_s();
    for (int step = 1; step <= 300; step++) {
        Tensor *x = tensor_from_host(c, SHAPE(N, 1, S, S), xs), *y = tensor_from_host(c, SHAPE(N), ys);
        Tensor *h = op_maxpool2d(c, op_relu(c, op_conv2d(c, x, w1, b1, 1, 1)), 2, 2, 0);
        h = op_maxpool2d(c, op_relu(c, op_conv2d(c, h, w2, b2, 1, 1)), 2, 2, 0);
        h = op_relu(c, op_linear(c, op_reshape(c, h, SHAPE(N, 144)), w3, b3));
        Tensor *logits = op_linear(c, h, w4, b4);
        Tensor *loss = op_cross_entropy_mean(c, logits, y);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_step(opt);
        if (step % 50 == 0) {
            float *lg = malloc(sizeof(float) * N * K);
            tensor_download(c, logits, lg);
            int correct = 0;
            for (int i = 0; i < N; i++) {
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (lg[i * K + k] > lg[i * K + best]) best = k;
                correct += best == (int)ys[i];
            }
            free(lg);
            printf("  step %3d  loss %.4f  train accuracy %5.1f%%  (%.2f s)\n", step, (double)tensor_item(c, loss),
                   100.0 * correct / N, now_s() - t0);
        }
        ctx_step_end(c);
    }
    free(xs);
    free(ys);
    optim_destroy(opt);
    params_destroy(ps);
    ctx_destroy(c);
    return 0;
}

int main(int argc, char **argv)
{
    blas_env_select(argv);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "devices") == 0) return cmd_devices();
    if (strcmp(argv[1], "demo") == 0) {
        const char *device = "cpu";
        int threads = 2;
        unsigned long long seed = 1;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
                device = argv[++i];
            else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
                threads = atoi(argv[++i]);
            else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
                seed = strtoull(argv[++i], NULL, 10);
            else {
                fprintf(stderr, "ocd demo: unknown option '%s'\n", argv[i]);
                usage(stderr);
                return 2;
            }
        }
        return cmd_demo(device, threads, seed);
    }
    fprintf(stderr, "ocd: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
