/* Engine benchmark: linear and conv2d forward+backward at LeNet5 and small-U-Net shapes,
 * and one LeNet5 training step, timed here and by PyTorch on the same CPU with the same
 * thread count (tests/bench/engine_peer.py, run from this program), with the ratio.
 * Prints a table; asserts nothing about time.
 *
 *   bench_engine [--threads N] [--reps R] [--no-peer]
 * The peer's interpreter is $OCD_PEER_PYTHON (default python3). */
#include "autograd.h"
#include "cpu/cpu_blas_core.h"
#include "../../src/cli/blas_env.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include "bench_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *kind, *name;
    int n, in, out;              /* linear */
    int c, h, o, k, pad, dgrad;  /* conv (square images), dgrad: also d/d input */
} Work;

static const Work WORK[] = {
    {"linear", "linear lenet fc1 128x120->84", 128, 120, 84, 0, 0, 0, 0, 0, 0},
    {"linear", "linear lenet fc2 128x84->10", 128, 84, 10, 0, 0, 0, 0, 0, 0},
    {"linear", "linear unet qkv 2048x64->192", 2048, 64, 192, 0, 0, 0, 0, 0, 0},
    {"linear", "linear unet temb 64x256->1024", 64, 256, 1024, 0, 0, 0, 0, 0, 0},
    {"conv", "conv lenet c1 128x1x28 5x5->6", 128, 0, 0, 1, 28, 6, 5, 2, 0},
    {"conv", "conv lenet c2 128x6x14 5x5->16", 128, 0, 0, 6, 14, 16, 5, 0, 1},
    {"conv", "conv lenet c3 128x16x5 5x5->120", 128, 0, 0, 16, 5, 120, 5, 0, 1},
    {"conv", "conv unet 4x16x128 3x3->16", 4, 0, 0, 16, 128, 16, 3, 1, 1},
    {"conv", "conv unet 4x32x64 3x3->32", 4, 0, 0, 32, 64, 32, 3, 1, 1},
    {"conv", "conv unet 4x64x32 3x3->64", 4, 0, 0, 64, 32, 64, 3, 1, 1},
    {"conv", "conv unet 4x64x16 3x3->128", 4, 0, 0, 64, 16, 128, 3, 1, 1},
    {"lenet_step", "lenet5 train step b128 (Adam)", 128, 0, 0, 0, 0, 0, 0, 0, 0},
};
enum { NWORK = sizeof WORK / sizeof WORK[0] };

/* flops of one repetition (forward + backward; LeNet: its convolutions and linears) */
static double work_flops(const Work *w)
{
    if (!strcmp(w->kind, "linear")) return 3 * 2.0 * w->n * w->in * w->out;
    if (!strcmp(w->kind, "conv")) {
        int oh = w->h + 2 * w->pad - w->k + 1;
        double f = 2.0 * w->n * w->o * oh * oh * w->c * w->k * w->k;
        return f * (w->dgrad ? 3 : 2);
    }
    double f = 2.0 * w->n * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 120 * 400 + 84 * 120 + 10 * 84);
    return 3 * f;
}

typedef struct {
    Ctx *c;
    ParamSet *ps;
    Optimizer *opt;
    Tensor *p[10];
    float *x, *y, *gy; /* inputs in the context's device memory, made once (as the peer's) */
    const Work *w;
} Bench;

static void rep_linear(Bench *b)
{
    const Work *w = b->w;
    Ctx *c = b->c;
    Tensor *x = tensor_wrap(c, SHAPE(w->n, w->in), b->x);
    x->requires_grad = 1;
    Tensor *y = op_linear(c, x, b->p[0], b->p[1]);
    ag_backward_seeded(c, y, tensor_wrap(c, SHAPE(w->n, w->out), b->gy));
    ctx_step_end(c);
}

static void rep_conv(Bench *b)
{
    const Work *w = b->w;
    Ctx *c = b->c;
    int oh = w->h + 2 * w->pad - w->k + 1;
    Tensor *x = tensor_wrap(c, SHAPE(w->n, w->c, w->h, w->h), b->x);
    x->requires_grad = (uint8_t)w->dgrad;
    Tensor *y = op_conv2d(c, x, b->p[0], b->p[1], 1, w->pad);
    ag_backward_seeded(c, y, tensor_wrap(c, SHAPE(w->n, w->o, oh, oh), b->gy));
    ctx_step_end(c);
}

static void rep_lenet(Bench *b)
{
    const int n = b->w->n;
    Ctx *c = b->c;
    Tensor **p = b->p;
    Tensor *x = tensor_wrap(c, SHAPE(n, 1, 28, 28), b->x), *y = tensor_wrap(c, SHAPE(n), b->y);
    Tensor *h = op_maxpool2d(c, op_relu(c, op_conv2d(c, x, p[0], p[1], 1, 2)), 2, 2, 0);
    h = op_maxpool2d(c, op_relu(c, op_conv2d(c, h, p[2], p[3], 1, 0)), 2, 2, 0);
    h = op_reshape(c, op_relu(c, op_conv2d(c, h, p[4], p[5], 1, 0)), SHAPE(n, 120));
    Tensor *logits = op_linear(c, op_relu(c, op_linear(c, h, p[6], p[7])), p[8], p[9]);
    Tensor *loss = op_cross_entropy_mean(c, logits, y);
    params_zero_grad(b->ps);
    ag_backward(c, loss);
    optim_step(b->opt);
    ctx_step_end(c);
}

static double run_ours(const Work *w, int threads, int reps)
{
    Bench b = {.w = w};
    b.c = ctx_create(backend_cpu(), threads, 1);
    Ctx *c = b.c;
    b.ps = params_create(c);
    size_t nx = 0, ngy = 0;
    void (*rep)(Bench *) = NULL;
    if (!strcmp(w->kind, "linear")) {
        b.p[0] = params_add(b.ps, "w", SHAPE(w->out, w->in));
        b.p[1] = params_add(b.ps, "b", SHAPE(w->out));
        nx = (size_t)w->n * w->in;
        ngy = (size_t)w->n * w->out;
        rep = rep_linear;
    } else if (!strcmp(w->kind, "conv")) {
        int oh = w->h + 2 * w->pad - w->k + 1;
        b.p[0] = params_add(b.ps, "w", SHAPE(w->o, w->c, w->k, w->k));
        b.p[1] = params_add(b.ps, "b", SHAPE(w->o));
        nx = (size_t)w->n * w->c * w->h * w->h;
        ngy = (size_t)w->n * w->o * oh * oh;
        rep = rep_conv;
    } else {
        const int shapes[5][4] = {{6, 1, 5, 5}, {16, 6, 5, 5}, {120, 16, 5, 5}, {84, 120, 0, 0}, {10, 84, 0, 0}};
        char name[16];
        for (int i = 0; i < 5; i++) {
            snprintf(name, sizeof name, "w%d", i);
            b.p[2 * i] = params_add(b.ps, name, shapes[i][2] ? 4 : 2, shapes[i]);
            snprintf(name, sizeof name, "b%d", i);
            b.p[2 * i + 1] = params_add(b.ps, name, SHAPE(shapes[i][0]));
        }
        nx = (size_t)w->n * 28 * 28;
        rep = rep_lenet;
    }
    params_finalize(b.ps);
    for (int i = 0; i < b.ps->count; i += 2) init_torch_default(c, b.ps->params[i], b.ps->params[i + 1]);
    b.opt = optim_create(b.ps, optim_defaults(OPT_ADAM, 1e-3f));
    b.x = c->be->alloc(c->bc, sizeof(float) * nx);
    b.gy = c->be->alloc(c->bc, sizeof(float) * (ngy ? ngy : 1));
    b.y = c->be->alloc(c->bc, sizeof(float) * (size_t)w->n);
    c->be->rng_normal(c->bc, (int64_t)nx, 3, 0, 0, 1, b.x);
    if (ngy) c->be->rng_normal(c->bc, (int64_t)ngy, 3, 1u << 30, 0, 1, b.gy);
    float *labels = malloc(sizeof(float) * (size_t)w->n);
    for (int i = 0; i < w->n; i++) labels[i] = (float)(i % 10);
    c->be->upload(c->bc, b.y, labels, sizeof(float) * (size_t)w->n);
    free(labels);
    for (int i = 0; i < 3; i++) rep(&b);
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int i = 0; i < reps; i++) {
        double t0 = clock_now();
        rep(&b);
        t[i] = clock_now() - t0;
    }
    double med = bench_median(t, reps);
    free(t);
    c->be->release(c->bc, b.x);
    c->be->release(c->bc, b.gy);
    c->be->release(c->bc, b.y);
    optim_destroy(b.opt);
    params_destroy(b.ps);
    ctx_destroy(c);
    return med;
}

/* Runs the peer once for every row; returns its parsed JSON (or NULL, with a note). */
static cJSON *run_peer(int threads, int reps, char *version, size_t vlen)
{
    cJSON *spec = cJSON_CreateArray();
    for (int i = 0; i < NWORK; i++) {
        const Work *w = &WORK[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", w->kind);
        cJSON_AddStringToObject(o, "name", w->name);
        cJSON_AddNumberToObject(o, "n", w->n);
        cJSON_AddNumberToObject(o, "in", w->in);
        cJSON_AddNumberToObject(o, "out", w->out);
        cJSON_AddNumberToObject(o, "c", w->c);
        cJSON_AddNumberToObject(o, "h", w->h);
        cJSON_AddNumberToObject(o, "o", w->o);
        cJSON_AddNumberToObject(o, "k", w->k);
        cJSON_AddNumberToObject(o, "pad", w->pad);
        cJSON_AddNumberToObject(o, "grad_input", w->dgrad);
        cJSON_AddItemToArray(spec, o);
    }
    char *js = cJSON_PrintUnformatted(spec);
    cJSON_Delete(spec);
    const char *py = bench_peer_python();
    size_t cap = strlen(js) + 1024;
    char *cmd = malloc(cap);
    snprintf(cmd, cap, "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d %s %s/tests/bench/engine_peer.py --threads %d --reps %d --spec '%s'",
             threads, threads, py, OCD_SOURCE_DIR, threads, reps, js);
    free(js);
    cJSON *out = bench_run_peer(cmd, version, vlen);
    free(cmd);
    return out;
}

int main(int argc, char **argv)
{
    blas_env_select(argv); /* the peer inherits the same OPENBLAS_CORETYPE */
    int threads = 2, reps = 20, peer = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peer"))
            peer = 0;
        else {
            fprintf(stderr, "usage: bench_engine [--threads N] [--reps R] [--no-peer]\n");
            return 2;
        }
    }
    char version[64] = "-";
    cJSON *pj = peer ? run_peer(threads, reps, version, sizeof version) : NULL;
    if (peer && !pj) fprintf(stderr, "bench: the PyTorch peer did not run (set OCD_PEER_PYTHON to a python with torch)\n");
    cJSON *prow = pj ? cJSON_GetObjectItem(pj, "rows") : NULL;
    printf("engine benchmark: %d thread(s), median of %d repetitions, forward+backward; OpenBLAS kernels %s; "
           "peer: torch %s\n",
           threads, reps, cpu_blas_core_name(), version);
    if (getenv("OPENBLAS_CORETYPE"))
        printf("OPENBLAS_CORETYPE=%s is set in the environment: both sides use those BLAS kernels\n",
               getenv("OPENBLAS_CORETYPE"));
    printf("\n");
    printf("| %-34s | %9s | %7s | %9s | %7s | %11s |\n", "workload", "ours ms", "GFLOP/s", "torch ms", "GFLOP/s",
           "ours/torch");
    printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "-----------", "---------", "-----------",
           "---------", "-------------");
    for (int i = 0; i < NWORK; i++) {
        const Work *w = &WORK[i];
        double ours = run_ours(w, threads, reps), fl = work_flops(w);
        cJSON *t = prow ? cJSON_GetObjectItem(prow, w->name) : NULL;
        if (t && cJSON_IsNumber(t)) {
            double th = t->valuedouble;
            printf("| %-34s | %9.3f | %7.1f | %9.3f | %7.1f | %11.2f |\n", w->name, 1e3 * ours, fl / ours * 1e-9,
                   1e3 * th, fl / th * 1e-9, ours / th);
        } else {
            printf("| %-34s | %9.3f | %7.1f | %9s | %7s | %11s |\n", w->name, 1e3 * ours, fl / ours * 1e-9, "-", "-",
                   "-");
        }
        fflush(stdout);
    }
    cJSON_Delete(pj);
    return 0;
}
