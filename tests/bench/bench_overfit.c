/* Overfit-stage benchmark: throughput (samples/s) of the OCD per-sample overfit as the collect
 * stage runs it (ocd/overfit.c's overfit_batch: each sample's own copy of LeNet5's fc1 (84 x 120)
 * through the per-sample linear op, 3 Adam steps at lr 5e-4 on the weight only (the bias and
 * every other layer frozen), each sample's own cross-entropy, plus the forward for the loss after
 * and the shift read back), on the first N real MNIST training images with LeNet5's initial
 * weights. Rows: batched (B = 256, the preset's overfit.batch, and B = 64) over N samples, and
 * one sample at a time (B = 1) over S samples; the speed-up of each batched row over B = 1
 * (goal >= 50x). PyTorch does the same on the same CPU with the same threads
 * (tests/bench/overfit_peer.py: per-sample fc1 copies with torch.bmm, torch.optim.Adam), and
 * the ratio ours/torch (seconds for the same work; < 1: we are faster) is printed per row.
 *
 *   bench_overfit [--device cpu|cuda|cpu-guard] [--threads N] [--reps R] [--samples N] [--single S]
 *                 [--no-peer]
 *
 * On another device than the CPU the same rows are also timed on the CPU backend in the same
 * invocation ("cpu s", and "dev/cpu": seconds on the device over seconds on the CPU), and the
 * PyTorch peer runs on that device too (torch's "cuda"; the CPU for cpu-guard).
 *
 * Defaults: 2 threads, 5 reps, N = 2048, S = 128. Each row is the median of R runs after one
 * warm-up run. The peer's interpreter is $OCD_PEER_PYTHON (default python3), e.g.
 *   OCD_PEER_PYTHON=/usr/bin/python3 build-main/tests/bench_overfit --threads 2 */
#include "../../src/cli/blas_env.h"
#include "config.h"
#include "cpu/cpu_blas_core.h"
#include "data/dataset.h"
#include "models/lenet5.h"
#include "ocd/overfit.h"

#include "bench_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name; /* the peer's row name as well */
    int batch;
    int single; /* 1: over the S samples of the one-at-a-time row, 0: over N */
} Row;

static const Row ROWS[] = {
    {"batched b256", 256, 0},
    {"batched b64", 64, 0},
    {"one at a time b1", 1, 1},
};
enum { NROWS = sizeof ROWS / sizeof ROWS[0], ROW_SINGLE = 2 };

typedef struct {
    Ctx *c;
    Dataset ds;
    Model *m;
    Config cfg;
    StageEnv env;
    Status st;
    Task t;
    OverfitCfg oc;
} World;

static void die(const char *what, const Status *st)
{
    fprintf(stderr, "bench_overfit: %s: %s\n", what, st && st->msg[0] ? st->msg : "failed");
    exit(1);
}

static void world_make(World *w, const char *device, int threads, int n)
{
    memset(w, 0, sizeof *w);
    status_clear(&w->st);
    if (dataset_load_mnist(OCD_SOURCE_DIR "/assets/data/mnist", n, 16, &w->ds, &w->st)) die("loading MNIST", &w->st);
    if (w->ds.train.n < n) {
        fprintf(stderr, "bench_overfit: MNIST has %d training images, %d asked for\n", w->ds.train.n, n);
        exit(1);
    }
    const Backend *be = backend_find(device);
    w->c = be ? ctx_create(be, threads, 1) : NULL;
    if (!w->c) {
        fprintf(stderr, "bench_overfit: device '%s' is not available here\n", device);
        exit(1);
    }
    w->m = lenet5_create(w->c);
    if (!w->m) die("creating LeNet5", NULL);
    if (config_init(&w->cfg)) die("config_init", NULL);
    w->env = (StageEnv){.c = w->c, .cfg = &w->cfg, .ds = &w->ds, .model = w->m, .st = &w->st};
    if (task_init(&w->t, &w->env)) die("task_init", &w->st);
    const int L = model_layer_index(w->m, "fc1");
    if (L < 0) die("LeNet5 has no candidate layer fc1", NULL);
    /* the preset defaults: overfit.steps 3, overfit.lr 5e-4, overfit.optimizer adam */
    w->oc = (OverfitCfg){.layer = L,
                         .steps = cfg_int(&w->cfg, "overfit.steps"),
                         .lr = (float)cfg_float(&w->cfg, "overfit.lr"),
                         .adam = !strcmp(cfg_str(&w->cfg, "overfit.optimizer"), "adam")};
    if (w->oc.steps != 3 || w->oc.lr != 5e-4f || !w->oc.adam) {
        fprintf(stderr, "bench_overfit: the overfit defaults changed (%d steps, lr %g, %s); update the peer's too\n",
                w->oc.steps, (double)w->oc.lr, w->oc.adam ? "Adam" : "GD");
        exit(1);
    }
}

static void world_free(World *w)
{
    task_free(&w->t);
    model_destroy(w->m);
    config_free(&w->cfg);
    ctx_destroy(w->c);
    dataset_free(&w->ds);
}

/* median seconds over `reps` runs (after a warm-up) of overfitting samples 0..n-1 in batches
 * of r->batch, as collect.c does (shifts and both losses read back) */
static double time_row(World *w, const Row *r, int n, int reps)
{
    const ModelLayer *l = &w->m->layers[w->oc.layer];
    const int64_t per = (int64_t)l->out * l->in;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)n);
    float *delta = malloc(sizeof(float) * (size_t)(r->batch * per));
    float *l0 = malloc(sizeof(float) * (size_t)r->batch), *l1 = malloc(sizeof(float) * (size_t)r->batch);
    double *t = malloc(sizeof(double) * (size_t)(reps + 1));
    if (!idx || !delta || !l0 || !l1 || !t) die("out of memory", NULL);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int e = 0; e <= reps; e++) {
        const double t0 = clock_now();
        for (int done = 0; done < n;) {
            const int B = n - done < r->batch ? n - done : r->batch;
            if (overfit_batch(&w->t, &w->oc, SPLIT_TRAIN, idx + done, B, 0, delta, l0, l1)) die("overfit_batch", &w->st);
            done += B;
        }
        t[e] = clock_now() - t0;
    }
    const double med = bench_median(t + 1, reps); /* run 0 warms up */
    free(t);
    free(l1);
    free(l0);
    free(delta);
    free(idx);
    return med;
}

static cJSON *run_peer(const char *device, int threads, int reps, int n, int single, const OverfitCfg *oc, char *version,
                       size_t vlen)
{
    const char *py = bench_peer_python();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d %s %s/tests/bench/overfit_peer.py --threads %d --reps %d "
             "--samples %d --single %d --steps %d --lr %.9g --assets %s/assets --device %s",
             threads, threads, py, OCD_SOURCE_DIR, threads, reps, n, single, oc->steps, (double)oc->lr, OCD_SOURCE_DIR,
             strcmp(device, "cuda") ? "cpu" : "cuda");
    return bench_run_peer(cmd, version, vlen);
}

int main(int argc, char **argv)
{
    blas_env_select(argv); /* the peer inherits the same OPENBLAS_CORETYPE */
    int threads = 2, reps = 5, n = 2048, single = 128, peer = 1;
    const char *device = "cpu";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--single") && i + 1 < argc)
            single = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peer"))
            peer = 0;
        else {
            fprintf(stderr, "usage: bench_overfit [--device cpu|cuda|cpu-guard] [--threads N] [--reps R] [--samples N] "
                            "[--single S] [--no-peer]\n");
            return 2;
        }
    }
    if (threads < 1) threads = 1;
    if (reps < 1) reps = 1;
    if (n < 1) n = 1;
    if (single < 1) single = 1;
    if (single > n) single = n;

    const int vs_cpu = strcmp(device, "cpu") != 0;
    World w;
    world_make(&w, device, threads, n);
    char version[64] = "-";
    cJSON *pj = peer ? run_peer(device, threads, reps, n, single, &w.oc, version, sizeof version) : NULL;
    if (peer && !pj) fprintf(stderr, "bench: the PyTorch peer did not run (set OCD_PEER_PYTHON to a python with torch)\n");
    cJSON *prow = pj ? cJSON_GetObjectItem(pj, "rows") : NULL;
    const ModelLayer *l = &w.m->layers[w.oc.layer];
    printf("overfit-stage benchmark on %s: LeNet5 %s (%d x %d) on MNIST, %d Adam steps at lr %g; %d thread(s), median "
           "of %d runs after a warm-up; OpenBLAS kernels %s; peer: torch %s on %s\n\n",
           device, l->name, l->out, l->in, w.oc.steps, (double)w.oc.lr, threads, reps, cpu_blas_core_name(), version,
           strcmp(device, "cuda") ? "cpu" : "cuda");
    printf("| %-16s | %7s | %9s | %11s | %8s |", "row", "samples", "ocd s", "ocd samp/s", "vs b1");
    if (vs_cpu) printf(" %9s | %8s |", "cpu s", "dev/cpu");
    printf(" %9s | %11s | %11s |\n", "torch s", "torch samp/s", "ours/torch");
    printf("|------------------|---------|-----------|-------------|----------|");
    if (vs_cpu) printf("-----------|----------|");
    printf("-----------|--------------|-------------|\n");

    /* the one-at-a-time row first: the others' speed-ups are over it */
    double sec[NROWS], rate[NROWS], cpu_sec[NROWS];
    const int order[NROWS] = {ROW_SINGLE, 0, 1};
    for (int k = 0; k < NROWS; k++) {
        const int i = order[k];
        const int cnt = ROWS[i].single ? single : n;
        sec[i] = time_row(&w, &ROWS[i], cnt, reps);
        rate[i] = cnt / sec[i];
    }
    if (vs_cpu) { /* the same rows on the CPU backend, as the reference */
        World wc;
        world_make(&wc, "cpu", threads, n);
        for (int i = 0; i < NROWS; i++) cpu_sec[i] = time_row(&wc, &ROWS[i], ROWS[i].single ? single : n, reps);
        world_free(&wc);
    }
    for (int i = 0; i < NROWS; i++) {
        const int cnt = ROWS[i].single ? single : n;
        cJSON *p = prow ? cJSON_GetObjectItem(prow, ROWS[i].name) : NULL;
        printf("| %-16s | %7d | %9.4f | %11.1f | %7.1fx |", ROWS[i].name, cnt, sec[i], rate[i], rate[i] / rate[ROW_SINGLE]);
        if (vs_cpu) printf(" %9.4f | %7.3fx |", cpu_sec[i], sec[i] / cpu_sec[i]);
        if (p && cJSON_IsNumber(p))
            printf(" %9.4f | %12.1f | %10.2fx |\n", p->valuedouble, cnt / p->valuedouble, sec[i] / p->valuedouble);
        else
            printf(" %9s | %12s | %11s |\n", "-", "-", "-");
    }
    printf("\n");
    for (int i = 0; i < NROWS; i++) {
        if (ROWS[i].single) continue;
        const double up = rate[i] / rate[ROW_SINGLE];
        printf("speed-up of %s over %s: %.1fx (goal >= 50x: %s)\n", ROWS[i].name, ROWS[ROW_SINGLE].name, up,
               up >= 50.0 ? "met" : "not met");
    }
    fflush(stdout);
    cJSON_Delete(pj);
    world_free(&w);
    return 0;
}
