/* U-Net benchmark: the diffusion noise predictor, a forward pass (eval mode, no gradients)
 * and forward + backward of an MSE loss (training mode), median over repetitions, beside
 * PyTorch running the same architecture (tests/bench/unet_torch.py) on the same device in
 * the same invocation. Asserts nothing about time.
 *
 *   bench_unet [--device cpu|cuda] [--config paper|cpu|lenet5] [--batch B]... [--reps R]
 *              [--tf32] [--nondeterministic] [--threads N] [--no-peer] [--profile]
 * lenet5 is the network of the mnist-lenet5 preset's sampler (8 channels, multipliers 1,2,2,
 * the 84 x 120 fc1 matrix with the four condition maps: 5 input channels); it has no peer.
 * --profile prints per-op rows of the forward pass (no gradients: what a sampler runs) and
 * of forward + backward.
 * --nondeterministic lets cuDNN use algorithms with atomics (PyTorch's default);
 * the peer then runs with torch.backends.cudnn.deterministic = False too (it always does).
 * The peer's interpreter is $OCD_PEER_PYTHON (default python3). */
#include "autograd.h"
#include "models/unet.h"
#include "ops/ops.h"

#include "../../src/cli/blas_env.h"

#include "bench_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static UNetConfig config_named(const char *name)
{
    if (!strcmp(name, "paper")) return unet_config_paper();
    if (!strcmp(name, "lenet5")) { /* as wnet_config makes it for mnist-lenet5's fc1 */
        UNetConfig c = {.in_ch = 5, .out_ch = 1, .ch = 8, .nlevels = 3, .ch_mult = {1, 2, 2}, .num_res_blocks = 1,
                        .resolution = 84, .height = 84, .width = 120, .temb_in = 64, .mid_attn = 1,
                        .dropout = 0.1f, .gn_eps = 1e-6f};
        return c;
    }
    UNetConfig c = {.in_ch = 1, .out_ch = 1, .ch = 32, .nlevels = 4, .ch_mult = {1, 2, 2, 2}, .num_res_blocks = 1,
                    .attn_res = {16}, .n_attn_res = 1, .resolution = 128, .mid_attn = 1, .dropout = 0.1f,
                    .gn_eps = 1e-6f};
    return c;
}

typedef struct {
    double fwd, fwdbwd;
    size_t peak_bytes;
} Timing;

static void print_profile(const Profile *p, const char *what, int reps, double total)
{
    printf("\n  per-op time over %d %s repetitions (synchronised after every op):\n", reps, what);
    printf("  | %-18s | %9s | %6s | %9s | %6s | %6s |\n", "op", "fwd ms", "calls", "bwd ms", "calls", "share");
    for (int i = 0; i < p->n && i < 24; i++) {
        const ProfileRow *r = &p->rows[i];
        printf("  | %-18s | %9.3f | %6lld | %9.3f | %6lld | %5.1f%% |\n", r->op, 1e3 * r->fwd_s / reps,
               (long long)(r->fwd_n / reps), 1e3 * r->bwd_s / reps, (long long)(r->bwd_n / reps),
               100.0 * (r->fwd_s + r->bwd_s) / total);
    }
}

static Timing run_ours(const char *device, const UNetConfig *cfg, int batch, int reps, int tf32, int nondet,
                       int threads, int profile)
{
    Timing r = {0};
    Ctx *c = ctx_create(backend_find(device), threads, 1);
    if (!c) return r;
    c->be->set_math(c->bc, (tf32 ? BACKEND_MATH_TF32 : 0u) | (nondet ? BACKEND_MATH_NONDETERMINISTIC : 0u));
    UNet *u = unet_create(c, cfg);
    ParamSet *ps = unet_params(u);
    const int H = cfg->height ? cfg->height : cfg->resolution, W = cfg->width ? cfg->width : cfg->resolution,
              Ci = cfg->in_ch;
    const size_t n = (size_t)batch * Ci * H * W, no = (size_t)batch * cfg->out_ch * H * W;
    float *x = malloc(sizeof(float) * n), *tgt = malloc(sizeof(float) * no), *ts = malloc(sizeof(float) * (size_t)batch);
    for (size_t i = 0; i < n; i++) x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    for (size_t i = 0; i < no; i++) tgt[i] = (float)((i * 104729) % 1000) / 500.0f - 1.0f;
    for (int b = 0; b < batch; b++) ts[b] = (float)((b * 37) % 1000);
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int pass = 0; pass < 2; pass++) {
        ctx_set_training(c, pass);
        for (int i = -3; i < reps; i++) { /* three warm-up repetitions (cuDNN plans, arena growth) */
            c->be->sync(c->bc);
            double t0 = clock_now();
            Tensor *xt = tensor_from_host(c, SHAPE(batch, Ci, H, W), x), *tt = tensor_from_host(c, SHAPE(batch), ts);
            if (pass == 0) {
                ctx_no_grad_begin(c);
                unet_forward(c, u, xt, tt, NULL);
                ctx_no_grad_end(c);
            } else {
                params_zero_grad(ps);
                Tensor *loss = op_mse_mean(c, unet_forward(c, u, xt, tt, NULL), tensor_from_host(c, SHAPE(batch, cfg->out_ch, H, W), tgt));
                ag_backward(c, loss);
            }
            c->be->sync(c->bc);
            if (i >= 0) t[i] = clock_now() - t0;
            ctx_step_end(c);
        }
        double med = bench_median(t, reps);
        if (profile) { /* separate, slower repetitions with a sync after every op */
            ctx_profile(c, 1);
            double t0 = clock_now();
            for (int i = 0; i < reps; i++) {
                Tensor *xt = tensor_from_host(c, SHAPE(batch, Ci, H, W), x), *tt = tensor_from_host(c, SHAPE(batch), ts);
                if (pass == 0) {
                    ctx_no_grad_begin(c);
                    unet_forward(c, u, xt, tt, NULL);
                    ctx_no_grad_end(c);
                } else {
                    params_zero_grad(ps);
                    ag_backward(c, op_mse_mean(c, unet_forward(c, u, xt, tt, NULL),
                                               tensor_from_host(c, SHAPE(batch, cfg->out_ch, H, W), tgt)));
                }
                c->be->sync(c->bc);
                ctx_step_end(c);
            }
            profile_sort(c->profile);
            print_profile(c->profile, pass == 0 ? "fwd (no gradients)" : "fwd+bwd", reps, clock_now() - t0);
            ctx_profile(c, 0);
        }
        if (pass == 0)
            r.fwd = med;
        else
            r.fwdbwd = med;
    }
    r.peak_bytes = c->step.peak + c->grads.peak; /* activations + gradients in flight */
    free(t);
    free(x);
    free(tgt);
    free(ts);
    unet_destroy(u);
    ctx_destroy(c);
    return r;
}

static int run_peer(const char *device, const char *config, int batch, int reps, int tf32, int threads, double *fwd,
                    double *fwdbwd, char *version, size_t vlen)
{
    const char *py = bench_peer_python();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d %s %s/tests/bench/unet_peer.py --device %s --config %s --batch %d --reps %d "
             "--tf32 %d --threads %d",
             threads, py, OCD_SOURCE_DIR, device, config, batch, reps, tf32, threads);
    cJSON *j = bench_run_peer(cmd, version, vlen);
    if (!j) return 0;
    cJSON *a = cJSON_GetObjectItem(j, "fwd"), *b = cJSON_GetObjectItem(j, "fwdbwd");
    int ok = cJSON_IsNumber(a) && cJSON_IsNumber(b);
    if (ok) {
        *fwd = a->valuedouble;
        *fwdbwd = b->valuedouble;
    }
    cJSON_Delete(j);
    return ok;
}

int main(int argc, char **argv)
{
    blas_env_select(argv);
    const char *device = "cuda", *config = "paper";
    int batches[8], nb = 0, reps = 10, tf32 = 0, nondet = 0, threads = 2, peer = 1, profile = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc && nb < 8)
            batches[nb++] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tf32"))
            tf32 = 1;
        else if (!strcmp(argv[i], "--no-peer"))
            peer = 0;
        else if (!strcmp(argv[i], "--profile"))
            profile = 1;
        else if (!strcmp(argv[i], "--nondeterministic"))
            nondet = 1;
        else {
            fprintf(stderr, "usage: bench_unet [--device cpu|cuda] [--config paper|cpu|lenet5] [--batch B]... [--reps R] "
                            "[--tf32] [--nondeterministic] [--threads N] [--no-peer] [--profile]\n");
            return 2;
        }
    }
    if (nb == 0) batches[nb++] = 1;
    const Backend *be = backend_find(device);
    if (!backend_usable(be)) {
        fprintf(stderr, "bench_unet: device '%s' is not available here\n", device);
        return 2;
    }
    UNetConfig cfg = config_named(config);
    printf("U-Net benchmark: %s config (ch %d, %d levels, %d res blocks, %dx%d), device %s, %s, %s, median of %d\n\n",
           config, cfg.ch, cfg.nlevels, cfg.num_res_blocks, cfg.height ? cfg.height : cfg.resolution,
           cfg.width ? cfg.width : cfg.resolution, device,
           tf32 ? "TF32 allowed" : "float32 (no TF32)",
           nondet ? "non-deterministic cuDNN allowed" : "deterministic algorithms only (peer: PyTorch defaults)", reps);
    printf("| batch | ours fwd ms | torch fwd ms | fwd ratio | ours fwd+bwd ms | torch fwd+bwd ms | fwd+bwd ratio | ours peak MiB |\n");
    printf("|------:|------------:|-------------:|----------:|----------------:|-----------------:|--------------:|--------------:|\n");
    char version[64] = "-";
    for (int k = 0; k < nb; k++) {
        Timing o = run_ours(device, &cfg, batches[k], reps, tf32, nondet, threads, profile);
        double pf = 0, pb = 0;
        int have = peer && strcmp(config, "lenet5") && run_peer(device, config, batches[k], reps, tf32, threads, &pf, &pb, version, sizeof version);
        if (have)
            printf("| %5d | %11.3f | %12.3f | %9.2f | %15.3f | %16.3f | %13.2f | %13.0f |\n", batches[k], 1e3 * o.fwd,
                   1e3 * pf, o.fwd / pf, 1e3 * o.fwdbwd, 1e3 * pb, o.fwdbwd / pb, o.peak_bytes / 1048576.0);
        else
            printf("| %5d | %11.3f | %12s | %9s | %15.3f | %16s | %13s | %13.0f |\n", batches[k], 1e3 * o.fwd, "-", "-",
                   1e3 * o.fwdbwd, "-", "-", o.peak_bytes / 1048576.0);
        fflush(stdout);
    }
    printf("\npeer: torch %s\n", version);
    return 0;
}
