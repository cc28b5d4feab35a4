/* Figure "select": the layer-selection score of every candidate layer as bars, the chosen
 * layer and the runner-up (the alternative layer) marked by colour, layers that cannot take
 * per-sample weights drawn faint. */
#include "fig_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void fig_select_size(const FigCtx *f, int *w, int *h)
{
    *w = 640 + 80 * f->v->nlayers;
    if (*w > 1600) *w = 1600;
    *h = 460;
}

int fig_select_draw(Chart *c, const FigCtx *f, Status *st)
{
    const SessView *v = f->v;
    if (v->nlayers == 0)
        return status_fail(st, ERR_STATE, "figure select: %s: the select stage is not complete", v->dir);
    const char *pinned = cfg_str(&v->cfg, "select.layer");
    const char *chosen = v->chosen >= 0 ? v->layer[v->chosen] : "?",
               *runner = v->runner_up >= 0 ? v->layer[v->runner_up] : "";
    const char *cats[SV_MAX_LAYERS];
    int any_faint = 0, any_other = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < v->nlayers; i++) {
        cats[i] = v->layer[i];
        any_faint |= !v->eligible[i];
        any_other |= v->eligible[i] && i != v->chosen && i != v->runner_up;
    }
    fig_range(v->score, v->nlayers, &lo, &hi);
    if (!isfinite(lo)) return status_fail(st, ERR_STATE, "figure select: %s: no finite layer score", v->dir);
    char title[160], lchosen[96], lrunner[96];
    snprintf(title, sizeof title, "Layer selection (%d candidate layers)", v->nlayers);
    snprintf(lchosen, sizeof lchosen, "chosen: %s%s", chosen, pinned && pinned[0] ? " (pinned by select.layer)" : "");
    snprintf(lrunner, sizeof lrunner, "runner-up (alternative layer): %s", runner);
    Axes *a = chart_axes(c, 0, 0, c->width, c->height, title);
    chart_add_series(a, lchosen, chart_colour(0), 1, CHART_SOLID);
    if (runner[0]) chart_add_series(a, lrunner, chart_colour(1), 1, CHART_SOLID);
    if (any_other) chart_add_series(a, "other layers", CHART_MUTED, 1, CHART_SOLID);
    if (any_faint) chart_add_series(a, "cannot take per-sample weights", CHART_FAINT, 1, CHART_SOLID);
    double lw, lh;
    chart_legend_size(c, a, &lw, &lh);
    a->bw -= lw + 12 * c->scale;
    a->x.ncats = v->nlayers;
    a->x.cats = cats;
    a->x.lo = -0.5;
    a->x.hi = v->nlayers - 0.5;
    a->x.label = "candidate layer";
    a->y.label = "score: mean entropy of the loss (nats)";
    /* bars rise from below the lowest score, so that the differences show (the axis says
     * where they start); headroom above for the value labels */
    const double span = hi - lo > 0 ? hi - lo : fmax(fabs(hi), 1) * 0.1;
    a->y.lo = lo - 0.35 * span;
    a->y.hi = hi + 0.15 * span;
    chart_nice_range(&a->y.lo, &a->y.hi, 5);
    chart_axes_draw(c, a);
    for (int i = 0; i < v->nlayers; i++) {
        const uint32_t col = i == v->chosen      ? chart_colour(0)
                             : i == v->runner_up ? chart_colour(1)
                             : v->eligible[i]    ? CHART_MUTED
                                                 : CHART_FAINT;
        chart_bar(c, a, 0, i, 0.6, a->y.lo, v->score[i], col, NULL);
        char val[32];
        snprintf(val, sizeof val, "%.2f", v->score[i]);
        if (isfinite(v->score[i]))
            chart_text(c, chart_px(a, i), chart_py(a, v->score[i]) - 3 * c->scale, val, 11, 0.5, 1, 0, CHART_INK, 0);
    }
    chart_legend(c, a, 4);
    snprintf(f->caption, f->caption_len,
             "Layer selection: each candidate layer's score (%s); OCD uses %s%s, the alternative-layer ablation %s.",
             v->select_method[0] ? v->select_method : "the select stage's score", chosen,
             pinned && pinned[0] ? " (pinned by select.layer)" : " (the highest score)", runner[0] ? runner : "none");
    return 0;
}
