/* The scale model; see scale.h. The loss is computed on the host from the B predictions and
 * its gradient seeds the tape (no log op is needed on the device). Short: no checkpoint. */
#include "ocd/scale.h"

#include "autograd.h"
#include "core/philox.h"
#include "nn/init.h"
#include "ocd/util.h"
#include "ops/ops.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ScaleNet {
    ParamSet *ps;
    int ch, dact, din;
    Tensor *w[6], *b[6];   /* the activation branch 0-2, the input branch 3-5 */
    Tensor *hw[3], *hb[3];
};

ScaleNet *scalenet_create(Ctx *c, int dact, int din, int ch)
{
    ScaleNet *s = calloc(1, sizeof *s);
    s->ps = params_create(c);
    s->ch = ch;
    s->dact = dact;
    s->din = din;
    const int widths[4] = {0, ch, 2 * ch, 4 * ch};
    char nm[64];
    for (int br = 0; br < 2; br++) {
        int in = br == 0 ? dact : din;
        for (int i = 0; i < 3; i++) {
            snprintf(nm, sizeof nm, "%s.%d.weight", br == 0 ? "mlp" : "mlp_latin", i);
            s->w[br * 3 + i] = params_add(s->ps, nm, SHAPE(widths[i + 1], in));
            snprintf(nm, sizeof nm, "%s.%d.bias", br == 0 ? "mlp" : "mlp_latin", i);
            s->b[br * 3 + i] = params_add(s->ps, nm, SHAPE(widths[i + 1]));
            in = widths[i + 1];
        }
    }
    const int hin[3] = {8 * ch, 4 * ch, ch}, hout[3] = {4 * ch, ch, 1};
    for (int i = 0; i < 3; i++) {
        snprintf(nm, sizeof nm, "mlp_scale.%d.weight", i);
        s->hw[i] = params_add(s->ps, nm, SHAPE(hout[i], hin[i]));
        snprintf(nm, sizeof nm, "mlp_scale.%d.bias", i);
        s->hb[i] = params_add(s->ps, nm, SHAPE(hout[i]));
    }
    params_finalize(s->ps);
    for (int i = 0; i < 6; i++) init_torch_default(c, s->w[i], s->b[i]);
    for (int i = 0; i < 3; i++) init_torch_default(c, s->hw[i], s->hb[i]);
    return s;
}

void scalenet_destroy(ScaleNet *s)
{
    if (!s) return;
    params_destroy(s->ps);
    free(s);
}

ParamSet *scalenet_params(ScaleNet *s) { return s->ps; }

static Tensor *forward(Ctx *c, ScaleNet *s, Tensor *act, Tensor *inp)
{
    Tensor *h[2] = {act, inp};
    for (int br = 0; br < 2; br++)
        for (int i = 0; i < 3; i++) h[br] = op_silu(c, op_linear(c, h[br], s->w[br * 3 + i], s->b[br * 3 + i]));
    Tensor *x = op_concat(c, h, 2, 1);
    x = op_silu(c, op_linear(c, x, s->hw[0], s->hb[0]));
    x = op_silu(c, op_linear(c, x, s->hw[1], s->hb[1]));
    return op_sigmoid(c, op_linear(c, x, s->hw[2], s->hb[2])); /* (B, 1) */
}

void scalenet_predict(Ctx *c, ScaleNet *s, const float *cact, const float *cin, int B, float *rho)
{
    ctx_no_grad_begin(c);
    Tensor *p = forward(c, s, tensor_from_host(c, SHAPE(B, s->dact), cact), tensor_from_host(c, SHAPE(B, s->din), cin));
    tensor_download(c, p, rho);
    ctx_step_end(c);
    ctx_no_grad_end(c);
}

double scale_loss(ScaleLoss kind, double p, double r, double *dp)
{
    const double k10 = 10.0 / log(10.0);
    switch (kind) {
    case LOSS_CODE: {
        const double den = r * r + 1e-12, q = (p - r) * (p - r) / den + 1e-8;
        *dp = k10 * 2.0 * (p - r) / den / q;
        return 10.0 * log10(q);
    }
    case LOSS_PAPER: {
        const double den = r > 1e-12 ? r : 1e-12, q = (p - r) * (p - r) / den + 1e-12;
        *dp = k10 * 2.0 * (p - r) / den / q;
        return 10.0 * log10(q);
    }
    case LOSS_LOGMSE: {
        const double pp = p > 1e-12 ? p : 1e-12, d = log(pp) - log(r > 1e-12 ? r : 1e-12);
        *dp = 2.0 * d / pp;
        return d * d;
    }
    case LOSS_MSE:
        *dp = 2.0 * (p - r);
        return (p - r) * (p - r);
    }
    *dp = 0;
    return 0;
}

static ScaleLoss loss_kind(const Config *cfg)
{
    const char *s = cfg_str(cfg, "scale.loss");
    return !strcmp(s, "paper") ? LOSS_PAPER : !strcmp(s, "logmse") ? LOSS_LOGMSE : !strcmp(s, "mse") ? LOSS_MSE : LOSS_CODE;
}

/* the scale model's fit on a set: mean |p - r| / r and the correlation of ln p with ln r */
typedef struct {
    double rel, log_corr;
} RhoFit;

static void rho_fit(const double *p, const double *r, int n, RhoFit *out)
{
    double rel = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (int i = 0; i < n; i++) {
        rel += fabs(p[i] - r[i]) / fmax(r[i], 1e-12);
        const double x = log(fmax(p[i], 1e-30)), y = log(fmax(r[i], 1e-30));
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    out->rel = n > 0 ? rel / n : NAN;
    const double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
    out->log_corr = n > 1 && vx > 0 && vy > 0 ? (sxy - sx * sy / n) / sqrt(vx * vy) : NAN;
}

int scale_train(StageEnv *env, const Collected *k, const char *work, const char *grp, const char *stage)
{
    Ctx *c = env->c;
    const Config *cfg = env->cfg;
    Status *st = env->st;
    const double t0 = clock_now();
    ScaleNet *s = scalenet_create(c, k->d.dact, k->d.din, cfg_int(cfg, "scale.ch"));
    /* the output starts at the collection's mean rho (its last bias = logit(mean)): rho is
     * ~1e-3 while a fresh sigmoid says 0.5, which a few thousand steps do not undo */
    const int ntrain = k->n - collect_holdout(cfg, k->n); /* the rest is held out (collect.h) */
    double rho_mean0 = 0.0;
    for (int i = 0; i < ntrain; i++) rho_mean0 += k->rho[i];
    rho_mean0 = fmin(fmax(rho_mean0 / ntrain, 1e-7), 1.0 - 1e-7);
    const float logit = (float)log(rho_mean0 / (1.0 - rho_mean0));
    c->be->upload(c->bc, s->hb[2]->data, &logit, sizeof logit);
    Optimizer *opt = optim_create(s->ps, optim_defaults(OPT_ADAM, (float)cfg_float(cfg, "scale.lr")));
    const int steps = cfg_int(cfg, "scale.steps"), B = cfg_int(cfg, "scale.batch") < ntrain ? cfg_int(cfg, "scale.batch") : ntrain;
    const ScaleLoss kind = loss_kind(cfg);
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    float *cact = malloc(sizeof(float) * (size_t)(B * k->d.dact)), *cin = malloc(sizeof(float) * (size_t)(B * k->d.din));
    float *p = malloc(sizeof(float) * (size_t)B), *g = malloc(sizeof(float) * (size_t)B);
    double *rr = malloc(sizeof(double) * (size_t)B);
    int64_t *order = malloc(sizeof(int64_t) * (size_t)ntrain);
    int order_epoch = -1;
    const int every = steps / 50 > 0 ? steps / 50 : 1;
    double *curve = calloc((size_t)(steps / every + 2), sizeof(double)), lsum = 0.0;
    int ncurve = 0, lcount = 0, rc = 0;
    for (int step = 0; step < steps && rc == 0; step++) {
        for (int b = 0; b < B; b++) {
            const int64_t pos = (int64_t)step * B + b, ep = pos / ntrain;
            if (ep != order_epoch) {
                ocd_permutation(seed, 400 + (uint64_t)ep, ntrain, order);
                order_epoch = (int)ep;
            }
            const int64_t i = order[pos % ntrain];
            memcpy(cact + b * k->d.dact, k->cact + i * k->d.dact, sizeof(float) * (size_t)k->d.dact);
            memcpy(cin + b * k->d.din, k->cin + i * k->d.din, sizeof(float) * (size_t)k->d.din);
            rr[b] = k->rho[i];
        }
        params_zero_grad(s->ps);
        Tensor *pred = forward(c, s, tensor_from_host(c, SHAPE(B, k->d.dact), cact), tensor_from_host(c, SHAPE(B, k->d.din), cin));
        tensor_download(c, pred, p);
        double l = 0.0;
        for (int b = 0; b < B; b++) {
            double dp;
            const double u = kind == LOSS_MSE ? 1.0 / rho_mean0 : 1.0; /* mse: in units of the mean rho */
            l += scale_loss(kind, p[b] * u, rr[b] * u, &dp) / B;
            g[b] = (float)(dp * u / B);
        }
        if (!isfinite(l)) {
            rc = status_fail(st, ERR_NUMERIC, "%s: the scale model's loss became %g at step %d", stage, l, step);
            ctx_step_end(c);
            break;
        }
        ag_backward_seeded(c, pred, tensor_from_host(c, SHAPE(B, 1), g));
        ctx_step_end(c);
        optim_clip_grad_norm(s->ps, 1.0f);
        optim_step(opt);
        lsum += l;
        lcount++;
        if ((step + 1) % every == 0 || step + 1 == steps) {
            curve[ncurve++] = lsum / lcount;
            lsum = 0.0;
            lcount = 0;
            bus_progress(env->bus, stage, step + 1, steps, "scale_loss", curve[ncurve - 1], NULL, 0.0);
        }
    }
    /* how well it predicts rho on the trained and the held-out samples, and the training mean
     * (the no-scale ablation's rho) */
    RhoFit fit_train = {0}, fit_held = {0};
    double mean = 0.0, *pred_all = NULL;
    if (rc == 0) {
        const int chunk = 1024;
        float *pa = malloc(sizeof(float) * chunk);
        pred_all = malloc(sizeof(double) * (size_t)k->n);
        for (int i0 = 0; i0 < k->n; i0 += chunk) {
            const int n = k->n - i0 < chunk ? k->n - i0 : chunk;
            scalenet_predict(c, s, k->cact + (int64_t)i0 * k->d.dact, k->cin + (int64_t)i0 * k->d.din, n, pa);
            for (int i = 0; i < n; i++) pred_all[i0 + i] = pa[i];
        }
        free(pa);
        for (int i = 0; i < ntrain; i++) mean += k->rho[i];
        mean /= ntrain;
        rho_fit(pred_all, k->rho, ntrain, &fit_train);
        rho_fit(pred_all + ntrain, k->rho + ntrain, k->n - ntrain, &fit_held);
        H5File *f = ocd_work_begin(work, st);
        char path[200];
        const int64_t nc = ncurve;
        rc = f ? h5w_unlink(f, grp, st) : -1;
        rc = rc ? rc : (snprintf(path, sizeof path, "%s/weights", grp), paramset_save(f, path, s->ps, st));
        rc = rc ? rc : (snprintf(path, sizeof path, "%s/curves/loss", grp), h5w_doubles(f, path, curve, 1, &nc, st));
        rc = rc ? rc : h5w_attr_str(f, grp, "loss", cfg_str(cfg, "scale.loss"), st);
        rc = rc ? rc : h5w_attr_double(f, grp, "train_mean_relative_error", fit_train.rel, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "train_log_corr", fit_train.log_corr, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "heldout_mean_relative_error", fit_held.rel, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "heldout_log_corr", fit_held.log_corr, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "train_samples", ntrain, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "holdout_samples", k->n - ntrain, st);
        const int64_t nh = k->n - ntrain;
        if (nh > 0) {
            rc = rc ? rc : (snprintf(path, sizeof path, "%s/fit/heldout_rho_pred", grp), h5w_doubles(f, path, pred_all + ntrain, 1, &nh, st));
            rc = rc ? rc : (snprintf(path, sizeof path, "%s/fit/heldout_rho_true", grp), h5w_doubles(f, path, k->rho + ntrain, 1, &nh, st));
        }
        rc = rc ? rc : h5w_attr_double(f, grp, "rho_mean", mean, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "ch", s->ch, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "steps", steps, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "seconds", clock_now() - t0, st);
        rc = rc ? rc : h5w_attr_str(f, grp, "status", "complete", st);
        if (f && rc) h5w_abort(f);
        if (f && rc == 0) rc = h5w_commit(f, st);
        if (rc == 0)
            bus_log(env->bus, stage,
                    "scale: %d steps in %.1f s; mean relative error of rho %.3f held out, %.3f trained on; correlation of "
                    "log rho predicted and true %.3f held out (rho mean %.3g)",
                    steps, clock_now() - t0, fit_held.rel, fit_train.rel, fit_held.log_corr, mean);
    }
    free(cact);
    free(cin);
    free(p);
    free(g);
    free(rr);
    free(order);
    free(curve);
    free(pred_all);
    optim_destroy(opt);
    scalenet_destroy(s);
    return rc ? -1 : 0;
}

int scale_load(StageEnv *env, const Collected *k, const char *path, const char *grp, ScaleNet **out)
{
    H5File *f = h5r_open(path, env->st);
    if (!f) return -1;
    int64_t ch = 0;
    h5r_attr_int(f, grp, "ch", &ch);
    ScaleNet *s = scalenet_create(env->c, k->d.dact, k->d.din, ch > 0 ? (int)ch : cfg_int(env->cfg, "scale.ch"));
    char p[200];
    snprintf(p, sizeof p, "%s/weights", grp);
    const int r = paramset_load(f, p, s->ps, env->st);
    h5r_close(f);
    if (r) {
        scalenet_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}
