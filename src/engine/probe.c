/* See probe.h. A probe is a StageEnv over a session opened read-only, with the trained
 * pipeline of the selected layer loaded, drawn from and scored through the same code as the
 * eval stage's (ocd/infer.h), so that what it shows (a draw, a loss, a render) is what the
 * eval stage computed for the same sample and draw. */
#include "probe.h"

#include "core/ctx.h"
#include "h5io.h"
#include "ocd/collect.h"
#include "ocd/diffusion.h"
#include "ocd/fit.h"
#include "ocd/infer.h"
#include "ocd/overfit.h"
#include "ocd/stage.h"
#include "ocd/task.h"
#include "session.h"
#include "setup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct Probe {
    Session s;
    Dataset ds;
    Ctx *c;
    Model *model;
    Status st; /* the env's status; copied to the caller's on failure */
    StageEnv env;
    Task t;
    int have_task;
    /* the selected layer's pipeline (pl.ok: loaded) */
    OcdPipeline pl;
    Schedule sch;
    uint64_t rng0; /* the RNG counter eval started from: renders jitter from here */
};

static int fail_copy(Probe *p, Status *st)
{
    if (st && st != &p->st) *st = p->st;
    return -1;
}

Probe *probe_open(const char *dir, const char *asset_dir, int threads, Status *st)
{
    return probe_open_on(dir, asset_dir, threads, NULL, st);
}

Probe *probe_open_on(const char *dir, const char *asset_dir, int threads, const char *device, Status *st)
{
    Probe *p = calloc(1, sizeof *p);
    if (!p) {
        status_fail(st, ERR_IO, "probe: out of memory");
        return NULL;
    }
    status_clear(&p->st);
    if (session_load(dir, &p->s, st)) {
        free(p);
        return NULL;
    }
    const Config *cfg = &p->s.cfg;
    if (!session_stage_complete(&p->s, "base")) {
        status_fail(st, ERR_STATE, "%s: the base stage is not complete; nothing to probe yet", dir);
        goto fail;
    }
    const char *want = device ? device : cfg_str(cfg, "run.device");
    if (!device && !strcmp(want, "cuda")) want = "auto"; /* the GPU when there is one, else the CPU */
    const Backend *be = engine_pick_device_named(want, NULL, st);
    if (!be) goto fail;
    p->c = ctx_create(be, threads > 0 ? threads : cfg_int(cfg, "run.threads"), (uint64_t)cfg_int(cfg, "run.seed"));
    if (!p->c) {
        status_fail(st, ERR_DEVICE, "probe: could not start the %s backend", be->name);
        goto fail;
    }
    if (engine_load_data(cfg, asset_dir, &p->ds, st)) goto fail;
    p->model = engine_make_model(p->c, cfg, &p->ds, st);
    if (!p->model) goto fail;
    p->env = (StageEnv){.c = p->c, .cfg = cfg, .s = &p->s, .bus = NULL, .ds = &p->ds, .model = p->model, .st = &p->st};
    if (stage_base_load(&p->env)) {
        *st = p->st;
        goto fail;
    }
    task_init(&p->t, &p->env);
    p->have_task = 1;
    /* renders draw their jitter from the counter eval started at (where alt ended) */
    H5File *f = h5r_open(p->s.path, st);
    if (!f) goto fail;
    int64_t off = 0;
    if (h5r_attr_int(f, "alt", "rng_offset_end", &off) && off >= 0) p->rng0 = (uint64_t)off;
    h5r_close(f);
    if (session_stage_complete(&p->s, "overfit") && session_stage_complete(&p->s, "diffusion") &&
        session_stage_complete(&p->s, "scale")) {
        if (infer_pipeline_load(&p->env, "", &p->pl) || diffusion_schedule(cfg, &p->sch, &p->st)) {
            *st = p->st;
            goto fail;
        }
    }
    return p;
fail:
    probe_close(p);
    return NULL;
}

void probe_close(Probe *p)
{
    if (!p) return;
    infer_pipeline_free(&p->pl);
    if (p->have_task) task_free(&p->t);
    if (p->model) model_destroy(p->model);
    dataset_free(&p->ds);
    ctx_destroy(p->c);
    session_end(&p->s);
    free(p);
}

int probe_task(const Probe *p) { return (int)p->t.kind; }
int probe_test_count(const Probe *p) { return task_count(&p->t, SPLIT_TEST); }
int probe_classes(const Probe *p) { return p->t.kind == TASK_CLASSIFICATION ? p->ds.n_classes : 0; }
int64_t probe_pred_floats(const Probe *p) { return task_pred_floats(&p->t); }
int probe_sample_steps(const Probe *p) { return p->pl.ok ? p->sch.nsteps : 0; }

void probe_layer(const Probe *p, int *rows, int *cols, const char **name)
{
    if (rows) *rows = p->pl.ok ? p->pl.k.rows : 0;
    if (cols) *cols = p->pl.ok ? p->pl.k.cols : 0;
    if (name) *name = p->pl.ok ? p->model->layers[p->pl.layer].name : "";
}

int probe_layers(const Probe *p, const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < p->model->nlayers && n < max; i++) names[n++] = p->model->layers[i].name;
    return n;
}

static void test_xy(Probe *p, int index, float **x, float **y)
{
    const int64_t R = task_full_rays(&p->t), idx = index;
    *x = malloc(sizeof(float) * (size_t)task_x_floats(&p->t, R));
    *y = malloc(sizeof(float) * (size_t)task_y_floats(&p->t, R));
    task_fill(&p->t, SPLIT_TEST, &idx, 1, R, 0, *x, *y);
}

double probe_test_target(const Probe *p, int i)
{
    if (p->t.kind == TASK_NERF || i < 0 || i >= probe_test_count(p)) return NAN;
    const double y = p->ds.test.y[i];
    return p->t.kind == TASK_REGRESSION ? y * p->ds.y_std + p->ds.y_mean : y;
}

/* the eval stage's per-sample loss of one prediction */
static double loss_of(const Probe *p, const float *pred, const float *y) { return infer_loss(&p->t, pred, y, NULL); }

static int need_ocd(Probe *p, Status *st)
{
    if (p->pl.ok) return 0;
    return status_fail(st, ERR_STATE, "%s: the overfit, diffusion and scale stages must be complete for this", p->s.dir);
}

static int check_index(Probe *p, int index, Status *st)
{
    if (index >= 0 && index < probe_test_count(p)) return 0;
    return status_fail(st, ERR_CONFIG, "test sample %d: the test split has %d samples (0..%d)", index, probe_test_count(p),
                       probe_test_count(p) - 1);
}

/* conditioning and predicted rho of test samples idx[0..B) */
static int cond_rho(Probe *p, const int64_t *idx, int B, float *cin, float *cact, float *cout, float *rho)
{
    if (task_cond(&p->t, p->pl.layer, SPLIT_TEST, idx, B, cin, cact, cout)) return -1;
    scalenet_predict(p->c, p->pl.scale, cact, cin, B, rho);
    return 0;
}

int probe_rho_test(Probe *p, int n, double *rho, Status *st)
{
    status_clear(&p->st);
    if (need_ocd(p, st)) return -1;
    if (n > probe_test_count(p)) n = probe_test_count(p);
    const CondDims d = p->pl.k.d;
    const int B = p->t.kind == TASK_NERF ? 1 : 64;
    float *cin = malloc(sizeof(float) * (size_t)(B * d.din)), *cact = malloc(sizeof(float) * (size_t)(B * d.dact));
    float *cout = malloc(sizeof(float) * (size_t)(B * d.dout)), *r = malloc(sizeof(float) * (size_t)B);
    int64_t idx[64];
    int rc = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += B) {
        const int b = n - i0 < B ? n - i0 : B;
        for (int j = 0; j < b; j++) idx[j] = i0 + j;
        rc = cond_rho(p, idx, b, cin, cact, cout, r);
        for (int j = 0; j < b && rc == 0; j++) rho[i0 + j] = r[j];
    }
    free(cin);
    free(cact);
    free(cout);
    free(r);
    return rc ? fail_copy(p, st) : 0;
}

int probe_base_predict(Probe *p, int i, float *pred, Status *st)
{
    status_clear(&p->st);
    if (check_index(p, i, st)) return -1;
    const int64_t idx = i;
    p->c->rng_offset = p->rng0;
    return task_predict(&p->t, -1, SPLIT_TEST, &idx, 1, NULL, NULL, pred) ? fail_copy(p, st) : 0;
}


/* the sampler's schedule: the session's, or ancestral DDPM over every training timestep; the
 * caller frees it (it is large: SCHED_MAX_T entries) */
static Schedule *schedule_for(const Probe *p, int ancestral, Status *st)
{
    Schedule *sch = malloc(sizeof *sch);
    *sch = p->sch;
    if (ancestral && schedule_ancestral(sch)) {
        free(sch);
        status_fail(st, ERR_CONFIG, "the ancestral sampler needs T <= %d", SCHED_MAX_STEPS);
        return NULL;
    }
    return sch;
}

/* draw `draw` of Omega_0 (B x rows x cols) for test samples idx[0..B) with repeat 0's key,
 * as the eval stage draws it (a draw does not depend on the batch it is drawn in), and the
 * scale model's rho; the hook (may be NULL) sees every step */
static int draw_omega(Probe *p, const int64_t *idx, int B, int draw, const Schedule *sch, SamplerHook hook, void *user,
                      float *om, float *rho)
{
    return infer_draws(&p->env, &p->t, &p->pl, sch, idx, B, draw, 1, infer_key((uint64_t)cfg_int(&p->s.cfg, "run.seed"), 0),
                       hook, user, rho, om);
}

int probe_ocd_predict(Probe *p, int first, int B, float *pred, Status *st)
{
    status_clear(&p->st);
    if (need_ocd(p, st) || check_index(p, first, st) || check_index(p, first + B - 1, st)) return -1;
    const int64_t n = (int64_t)p->pl.k.rows * p->pl.k.cols;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)B);
    float *om = malloc(sizeof(float) * (size_t)(B * n)), *rho = malloc(sizeof(float) * (size_t)B);
    for (int b = 0; b < B; b++) idx[b] = first + b;
    int rc = draw_omega(p, idx, B, 0, &p->sch, NULL, NULL, om, rho);
    if (rc == 0) {
        p->c->rng_offset = p->rng0;
        rc = task_predict(&p->t, p->pl.layer, SPLIT_TEST, idx, B, om, rho, pred);
    }
    free(idx);
    free(om);
    free(rho);
    return rc ? fail_copy(p, st) : 0;
}

struct Profile *probe_profile(Probe *p, int on)
{
    if (!on || !p->c->profile) ctx_profile(p->c, on);
    return p->c->profile;
}

typedef struct {
    ProbeTrajectory *tr;
    float *x0; /* steps x n: x0-hat of each step, for the losses afterwards */
    float *xt; /* steps x n: the states, for the cosines (collected samples; else NULL) */
    int64_t n;
} Hook;

static double l2(const float *x, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}

static void on_step(void *user, int step, int t_model, const float *x, const float *eps, const float *x0)
{
    (void)eps;
    Hook *h = user;
    ProbeTrajectory *tr = h->tr;
    tr->t[step] = t_model;
    tr->norm[step] = l2(x, h->n);
    tr->x0norm[step] = l2(x0, h->n);
    memcpy(h->x0 + step * h->n, x0, sizeof(float) * (size_t)h->n);
    if (h->xt) memcpy(h->xt + step * h->n, x, sizeof(float) * (size_t)h->n);
    if (tr->omega) memcpy(tr->omega + step * h->n, x, sizeof(float) * (size_t)h->n);
}

void probe_trajectory_free(ProbeTrajectory *tr)
{
    free(tr->t);
    free(tr->norm);
    free(tr->x0norm);
    free(tr->loss);
    free(tr->pred);
    free(tr->omega);
    free(tr->pred_base);
    free(tr->truth);
    free(tr->cos_xt);
    free(tr->cos_x0);
    memset(tr, 0, sizeof *tr);
}

const char *const PROBE_SOURCE_NAMES[PROBE_SRC_COUNT] = {"test", "held-out", "trained-on"};

static int holdout_of(const Probe *p) { return p->pl.ok ? collect_holdout(&p->s.cfg, p->pl.k.n) : 0; }

int probe_source_count(const Probe *p, ProbeSource src)
{
    if (src == PROBE_SRC_TEST) return probe_test_count(p);
    if (!p->pl.ok) return 0;
    return src == PROBE_SRC_HELDOUT ? holdout_of(p) : p->pl.k.n - holdout_of(p);
}

static void alloc_trajectory(const Probe *p, int S, int want_pred, int want_omega, ProbeTrajectory *tr)
{
    const int64_t n = (int64_t)p->pl.k.rows * p->pl.k.cols, pf = task_pred_floats(&p->t);
    tr->steps = S;
    tr->rows = p->pl.k.rows;
    tr->cols = p->pl.k.cols;
    tr->t = calloc((size_t)S, sizeof(int));
    tr->norm = calloc((size_t)S, sizeof(double));
    tr->x0norm = calloc((size_t)S, sizeof(double));
    tr->loss = calloc((size_t)S, sizeof(double));
    tr->pred = want_pred ? calloc((size_t)(S * pf), sizeof(float)) : NULL;
    tr->omega = want_omega ? calloc((size_t)(S * n), sizeof(float)) : NULL;
    tr->pred_base = calloc((size_t)pf, sizeof(float));
    tr->kindex = -1;
    tr->train_index = -1;
    tr->target = NAN;
}

/* the losses with W + rho * x0-hat(k) of the trajectory's sample (split s, index idx): every
 * step, NeRF every few (a render per step is costly: at most ~40, evenly spaced, the rest NaN) */
static int trajectory_losses(Probe *p, SplitId s, int64_t idx, const float *x0, float rho, ProbeTrajectory *tr)
{
    const int S = tr->steps;
    const int64_t n = (int64_t)tr->rows * tr->cols, pf = task_pred_floats(&p->t), R = task_full_rays(&p->t);
    float *x = malloc(sizeof(float) * (size_t)task_x_floats(&p->t, R)), *y = malloc(sizeof(float) * (size_t)task_y_floats(&p->t, R));
    float *pred = malloc(sizeof(float) * (size_t)pf);
    task_fill(&p->t, s, &idx, 1, R, 0, x, y);
    p->c->rng_offset = p->rng0;
    int rc = task_predict(&p->t, -1, s, &idx, 1, NULL, NULL, tr->pred_base);
    if (rc == 0) tr->loss_base = loss_of(p, tr->pred_base, y);
    const int every = p->t.kind == TASK_NERF && S > 40 ? (S + 39) / 40 : 1;
    for (int k = 0; k < S && rc == 0; k++) {
        tr->loss[k] = NAN;
        if (k % every && k != S - 1) continue;
        p->c->rng_offset = p->rng0;
        rc = task_predict(&p->t, p->pl.layer, s, &idx, 1, x0 + k * n, &rho, pred);
        if (rc) break;
        tr->loss[k] = loss_of(p, pred, y);
        if (tr->pred) memcpy(tr->pred + k * pf, pred, sizeof(float) * (size_t)pf);
    }
    free(x);
    free(y);
    free(pred);
    return rc;
}

/* a collected sample's trajectory: stored conditioning, the fit's draw (see probe.h) */
static int collected_trajectory(Probe *p, ProbeSource src, int index, int draw, int ancestral, int want_pred,
                                int want_omega, ProbeTrajectory *tr, Status *st)
{
    const int count = probe_source_count(p, src);
    if (index < 0 || index >= count)
        return status_fail(st, ERR_CONFIG, "%s sample %d: the collection has %d (0..%d)", PROBE_SOURCE_NAMES[src], index,
                           count, count - 1);
    const Collected *k = &p->pl.k;
    const int j = src == PROBE_SRC_HELDOUT ? k->n - holdout_of(p) + index : index;
    Schedule *sch = schedule_for(p, ancestral, st);
    if (!sch) return -1;
    const int S = sch->nsteps;
    const int64_t n = (int64_t)k->rows * k->cols;
    alloc_trajectory(p, S, want_pred, want_omega, tr);
    tr->kindex = j;
    tr->train_index = k->idx[j];
    tr->truth = malloc(sizeof(float) * (size_t)n);
    tr->cos_xt = calloc((size_t)S, sizeof(double));
    tr->cos_x0 = calloc((size_t)S, sizeof(double));
    Hook h = {.tr = tr, .x0 = malloc(sizeof(float) * (size_t)(S * n)), .xt = malloc(sizeof(float) * (size_t)(S * n)), .n = n};
    float *om = malloc(sizeof(float) * (size_t)n), rho = 0.0f;
    int rc = collect_directions(&p->env, &p->t, k, &j, 1, tr->truth);
    if (rc == 0) {
        scalenet_predict(p->c, p->pl.scale, k->cact + (int64_t)j * k->d.dact, k->cin + (int64_t)j * k->d.din, 1, &rho);
        tr->rho_pred = rho;
        /* draw 0 is the fit's draw of this sample; other draws: other streams of the same key */
        const uint64_t id = (uint64_t)j + (uint64_t)draw * (uint64_t)k->n;
        const SamplerOpts so = {.key = FIT_DRAW_KEY,
                                .ids = &id,
                                .dropout = cfg_bool(&p->s.cfg, "diffusion.sample_dropout"),
                                .hook = on_step,
                                .user = &h};
        rc = sampler_run(p->c, &p->pl.w, sch, k->cin + (int64_t)j * k->d.din, k->cact + (int64_t)j * k->d.dact,
                         k->cout + (int64_t)j * k->d.dout, 1, &so, om);
    }
    for (int s = 0; s < S && rc == 0; s++) {
        tr->cos_x0[s] = fit_cosine(h.x0 + s * n, tr->truth, n);
        tr->cos_xt[s] = fit_cosine(h.xt + s * n, tr->truth, n);
    }
    if (rc == 0) {
        const int64_t ti = k->idx[j];
        tr->target = p->t.kind == TASK_NERF ? NAN
                     : p->t.kind == TASK_REGRESSION ? p->ds.train.y[ti] * p->ds.y_std + p->ds.y_mean
                                                     : p->ds.train.y[ti];
        rc = trajectory_losses(p, SPLIT_TRAIN, ti, h.x0, rho, tr);
    }
    free(h.x0);
    free(h.xt);
    free(om);
    free(sch);
    return rc;
}

int probe_trajectory(Probe *p, int index, int draw, int ancestral, int want_pred, int want_omega, ProbeTrajectory *out,
                     Status *st)
{
    return probe_trajectory_from(p, PROBE_SRC_TEST, index, draw, ancestral, want_pred, want_omega, out, st);
}

int probe_trajectory_from(Probe *p, ProbeSource src, int index, int draw, int ancestral, int want_pred, int want_omega,
                          ProbeTrajectory *out, Status *st)
{
    memset(out, 0, sizeof *out);
    status_clear(&p->st);
    if (need_ocd(p, st)) return -1;
    if (draw < 0 || draw >= INFER_MAX_DRAWS)
        return status_fail(st, ERR_CONFIG, "draw %d: draws are 0..%d", draw, INFER_MAX_DRAWS - 1);
    if (src != PROBE_SRC_TEST) {
        if (collected_trajectory(p, src, index, draw, ancestral, want_pred, want_omega, out, st) == 0) return 0;
        probe_trajectory_free(out);
        return st->code ? -1 : fail_copy(p, st);
    }
    if (check_index(p, index, st)) return -1;
    if (draw < 0 || draw >= INFER_MAX_DRAWS)
        return status_fail(st, ERR_CONFIG, "draw %d: draws are 0..%d", draw, INFER_MAX_DRAWS - 1);
    Schedule *sch = schedule_for(p, ancestral, st);
    if (!sch) return -1;
    const int S = sch->nsteps;
    const int64_t n = (int64_t)p->pl.k.rows * p->pl.k.cols;
    ProbeTrajectory *tr = out;
    alloc_trajectory(p, S, want_pred, want_omega, tr);
    tr->target = probe_test_target(p, index);
    Hook h = {.tr = tr, .x0 = malloc(sizeof(float) * (size_t)(S * n)), .n = n};
    float *om = malloc(sizeof(float) * (size_t)n);
    const int64_t idx = index;
    float rho = 0.0f;
    int rc = draw_omega(p, &idx, 1, draw, sch, on_step, &h, om, &rho);
    tr->rho_pred = rho;
    if (rc == 0) rc = trajectory_losses(p, SPLIT_TEST, idx, h.x0, rho, tr);
    free(h.x0);
    free(om);
    free(sch);
    if (rc) {
        probe_trajectory_free(tr);
        return fail_copy(p, st);
    }
    return 0;
}

int probe_view_size(const Probe *p, int *h, int *w)
{
    if (p->t.kind != TASK_NERF) return -1;
    *h = p->ds.views_test.H;
    *w = p->ds.views_test.W;
    return 0;
}

int probe_render(Probe *p, int view, ProbeView which, float *rgb, Status *st)
{
    status_clear(&p->st);
    if (p->t.kind != TASK_NERF) return status_fail(st, ERR_CONFIG, "renders are for NeRF sessions only");
    if (check_index(p, view, st)) return -1;
    if (which != PROBE_TRUTH && which != PROBE_BASE && need_ocd(p, st)) return -1;
    const int64_t idx = view, n = (int64_t)p->pl.k.rows * p->pl.k.cols;
    float *x, *y;
    test_xy(p, view, &x, &y);
    int rc = 0;
    p->c->rng_offset = p->rng0;
    if (which == PROBE_TRUTH) {
        memcpy(rgb, y, sizeof(float) * (size_t)task_y_floats(&p->t, task_full_rays(&p->t)));
    } else if (which == PROBE_BASE) {
        rc = task_predict(&p->t, -1, SPLIT_TEST, &idx, 1, NULL, NULL, rgb);
    } else if (which == PROBE_OCD) {
        float *om = malloc(sizeof(float) * (size_t)n), rho = 0.0f;
        rc = draw_omega(p, &idx, 1, 0, &p->sch, NULL, NULL, om, &rho);
        p->c->rng_offset = p->rng0;
        rc = rc ? rc : task_predict(&p->t, p->pl.layer, SPLIT_TEST, &idx, 1, om, &rho, rgb);
        free(om);
    } else {
        const OverfitCfg oc = collect_overfit_cfg(&p->s.cfg, p->pl.layer);
        float *delta = malloc(sizeof(float) * (size_t)n);
        const uint64_t seed = (uint64_t)cfg_int(&p->s.cfg, "run.seed");
        rc = overfit_batch(&p->t, &oc, SPLIT_TEST, &idx, 1, infer_overfit_key(seed, 0), delta, NULL, NULL);
        p->c->rng_offset = p->rng0;
        rc = rc ? rc : task_predict(&p->t, p->pl.layer, SPLIT_TEST, &idx, 1, delta, NULL, rgb);
        free(delta);
    }
    free(x);
    free(y);
    return rc ? fail_copy(p, st) : 0;
}

typedef struct {
    int want;
    float *x0;
    int64_t n;
} StepGrab;

static void grab_step(void *user, int step, int t_model, const float *x, const float *eps, const float *x0)
{
    (void)t_model;
    (void)x;
    (void)eps;
    StepGrab *g = user;
    if (step == g->want) memcpy(g->x0, x0, sizeof(float) * (size_t)g->n);
}

int probe_render_step(Probe *p, int view, int ancestral, int step, float *rgb, Status *st)
{
    status_clear(&p->st);
    if (p->t.kind != TASK_NERF) return status_fail(st, ERR_CONFIG, "renders are for NeRF sessions only");
    if (need_ocd(p, st) || check_index(p, view, st)) return -1;
    Schedule *sch = schedule_for(p, ancestral, st);
    if (!sch) return -1;
    if (step < 0 || step >= sch->nsteps) {
        const int S = sch->nsteps;
        free(sch);
        return status_fail(st, ERR_CONFIG, "step %d: the sampler has steps 0..%d", step, S - 1);
    }
    const int64_t idx = view, n = (int64_t)p->pl.k.rows * p->pl.k.cols;
    float *om = malloc(sizeof(float) * (size_t)n), rho = 0.0f;
    StepGrab g = {.want = step, .x0 = malloc(sizeof(float) * (size_t)n), .n = n};
    int rc = draw_omega(p, &idx, 1, 0, sch, grab_step, &g, om, &rho);
    p->c->rng_offset = p->rng0;
    rc = rc ? rc : task_predict(&p->t, p->pl.layer, SPLIT_TEST, &idx, 1, g.x0, &rho, rgb);
    free(om);
    free(g.x0);
    free(sch);
    return rc ? fail_copy(p, st) : 0;
}

int probe_layer_gain(Probe *p, int layer, int n, double *loss_base, double *loss_overfit, ProbeProgress progress,
                     void *user, Status *st)
{
    status_clear(&p->st);
    if (layer < 0 || layer >= p->model->nlayers)
        return status_fail(st, ERR_CONFIG, "layer %d: the model has layers 0..%d", layer, p->model->nlayers - 1);
    if (!p->model->layers[layer].is_linear)
        return status_fail(st, ERR_CONFIG, "layer %s: OCD needs a linear layer (or a convolution with a 1x1 output)",
                           p->model->layers[layer].name);
    if (n > probe_test_count(p)) n = probe_test_count(p);
    if (n < 1) return status_fail(st, ERR_CONFIG, "layer gain: no test samples");
    const int B = p->t.kind == TASK_NERF ? 1 : 32;
    const ModelLayer *ml = &p->model->layers[layer];
    const int64_t per = (int64_t)ml->out * ml->in, pf = task_pred_floats(&p->t);
    const int64_t R = task_full_rays(&p->t);
    const OverfitCfg oc = collect_overfit_cfg(&p->s.cfg, layer);
    const uint64_t seed = (uint64_t)cfg_int(&p->s.cfg, "run.seed");
    float *delta = malloc(sizeof(float) * (size_t)(B * per)), *pred = malloc(sizeof(float) * (size_t)(B * pf));
    float *x = malloc(sizeof(float) * (size_t)(B * task_x_floats(&p->t, R)));
    float *y = malloc(sizeof(float) * (size_t)(B * task_y_floats(&p->t, R)));
    const int64_t yf = task_y_floats(&p->t, R);
    int64_t idx[32];
    double sb = 0.0, so = 0.0;
    int rc = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += B) {
        const int b = n - i0 < B ? n - i0 : B;
        for (int j = 0; j < b; j++) idx[j] = i0 + j;
        task_fill(&p->t, SPLIT_TEST, idx, b, R, 0, x, y);
        p->c->rng_offset = p->rng0;
        rc = task_predict(&p->t, -1, SPLIT_TEST, idx, b, NULL, NULL, pred);
        for (int j = 0; j < b && rc == 0; j++) sb += loss_of(p, pred + j * pf, y + j * yf);
        rc = rc ? rc : overfit_batch(&p->t, &oc, SPLIT_TEST, idx, b, infer_overfit_key(seed, 0), delta, NULL, NULL);
        p->c->rng_offset = p->rng0;
        rc = rc ? rc : task_predict(&p->t, layer, SPLIT_TEST, idx, b, delta, NULL, pred);
        for (int j = 0; j < b && rc == 0; j++) so += loss_of(p, pred + j * pf, y + j * yf);
        if (rc == 0 && progress && progress(user, i0 + b, n))
            rc = status_fail(&p->st, ERR_STATE, "layer gain: stopped");
    }
    free(delta);
    free(pred);
    free(x);
    free(y);
    if (rc) return fail_copy(p, st);
    *loss_base = sb / n;
    *loss_overfit = so / n;
    return 0;
}
