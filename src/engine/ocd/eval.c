/* The eval stage (OCD-SPEC §2.6, §5): every method on the same test samples, in one table,
 * mean and SD over eval.repeats seeds.
 *
 *   base                   the base model
 *   OCD                    W + rho(x) * Omega_0, one draw
 *   OCD ensemble xE        E draws, predictions averaged (probabilities for classification)
 *   OCD mean network xE    the same E draws, weights averaged, one prediction
 *   OCD no-scale           draw 0 with rho = the mean rho of the training collection
 *   OCD nearest neighbour  the weight shift of the training sample nearest in input space
 *   OCD alternative layer  the whole pipeline on the runner-up layer (the alt stage)
 *   overfit on test        the overfit stage run on the test sample with its label (an upper
 *                          bound that breaks the protocol on purpose); and with all layers
 *   Tent 1/10/30           classification only (tent.h)
 *   base ensemble xE       NeRF only: E renders of the base model averaged. NeRF renders are
 *                          stochastic (jittered samples), so averaging E renders lowers the
 *                          MSE by itself; the OCD ensemble must be read against this row.
 *
 * Methods without randomness (base, nearest neighbour, overfit on test, Tent) are computed
 * once and repeated, except for NeRF, whose renders are stochastic (jittered samples).
 * A draw's noise is a function of (repeat, sample, draw), so the table does not depend on
 * eval.batch. The stage is evaluated in batches and has no checkpoint (a killed run starts
 * the evaluation again; the trained stages before it are kept). */
#include "ocd/eval.h"

#include "ocd/collect.h"
#include "ocd/diffusion.h"
#include "ocd/sampler.h"
#include "ocd/scale.h"
#include "ocd/select.h"
#include "ocd/tent.h"
#include "ocd/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KEYS[M_COUNT] = {"base",          "ocd",           "ocd_ensemble",      "ocd_mean_network",
                                          "ocd_noscale",   "ocd_nearest_neighbour", "ocd_alternative_layer",
                                          "overfit_test",  "overfit_test_all_layers", "tent_1", "tent_10", "tent_30",
                                          "base_ensemble"};

const char *eval_method_key(EvalMethod m) { return KEYS[m]; }

/* one repeat's running sums of a method */
typedef struct {
    double loss, hits, n;
} Acc;

typedef struct {
    StageEnv *env;
    Task *t;
    int K;         /* classes */
    int64_t pf;    /* floats of one prediction */
    int repeats, E;
    Acc *acc;      /* [M_COUNT][repeats] */
    int have[M_COUNT];
    double seconds[M_COUNT];
} Eval;

static Acc *acc_of(Eval *ev, EvalMethod m, int r) { return &ev->acc[m * ev->repeats + r]; }

/* adds B predictions against their targets (y: labels, standardised targets, or pixels) */
static void accumulate(Eval *ev, EvalMethod m, int r, const float *pred, const float *y, int B)
{
    Acc *a = acc_of(ev, m, r);
    ev->have[m] = 1;
    for (int b = 0; b < B; b++) {
        const float *p = pred + b * ev->pf;
        switch (ev->t->kind) {
        case TASK_CLASSIFICATION: {
            double mx = p[0];
            int best = 0;
            for (int k = 1; k < ev->K; k++)
                if (p[k] > mx) mx = p[k], best = k;
            double s = 0.0;
            for (int k = 0; k < ev->K; k++) s += exp((double)p[k] - mx);
            const int lab = (int)y[b];
            a->loss += log(s) + mx - p[lab];
            a->hits += best == lab;
            break;
        }
        case TASK_REGRESSION: {
            const double d = (double)p[0] - y[b];
            a->loss += d * d;
            break;
        }
        case TASK_NERF: {
            double s = 0.0;
            const float *yy = y + (int64_t)b * ev->pf;
            for (int64_t k = 0; k < ev->pf; k++) {
                const double d = (double)p[k] - yy[k];
                s += d * d;
            }
            a->loss += s / (double)ev->pf;
            break;
        }
        }
        a->n += 1;
    }
}

/* classification ensembles average probabilities: out = log(mean_d softmax(pred_d)) */
static void average_predictions(const Eval *ev, const float *preds, int D, int B, float *out)
{
    const int64_t stride = (int64_t)B * ev->pf;
    for (int b = 0; b < B; b++) {
        if (ev->t->kind != TASK_CLASSIFICATION) {
            for (int64_t k = 0; k < ev->pf; k++) {
                double s = 0.0;
                for (int d = 0; d < D; d++) s += preds[d * stride + b * ev->pf + k];
                out[b * ev->pf + k] = (float)(s / D);
            }
            continue;
        }
        double prob[1024] = {0};
        for (int d = 0; d < D; d++) {
            const float *p = preds + d * stride + b * ev->pf;
            double mx = p[0], s = 0.0;
            for (int k = 1; k < ev->K; k++) mx = fmax(mx, p[k]);
            for (int k = 0; k < ev->K; k++) s += exp((double)p[k] - mx);
            for (int k = 0; k < ev->K; k++) prob[k] += exp((double)p[k] - mx) / s / D;
        }
        for (int k = 0; k < ev->K; k++) out[b * ev->pf + k] = (float)log(fmax(prob[k], 1e-30));
    }
}

/* the model input of a sample as a vector, for the nearest-neighbour search (NeRF: the pose) */
static int input_dim(const Task *t) { return t->kind == TASK_NERF ? 16 : (int)task_x_floats(t, 1); }

static void input_vectors(const Task *t, SplitId s, const int64_t *idx, int n, float *out)
{
    if (t->kind == TASK_NERF) {
        const ViewSet *v = s == SPLIT_TRAIN ? &t->env->ds->views_train : &t->env->ds->views_test;
        for (int i = 0; i < n; i++) memcpy(out + i * 16, v->poses + idx[i] * 16, sizeof(float) * 16);
        return;
    }
    float *y = malloc(sizeof(float) * (size_t)n);
    task_fill(t, s, idx, n, 1, 0, out, y);
    free(y);
}

/* a trained OCD pipeline on one layer: its collection, network, schedule and scale model */
typedef struct {
    int ok, layer;
    Collected k;
    WNet w;
    ScaleNet *scale;
    double rho_mean;
} Pipeline;

static int pipeline_load(StageEnv *env, const char *prefix, Pipeline *p)
{
    memset(p, 0, sizeof *p);
    char g[64];
    snprintf(g, sizeof g, "%soverfit", prefix);
    if (collect_load(env, env->s->path, g, &p->k)) return -1;
    p->layer = p->k.layer;
    snprintf(g, sizeof g, "%sdiffusion", prefix);
    if (diffusion_load(env, &p->k, env->s->path, g, &p->w)) return -1;
    snprintf(g, sizeof g, "%sscale", prefix);
    if (scale_load(env, &p->k, env->s->path, g, &p->scale)) return -1;
    for (int i = 0; i < p->k.n; i++) p->rho_mean += p->k.rho[i];
    p->rho_mean /= p->k.n;
    p->ok = 1;
    return 0;
}

static void pipeline_free(Pipeline *p)
{
    if (p->w.unet) wnet_destroy(&p->w);
    scalenet_destroy(p->scale);
    collect_free(&p->k);
}

/* conditioning, predicted rho and D draws of Omega_0 for B test samples */
static int ocd_draws(StageEnv *env, Task *t, Pipeline *p, const Schedule *sch, const int64_t *idx, int B, int D,
                     uint64_t key, float *rho, float *om)
{
    const CondDims d = p->k.d;
    float *cin = malloc(sizeof(float) * (size_t)(B * D * d.din)), *cact = malloc(sizeof(float) * (size_t)(B * D * d.dact));
    float *cout = malloc(sizeof(float) * (size_t)(B * D * d.dout));
    uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)(B * D));
    int rc = task_cond(t, p->layer, SPLIT_TEST, idx, B, cin, cact, cout);
    if (rc == 0) {
        scalenet_predict(env->c, p->scale, cact, cin, B, rho);
        /* draw-major copies of the conditioning, so draw d of all samples is one block */
        for (int dd = D - 1; dd >= 0; dd--)
            for (int b = 0; b < B; b++) {
                const int at = dd * B + b;
                memmove(cin + (int64_t)at * d.din, cin + (int64_t)b * d.din, sizeof(float) * (size_t)d.din);
                memmove(cact + (int64_t)at * d.dact, cact + (int64_t)b * d.dact, sizeof(float) * (size_t)d.dact);
                memmove(cout + (int64_t)at * d.dout, cout + (int64_t)b * d.dout, sizeof(float) * (size_t)d.dout);
                ids[at] = (uint64_t)idx[b] * 64 + (uint64_t)dd;
            }
        SamplerOpts so = {.key = key, .ids = ids, .dropout = cfg_bool(env->cfg, "diffusion.sample_dropout")};
        rc = sampler_run(env->c, &p->w, sch, cin, cact, cout, B * D, &so, om);
    }
    free(cin);
    free(cact);
    free(cout);
    free(ids);
    return rc;
}

static int write_results(Eval *ev, const Pipeline *main, const Pipeline *alt, int ntest, double total_seconds,
                         double ocd_per_sample, double base_per_sample)
{
    StageEnv *env = ev->env;
    Status *st = env->st;
    char work[600];
    session_work_path(env->s, "eval", work, sizeof work);
    H5File *f = h5w_begin(work, NULL, st);
    if (!f) return -1;
    const TaskKind kind = ev->t->kind;
    const char *m1 = kind == TASK_CLASSIFICATION ? "ce" : "mse";
    const char *m2 = kind == TASK_CLASSIFICATION ? "accuracy" : kind == TASK_REGRESSION ? "rmse" : "psnr";
    const int R = ev->repeats;
    char list[1024] = "", grp[96], label[160];
    int rc = 0;
    double *v1 = malloc(sizeof(double) * (size_t)R), *v2 = malloc(sizeof(double) * (size_t)R);
    const char *lname = env->model->layers[main->layer].name;
    for (int m = 0; m < M_COUNT && rc == 0; m++) {
        if (!ev->have[m]) continue;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? "," : "", KEYS[m]);
        for (int r = 0; r < R; r++) {
            const Acc *a = acc_of(ev, (EvalMethod)m, r);
            const double mean_loss = a->n > 0 ? a->loss / a->n : NAN;
            v1[r] = mean_loss;
            v2[r] = kind == TASK_CLASSIFICATION ? (a->n > 0 ? a->hits / a->n : NAN)
                    : kind == TASK_REGRESSION   ? sqrt(mean_loss) * env->ds->y_std
                                                : -10.0 * log10(mean_loss);
        }
        double mu1, sd1, mu2, sd2;
        ocd_mean_sd(v1, R, &mu1, &sd1);
        ocd_mean_sd(v2, R, &mu2, &sd2);
        switch ((EvalMethod)m) {
        case M_BASE: snprintf(label, sizeof label, "base"); break;
        case M_OCD: snprintf(label, sizeof label, "OCD (%s)", lname); break;
        case M_ENS: snprintf(label, sizeof label, "OCD ensemble x%d", ev->E); break;
        case M_MEAN: snprintf(label, sizeof label, "OCD mean network x%d", ev->E); break;
        case M_NOSCALE: snprintf(label, sizeof label, "OCD no-scale (rho = training mean)"); break;
        case M_NN: snprintf(label, sizeof label, "OCD nearest neighbour"); break;
        case M_ALT: snprintf(label, sizeof label, "OCD alternative layer (%s)", env->model->layers[alt->layer].name); break;
        case M_OVF: snprintf(label, sizeof label, "overfit on test (%s)", lname); break;
        case M_OVF_ALL: snprintf(label, sizeof label, "overfit on test (all layers)"); break;
        case M_TENT1: snprintf(label, sizeof label, "Tent, 1 iteration (%s bias)", lname); break;
        case M_TENT10: snprintf(label, sizeof label, "Tent, 10 iterations (%s bias)", lname); break;
        case M_TENT30: snprintf(label, sizeof label, "Tent, 30 iterations (%s bias)", lname); break;
        case M_BASE_ENS: snprintf(label, sizeof label, "base ensemble x%d (averaged renders: the control)", ev->E); break;
        default: break;
        }
        snprintf(grp, sizeof grp, "eval/%s", KEYS[m]);
        char p[160];
        const int64_t nr = R;
        rc = rc ? rc : h5w_attr_str(f, grp, "label", label, st);
        rc = rc ? rc : (snprintf(p, sizeof p, "%s/%s", grp, m1), h5w_doubles(f, p, v1, 1, &nr, st));
        rc = rc ? rc : (snprintf(p, sizeof p, "%s/%s", grp, m2), h5w_doubles(f, p, v2, 1, &nr, st));
        char an[64];
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_mean", m1), h5w_attr_double(f, grp, an, mu1, st));
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_sd", m1), h5w_attr_double(f, grp, an, sd1, st));
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_mean", m2), h5w_attr_double(f, grp, an, mu2, st));
        rc = rc ? rc : (snprintf(an, sizeof an, "%s_sd", m2), h5w_attr_double(f, grp, an, sd2, st));
        rc = rc ? rc : h5w_attr_int(f, grp, "n", R, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "seconds", ev->seconds[m], st);
        const int det = kind != TASK_NERF && (m == M_BASE || m == M_NN || m == M_OVF || m == M_OVF_ALL || (m >= M_TENT1 && m <= M_TENT30));
        rc = rc ? rc : h5w_attr_int(f, grp, "deterministic", det, st);
    }
    rc = rc ? rc : h5w_attr_str(f, "eval", "methods", list, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "metrics", kind == TASK_CLASSIFICATION ? "ce,accuracy" : kind == TASK_REGRESSION ? "mse,rmse" : "mse,psnr", st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "units",
                                kind == TASK_CLASSIFICATION ? "ce: mean cross-entropy (nats); accuracy: fraction correct"
                                : kind == TASK_REGRESSION   ? "mse: of the standardised target; rmse: in the target's units"
                                                            : "mse: RGB in [0,1] over every pixel of the test views; psnr: -10 log10(mse)",
                                st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "test_samples", ntest, st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "repeats", R, st);
    rc = rc ? rc : h5w_attr_int(f, "eval", "ensemble", ev->E, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "layer", lname, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "alt_layer", alt->ok ? env->model->layers[alt->layer].name : "", st);
    rc = rc ? rc : h5w_attr_double(f, "eval", "seconds", total_seconds, st);
    rc = rc ? rc : h5w_attr_double(f, "eval", "ocd_seconds_per_sample", ocd_per_sample, st);
    rc = rc ? rc : h5w_attr_double(f, "eval", "base_seconds_per_sample", base_per_sample, st);
    rc = rc ? rc : h5w_attr_str(f, "eval", "device", env->c->be->name, st);
    free(v1);
    free(v2);
    if (rc) {
        h5w_abort(f);
        return -1;
    }
    if (h5w_commit(f, st)) return -1;
    return session_commit_stage(env->s, "eval", st);
}

int stage_eval(StageEnv *env)
{
    const Config *cfg = env->cfg;
    const double t_start = clock_now();
    Task t;
    task_init(&t, env);
    Eval ev = {.env = env, .t = &t, .K = env->ds->n_classes, .pf = task_pred_floats(&t)};
    ev.repeats = cfg_int(cfg, "eval.repeats");
    ev.E = cfg_int(cfg, "eval.ensemble");
    ev.acc = calloc((size_t)(M_COUNT * ev.repeats), sizeof(Acc));
    Pipeline main, alt;
    memset(&alt, 0, sizeof alt);
    Schedule *sch = malloc(sizeof *sch);
    int rc = pipeline_load(env, "", &main);
    rc = rc ? rc : diffusion_schedule(cfg, sch, env->st);
    if (rc == 0 && session_stage_complete(env->s, "alt")) {
        H5File *f = h5r_open(env->s->path, env->st);
        char skipped[16] = "";
        if (f) {
            h5r_attr_str(f, "alt", "skipped", skipped, sizeof skipped);
            h5r_close(f);
        }
        if (!skipped[0] || !strcmp(skipped, "no")) rc = pipeline_load(env, "alt/", &alt);
    }
    const int ntest_all = task_count(&t, SPLIT_TEST);
    const int ntest = cfg_int(cfg, "eval.test_limit") > 0 && cfg_int(cfg, "eval.test_limit") < ntest_all ? cfg_int(cfg, "eval.test_limit") : ntest_all;
    const int batch = t.kind == TASK_NERF ? 1 : cfg_int(cfg, "eval.batch");
    const int L = main.layer, E = ev.E, R = ev.repeats;
    const int64_t per = (int64_t)main.k.rows * main.k.cols, per_alt = alt.ok ? (int64_t)alt.k.rows * alt.k.cols : 0;
    const int64_t yf = t.kind == TASK_NERF ? t.P * 3 : 1, xfull = task_full_rays(&t);
    const OverfitCfg oc = collect_overfit_cfg(cfg, L);
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    /* nearest neighbours: input vectors of the collection (once) */
    const int din = input_dim(&t);
    float *train_in = NULL;
    if (rc == 0) {
        train_in = malloc(sizeof(float) * (size_t)main.k.n * din);
        input_vectors(&t, SPLIT_TRAIN, main.k.idx, main.k.n, train_in);
    }
    float *y = malloc(sizeof(float) * (size_t)(batch * yf)), *xdummy = malloc(sizeof(float) * (size_t)(batch * task_x_floats(&t, xfull)));
    float *pred = malloc(sizeof(float) * (size_t)(batch * ev.pf)), *preds = malloc(sizeof(float) * (size_t)(E * batch * ev.pf));
    float *rho = malloc(sizeof(float) * (size_t)batch), *rho_alt = malloc(sizeof(float) * (size_t)batch);
    float *om = malloc(sizeof(float) * (size_t)(E * batch * per)), *delta = malloc(sizeof(float) * (size_t)(batch * per));
    float *om_alt = alt.ok ? malloc(sizeof(float) * (size_t)(batch * per_alt)) : NULL;
    float *sc = malloc(sizeof(float) * (size_t)batch), *qin = malloc(sizeof(float) * (size_t)(batch * din));
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
    int *nn = malloc(sizeof(int) * (size_t)batch);
    double ocd_seconds = 0.0, base_seconds = 0.0;
    const int64_t total_work = (int64_t)R * ntest;
    bus_log(env->bus, "eval", "evaluating %d test samples x %d repeat(s): OCD on %s%s%s, ensembles of %d", ntest, R,
            env->model->layers[L].name, alt.ok ? ", alternative layer " : "", alt.ok ? env->model->layers[alt.layer].name : "", E);
    for (int r = 0; r < R && rc == 0; r++) {
        const int stochastic_all = t.kind == TASK_NERF || r == 0;
        for (int i0 = 0; i0 < ntest && rc == 0; i0 += batch) {
            const int B = ntest - i0 < batch ? ntest - i0 : batch;
            for (int b = 0; b < B; b++) idx[b] = i0 + b;
            task_fill(&t, SPLIT_TEST, idx, B, xfull, 0, xdummy, y);
            double t0 = clock_now();
            if (stochastic_all) { /* base */
                rc = task_predict(&t, -1, SPLIT_TEST, idx, B, NULL, NULL, pred);
                accumulate(&ev, M_BASE, r, pred, y, B);
                ev.seconds[M_BASE] += clock_now() - t0;
                if (r == 0) base_seconds += clock_now() - t0;
            }
            if (t.kind == TASK_NERF && rc == 0) { /* base ensemble: render 0 above and E-1 more */
                t0 = clock_now();
                memcpy(preds, pred, sizeof(float) * (size_t)(B * ev.pf));
                for (int d = 1; d < E && rc == 0; d++)
                    rc = task_predict(&t, -1, SPLIT_TEST, idx, B, NULL, NULL, preds + (int64_t)d * B * ev.pf);
                average_predictions(&ev, preds, E, B, pred);
                accumulate(&ev, M_BASE_ENS, r, pred, y, B);
                ev.seconds[M_BASE_ENS] += clock_now() - t0;
            }
            /* OCD: E draws of the selected layer's direction */
            t0 = clock_now();
            const uint64_t key = seed * 1000003u + (uint64_t)r * 7919u + 11u;
            rc = rc ? rc : ocd_draws(env, &t, &main, sch, idx, B, E, key, rho, om);
            rc = rc ? rc : task_predict(&t, L, SPLIT_TEST, idx, B, om, rho, preds);
            if (rc) break;
            accumulate(&ev, M_OCD, r, preds, y, B);
            ev.seconds[M_OCD] += clock_now() - t0;
            if (r == 0) ocd_seconds += clock_now() - t0; /* conditioning + rho + sampling of E draws + one prediction */
            t0 = clock_now();
            for (int d = 1; d < E && rc == 0; d++)
                rc = task_predict(&t, L, SPLIT_TEST, idx, B, om + (int64_t)d * B * per, rho, preds + (int64_t)d * B * ev.pf);
            average_predictions(&ev, preds, E, B, pred);
            accumulate(&ev, M_ENS, r, pred, y, B);
            ev.seconds[M_ENS] += clock_now() - t0;
            t0 = clock_now();
            for (int b = 0; b < B; b++)
                for (int64_t e = 0; e < per; e++) {
                    double s = 0.0;
                    for (int d = 0; d < E; d++) s += om[((int64_t)d * B + b) * per + e];
                    delta[b * per + e] = (float)(s / E);
                }
            rc = rc ? rc : task_predict(&t, L, SPLIT_TEST, idx, B, delta, rho, pred);
            accumulate(&ev, M_MEAN, r, pred, y, B);
            ev.seconds[M_MEAN] += clock_now() - t0;
            t0 = clock_now();
            for (int b = 0; b < B; b++) sc[b] = (float)main.rho_mean;
            rc = rc ? rc : task_predict(&t, L, SPLIT_TEST, idx, B, om, sc, pred);
            accumulate(&ev, M_NOSCALE, r, pred, y, B);
            ev.seconds[M_NOSCALE] += clock_now() - t0;
            if (alt.ok && rc == 0) {
                t0 = clock_now();
                rc = ocd_draws(env, &t, &alt, sch, idx, B, 1, key ^ 0xa17ull, rho_alt, om_alt);
                rc = rc ? rc : task_predict(&t, alt.layer, SPLIT_TEST, idx, B, om_alt, rho_alt, pred);
                accumulate(&ev, M_ALT, r, pred, y, B);
                ev.seconds[M_ALT] += clock_now() - t0;
            }
            if (stochastic_all && rc == 0) {
                /* nearest neighbour: the actual shift (direction x rho) of the nearest collected sample */
                t0 = clock_now();
                input_vectors(&t, SPLIT_TEST, idx, B, qin);
                for (int b = 0; b < B; b++) nn[b] = ocd_nearest(train_in, main.k.n, din, qin + (int64_t)b * din);
                rc = collect_directions(env, &t, &main.k, nn, B, delta);
                for (int b = 0; b < B; b++) sc[b] = (float)main.k.rho[nn[b]];
                rc = rc ? rc : task_predict(&t, L, SPLIT_TEST, idx, B, delta, sc, pred);
                accumulate(&ev, M_NN, r, pred, y, B);
                ev.seconds[M_NN] += clock_now() - t0;
                /* overfit on test: the selected layer, batched; then all layers, one at a time */
                t0 = clock_now();
                rc = rc ? rc : overfit_batch(&t, &oc, SPLIT_TEST, idx, B, seed * 31u + (uint64_t)r, delta, NULL, NULL);
                rc = rc ? rc : task_predict(&t, L, SPLIT_TEST, idx, B, delta, NULL, pred);
                accumulate(&ev, M_OVF, r, pred, y, B);
                ev.seconds[M_OVF] += clock_now() - t0;
                t0 = clock_now();
                for (int b = 0; b < B && rc == 0; b++)
                    rc = overfit_all_predict(&t, &oc, SPLIT_TEST, idx[b], seed * 37u + (uint64_t)r, pred + b * ev.pf);
                accumulate(&ev, M_OVF_ALL, r, pred, y, B);
                ev.seconds[M_OVF_ALL] += clock_now() - t0;
                if (t.kind == TASK_CLASSIFICATION && env->model->layers[L].bias && cfg_bool(cfg, "eval.tent")) {
                    const int iters[3] = {1, 10, 30};
                    for (int k = 0; k < 3 && rc == 0; k++) {
                        t0 = clock_now();
                        rc = tent_predict(&t, L, SPLIT_TEST, idx, B, iters[k], (float)cfg_float(cfg, "eval.tent_lr"), pred);
                        accumulate(&ev, (EvalMethod)(M_TENT1 + k), r, pred, y, B);
                        ev.seconds[M_TENT1 + k] += clock_now() - t0;
                    }
                }
            }
            bus_progress(env->bus, "eval", (int64_t)r * ntest + i0 + B, total_work, "ocd_loss",
                         acc_of(&ev, M_OCD, r)->loss / fmax(acc_of(&ev, M_OCD, r)->n, 1), "base_loss",
                         acc_of(&ev, M_BASE, 0)->loss / fmax(acc_of(&ev, M_BASE, 0)->n, 1));
            if (bus_stop_requested(env->bus))
                rc = status_fail(env->st, ERR_STATE, "eval: stopped (the evaluation starts again; earlier stages are kept)");
        }
        /* deterministic methods: repeat 0's sums stand for every repeat */
        if (r > 0 && t.kind != TASK_NERF)
            for (int m = 0; m < M_COUNT; m++)
                if (m == M_BASE || m == M_NN || m == M_OVF || m == M_OVF_ALL || (m >= M_TENT1 && m <= M_TENT30)) *acc_of(&ev, (EvalMethod)m, r) = *acc_of(&ev, (EvalMethod)m, 0);
        if (rc == 0) {
            const Acc *b0 = acc_of(&ev, M_BASE, r), *o0 = acc_of(&ev, M_OCD, r);
            bus_log(env->bus, "eval", "repeat %d/%d: base loss %.4f, OCD loss %.4f", r + 1, R, b0->loss / fmax(b0->n, 1),
                    o0->loss / fmax(o0->n, 1));
        }
    }
    if (rc == 0)
        rc = write_results(&ev, &main, &alt, ntest, clock_now() - t_start, ocd_seconds / fmax(ntest, 1), base_seconds / fmax(ntest, 1));
    if (rc == 0) bus_log(env->bus, "eval", "done in %.1f s; `ocd results %s` prints the table", clock_now() - t_start, env->s->dir);
    free(y);
    free(xdummy);
    free(pred);
    free(preds);
    free(rho);
    free(rho_alt);
    free(om);
    free(om_alt);
    free(delta);
    free(sc);
    free(qin);
    free(idx);
    free(nn);
    free(train_in);
    free(ev.acc);
    free(sch);
    pipeline_free(&main);
    if (alt.ok) pipeline_free(&alt);
    task_free(&t);
    return rc ? -1 : 0;
}
