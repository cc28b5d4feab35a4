/* Base-stage benchmark: one training epoch of the paper's base models as the product runs it
 * (ocd/base.c's base_train_step on the real data: batch gather, forward, loss, backward,
 * optimiser step, the loss read back every step), timed here and by PyTorch on the same CPU
 * with the same threads, batch size and optimiser (tests/bench/base_peer.py), with the ratio.
 *
 *   bench_base [--threads N] [--epochs E] [--no-peer]
 *
 * Each row is the median over E epochs (after one warm-up epoch). The peer's interpreter is
 * $OCD_PEER_PYTHON (default python3). */
#include "../../src/cli/blas_env.h"
#include "cpu/cpu_blas_core.h"
#include "data/dataset.h"
#include "models/lenet5.h"
#include "models/mlp.h"
#include "ocd/stage.h"
#include "optim.h"

#include "bench_util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name, *dataset;
    int batch;
    OptKind opt;
    float lr, weight_decay;
} Row;

/* as the bundled presets mnist-lenet5 and california-mlp */
static const Row ROWS[] = {
    {"lenet5 mnist epoch (60000, b64, Adam)", "mnist", 64, OPT_ADAM, 1e-3f, 0.0f},
    {"mlp california epoch (13209, b256, AdamW)", "california", 256, OPT_ADAMW, 1e-3f, 1e-5f},
};
enum { NROWS = sizeof ROWS / sizeof ROWS[0] };

static double time_row(const Row *r, int threads, int epochs)
{
    Dataset ds;
    Status st;
    status_clear(&st);
    const int mnist = !strcmp(r->dataset, "mnist");
    const int rc = mnist ? dataset_load_mnist(OCD_SOURCE_DIR "/assets/data/mnist", 0, 0, &ds, &st)
                         : dataset_load_california(OCD_SOURCE_DIR "/assets/data/california_housing/cal_housing.data", 1,
                                                   &ds, &st);
    if (rc) {
        fprintf(stderr, "bench_base: %s\n", st.msg);
        exit(1);
    }
    Ctx *c = ctx_create(backend_cpu(), threads, 1);
    Model *m = mnist ? lenet5_create(c) : mlp_create(c, ds.nfeat, 256, 1, 0.1f);
    OptConfig oc = optim_defaults(r->opt, r->lr);
    oc.weight_decay = r->weight_decay;
    Optimizer *opt = optim_create(m->ps, oc);
    const Split *tr = &ds.train;
    int64_t per = 1;
    for (int i = 0; i < tr->ndim; i++) per *= tr->dims[i];
    float *xb = malloc(sizeof(float) * (size_t)(r->batch * per)), *yb = malloc(sizeof(float) * (size_t)r->batch);
    int64_t *order = malloc(sizeof(int64_t) * (size_t)tr->n);
    double *t = malloc(sizeof(double) * (size_t)(epochs + 1));
    uint64_t s = 12345;
    ctx_set_training(c, 1);
    for (int e = 0; e <= epochs; e++) {
        const double t0 = clock_now();
        for (int64_t i = 0; i < tr->n; i++) order[i] = i; /* a shuffle, timed as the peer's randperm */
        for (int64_t i = tr->n - 1; i > 0; i--) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const int64_t j = (int64_t)((s >> 33) % (uint64_t)(i + 1)), k = order[i];
            order[i] = order[j];
            order[j] = k;
        }
        for (int64_t i0 = 0; i0 < tr->n; i0 += r->batch) {
            const int B = (int)(tr->n - i0 < r->batch ? tr->n - i0 : r->batch);
            for (int b = 0; b < B; b++) {
                memcpy(xb + b * per, tr->x + order[i0 + b] * per, sizeof(float) * (size_t)per);
                yb[b] = tr->y[order[i0 + b]];
            }
            int hits;
            base_train_step(c, m, opt, tr, xb, yb, B, !strcmp(r->dataset, "mnist"), &hits);
        }
        t[e] = clock_now() - t0;
    }
    const double med = bench_median(t + 1, epochs); /* epoch 0 warms up */
    free(t);
    free(order);
    free(xb);
    free(yb);
    optim_destroy(opt);
    model_destroy(m);
    ctx_destroy(c);
    dataset_free(&ds);
    return med;
}

static cJSON *run_peer(int threads, int epochs, char *version, size_t vlen)
{
    const char *py = bench_peer_python();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d %s %s/tests/bench/base_peer.py --threads %d --epochs %d "
             "--assets %s/assets",
             threads, threads, py, OCD_SOURCE_DIR, threads, epochs, OCD_SOURCE_DIR);
    return bench_run_peer(cmd, version, vlen);
}

int main(int argc, char **argv)
{
    blas_env_select(argv); /* the peer inherits the same OPENBLAS_CORETYPE */
    int threads = 2, epochs = 3, peer = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peer"))
            peer = 0;
        else {
            fprintf(stderr, "usage: bench_base [--threads N] [--epochs E] [--no-peer]\n");
            return 2;
        }
    }
    if (epochs < 1) epochs = 1;
    char version[64] = "-";
    cJSON *pj = peer ? run_peer(threads, epochs, version, sizeof version) : NULL;
    if (peer && !pj) fprintf(stderr, "bench: the PyTorch peer did not run (set OCD_PEER_PYTHON to a python with torch)\n");
    cJSON *prow = pj ? cJSON_GetObjectItem(pj, "rows") : NULL;
    printf("base-stage benchmark: %d thread(s), median of %d epochs after a warm-up epoch; OpenBLAS kernels %s; "
           "peer: torch %s\n\n",
           threads, epochs, cpu_blas_core_name(), version);
    printf("| %-42s | %9s | %9s | %6s |\n", "workload", "ocd s", "torch s", "ratio");
    printf("|%s|%s|%s|%s|\n", "--------------------------------------------", "-----------", "-----------", "--------");
    for (int i = 0; i < NROWS; i++) {
        const double ours = time_row(&ROWS[i], threads, epochs);
        cJSON *p = prow ? cJSON_GetObjectItem(prow, ROWS[i].name) : NULL;
        if (p && cJSON_IsNumber(p))
            printf("| %-42s | %9.3f | %9.3f | %5.2fx |\n", ROWS[i].name, ours, p->valuedouble, ours / p->valuedouble);
        else
            printf("| %-42s | %9.3f | %9s | %6s |\n", ROWS[i].name, ours, "-", "-");
        fflush(stdout);
    }
    cJSON_Delete(pj);
    return 0;
}
