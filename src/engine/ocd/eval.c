/* The eval stage (OCD-SPEC §2.6, §5): every method on the same test samples, one row each,
 * per-sample losses kept so that each method's difference to the base model gets a paired
 * bootstrap interval (eval_results.c, bootstrap.h).
 *
 * A method is one entry of METHODS: key, label, group, deterministic, the task kinds it
 * applies to, whether it is costly, why it may be skipped, and the function that makes its
 * predictions for a batch. The loop runs the table in order, so the table's order is the
 * order of the rows and of the computation. Rows that share work (OCD's draws serve the
 * ensemble, the mean network and no-scale; the base prediction serves the temperature and
 * predicted-label rows) make it once per batch through the Batch.
 *
 * Deterministic methods are computed in repeat 0 and copied to the others, except for NeRF,
 * whose renders are stochastic (jittered samples). A draw's noise is a function of (repeat,
 * sample, draw) (infer.h), so the table does not depend on eval.batch. Costly methods (the
 * generator's rows: E sampler runs per sample and repeat; overfit on all layers) run on the
 * first eval.costly_limit test samples and are compared with the base on those; the cheap
 * rows (base, temperature, overfit on test, Tent, nearest neighbour) take every test sample. The stage
 * is evaluated in batches and has no checkpoint (a killed run starts the evaluation again;
 * the trained stages before it are kept). */
#include "ocd/eval_internal.h"

#include "ocd/diffusion.h"
#include "ocd/temperature.h"
#include "ocd/tent.h"
#include "ocd/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one batch of test samples [idx[0], idx[0] + B) in one repeat, and what its rows share */
typedef struct {
    int r, B;
    const int64_t *idx;
    float *pred;       /* B x pf: the method's predictions */
    int have_base;     /* samples of `base` made (a costly row may ask for fewer) */
    int have_draws;    /* samples of `om`/`rho` made */
    int have_ocd;      /* samples of draw 0's prediction in `preds` */
    float *base;       /* B x pf: the base model's prediction */
    float *preds;      /* E x B x pf: one prediction per draw (draw d at d * B * pf) */
    float *om, *rho;   /* E x B x per draws of Omega_0 (draw-major), B predicted rho */
    float *om_alt, *rho_alt;
    float *delta, *sc, *qin, *labels;
    int *nn;
} Batch;

typedef int (*RunFn)(Eval *ev, Batch *b, int arg);

typedef struct {
    EvalMethodInfo info;
    int arg;                            /* the run function's argument (Tent's iterations) */
    const char *(*skip)(const Eval *ev); /* NULL when the method runs; otherwise why not */
    RunFn run;
} MethodRow;

static int layer_of(const Eval *ev) { return ev->main.layer; }

static int predict(Eval *ev, Batch *b, int layer, const float *delta, const float *scale, float *out)
{
    return task_predict(ev->t, layer, SPLIT_TEST, b->idx, b->B, delta, scale, out);
}

/* ---- what rows share ---- */

static int need_base(Eval *ev, Batch *b)
{
    if (b->have_base >= b->B) return 0;
    b->have_base = b->B;
    return predict(ev, b, -1, NULL, NULL, b->base);
}

/* E draws of the selected layer's direction and the predicted rho */
static int need_draws(Eval *ev, Batch *b)
{
    if (b->have_draws >= b->B) return 0;
    b->have_draws = b->B;
    return infer_draws(ev->env, ev->t, &ev->main, ev->sch, b->idx, b->B, 0, ev->E, infer_key(ev->seed, b->r), NULL,
                       NULL, b->rho, b->om);
}

/* OCD's prediction with draw 0, into preds' first block */
static int need_ocd(Eval *ev, Batch *b)
{
    if (b->have_ocd >= b->B) return 0;
    b->have_ocd = b->B;
    const int rc = need_draws(ev, b);
    return rc ? rc : predict(ev, b, layer_of(ev), b->om, b->rho, b->preds);
}

/* ensembles average: probabilities for classification (out = log of the mean softmax),
 * the predictions themselves otherwise. preds: D blocks of B predictions */
static void average_predictions(const Eval *ev, const float *preds, int D, int B, float *out)
{
    const int64_t pf = ev->pf, stride = (int64_t)B * pf;
    for (int b = 0; b < B; b++) {
        if (ev->t->kind != TASK_CLASSIFICATION) {
            for (int64_t k = 0; k < pf; k++) {
                double s = 0.0;
                for (int d = 0; d < D; d++) s += preds[d * stride + b * pf + k];
                out[b * pf + k] = (float)(s / D);
            }
            continue;
        }
        double prob[1024] = {0};
        for (int d = 0; d < D; d++) {
            const float *p = preds + d * stride + b * pf;
            double mx = p[0], s = 0.0;
            for (int k = 1; k < ev->K; k++) mx = fmax(mx, p[k]);
            for (int k = 0; k < ev->K; k++) s += exp((double)p[k] - mx);
            for (int k = 0; k < ev->K; k++) prob[k] += exp((double)p[k] - mx) / s / D;
        }
        for (int k = 0; k < ev->K; k++) out[b * pf + k] = (float)log(fmax(prob[k], 1e-30));
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

/* ---- the methods ---- */

static int run_base(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = need_base(ev, b);
    memcpy(b->pred, b->base, sizeof(float) * (size_t)(b->B * ev->pf));
    return rc;
}

/* NeRF: render 0 (the base row's) and E-1 more, averaged */
static int run_base_ensemble(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    int rc = need_base(ev, b);
    memcpy(b->preds, b->base, sizeof(float) * (size_t)(b->B * ev->pf));
    for (int d = 1; d < ev->E && rc == 0; d++) rc = predict(ev, b, -1, NULL, NULL, b->preds + (int64_t)d * b->B * ev->pf);
    average_predictions(ev, b->preds, ev->E, b->B, b->pred);
    return rc;
}

static int run_base_temperature(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = need_base(ev, b);
    for (int64_t k = 0; k < b->B * ev->pf; k++) b->pred[k] = (float)(b->base[k] / ev->T);
    return rc;
}

/* conditioning + rho + sampling of E draws + one prediction (its time is OCD's inference) */
static int run_ocd(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = need_ocd(ev, b);
    memcpy(b->pred, b->preds, sizeof(float) * (size_t)(b->B * ev->pf));
    return rc;
}

static int run_ocd_ensemble(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int64_t per = (int64_t)ev->main.k.rows * ev->main.k.cols;
    int rc = need_ocd(ev, b);
    for (int d = 1; d < ev->E && rc == 0; d++)
        rc = predict(ev, b, layer_of(ev), b->om + (int64_t)d * b->B * per, b->rho, b->preds + (int64_t)d * b->B * ev->pf);
    average_predictions(ev, b->preds, ev->E, b->B, b->pred);
    return rc;
}

static int run_ocd_mean_network(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int64_t per = (int64_t)ev->main.k.rows * ev->main.k.cols;
    const int rc = need_draws(ev, b);
    if (rc) return rc;
    for (int i = 0; i < b->B; i++)
        for (int64_t e = 0; e < per; e++) {
            double s = 0.0;
            for (int d = 0; d < ev->E; d++) s += b->om[((int64_t)d * b->B + i) * per + e];
            b->delta[i * per + e] = (float)(s / ev->E);
        }
    return predict(ev, b, layer_of(ev), b->delta, b->rho, b->pred);
}

static int run_ocd_noscale(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = need_draws(ev, b);
    for (int i = 0; i < b->B; i++) b->sc[i] = (float)ev->main.rho_mean;
    return rc ? rc : predict(ev, b, layer_of(ev), b->om, b->sc, b->pred);
}

/* the actual shift (direction x rho) of the nearest collected training sample */
static int run_ocd_nearest(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    input_vectors(ev->t, SPLIT_TEST, b->idx, b->B, b->qin);
    for (int i = 0; i < b->B; i++)
        b->nn[i] = ocd_nearest(ev->train_in, ev->main.k.n, ev->din, b->qin + (int64_t)i * ev->din);
    const int rc = collect_directions(ev->env, ev->t, &ev->main.k, b->nn, b->B, b->delta);
    for (int i = 0; i < b->B; i++) b->sc[i] = (float)ev->main.k.rho[b->nn[i]];
    return rc ? rc : predict(ev, b, layer_of(ev), b->delta, b->sc, b->pred);
}

static int run_ocd_alt(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = infer_draws(ev->env, ev->t, &ev->alt, ev->sch, b->idx, b->B, 0, 1, infer_key(ev->seed, b->r) ^ 0xa17ull,
                               NULL, NULL, b->rho_alt, b->om_alt);
    return rc ? rc : predict(ev, b, ev->alt.layer, b->om_alt, b->rho_alt, b->pred);
}

/* the overfit stage's fit of the selected layer on each test sample, toward its label
 * (labels NULL) or toward the base model's argmax */
static int overfit_and_predict(Eval *ev, Batch *b, const float *labels)
{
    const int rc = overfit_batch_to(ev->t, &ev->oc, SPLIT_TEST, b->idx, b->B, labels, infer_overfit_key(ev->seed, b->r),
                                    b->delta, NULL, NULL);
    return rc ? rc : predict(ev, b, layer_of(ev), b->delta, NULL, b->pred);
}

static int run_overfit_predicted(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    const int rc = need_base(ev, b);
    if (rc) return rc;
    for (int i = 0; i < b->B; i++) {
        const float *p = b->base + i * ev->pf;
        int best = 0;
        for (int k = 1; k < ev->K; k++)
            if (p[k] > p[best]) best = k;
        b->labels[i] = (float)best;
    }
    return overfit_and_predict(ev, b, b->labels);
}

static int run_overfit(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    return overfit_and_predict(ev, b, NULL);
}

/* every parameter, one sample at a time */
static int run_overfit_all(Eval *ev, Batch *b, int arg)
{
    (void)arg;
    int rc = 0;
    for (int i = 0; i < b->B && rc == 0; i++)
        rc = overfit_all_predict(ev->t, &ev->oc, SPLIT_TEST, b->idx[i], infer_overfit_all_key(ev->seed, b->r), b->pred + i * ev->pf);
    return rc;
}

static int run_tent(Eval *ev, Batch *b, int iters)
{
    return tent_predict(ev->t, layer_of(ev), SPLIT_TEST, b->idx, b->B, iters,
                        (float)cfg_float(ev->env->cfg, "eval.tent_lr"), b->pred);
}

/* ---- why a method that applies to the task is not run ---- */

static const char *skip_temperature(const Eval *ev)
{
    return ev->val_n > 0 ? NULL
                         : "no validation split to fit T on (data.val_count = 0; T is never fitted on test samples)";
}

static const char *skip_alt(const Eval *ev)
{
    return ev->alt.ok ? NULL : "no alternative layer (alt.enabled = false, or the alt stage found no runner-up)";
}

static const char *skip_tent(const Eval *ev)
{
    if (!cfg_bool(ev->env->cfg, "eval.tent")) return "eval.tent = false";
    return ev->env->model->layers[layer_of(ev)].bias ? NULL : "the selected layer has no bias for Tent to adapt";
}

/* ---- the table: one entry per method, in the order of the rows ---- */

#define CLS EVAL_TASK(TASK_CLASSIFICATION)
#define NERF EVAL_TASK(TASK_NERF)
#define ALL EVAL_TASKS_ALL
static const MethodRow METHODS[] = {
    {{"base", "base", EVAL_GROUP_BASE, 1, ALL, 0}, 0, NULL, run_base},
    {{"base_ensemble", "base ensemble x{E} (averaged renders: the control)", EVAL_GROUP_BASE, 0, NERF, 0}, 0, NULL,
     run_base_ensemble},
    {{"base_temperature", "temperature-scaled base (T = {T}, fitted on {V} validation samples)", EVAL_GROUP_BASE, 1, CLS, 0},
     0, skip_temperature, run_base_temperature},
    {{"ocd", "OCD ({layer})", EVAL_GROUP_OCD, 0, ALL, 1}, 0, NULL, run_ocd},
    {{"ocd_ensemble", "OCD ensemble x{E}", EVAL_GROUP_OCD, 0, ALL, 1}, 0, NULL, run_ocd_ensemble},
    {{"ocd_mean_network", "OCD mean network x{E}", EVAL_GROUP_OCD, 0, ALL, 1}, 0, NULL, run_ocd_mean_network},
    {{"ocd_noscale", "OCD no-scale (rho = training mean)", EVAL_GROUP_OCD, 0, ALL, 1}, 0, NULL, run_ocd_noscale},
    {{"ocd_nearest_neighbour", "OCD nearest neighbour", EVAL_GROUP_OCD, 1, ALL, 0}, 0, NULL, run_ocd_nearest},
    {{"ocd_alternative_layer", "OCD alternative layer ({alt})", EVAL_GROUP_OCD, 0, ALL, 1}, 0, skip_alt, run_ocd_alt},
    {{"overfit_test_predicted", "overfit on test, predicted label ({layer}; what a perfect label-free generator reaches)",
      EVAL_GROUP_CEILING, 1, CLS, 0},
     0, NULL, run_overfit_predicted},
    {{"overfit_test", "overfit on test ({layer})", EVAL_GROUP_BOUND, 1, ALL, 0}, 0, NULL, run_overfit},
    {{"overfit_test_all_layers", "overfit on test (all layers)", EVAL_GROUP_BOUND, 1, ALL, 1}, 0, NULL, run_overfit_all},
    {{"tent_1", "Tent, 1 iteration ({layer} bias)", EVAL_GROUP_TENT, 1, CLS, 0}, 1, skip_tent, run_tent},
    {{"tent_10", "Tent, 10 iterations ({layer} bias)", EVAL_GROUP_TENT, 1, CLS, 0}, 10, skip_tent, run_tent},
    {{"tent_30", "Tent, 30 iterations ({layer} bias)", EVAL_GROUP_TENT, 1, CLS, 0}, 30, skip_tent, run_tent},
};
#undef CLS
#undef NERF
#undef ALL
enum { NMETHODS = (int)(sizeof METHODS / sizeof METHODS[0]) };
_Static_assert((int)NMETHODS <= (int)EVAL_MAX_METHODS, "raise EVAL_MAX_METHODS");

int eval_method_count(void) { return NMETHODS; }
const EvalMethodInfo *eval_method_at(int i) { return i >= 0 && i < NMETHODS ? &METHODS[i].info : NULL; }

static int row_index(const char *key)
{
    for (int i = 0; i < NMETHODS; i++)
        if (!strcmp(METHODS[i].info.key, key)) return i;
    return -1;
}

const EvalMethodInfo *eval_method_find(const char *key)
{
    const int i = row_index(key);
    return i >= 0 ? &METHODS[i].info : NULL;
}

static const EvalMetricInfo METRICS[] = {
    {"ce", 0, EVAL_FROM_LOSS, BOOT_MEAN, 0},
    {"accuracy", 1, EVAL_FROM_CORRECT, BOOT_MEAN, 0},
    {"mse", 0, EVAL_FROM_LOSS, BOOT_MEAN, 0},
    {"rmse", 0, EVAL_FROM_LOSS, BOOT_SQRT, 1},
    {"psnr", 1, EVAL_FROM_LOSS, BOOT_NEG_LOG10, 0},
};

const EvalMetricInfo *eval_metric_find(const char *name)
{
    for (size_t i = 0; i < sizeof METRICS / sizeof METRICS[0]; i++)
        if (!strcmp(METRICS[i].name, name)) return &METRICS[i];
    return NULL;
}

void eval_task_metrics(TaskKind kind, const EvalMetricInfo *out[2])
{
    out[0] = eval_metric_find(kind == TASK_CLASSIFICATION ? "ce" : "mse");
    out[1] = eval_metric_find(kind == TASK_CLASSIFICATION ? "accuracy" : kind == TASK_REGRESSION ? "rmse" : "psnr");
}

/* ---- the stage ---- */

/* T of the temperature-scaled base: the base model's logits on the validation split */
static int fit_temperature(Eval *ev)
{
    Task *t = ev->t;
    ev->val_n = t->kind == TASK_CLASSIFICATION ? task_count(t, SPLIT_VAL) : 0;
    ev->T = 1.0;
    if (ev->val_n == 0) return 0;
    const int n = ev->val_n, B = 256;
    float *z = malloc(sizeof(float) * (size_t)n * (size_t)ev->pf), *y = malloc(sizeof(float) * (size_t)n);
    float *x = malloc(sizeof(float) * (size_t)B * (size_t)task_x_floats(t, 1));
    int64_t idx[256];
    int rc = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += B) {
        const int b = n - i0 < B ? n - i0 : B;
        for (int j = 0; j < b; j++) idx[j] = i0 + j;
        task_fill(t, SPLIT_VAL, idx, b, 1, 0, x, y + i0);
        rc = task_predict(t, -1, SPLIT_VAL, idx, b, NULL, NULL, z + (int64_t)i0 * ev->pf);
    }
    if (rc == 0) ev->T = temperature_fit(z, y, n, ev->K);
    free(z);
    free(y);
    free(x);
    return rc;
}

static int load_pipelines(Eval *ev)
{
    StageEnv *env = ev->env;
    if (infer_pipeline_load(env, "", &ev->main)) return -1;
    if (!session_stage_complete(env->s, "alt")) return 0;
    H5File *f = h5r_open(env->s->path, env->st);
    char skipped[16] = "";
    if (f) {
        h5r_attr_str(f, "alt", "skipped", skipped, sizeof skipped);
        h5r_close(f);
    }
    return !skipped[0] || !strcmp(skipped, "no") ? infer_pipeline_load(env, "alt/", &ev->alt) : 0;
}

/* which rows run, on how many samples, with their per-sample arrays */
static void plan_methods(Eval *ev)
{
    const int costly = cfg_int(ev->env->cfg, "eval.costly_limit");
    for (int m = 0; m < NMETHODS; m++) {
        const MethodRow *row = &METHODS[m];
        if (!(row->info.tasks & EVAL_TASK(ev->t->kind))) continue;
        ev->skip[m] = row->skip ? row->skip(ev) : NULL;
        if (ev->skip[m]) continue;
        ev->active[m] = 1;
        ev->n[m] = row->info.costly && costly > 0 && costly < ev->ntest ? costly : ev->ntest;
        ev->loss[m] = calloc((size_t)ev->R * (size_t)ev->n[m], sizeof(double));
        ev->correct[m] = calloc((size_t)ev->R * (size_t)ev->n[m], sizeof(double));
    }
}

int stage_eval(StageEnv *env)
{
    const Config *cfg = env->cfg;
    const double t_start = clock_now();
    Task t;
    task_init(&t, env);
    Eval ev = {.env = env, .t = &t, .K = env->ds->n_classes, .pf = task_pred_floats(&t)};
    ev.R = cfg_int(cfg, "eval.repeats");
    ev.E = cfg_int(cfg, "eval.ensemble");
    ev.seed = (uint64_t)cfg_int(cfg, "run.seed");
    ev.sch = malloc(sizeof *ev.sch);
    const int ntest_all = task_count(&t, SPLIT_TEST), limit = cfg_int(cfg, "eval.test_limit");
    ev.ntest = limit > 0 && limit < ntest_all ? limit : ntest_all;
    int rc = load_pipelines(&ev);
    rc = rc ? rc : diffusion_schedule(cfg, ev.sch, env->st);
    const int L = ev.main.layer, E = ev.E, R = ev.R, ntest = ev.ntest;
    const double t_temp = clock_now();
    rc = rc ? rc : fit_temperature(&ev);
    const double temp_seconds = clock_now() - t_temp;
    if (rc == 0) {
        ev.oc = collect_overfit_cfg(cfg, L);
        ev.din = input_dim(&t);
        ev.train_in = malloc(sizeof(float) * (size_t)ev.main.k.n * (size_t)ev.din);
        input_vectors(&t, SPLIT_TRAIN, ev.main.k.idx, ev.main.k.n, ev.train_in);
        plan_methods(&ev);
    }
    const int i_base = row_index("base"), i_ocd = row_index("ocd"), i_temp = row_index("base_temperature");
    const int batch = t.kind == TASK_NERF ? 1 : cfg_int(cfg, "eval.batch");
    const int64_t per = (int64_t)ev.main.k.rows * ev.main.k.cols, per_alt = ev.alt.ok ? (int64_t)ev.alt.k.rows * ev.alt.k.cols : 1;
    const int64_t yf = t.kind == TASK_NERF ? t.P * 3 : 1, xfull = task_full_rays(&t), pf = ev.pf;
    float *y = malloc(sizeof(float) * (size_t)(batch * yf)), *xdummy = malloc(sizeof(float) * (size_t)(batch * task_x_floats(&t, xfull)));
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
    Batch bt = {
        .idx = idx,
        .pred = malloc(sizeof(float) * (size_t)(batch * pf)),
        .base = malloc(sizeof(float) * (size_t)(batch * pf)),
        .preds = malloc(sizeof(float) * (size_t)(E * batch * pf)),
        .om = malloc(sizeof(float) * (size_t)(E * batch * per)),
        .rho = malloc(sizeof(float) * (size_t)batch),
        .om_alt = malloc(sizeof(float) * (size_t)(batch * per_alt)),
        .rho_alt = malloc(sizeof(float) * (size_t)batch),
        .delta = malloc(sizeof(float) * (size_t)(batch * per)),
        .sc = malloc(sizeof(float) * (size_t)batch),
        .qin = malloc(sizeof(float) * (size_t)(batch * (ev.din > 0 ? ev.din : 1))),
        .labels = malloc(sizeof(float) * (size_t)batch),
        .nn = malloc(sizeof(int) * (size_t)batch),
    };
    if (ev.active[i_temp]) ev.seconds[i_temp] = ev.seconds_r0[i_temp] = temp_seconds; /* fitting T is part of its row */
    if (rc == 0)
        bus_log(env->bus, "eval", "evaluating %d test samples x %d repeat(s): OCD on %s%s%s, ensembles of %d", ntest, R,
                env->model->layers[L].name, ev.alt.ok ? ", alternative layer " : "",
                ev.alt.ok ? env->model->layers[ev.alt.layer].name : "", E);
    /* repeats after the first run only the sampled rows, on their samples */
    int n_sampled = 0;
    for (int m = 0; m < NMETHODS; m++)
        if (ev.active[m] && (!METHODS[m].info.deterministic || t.kind == TASK_NERF) && ev.n[m] > n_sampled) n_sampled = ev.n[m];
    const int64_t work = ntest + (int64_t)(R - 1) * n_sampled;
    const int n_ocd = ev.active[i_ocd] ? ev.n[i_ocd] : 0;
    for (int r = 0; r < R && rc == 0; r++) {
        double sum_ocd = 0.0, sum_base = 0.0;
        const int nr = r == 0 ? ntest : n_sampled;
        for (int i0 = 0; i0 < nr && rc == 0; i0 += batch) {
            const int B = nr - i0 < batch ? nr - i0 : batch;
            for (int b = 0; b < B; b++) idx[b] = i0 + b;
            task_fill(&t, SPLIT_TEST, idx, B, xfull, 0, xdummy, y);
            bt.r = r;
            bt.have_base = bt.have_draws = bt.have_ocd = 0;
            for (int m = 0; m < NMETHODS && rc == 0; m++) {
                const MethodRow *row = &METHODS[m];
                if (!ev.active[m] || (row->info.deterministic && t.kind != TASK_NERF && r > 0)) continue;
                bt.B = ev.n[m] - i0 < B ? ev.n[m] - i0 : B;
                if (bt.B <= 0) continue;
                const double t0 = clock_now();
                rc = row->run(&ev, &bt, row->arg);
                const double dt = clock_now() - t0;
                ev.seconds[m] += dt;
                if (r == 0) ev.seconds_r0[m] += dt;
                for (int b = 0; b < bt.B && rc == 0; b++) {
                    int ok = 0;
                    const int64_t at = (int64_t)r * ev.n[m] + i0 + b;
                    ev.loss[m][at] = infer_loss(&t, bt.pred + b * pf, y + b * yf, &ok);
                    ev.correct[m][at] = ok;
                    if (m == i_ocd) sum_ocd += ev.loss[m][at];
                }
            }
            for (int b = 0; b < B; b++) sum_base += ev.loss[i_base][(int64_t)(t.kind == TASK_NERF ? r : 0) * ntest + i0 + b];
            bt.B = B;
            const int64_t done = r == 0 ? i0 + B : ntest + (int64_t)(r - 1) * n_sampled + i0 + B;
            const int ocd_seen = i0 + B < n_ocd ? i0 + B : n_ocd;
            bus_progress(env->bus, "eval", done, work, "ocd_loss", sum_ocd / fmax(ocd_seen, 1), "base_loss", sum_base / (i0 + B));
            if (rc == 0 && bus_stop_requested(env->bus))
                rc = status_fail(env->st, ERR_STATE, "eval: stopped (the evaluation starts again; earlier stages are kept)");
        }
        /* deterministic methods: repeat 0's values stand for every repeat */
        if (r > 0 && t.kind != TASK_NERF)
            for (int m = 0; m < NMETHODS; m++)
                if (ev.active[m] && METHODS[m].info.deterministic) {
                    memcpy(ev.loss[m] + (int64_t)r * ev.n[m], ev.loss[m], sizeof(double) * (size_t)ev.n[m]);
                    memcpy(ev.correct[m] + (int64_t)r * ev.n[m], ev.correct[m], sizeof(double) * (size_t)ev.n[m]);
                }
        if (rc == 0)
            bus_log(env->bus, "eval", "repeat %d/%d: base loss %.4f on %d samples, OCD loss %.4f on %d", r + 1, R,
                    sum_base / fmax(nr, 1), nr, sum_ocd / fmax(n_ocd, 1), n_ocd);
    }
    if (rc == 0) rc = eval_write_results(&ev, clock_now() - t_start);
    if (rc == 0) bus_log(env->bus, "eval", "done in %.1f s; `ocd results %s` prints the table", clock_now() - t_start, env->s->dir);
    free(y);
    free(xdummy);
    free(idx);
    free(bt.pred);
    free(bt.base);
    free(bt.preds);
    free(bt.om);
    free(bt.rho);
    free(bt.om_alt);
    free(bt.rho_alt);
    free(bt.delta);
    free(bt.sc);
    free(bt.qin);
    free(bt.labels);
    free(bt.nn);
    for (int m = 0; m < NMETHODS; m++) {
        free(ev.loss[m]);
        free(ev.correct[m]);
    }
    free(ev.train_in);
    free(ev.sch);
    infer_pipeline_free(&ev.main);
    infer_pipeline_free(&ev.alt);
    task_free(&t);
    return rc ? -1 : 0;
}
