/* Weight-diffusion training; see diffusion.h.
 *
 * One optimiser step = diffusion.accum micro-batches of diffusion.batch samples (the authors:
 * batch 1, accumulation 8). A micro-batch takes the next samples of a Philox order of the
 * collection (a new order each epoch), their unit directions Omega_0 (B, rows, cols), a
 * timestep t per sample, noise eps, and Omega_t = sqrt(ab_t) Omega_0 + sqrt(1 - ab_t) eps;
 * the loss is the MSE between eps and the network's prediction over the real matrix.
 * Then gradient clipping, Adam, and the EMA of the weights (what is saved and sampled).
 * With diffusion.ema_warmup the EMA's decay is min(ema, (1 + n) / (10 + n)) after n steps,
 * so that a short CPU run's average is not still mostly the initial weights (a choice here;
 * the authors use a fixed 0.9999 over days of training).
 * Every draw is a function of the step number (and the context's random offset, saved), so a
 * resumed run continues the same sequence. */
#include "ocd/diffusion.h"

#include "autograd.h"
#include "ocd/fit.h"
#include "ocd/sampler.h"
#include "core/philox.h"
#include "ocd/util.h"
#include "ops/ops.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int diffusion_schedule(const Config *cfg, Schedule *s, Status *st)
{
    const int paper = !strcmp(cfg_str(cfg, "diffusion.schedule"), "paper");
    const int T = cfg_int(cfg, "diffusion.T"), n = cfg_int(cfg, "diffusion.sample_steps");
    if (schedule_make(s, paper ? SCHED_PAPER : SCHED_OFFICIAL, T, cfg_float(cfg, "diffusion.beta_start"),
                      cfg_float(cfg, "diffusion.beta_end"), n))
        return status_fail(st, ERR_CONFIG,
                           "diffusion: schedule %s with T = %d, beta %g .. %g, %d sampling steps is not valid (T up to %d; "
                           "official: T a multiple of the sampling steps; 0 < beta_start <= beta_end < 1)",
                           cfg_str(cfg, "diffusion.schedule"), T, cfg_float(cfg, "diffusion.beta_start"),
                           cfg_float(cfg, "diffusion.beta_end"), n, SCHED_MAX_T);
    return 0;
}

typedef struct {
    int64_t step;
    int n_curve;
    double *curve_loss, *curve_step;
    double seconds;
    FitSet held, trained; /* measure_fit at the end */
    int ntrain, holdout;
} DiffState;

static int save(StageEnv *env, WNet *w, Optimizer *opt, Ema *ema, DiffState *ds, const char *work, const char *grp,
                int complete, const Schedule *sch)
{
    Status *st = env->st;
    H5File *f = ocd_work_begin(work, st);
    if (!f) return -1;
    char p[200];
    ParamSet *ps = unet_params(w->unet);
    int r = h5w_unlink(f, grp, st);
    ema_swap(ema); /* the average is what gets sampled */
    r = r ? r : (snprintf(p, sizeof p, "%s/weights", grp), paramset_save(f, p, ps, st));
    ema_swap(ema);
    if (!complete) {
        r = r ? r : (snprintf(p, sizeof p, "%s/checkpoint/raw_weights", grp), paramset_save(f, p, ps, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/checkpoint/optimizer", grp), optimizer_save(f, p, env->c, opt, st));
        snprintf(p, sizeof p, "%s/checkpoint", grp);
        r = r ? r : h5w_attr_int(f, p, "rng_offset", (int64_t)env->c->rng_offset, st);
    }
    const int64_t nc = ds->n_curve;
    if (nc > 0) {
        r = r ? r : (snprintf(p, sizeof p, "%s/curves/loss", grp), h5w_doubles(f, p, ds->curve_loss, 1, &nc, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/curves/step", grp), h5w_doubles(f, p, ds->curve_step, 1, &nc, st));
    }
    const UNetConfig *u = &w->ucfg;
    char mult[64] = "", attn[64] = "";
    for (int i = 0; i < u->nlevels; i++) snprintf(mult + strlen(mult), sizeof mult - strlen(mult), "%s%d", i ? "," : "", u->ch_mult[i]);
    for (int i = 0; i < u->n_attn_res; i++) snprintf(attn + strlen(attn), sizeof attn - strlen(attn), "%s%d", i ? "," : "", u->attn_res[i]);
    int64_t nparam = 0;
    for (int i = 0; i < ps->count; i++) nparam += ps->params[i]->numel;
    r = r ? r : h5w_attr_int(f, grp, "step", ds->step, st);
    r = r ? r : h5w_attr_double(f, grp, "seconds", ds->seconds, st);
    r = r ? r : h5w_attr_int(f, grp, "parameters", nparam, st);
    r = r ? r : h5w_attr_int(f, grp, "image_height", w->H, st);
    r = r ? r : h5w_attr_int(f, grp, "image_width", w->W, st);
    r = r ? r : h5w_attr_int(f, grp, "channels", u->ch, st);
    r = r ? r : h5w_attr_str(f, grp, "ch_mult", mult, st);
    r = r ? r : h5w_attr_str(f, grp, "attn_res", attn, st);
    r = r ? r : h5w_attr_int(f, grp, "cond_maps", w->maps, st);
    r = r ? r : h5w_attr_str(f, grp, "schedule", sch->kind == SCHED_OFFICIAL ? "official (T=1000 train, DDIM sampling)" : "paper (ancestral DDPM)", st);
    r = r ? r : h5w_attr_int(f, grp, "T", sch->T, st);
    r = r ? r : h5w_attr_int(f, grp, "sample_steps", sch->nsteps, st);
    r = r ? r : h5w_attr_str(f, grp, "weights_are", "the EMA of the training weights", st);
    r = r ? r : h5w_attr_int(f, grp, "train_samples", ds->ntrain, st);
    r = r ? r : h5w_attr_int(f, grp, "holdout_samples", ds->holdout, st);
    r = r ? r : h5w_attr_str(f, grp, "target", w->target_x0 ? "x0" : "eps", st);
    r = r ? r : h5w_attr_int(f, grp, "rc_maps", w->rc_k, st);
    r = r ? r : h5w_attr_int(f, grp, "rc_product", w->rc_product, st);
    r = r ? r : h5w_attr_int(f, grp, "rc_hidden", w->ucfg.map_hidden, st);
    if (complete) {
        r = r ? r : h5w_attr_double(f, grp, "train_direction_cosine", ds->trained.cos_mean, st);
        r = r ? r : h5w_attr_double(f, grp, "train_direction_cosine_other_sample", ds->trained.cos_other_mean, st);
        r = r ? r : (snprintf(p, sizeof p, "%s/fit/heldout", grp), fit_save(f, p, &ds->held, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/fit/train", grp), fit_save(f, p, &ds->trained, st));
    }
    r = r ? r : h5w_attr_str(f, grp, "status", complete ? "complete" : "running", st);
    if (r) {
        h5w_abort(f);
        return -1;
    }
    return h5w_commit(f, st);
}

/* returns 1 when resumed (or already complete: 2), 0 when starting fresh, -1 on error */
static int resume(StageEnv *env, WNet *w, Optimizer *opt, Ema *ema, DiffState *ds, const char *work, const char *grp,
                  int max_curve)
{
    H5File *f = ocd_work_open(work);
    if (!f) return 0;
    char p[200], status[32] = "";
    int rc = 0;
    if (!h5r_exists(f, grp)) goto out;
    h5r_attr_str(f, grp, "status", status, sizeof status);
    ParamSet *ps = unet_params(w->unet);
    int64_t step = 0, off = 0;
    h5r_attr_int(f, grp, "step", &step);
    h5r_attr_double(f, grp, "seconds", &ds->seconds);
    snprintf(p, sizeof p, "%s/weights", grp);
    ema_swap(ema);
    rc = paramset_load(f, p, ps, env->st);
    ema_swap(ema);
    if (rc == 0 && strcmp(status, "complete")) {
        snprintf(p, sizeof p, "%s/checkpoint/raw_weights", grp);
        rc = paramset_load(f, p, ps, env->st);
        snprintf(p, sizeof p, "%s/checkpoint/optimizer", grp);
        rc = rc ? rc : optimizer_load(f, p, env->c, opt, env->st);
        snprintf(p, sizeof p, "%s/checkpoint", grp);
        h5r_attr_int(f, p, "rng_offset", &off);
        env->c->rng_offset = (uint64_t)off;
    }
    snprintf(p, sizeof p, "%s/curves/loss", grp);
    int nd;
    int64_t dims[8];
    if (rc == 0 && h5r_shape(f, p, &nd, dims) == 0 && dims[0] <= max_curve) {
        ds->n_curve = (int)dims[0];
        rc = h5r_doubles(f, p, ds->curve_loss, dims[0], env->st);
        snprintf(p, sizeof p, "%s/curves/step", grp);
        rc = rc ? rc : h5r_doubles(f, p, ds->curve_step, dims[0], env->st);
    }
    ds->step = step;
    rc = rc ? -1 : !strcmp(status, "complete") ? 2 : 1;
out:
    h5r_close(f);
    return rc;
}

/* The fit at the end of training: one draw for each held-out sample and for the first
 * diffusion.fit_samples trained ones (fit.h) */
static int measure_fit(StageEnv *env, Task *t, const Collected *k, WNet *w, const Schedule *sch, int ntrain, FitSet *held,
                       FitSet *trained)
{
    const int nh = k->n - ntrain, fs = cfg_int(env->cfg, "diffusion.fit_samples"), nt = fs < ntrain ? fs : ntrain;
    int *which = malloc(sizeof(int) * (size_t)(nh > nt ? nh : nt) + 1);
    for (int i = 0; i < nh; i++) which[i] = ntrain + i;
    int rc = fit_measure(env, t, k, w, sch, which, nh, held);
    for (int i = 0; i < nt; i++) which[i] = i;
    rc = rc ? rc : fit_measure(env, t, k, w, sch, which, nt, trained);
    free(which);
    return rc;
}

int diffusion_train(StageEnv *env, Task *t, const Collected *k, const char *work, const char *grp, const char *stage,
                    int steps)
{
    Ctx *c = env->c;
    const Config *cfg = env->cfg;
    Status *st = env->st;
    Schedule *sch = malloc(sizeof *sch);
    WNet w;
    if (diffusion_schedule(cfg, sch, st) || wnet_config(cfg, k->rows, k->cols, k->d, &w, st)) {
        free(sch);
        return -1;
    }
    wnet_create(c, &w);
    ParamSet *ps = unet_params(w.unet);
    OptConfig oc = optim_defaults(OPT_ADAM, (float)cfg_float(cfg, "diffusion.lr"));
    Optimizer *opt = optim_create(ps, oc);
    Ema *ema = ema_create(ps);
    const int B = cfg_int(cfg, "diffusion.batch"), accum = cfg_int(cfg, "diffusion.accum");
    const int log_every = cfg_int(cfg, "diffusion.log_every"), ck_every = cfg_int(cfg, "diffusion.checkpoint_every");
    const float clip = (float)cfg_float(cfg, "diffusion.clip"), ema_decay = (float)cfg_float(cfg, "diffusion.ema");
    const int warm = cfg_bool(cfg, "diffusion.ema_warmup");
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    const int max_curve = steps / (log_every > 0 ? log_every : 1) + 2;
    DiffState ds = {0};
    ds.holdout = collect_holdout(cfg, k->n);
    ds.ntrain = k->n - ds.holdout;
    ds.curve_loss = calloc((size_t)max_curve, sizeof(double));
    ds.curve_step = calloc((size_t)max_curve, sizeof(double));
    int rc = resume(env, &w, opt, ema, &ds, work, grp, max_curve);
    if (rc == 1) bus_log(env->bus, stage, "resuming diffusion training at step %lld of %d", (long long)ds.step, steps);
    if (rc == 0) {
        int64_t np = 0;
        for (int i = 0; i < ps->count; i++) np += ps->params[i]->numel;
        bus_log(env->bus, stage, "U-Net %s: %lld parameters on a %dx%d image (layer %dx%d), ch %d, mult %s%s; %d steps x %d x %d samples",
                env->model->layers[k->layer].name, (long long)np, w.H, w.W, k->rows, k->cols, w.ucfg.ch,
                cfg_str(cfg, "diffusion.ch_mult"), w.maps ? ", condition maps" : "", steps, accum, B);
    }
    const int64_t n = (int64_t)k->rows * k->cols;
    const int ntrain = ds.ntrain;
    int64_t *order = malloc(sizeof(int64_t) * (size_t)ntrain);
    int order_epoch = -1;
    int *which = malloc(sizeof(int) * (size_t)B);
    float *dir = malloc(sizeof(float) * (size_t)(B * n)), *tt = malloc(sizeof(float) * (size_t)B);
    float *ca = malloc(sizeof(float) * (size_t)B), *cb = malloc(sizeof(float) * (size_t)B);
    float *cin = malloc(sizeof(float) * (size_t)(B * k->d.din)), *cact = malloc(sizeof(float) * (size_t)(B * k->d.dact));
    float *cout = malloc(sizeof(float) * (size_t)(B * k->d.dout));
    double loss_sum = 0.0;
    int loss_n = 0;
    double t_run = clock_now();
    ctx_set_training(c, 1);
    while (rc >= 0 && rc != 2 && ds.step < steps) {
        params_zero_grad(ps);
        double step_loss = 0.0;
        for (int a = 0; a < accum && rc >= 0; a++) {
            const int64_t micro = ds.step * accum + a;
            for (int b = 0; b < B; b++) { /* position in the endless sequence of epochs */
                const int64_t pos = micro * B + b, ep = pos / ntrain;
                if (ep != order_epoch) {
                    ocd_permutation(seed, 300 + (uint64_t)ep, ntrain, order);
                    order_epoch = (int)ep;
                }
                which[b] = (int)order[pos % ntrain];
                const PhiloxOut r = philox4x32(seed ^ 0xd1ffull, (uint64_t)pos);
                tt[b] = (float)schedule_draw_t(sch, (double)r.v[0] / 4294967296.0);
                const double ab = schedule_alpha_bar(sch, (int)tt[b]);
                ca[b] = (float)sqrt(ab);
                cb[b] = (float)sqrt(1.0 - ab);
                memcpy(cin + b * k->d.din, k->cin + (int64_t)which[b] * k->d.din, sizeof(float) * (size_t)k->d.din);
                memcpy(cact + b * k->d.dact, k->cact + (int64_t)which[b] * k->d.dact, sizeof(float) * (size_t)k->d.dact);
                memcpy(cout + b * k->d.dout, k->cout + (int64_t)which[b] * k->d.dout, sizeof(float) * (size_t)k->d.dout);
            }
            if (collect_directions(env, t, k, which, B, dir)) {
                rc = -1;
                break;
            }
            Tensor *x0 = tensor_from_host(c, SHAPE(B, k->rows, k->cols), dir);
            Tensor *eps = tensor_new(c, SHAPE(B, k->rows, k->cols));
            c->be->rng_normal(c->bc, B * n, seed ^ 0xe95ull, (uint64_t)micro * (uint64_t)((B * n + 3) / 4 + 1), 0.0f, 1.0f,
                              eps->data);
            Tensor *xt = op_add(c, op_mul(c, x0, tensor_from_host(c, SHAPE(B, 1, 1), ca)),
                                op_mul(c, eps, tensor_from_host(c, SHAPE(B, 1, 1), cb)));
            Tensor *emb = wnet_embed(c, &w, cin, cact, cout, B);
            Tensor *pred = wnet_eps(c, &w, xt, tensor_from_host(c, SHAPE(B), tt), emb, wnet_maps(c, &w, cin, cact, B));
            Tensor *target = w.target_x0 ? x0 : eps;
            Tensor *loss = op_mse_mean(c, op_reshape(c, pred, SHAPE(B, (int)n)), op_reshape(c, target, SHAPE(B, (int)n)));
            const float lv = tensor_item(c, loss);
            if (!isfinite(lv)) {
                rc = status_fail(st, ERR_NUMERIC, "%s: the diffusion loss became %g at step %lld; the last checkpoint is kept. "
                                 "A lower diffusion.lr may help", stage, (double)lv, (long long)ds.step);
                ctx_step_end(c);
                break;
            }
            ag_backward(c, op_scale(c, loss, 1.0f / (float)accum));
            ctx_step_end(c);
            step_loss += lv / accum;
        }
        if (rc < 0) break;
        if (clip > 0) optim_clip_grad_norm(ps, clip);
        optim_step(opt);
        ds.step++;
        const float d = warm ? fminf(ema_decay, (1.0f + (float)ds.step) / (10.0f + (float)ds.step)) : ema_decay;
        ema_update(ema, d);
        loss_sum += step_loss;
        loss_n++;
        if (ds.step % 5 == 0 || ds.step == steps)
            bus_progress(env->bus, stage, ds.step, steps, "loss", loss_sum / loss_n, NULL, 0.0);
        if (log_every > 0 && (ds.step % log_every == 0 || ds.step == steps) && ds.n_curve < max_curve) {
            ds.curve_loss[ds.n_curve] = loss_sum / loss_n;
            ds.curve_step[ds.n_curve++] = (double)ds.step;
            loss_sum = 0.0;
            loss_n = 0;
        }
        const int stop = bus_stop_requested(env->bus);
        if (ds.step < steps && ((ck_every > 0 && ds.step % ck_every == 0) || stop)) {
            ds.seconds += clock_now() - t_run;
            t_run = clock_now();
            rc = save(env, &w, opt, ema, &ds, work, grp, 0, sch) ? -1 : rc;
        }
        if (stop && rc >= 0 && ds.step < steps)
            rc = status_fail(st, ERR_STATE, "%s: stopped at diffusion step %lld of %d (checkpoint written)", stage,
                             (long long)ds.step, steps);
    }
    ctx_set_training(c, 0);
    if (rc >= 0 && rc != 2) {
        ds.seconds += clock_now() - t_run;
        ema_swap(ema); /* the diagnostic samples with the weights that get saved */
        rc = measure_fit(env, t, k, &w, sch, ntrain, &ds.held, &ds.trained);
        ema_swap(ema);
        rc = rc ? rc : save(env, &w, opt, ema, &ds, work, grp, 1, sch);
        if (rc == 0)
            bus_log(env->bus, stage,
                    "diffusion: %d steps in %.1f s, last loss %.4f; cosine of sampled and true directions: held out %.3f "
                    "(median %.3f, n %d), trained on %.3f (median %.3f; with another sample's %.3f); norm ratio %.2f",
                    steps, ds.seconds, ds.n_curve ? ds.curve_loss[ds.n_curve - 1] : 0.0, ds.held.cos_mean,
                    ds.held.cos_q[1], ds.held.n, ds.trained.cos_mean, ds.trained.cos_q[1], ds.trained.cos_other_mean,
                    ds.held.n ? ds.held.ratio_q[1] : ds.trained.ratio_q[1]);
    }
    free(order);
    free(which);
    free(dir);
    free(tt);
    free(ca);
    free(cb);
    free(cin);
    free(cact);
    free(cout);
    free(ds.curve_loss);
    free(ds.curve_step);
    fit_free(&ds.held);
    fit_free(&ds.trained);
    ema_destroy(ema);
    optim_destroy(opt);
    wnet_destroy(&w);
    free(sch);
    return rc < 0 ? -1 : 0;
}

int diffusion_load(StageEnv *env, const Collected *k, const char *path, const char *grp, WNet *w)
{
    if (wnet_config(env->cfg, k->rows, k->cols, k->d, w, env->st)) return -1;
    wnet_create(env->c, w);
    H5File *f = h5r_open(path, env->st);
    if (!f) {
        wnet_destroy(w);
        return -1;
    }
    char p[200];
    snprintf(p, sizeof p, "%s/weights", grp);
    const int r = paramset_load(f, p, unet_params(w->unet), env->st);
    h5r_close(f);
    if (r) wnet_destroy(w);
    return r;
}
