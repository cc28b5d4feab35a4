/* Figure "compare": every method of the eval table as horizontal bars with +-SD over the
 * repeats, one panel per metric, the method labels once on the left; the base model's value
 * dashed across each panel, and "better" / "worse" beside a bar whose paired bootstrap
 * interval of the difference to the base excludes 0. Colours group the methods as the eval
 * stage's method table does (ocd/eval.h): the base model and its controls, OCD and its
 * ablations, the label-free ceiling, the overfit-on-test upper bounds, Tent. */
#include "fig_internal.h"

#include "ocd/eval.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *group_name[EVAL_NGROUPS] = {
    [EVAL_GROUP_BASE] = "base model and its controls",
    [EVAL_GROUP_OCD] = "OCD and its ablations",
    [EVAL_GROUP_CEILING] = "overfit toward the predicted label (label-free ceiling)",
    [EVAL_GROUP_BOUND] = "overfit on test (upper bound)",
    [EVAL_GROUP_TENT] = "Tent (test-time adaptation)",
};

/* a key this version does not know (a newer session's row) is drawn as an OCD ablation */
static int group_of(const char *key)
{
    const EvalMethodInfo *mi = eval_method_find(key);
    return mi ? (int)mi->group : EVAL_GROUP_OCD;
}

static uint32_t group_colour(int g)
{
    static const int idx[EVAL_NGROUPS] = {[EVAL_GROUP_BASE] = -1,
                                          [EVAL_GROUP_OCD] = 0,
                                          [EVAL_GROUP_CEILING] = 1,
                                          [EVAL_GROUP_BOUND] = 2,
                                          [EVAL_GROUP_TENT] = 4};
    return g == EVAL_GROUP_BASE ? 0x7f7f7f : chart_colour(idx[g]);
}

/* the verdict of row r on metric m beside its bar (after the whisker, or inside the bar's end
 * when the panel has no room), when its interval excludes 0 */
static void mark_verdict(Chart *c, Axes *a, const SvRow *r, int m, int i, double alo)
{
    if (!r->has_diff || (strcmp(r->verdict[m], "better") && strcmp(r->verdict[m], "worse"))) return;
    const double size = 10, pad = 4 * c->scale, w = chart_text_width(c, r->verdict[m], size, 1);
    const double end = chart_px(a, r->mean[m] + (r->sd[m] > 0 ? r->sd[m] : 0)), y = chart_py(a, i);
    if (end + pad + w <= a->px + a->pw)
        chart_text(c, end + pad, y, r->verdict[m], size, 0, 0.5, 0, CHART_INK, 1);
    else if (chart_px(a, r->mean[m]) - pad - w >= chart_px(a, alo))
        chart_text(c, chart_px(a, r->mean[m]) - pad, y, r->verdict[m], size, 1, 0.5, 0, 0xffffff, 1);
}

void fig_compare_size(const FigCtx *f, int *w, int *h)
{
    *w = 1400;
    *h = 130 + 30 * (f->v->nrows > 0 ? f->v->nrows : 1);
}


/* A row run on a subset of the test samples (the costly ones) is compared with the base on
 * that subset, not with the dashed all-sample base: a dot on the row marks the base's value
 * there, so a bar is read against the right reference. Nothing for sessions without
 * per-sample values. */
static void subset_base_dots(Chart *c, Axes *a, const SessView *v, int m)
{
    for (int i = 0; i < v->nrows; i++) {
        const int64_t n = v->rows[i].test_samples;
        if (n <= 0 || n >= v->test_samples) continue;
        const double px = sessview_row_metric_on(v, "base", m, n), py = i;
        if (isfinite(px)) chart_points(c, a, 1, &px, &py, 0x000000, 3.0 * c->scale);
    }
}

int fig_compare_draw(Chart *c, const FigCtx *f, Status *st)
{
    const SessView *v = f->v;
    if (!sessview_stage_complete(v, "eval") || v->nrows == 0)
        return status_fail(st, ERR_STATE, "figure compare: %s: the eval stage is not complete", v->dir);
    const int n = v->nrows;
    const char *cats[SV_MAX_ROWS];
    double lw = 0;
    int used[EVAL_NGROUPS] = {0};
    for (int i = 0; i < n; i++) {
        cats[i] = v->rows[i].label;
        lw = fmax(lw, chart_text_width(c, cats[i], 11, 0));
        used[group_of(v->rows[i].key)] = 1;
    }
    /* the left panel carries the labels; the legend sits right of the right panel */
    Axes probe_axes = {0};
    for (int g = 0; g < EVAL_NGROUPS; g++)
        if (used[g]) chart_add_series(&probe_axes, group_name[g], group_colour(g), 1, CHART_SOLID);
    chart_add_series(&probe_axes, "base model's mean", 0x7f7f7f, 0, CHART_DASHED);
    int subsets = 0;
    for (int i = 0; i < n; i++) subsets |= v->rows[i].test_samples > 0 && v->rows[i].test_samples < v->test_samples;
    if (subsets) chart_add_series(&probe_axes, "base on the row's subset (dot)", 0x000000, 0, CHART_SOLID);
    double legw, legh;
    chart_legend_size(c, &probe_axes, &legw, &legh);
    const double plot_w = (c->width - lw - legw - 56 * c->scale) / 2;
    const SvRow *base = sessview_row(v, "base");
    for (int m = 0; m < 2; m++) {
        const int higher = sessview_metric_higher_is_better(v->metrics[m]);
        const int pct = !strcmp(v->metrics[m], "accuracy");
        char title[96];
        snprintf(title, sizeof title, "%s (%s is better)", v->metrics[m], higher ? "higher" : "lower");
        const double gap = 36 * c->scale; /* keeps the panels' end tick labels apart */
        const double bx = m == 0 ? 0 : lw + plot_w + gap, bw = m == 0 ? lw + plot_w + gap : plot_w;
        Axes *a = chart_axes(c, bx, 0, bw, c->height, title);
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            const SvRow *r = &v->rows[i];
            if (!isfinite(r->mean[m])) continue;
            const double sd = isfinite(r->sd[m]) ? r->sd[m] : 0;
            lo = fmin(lo, r->mean[m] - sd);
            hi = fmax(hi, r->mean[m] + sd);
        }
        if (!isfinite(lo)) lo = 0, hi = 1;
        /* bars start at zero when zero is near enough to show the differences; otherwise
         * (accuracy near 100%, PSNR) just below the lowest value, as the axis says */
        double alo = lo >= 0 && lo < 0.5 * hi ? 0 : lo - 0.15 * (hi - lo), ahi = hi + 0.04 * (hi - lo);
        if (!(ahi > alo)) ahi = alo + (alo != 0 ? fabs(alo) * 0.1 : 1);
        chart_nice_range(&alo, &ahi, 5);
        if (pct && hi <= 1 && ahi > 1) ahi = 1; /* no accuracy above 100% */
        a->x.lo = alo;
        a->x.hi = ahi;
        a->x.tick_scale = pct ? 100 : 1;
        char xl[64];
        snprintf(xl, sizeof xl, "%s%s (mean ± SD over the repeats)", v->metrics[m], pct ? " (%)" : "");
        a->x.label = xl;
        a->y.ncats = n;
        a->y.cats = cats;
        a->y.lo = n - 0.5; /* the first method at the top */
        a->y.hi = -0.5;
        a->y.no_labels = m == 1;
        chart_axes_draw(c, a);
        for (int i = 0; i < n; i++) {
            const SvRow *r = &v->rows[i];
            const int g = group_of(r->key);
            chart_bar(c, a, 1, i, 0.62, alo, r->mean[m], group_colour(g), group_name[g]);
            if (r->sd[m] > 0) chart_errbar(c, a, 1, i, r->mean[m] - r->sd[m], r->mean[m] + r->sd[m], 0.4);
            mark_verdict(c, a, r, m, i, alo);
        }
        if (base && isfinite(base->mean[m])) chart_refline(c, a, 0, base->mean[m], 0x7f7f7f, CHART_DASHED, NULL);
        if (subsets) subset_base_dots(c, a, v, m);
        if (m == 1) {
            for (int s = 0; s < probe_axes.nseries; s++)
                chart_add_series(a, probe_axes.series[s].name, probe_axes.series[s].colour, probe_axes.series[s].box,
                                 probe_axes.series[s].dash);
            chart_legend(c, a, 4);
        }
    }
    const char *dot_note = subsets ? " (a dot on a row run on a subset: the base on that subset)" : "";
    if (v->bootstrap_resamples > 0)
        snprintf(
            f->caption, f->caption_len,
            "Every method of the eval table on %s and %s (mean ± SD over %lld repeat(s) on %lld test samples), the "
            "base model's value dashed%s; bars start where the axis does. \"better\" or \"worse\" marks a method whose "
            "paired %.0f%% bootstrap interval of the difference to the base (%lld resamples) excludes 0.",
            v->metrics[0], v->metrics[1], (long long)v->repeats, (long long)v->test_samples, dot_note,
            100 * v->bootstrap_level, (long long)v->bootstrap_resamples);
    else
        snprintf(
            f->caption, f->caption_len,
            "Every method of the eval table on %s and %s (mean ± SD over %lld repeat(s) on %lld test samples), the "
            "base model's value dashed%s; bars start where the axis does. The session has no paired intervals.",
            v->metrics[0], v->metrics[1], (long long)v->repeats, (long long)v->test_samples, dot_note);
    return 0;
}
