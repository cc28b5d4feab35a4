/* Overfit data collection; see collect.h. */
#include "ocd/collect.h"

#include "ocd/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

OverfitCfg collect_overfit_cfg(const Config *cfg, int layer)
{
    OverfitCfg oc = {.layer = layer,
                     .steps = cfg_int(cfg, "overfit.steps"),
                     .lr = (float)cfg_float(cfg, "overfit.lr"),
                     .adam = !strcmp(cfg_str(cfg, "overfit.optimizer"), "adam"),
                     .rays = cfg_int(cfg, "overfit.rays")};
    return oc;
}

static uint64_t nerf_key(const Config *cfg) { return (uint64_t)cfg_int(cfg, "run.seed") * 7919u + 17u; }

/* shift -> (rho_std, rho_l2), and the unit direction in place (by the chosen rho) */
static void normalise(float *d, int64_t per, int norm_l2, double *rho_std, double *rho_l2)
{
    double s = 0.0, ss = 0.0;
    for (int64_t e = 0; e < per; e++) {
        s += d[e];
        ss += (double)d[e] * d[e];
    }
    const double mean = s / per;
    double var = 0.0;
    for (int64_t e = 0; e < per; e++) var += (d[e] - mean) * (d[e] - mean);
    *rho_std = sqrt(var / (per > 1 ? per - 1 : 1));
    *rho_l2 = sqrt(ss);
    const double r = norm_l2 ? *rho_l2 : *rho_std;
    const float inv = r > 0 ? (float)(1.0 / r) : 0.0f;
    for (int64_t e = 0; e < per; e++) d[e] *= inv;
}

static int write_part(StageEnv *env, const char *work, const char *grp, const Collected *k, int done, int store,
                      int complete, const OverfitCfg *oc)
{
    Status *st = env->st;
    H5File *f = ocd_work_begin(work, st);
    if (!f) return -1;
    char p[160];
    int r = h5w_unlink(f, grp, st);
    const int64_t n = done, per = (int64_t)k->rows * k->cols;
#define W_D(name, arr) (snprintf(p, sizeof p, "%s/%s", grp, name), h5w_doubles(f, p, arr, 1, &n, st))
    if (done > 0) {
        r = r ? r : (snprintf(p, sizeof p, "%s/indices", grp), h5w_ints(f, p, k->idx, 1, &n, st));
        r = r ? r : W_D("rho_std", k->rho_std);
        r = r ? r : W_D("rho_l2", k->rho_l2);
        r = r ? r : W_D("loss_before", k->loss0);
        r = r ? r : W_D("loss_after", k->loss1);
        const int64_t di[2] = {n, k->d.din}, da[2] = {n, k->d.dact}, dout[2] = {n, k->d.dout};
        r = r ? r : (snprintf(p, sizeof p, "%s/cond_input", grp), h5w_floats(f, p, k->cin, 2, di, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/cond_activation", grp), h5w_floats(f, p, k->cact, 2, da, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/cond_output", grp), h5w_floats(f, p, k->cout, 2, dout, st));
        if (store) {
            const int64_t dd[3] = {n, k->rows, k->cols};
            r = r ? r : (snprintf(p, sizeof p, "%s/directions", grp), h5w_floats(f, p, k->dir, 3, dd, st));
        }
    }
#undef W_D
    (void)per;
    r = r ? r : h5w_attr_str(f, grp, "layer", env->model->layers[k->layer].name, st);
    r = r ? r : h5w_attr_int(f, grp, "rows", k->rows, st);
    r = r ? r : h5w_attr_int(f, grp, "cols", k->cols, st);
    r = r ? r : h5w_attr_int(f, grp, "samples", k->n, st);
    r = r ? r : h5w_attr_int(f, grp, "done", done, st);
    r = r ? r : h5w_attr_int(f, grp, "directions_stored", store, st);
    r = r ? r : h5w_attr_int(f, grp, "steps", oc->steps, st);
    r = r ? r : h5w_attr_double(f, grp, "lr", oc->lr, st);
    r = r ? r : h5w_attr_str(f, grp, "optimizer", oc->adam ? "adam" : "gd", st);
    r = r ? r : h5w_attr_str(f, grp, "normalised_by", k->norm_l2 ? "l2 norm (the paper)" : "std of the entries (the authors' code)", st);
    r = r ? r : h5w_attr_double(f, grp, "seconds", k->seconds, st);
    r = r ? r : h5w_attr_str(f, grp, "status", complete ? "complete" : "running", st);
    if (r) {
        h5w_abort(f);
        return -1;
    }
    return h5w_commit(f, st);
}

static void alloc_arrays(Collected *k, int store)
{
    const int64_t n = k->n, per = (int64_t)k->rows * k->cols;
    k->idx = calloc((size_t)n, sizeof(int64_t));
    k->rho_std = calloc((size_t)n, sizeof(double));
    k->rho_l2 = calloc((size_t)n, sizeof(double));
    k->loss0 = calloc((size_t)n, sizeof(double));
    k->loss1 = calloc((size_t)n, sizeof(double));
    k->cin = calloc((size_t)(n * k->d.din), sizeof(float));
    k->cact = calloc((size_t)(n * k->d.dact), sizeof(float));
    k->cout = calloc((size_t)(n * k->d.dout), sizeof(float));
    k->dir = store ? calloc((size_t)(n * per), sizeof(float)) : NULL;
}

void collect_free(Collected *k)
{
    free(k->idx);
    free(k->rho_std);
    free(k->rho_l2);
    free(k->loss0);
    free(k->loss1);
    free(k->cin);
    free(k->cact);
    free(k->cout);
    free(k->dir);
    memset(k, 0, sizeof *k);
}

/* reads group grp of an open file into k (arrays allocated); returns the samples done */
static int read_part(StageEnv *env, H5File *f, const char *grp, Collected *k)
{
    char p[160];
    int64_t v = 0, n = 0;
    Status *st = env->st;
    char lname[64] = "";
    h5r_attr_str(f, grp, "layer", lname, sizeof lname);
    k->layer = model_layer_index(env->model, lname);
    if (k->layer < 0) return status_fail(st, ERR_FORMAT, "%s: layer '%s' unknown to %s", grp, lname, env->model->kind);
    h5r_attr_int(f, grp, "rows", &v), k->rows = (int)v;
    h5r_attr_int(f, grp, "cols", &v), k->cols = (int)v;
    h5r_attr_int(f, grp, "samples", &v), k->n = (int)v;
    h5r_attr_int(f, grp, "done", &n);
    int64_t stored = 0;
    h5r_attr_int(f, grp, "directions_stored", &stored);
    h5r_attr_double(f, grp, "seconds", &k->seconds);
    char norm[64] = "";
    h5r_attr_str(f, grp, "normalised_by", norm, sizeof norm);
    k->norm_l2 = !strncmp(norm, "l2", 2);
    Task t = {.env = env, .kind = env->ds->task};
    if (t.kind == TASK_NERF) t.P = (int64_t)env->ds->views_train.H * env->ds->views_train.W;
    k->d = task_cond_dims(&t, k->layer);
    alloc_arrays(k, (int)stored);
    if (n == 0) return 0;
    int r = 0;
    const int64_t per = (int64_t)k->rows * k->cols;
#define R_D(name, arr) (snprintf(p, sizeof p, "%s/%s", grp, name), h5r_doubles(f, p, arr, n, st))
    r = r ? r : (snprintf(p, sizeof p, "%s/indices", grp), h5r_ints(f, p, k->idx, n, st));
    r = r ? r : R_D("rho_std", k->rho_std);
    r = r ? r : R_D("rho_l2", k->rho_l2);
    r = r ? r : R_D("loss_before", k->loss0);
    r = r ? r : R_D("loss_after", k->loss1);
#undef R_D
    r = r ? r : (snprintf(p, sizeof p, "%s/cond_input", grp), h5r_floats(f, p, k->cin, n * k->d.din, st));
    r = r ? r : (snprintf(p, sizeof p, "%s/cond_activation", grp), h5r_floats(f, p, k->cact, n * k->d.dact, st));
    r = r ? r : (snprintf(p, sizeof p, "%s/cond_output", grp), h5r_floats(f, p, k->cout, n * k->d.dout, st));
    if (stored) r = r ? r : (snprintf(p, sizeof p, "%s/directions", grp), h5r_floats(f, p, k->dir, n * per, st));
    return r ? -1 : (int)n;
}

int collect_run(StageEnv *env, Task *t, int layer, const char *work, const char *grp, const char *stage)
{
    const Config *cfg = env->cfg;
    const ModelLayer *l = &env->model->layers[layer];
    const int ntrain = task_count(t, SPLIT_TRAIN);
    Collected k = {.layer = layer, .rows = l->out, .cols = l->in};
    k.n = cfg_int(cfg, "overfit.samples") > 0 && cfg_int(cfg, "overfit.samples") < ntrain ? cfg_int(cfg, "overfit.samples") : ntrain;
    k.d = task_cond_dims(t, layer);
    k.norm_l2 = !strcmp(cfg_str(cfg, "diffusion.normalise"), "l2");
    const int64_t per = (int64_t)k.rows * k.cols;
    const int store = (double)k.n * per * 4.0 <= cfg_float(cfg, "overfit.store_mb") * 1048576.0;
    const OverfitCfg oc = collect_overfit_cfg(cfg, layer);
    int done = 0;
    /* resume from the work file's partial group */
    H5File *rf = ocd_work_open(work);
    if (rf && h5r_exists(rf, grp)) {
        char status[32] = "";
        h5r_attr_str(rf, grp, "status", status, sizeof status);
        Collected old;
        memset(&old, 0, sizeof old);
        const int got = read_part(env, rf, grp, &old);
        if (got >= 0 && old.layer == layer && old.n == k.n && (old.dir != NULL) == store) {
            k = old;
            done = got;
            if (!strcmp(status, "complete")) {
                h5r_close(rf);
                collect_free(&k);
                return 0;
            }
            bus_log(env->bus, stage, "resuming the overfit of %s at sample %d of %d", l->name, done, k.n);
        } else {
            collect_free(&old);
            status_clear(env->st);
        }
    }
    if (rf) h5r_close(rf);
    if (!k.idx) {
        alloc_arrays(&k, store);
        int64_t *perm = malloc(sizeof(int64_t) * (size_t)ntrain);
        ocd_permutation((uint64_t)cfg_int(cfg, "run.seed"), 202, ntrain, perm);
        memcpy(k.idx, perm, sizeof(int64_t) * (size_t)k.n);
        free(perm);
    }
    if (done == 0)
        bus_log(env->bus, stage, "overfitting %s (%d x %d) on %d samples: %d %s steps, lr %g; directions %s", l->name,
                k.rows, k.cols, k.n, oc.steps, oc.adam ? "Adam" : "GD", (double)oc.lr,
                store ? "stored" : "made again on the fly (over overfit.store_mb)");
    const int batch = cfg_int(cfg, "overfit.batch");
    float *delta = malloc(sizeof(float) * (size_t)(batch * per));
    float *l0 = malloc(sizeof(float) * (size_t)batch), *l1 = malloc(sizeof(float) * (size_t)batch);
    double t_last = clock_now(), t_run = clock_now();
    const double every = cfg_float(cfg, "overfit.checkpoint_seconds");
    int rc = 0;
    while (done < k.n && rc == 0) {
        const int B = k.n - done < batch ? k.n - done : batch;
        rc = overfit_batch(t, &oc, SPLIT_TRAIN, k.idx + done, B, nerf_key(cfg) + (uint64_t)done * 64, delta, l0, l1);
        if (rc == 0) rc = task_cond(t, layer, SPLIT_TRAIN, k.idx + done, B, k.cin + (int64_t)done * k.d.din,
                                    k.cact + (int64_t)done * k.d.dact, k.cout + (int64_t)done * k.d.dout);
        for (int b = 0; b < B && rc == 0; b++) {
            normalise(delta + b * per, per, k.norm_l2, &k.rho_std[done + b], &k.rho_l2[done + b]);
            k.loss0[done + b] = l0[b];
            k.loss1[done + b] = l1[b];
            if (store) memcpy(k.dir + (int64_t)(done + b) * per, delta + b * per, sizeof(float) * (size_t)per);
        }
        if (rc) break;
        done += B;
        bus_progress(env->bus, stage, done, k.n, "loss_before", k.loss0[done - 1], "loss_after", k.loss1[done - 1]);
        const int stop = bus_stop_requested(env->bus);
        if (done < k.n && (clock_now() - t_last > every || stop)) {
            k.seconds += clock_now() - t_run;
            t_run = clock_now();
            rc = write_part(env, work, grp, &k, done, store, 0, &oc);
            t_last = clock_now();
        }
        if (stop && rc == 0 && done < k.n)
            rc = status_fail(env->st, ERR_STATE, "%s: stopped after %d of %d samples (checkpoint written)", stage, done, k.n);
    }
    if (rc == 0) {
        k.seconds += clock_now() - t_run;
        double m0 = 0, m1 = 0, mr = 0;
        for (int i = 0; i < k.n; i++) {
            m0 += k.loss0[i];
            m1 += k.loss1[i];
            mr += k.norm_l2 ? k.rho_l2[i] : k.rho_std[i];
        }
        rc = write_part(env, work, grp, &k, done, store, 1, &oc);
        if (rc == 0)
            bus_log(env->bus, stage, "overfit %d samples in %.1f s (%.0f samples/s): mean loss %.4f -> %.4f, mean rho %.3g",
                    k.n, k.seconds, k.n / fmax(k.seconds, 1e-9), m0 / k.n, m1 / k.n, mr / k.n);
    }
    free(delta);
    free(l0);
    free(l1);
    collect_free(&k);
    return rc ? -1 : 0;
}

int collect_load(StageEnv *env, const char *path, const char *grp, Collected *out)
{
    memset(out, 0, sizeof *out);
    H5File *f = h5r_open(path, env->st);
    if (!f) return -1;
    const int got = read_part(env, f, grp, out);
    h5r_close(f);
    if (got < 0) return -1;
    if (got != out->n) return status_fail(env->st, ERR_FORMAT, "%s: /%s holds %d of %d samples", path, grp, got, out->n);
    out->rho = out->norm_l2 ? out->rho_l2 : out->rho_std;
    return 0;
}

int collect_directions(StageEnv *env, Task *t, const Collected *k, const int *which, int B, float *dir)
{
    const int64_t per = (int64_t)k->rows * k->cols;
    if (k->dir) {
        for (int b = 0; b < B; b++) memcpy(dir + b * per, k->dir + (int64_t)which[b] * per, sizeof(float) * (size_t)per);
        return 0;
    }
    const OverfitCfg oc = collect_overfit_cfg(env->cfg, k->layer);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)B);
    for (int b = 0; b < B; b++) idx[b] = k->idx[which[b]];
    int rc = 0;
    if (t->kind != TASK_NERF) { /* deterministic: one batch gives what collect_run computed */
        rc = overfit_batch(t, &oc, SPLIT_TRAIN, idx, B, 0, dir, NULL, NULL);
    } else { /* the rays drawn for a sample depend on the key of its batch in collect_run */
        const int batch = cfg_int(env->cfg, "overfit.batch");
        for (int b = 0; b < B && rc == 0; b++)
            rc = overfit_batch(t, &oc, SPLIT_TRAIN, idx + b, 1,
                               nerf_key(env->cfg) + (uint64_t)(which[b] / batch * batch) * 64, dir + b * per, NULL, NULL);
    }
    free(idx);
    for (int b = 0; b < B && rc == 0; b++) {
        double s1, s2;
        normalise(dir + b * per, per, k->norm_l2, &s1, &s2);
    }
    return rc;
}

int collect_holdout(const Config *cfg, int n)
{
    const int h = cfg_int(cfg, "diffusion.holdout");
    return h < n / 4 ? h : n / 4;
}
