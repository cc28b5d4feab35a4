/* OCD inference benchmark: seconds per test sample of the OCD method as the eval stage runs
 * it (conditioning from the base model, rho from the scale model, the session's sampler (10
 * DDIM steps in the bundled presets) in batches of B test inputs, then the prediction with
 * W + rho * Omega_0), on a finished session, per device, all in one invocation. The first
 * device is the reference of the ratio column (the CPU backend unless told otherwise).
 *
 *   bench_infer --session DIR [--device NAME]... [--batch B] [--samples N] [--reps R]
 *               [--threads N] [--profile]
 *
 * Defaults: devices cpu and, where a GPU is usable, cuda; B = 256; N = min(1024, the test
 * split); the median of 5 runs after one warm-up run; the session's run.threads. The
 * ratio is seconds on the device over seconds on the first device (< 1: faster). --profile
 * then runs the N samples once more per device with per-op timing (a device sync after every
 * op: slower than the timed runs) and prints the rows, forward only (the sampler runs without
 * gradients); host work between two ops is counted in the later op's row. */
#include "../../src/cli/blas_env.h"
#include "backend.h"
#include "core/profile.h"
#include "probe.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double ocd; /* seconds per sample, median */
    int ok;
} Row;

/* one pass over test samples [0, N) with per-op timing; rows per sample */
static void profile_probe(Probe *p, int B, int N)
{
    Status st;
    status_clear(&st);
    float *pred = malloc(sizeof(float) * (size_t)(B * probe_pred_floats(p)));
    Profile *prof = probe_profile(p, 1);
    const double t0 = clock_now();
    int rc = 0;
    for (int i0 = 0; i0 < N && rc == 0; i0 += B) rc = probe_ocd_predict(p, i0, N - i0 < B ? N - i0 : B, pred, &st);
    const double total = clock_now() - t0;
    free(pred);
    if (rc) {
        fprintf(stderr, "bench_infer: profile: %s\n", st.msg);
        probe_profile(p, 0);
        return;
    }
    profile_sort(prof);
    double rows = 0;
    for (int i = 0; i < prof->n; i++) rows += prof->rows[i].fwd_s;
    printf("\n  per-op time per sample (one pass, synchronised after every op): %.3f ms in all, %.3f ms in the rows\n",
           1e3 * total / N, 1e3 * rows / N);
    printf("  | %-18s | %10s | %12s | %6s |\n", "op", "ms/sample", "calls/batch", "share");
    for (int i = 0; i < prof->n; i++) {
        const ProfileRow *r = &prof->rows[i];
        printf("  | %-18s | %10.4f | %12.1f | %5.1f%% |\n", r->op, 1e3 * r->fwd_s / N,
               (double)r->fwd_n * B / N, 100.0 * r->fwd_s / total);
    }
    printf("\n");
    probe_profile(p, 0);
}

/* median seconds per sample of OCD's predictions for test samples [0, N) in batches of B */
static Row time_probe(Probe *p, const char *device, int B, int N, int reps)
{
    Row r = {0};
    Status st;
    status_clear(&st);
    float *pred = malloc(sizeof(float) * (size_t)(B * probe_pred_floats(p)));
    double *t = malloc(sizeof(double) * (size_t)(reps + 1));
    int rc = 0;
    for (int e = 0; e <= reps && rc == 0; e++) { /* run 0 warms up */
        const double t0 = clock_now();
        for (int i0 = 0; i0 < N && rc == 0; i0 += B)
            rc = probe_ocd_predict(p, i0, N - i0 < B ? N - i0 : B, pred, &st);
        t[e] = (clock_now() - t0) / N;
    }
    if (rc)
        fprintf(stderr, "bench_infer: %s: %s\n", device, st.msg);
    else
        r = (Row){.ocd = bench_median(t + 1, reps), .ok = 1};
    free(t);
    free(pred);
    return r;
}

int main(int argc, char **argv)
{
    blas_env_select(argv);
    const char *session = NULL, *devices[8];
    int nd = 0, B = 256, N = 1024, reps = 5, threads = 0, profile = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--session") && i + 1 < argc)
            session = argv[++i];
        else if (!strcmp(argv[i], "--device") && i + 1 < argc && nd < 8)
            devices[nd++] = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            B = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            N = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--profile"))
            profile = 1;
        else {
            fprintf(stderr, "usage: bench_infer --session DIR [--device NAME]... [--batch B] [--samples N] [--reps R] "
                            "[--threads N] [--profile]\n");
            return 2;
        }
    }
    if (!session) {
        fprintf(stderr, "bench_infer: --session DIR is required (a finished session, e.g. sessions/mnist-lenet5)\n");
        return 2;
    }
    if (!nd) {
        devices[nd++] = "cpu";
        if (backend_usable(backend_cuda())) devices[nd++] = "cuda";
    }
    if (B < 1) B = 1;
    if (reps < 1) reps = 1;
    double ref = 0;
    for (int i = 0; i < nd; i++) {
        Status st;
        status_clear(&st);
        Probe *p = probe_open_on(session, OCD_SOURCE_DIR "/assets", threads, devices[i], &st);
        if (!p && i == 0) { /* the first device is the reference and tells the session's sizes */
            fprintf(stderr, "bench_infer: %s: %s\n", devices[i], st.msg);
            return 2;
        }
        if (i == 0) {
            const int ntest = probe_test_count(p);
            if (N > ntest || N < 1) N = ntest;
            printf("OCD inference: session %s, %d test samples in batches of %d, %d sampler steps; median of %d runs "
                   "after a warm-up\n\n",
                   session, N, B, probe_sample_steps(p), reps);
            printf("| %-9s | %14s | %12s | %13s |\n", "device", "OCD ms/sample", "samples/s", "time / first");
            printf("|-----------|----------------|--------------|---------------|\n");
        }
        if (!p) fprintf(stderr, "bench_infer: %s: %s\n", devices[i], st.msg);
        const Row r = p ? time_probe(p, devices[i], B, N, reps) : (Row){0};
        if (!r.ok) {
            probe_close(p);
            printf("| %-9s | %14s | %12s | %13s |\n", devices[i], "-", "-", "not run");
            continue;
        }
        if (i == 0) ref = r.ocd;
        printf("| %-9s | %14.4f | %12.1f | %12.3fx |\n", devices[i], 1e3 * r.ocd, 1.0 / r.ocd, ref > 0 ? r.ocd / ref : 0.0);
        if (profile) profile_probe(p, B, N);
        probe_close(p);
        fflush(stdout);
    }
    return 0;
}
