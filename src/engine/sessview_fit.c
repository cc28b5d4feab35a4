/* The generator-fit part of a session's view (sessview.h): what the diffusion stage measured
 * of its network on held-out and trained-on samples (ocd/fit.h) and how well the scale model
 * predicts rho, read from the session, and the one wording every front end prints; and the
 * "why" sentence that puts the fit beside the ceilings. */
#include "sessview.h"

#include "h5io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double attr_or_nan(H5File *f, const char *obj, const char *name)
{
    double v = NAN;
    return h5r_attr_double(f, obj, name, &v) ? v : NAN;
}

void sessview_read_fit(H5File *f, const char *grp_diffusion, const char *grp_scale, SvFit *fit)
{
    memset(fit, 0, sizeof *fit);
    char held[96], train[96];
    snprintf(held, sizeof held, "%s/fit/heldout", grp_diffusion);
    snprintf(train, sizeof train, "%s/fit/train", grp_diffusion);
    fit->have = h5r_exists(f, grp_diffusion);
    int64_t n = 0;
    fit->n_held = h5r_attr_int(f, held, "n", &n) ? (int)n : 0;
    n = 0;
    fit->n_train = h5r_attr_int(f, train, "n", &n) ? (int)n : 0;
    fit->held_cos_mean = fit->n_held ? attr_or_nan(f, held, "cos_mean") : NAN;
    const char *q[3] = {"cos_q25", "cos_median", "cos_q75"};
    for (int i = 0; i < 3; i++) {
        fit->held_cos_q[i] = fit->n_held ? attr_or_nan(f, held, q[i]) : NAN;
        fit->train_cos_q[i] = fit->n_train ? attr_or_nan(f, train, q[i]) : NAN;
    }
    /* older sessions: only the trained-on mean of 64 samples, as group attributes */
    fit->train_cos_mean = attr_or_nan(f, grp_diffusion, "train_direction_cosine");
    fit->other_cos_mean = attr_or_nan(f, grp_diffusion, "train_direction_cosine_other_sample");
    fit->held_ratio_median = fit->n_held ? attr_or_nan(f, held, "norm_ratio_median") : NAN;
    fit->train_ratio_median = fit->n_train ? attr_or_nan(f, train, "norm_ratio_median") : NAN;
    h5r_attr_int(f, grp_diffusion, "train_samples", &fit->train_samples);
    h5r_attr_int(f, grp_diffusion, "holdout_samples", &fit->holdout_samples);
    h5r_attr_int(f, grp_diffusion, "rc_maps", &fit->rc_maps);
    h5r_attr_int(f, grp_diffusion, "rc_product", &fit->rc_product);
    h5r_attr_int(f, grp_diffusion, "cond_maps", &fit->cond_maps);
    snprintf(fit->target, sizeof fit->target, "eps");
    h5r_attr_str(f, grp_diffusion, "target", fit->target, sizeof fit->target);
    fit->rho_rel_held = attr_or_nan(f, grp_scale, "heldout_mean_relative_error");
    fit->rho_rel_train = attr_or_nan(f, grp_scale, "train_mean_relative_error");
    fit->rho_logcorr_held = attr_or_nan(f, grp_scale, "heldout_log_corr");
}

const char *sessview_fit_verdict(const SvFit *fit)
{
    if (!fit->have) return NULL;
    const double c = isfinite(fit->held_cos_mean) ? fit->held_cos_mean : fit->train_cos_mean, o = fit->other_cos_mean;
    if (!isfinite(c)) return NULL;
    const double base = isfinite(o) ? o : 0.0;
    if (c >= 0.5 && c - base >= 0.2) return "learned";
    if (c - base >= 0.05) return "partly learned";
    return "not learned";
}

void sessview_fit_line(const SvFit *fit, char *buf, size_t len)
{
    const char *verdict = sessview_fit_verdict(fit);
    if (!verdict) {
        snprintf(buf, len, "generator fit: not measured");
        return;
    }
    size_t at = 0;
#define ADD(...) (at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__))
    if (fit->n_held > 0)
        ADD("held-out cosine %.3f (median %.3f, IQR %.3f to %.3f, n %d); trained on %.3f", fit->held_cos_mean,
            fit->held_cos_q[1], fit->held_cos_q[0], fit->held_cos_q[2], fit->n_held, fit->train_cos_mean);
    else
        ADD("cosine on trained-on samples %.3f (no held-out set in this session)", fit->train_cos_mean);
    if (isfinite(fit->other_cos_mean)) ADD("; against another sample's %.3f", fit->other_cos_mean);
    const double ratio = fit->n_held > 0 ? fit->held_ratio_median : fit->train_ratio_median;
    if (isfinite(ratio)) ADD("; norm ratio %.2f", ratio);
    if (isfinite(fit->rho_rel_held)) ADD("; rho rel. error %.2f held out", fit->rho_rel_held);
    ADD(": %s", verdict);
#undef ADD
}

/* "better than", "worse than", "no different from" for a row's verdict on metric m */
static const char *relation(const SvRow *r, int m)
{
    if (!strcmp(r->verdict[m], "better")) return "better than";
    if (!strcmp(r->verdict[m], "worse")) return "worse than";
    return "no different from";
}

void sessview_why_line(const SessView *v, char *buf, size_t len)
{
    buf[0] = 0;
    const char *w = sessview_verdict(v, 0, NULL, NULL, NULL);
    const char *fv = sessview_fit_verdict(&v->fit);
    if (!w && !fv) return;
    const char *metric = v->metrics[0];
    size_t at = 0;
#define ADD(...) (at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__))
    if (!w)
        ADD("Generator: ");
    else if (!strcmp(w, "better"))
        ADD("Why OCD beats the base model here: ");
    else
        ADD("Why OCD does not beat the base model here: ");
    const char *sep = "";
    if (fv) {
        const SvFit *fit = &v->fit;
        const int held = fit->n_held > 0;
        ADD("the generator %s its target (%s cosine %.3f)",
            !strcmp(fv, "learned") ? "learned" : !strcmp(fv, "partly learned") ? "partly learned" : "did not learn",
            held ? "held-out" : "trained-on", held ? fit->held_cos_mean : fit->train_cos_mean);
        sep = "; ";
    }
    const SvRow *pred = sessview_row(v, "overfit_test_predicted"), *truth = sessview_row(v, "overfit_test");
    char d[96];
    if (pred && pred->has_diff) {
        sessview_fmt_diff(metric, pred->diff[0], pred->lo[0], pred->hi[0], d, sizeof d);
        ADD("%sa perfect label-free generator (overfit toward the base model's own prediction) is %s the base model "
            "on %s (%s)",
            sep, relation(pred, 0), metric, d);
        sep = "; ";
    }
    if (truth && truth->has_diff) {
        /* what the bound overfits toward: the label, the regression target, the view's pixels */
        const char *what = !strcmp(v->task, "regression") ? "target" : !strcmp(v->task, "nerf") ? "pixels" : "label";
        sessview_fmt_diff(metric, truth->diff[0], truth->lo[0], truth->hi[0], d, sizeof d);
        ADD("%soverfitting with the true %s (the bound that needs the %s) is %s the base model (%s)", sep, what, what,
            relation(truth, 0), d);
    }
    ADD(".");
#undef ADD
}
