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

int scale_train(StageEnv *env, const Collected *k, const char *work, const char *grp, const char *stage)
{
    Ctx *c = env->c;
    const Config *cfg = env->cfg;
    Status *st = env->st;
    const double t0 = clock_now();
    ScaleNet *s = scalenet_create(c, k->d.dact, k->d.din, cfg_int(cfg, "scale.ch"));
    /* the output starts at the collection's mean rho (its last bias = logit(mean)): rho is
     * ~1e-3 while a fresh sigmoid says 0.5, which a few thousand steps do not undo */
    double rho_mean0 = 0.0;
    for (int i = 0; i < k->n; i++) rho_mean0 += k->rho[i];
    rho_mean0 = fmin(fmax(rho_mean0 / k->n, 1e-7), 1.0 - 1e-7);
    const float logit = (float)log(rho_mean0 / (1.0 - rho_mean0));
    c->be->upload(c->bc, s->hb[2]->data, &logit, sizeof logit);
    Optimizer *opt = optim_create(s->ps, optim_defaults(OPT_ADAM, (float)cfg_float(cfg, "scale.lr")));
    const int steps = cfg_int(cfg, "scale.steps"), B = cfg_int(cfg, "scale.batch") < k->n ? cfg_int(cfg, "scale.batch") : k->n;
    const ScaleLoss kind = loss_kind(cfg);
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    float *cact = malloc(sizeof(float) * (size_t)(B * k->d.dact)), *cin = malloc(sizeof(float) * (size_t)(B * k->d.din));
    float *p = malloc(sizeof(float) * (size_t)B), *g = malloc(sizeof(float) * (size_t)B);
    double *rr = malloc(sizeof(double) * (size_t)B);
    int64_t *order = malloc(sizeof(int64_t) * (size_t)k->n);
    int order_epoch = -1;
    const int every = steps / 50 > 0 ? steps / 50 : 1;
    double *curve = calloc((size_t)(steps / every + 2), sizeof(double)), lsum = 0.0;
    int ncurve = 0, lcount = 0, rc = 0;
    for (int step = 0; step < steps && rc == 0; step++) {
        for (int b = 0; b < B; b++) {
            const int64_t pos = (int64_t)step * B + b, ep = pos / k->n;
            if (ep != order_epoch) {
                ocd_permutation(seed, 400 + (uint64_t)ep, k->n, order);
                order_epoch = (int)ep;
            }
            const int64_t i = order[pos % k->n];
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
    /* how well it predicts the collection's rho, and the mean (the no-scale ablation's rho) */
    double rel = 0.0, mean = 0.0;
    if (rc == 0) {
        const int chunk = 1024;
        float *pa = malloc(sizeof(float) * chunk);
        for (int i0 = 0; i0 < k->n; i0 += chunk) {
            const int n = k->n - i0 < chunk ? k->n - i0 : chunk;
            scalenet_predict(c, s, k->cact + (int64_t)i0 * k->d.dact, k->cin + (int64_t)i0 * k->d.din, n, pa);
            for (int i = 0; i < n; i++) rel += fabs(pa[i] - k->rho[i0 + i]) / fmax(k->rho[i0 + i], 1e-12);
        }
        free(pa);
        for (int i = 0; i < k->n; i++) mean += k->rho[i];
        rel /= k->n;
        mean /= k->n;
        H5File *f = ocd_work_begin(work, st);
        char path[200];
        const int64_t nc = ncurve;
        rc = f ? h5w_unlink(f, grp, st) : -1;
        rc = rc ? rc : (snprintf(path, sizeof path, "%s/weights", grp), paramset_save(f, path, s->ps, st));
        rc = rc ? rc : (snprintf(path, sizeof path, "%s/curves/loss", grp), h5w_doubles(f, path, curve, 1, &nc, st));
        rc = rc ? rc : h5w_attr_str(f, grp, "loss", cfg_str(cfg, "scale.loss"), st);
        rc = rc ? rc : h5w_attr_double(f, grp, "train_mean_relative_error", rel, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "rho_mean", mean, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "ch", s->ch, st);
        rc = rc ? rc : h5w_attr_int(f, grp, "steps", steps, st);
        rc = rc ? rc : h5w_attr_double(f, grp, "seconds", clock_now() - t0, st);
        rc = rc ? rc : h5w_attr_str(f, grp, "status", "complete", st);
        if (f && rc) h5w_abort(f);
        if (f && rc == 0) rc = h5w_commit(f, st);
        if (rc == 0)
            bus_log(env->bus, stage, "scale: %d steps in %.1f s; mean relative error of rho on the training samples %.3f (rho mean %.3g)",
                    steps, clock_now() - t0, rel, mean);
    }
    free(cact);
    free(cin);
    free(p);
    free(g);
    free(rr);
    free(order);
    free(curve);
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
