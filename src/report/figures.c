/* See figures.h: the table of figures (name, whether it needs a probe, default size,
 * drawing function) and the one path every figure takes to a PNG file. */
#include "figures.h"

#include "fig_internal.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int needs_probe;
    FigSizeFn size;
    FigDrawFn draw;
} FigureDef;

static const FigureDef figures[FIG_COUNT] = {
    [FIG_SELECT] = {"select", 0, fig_select_size, fig_select_draw},
    [FIG_CURVES] = {"curves", 0, fig_curves_size, fig_curves_draw},
    [FIG_RHO] = {"rho", 1, fig_rho_size, fig_rho_draw},
    [FIG_COMPARE] = {"compare", 0, fig_compare_size, fig_compare_draw},
    [FIG_VIEWS] = {"views", 1, fig_views_size, fig_views_draw},
    [FIG_TRAJECTORY] = {"trajectory", 1, fig_trajectory_size, fig_trajectory_draw},
};

const char *figure_name(FigureKind k) { return k >= 0 && k < FIG_COUNT ? figures[k].name : "unknown"; }
int figure_needs_probe(FigureKind k) { return k >= 0 && k < FIG_COUNT && figures[k].needs_probe; }

int figure_applies(FigureKind k, const SessView *v, char *why, int len)
{
    if (k == FIG_VIEWS && strcmp(v->task, "nerf")) {
        snprintf(why, len, "test views are rendered for NeRF sessions only (this is a %s session)", v->task);
        return 0;
    }
    if (why && len > 0) why[0] = 0;
    return 1;
}

int figure_render(FigureKind k, const SessView *v, Probe *probe, int arg, int nsamples, const char *png_path, int width,
                  int height, FigureInfo *info, Status *st)
{
    if (k < 0 || k >= FIG_COUNT) return status_fail(st, ERR_CONFIG, "figure %d: no such figure", (int)k);
    const FigureDef *d = &figures[k];
    char why[256];
    if (!figure_applies(k, v, why, sizeof why)) return status_fail(st, ERR_STATE, "figure %s: %s", d->name, why);
    if (d->needs_probe && !probe)
        return status_fail(st, ERR_STATE,
                           "figure %s: needs the trained pipeline loaded (a probe), and none was given (--no-probe, or "
                           "the session's overfit, diffusion and scale stages are not complete)",
                           d->name);
    char caption[512] = "";
    FigCtx f = {
        .v = v, .probe = probe, .arg = arg, .nsamples = nsamples, .caption = caption, .caption_len = sizeof caption};
    int dw = 0, dh = 0;
    d->size(&f, &dw, &dh);
    const int w = width > 0 ? width : dw, h = height > 0 ? height : dh;
    /* text and lines grow with the figure, so a bigger export looks the same, only sharper */
    double scale = fmin((double)w / dw, (double)h / dh);
    scale = fmax(0.5, fmin(4.0, scale));
    Chart *c = malloc(sizeof *c);
    if (!c) return status_fail(st, ERR_IO, "figure %s: out of memory", d->name);
    int rc = chart_begin(c, w, h, scale, st);
    if (rc == 0) rc = d->draw(c, &f, st);
    if (rc == 0) rc = chart_save(c, png_path, st);
    if (rc == 0 && info) {
        memset(info, 0, sizeof *info);
        info->width = w;
        info->height = h;
        snprintf(info->caption, sizeof info->caption, "%s", caption);
        info->npanels = c->naxes;
        memcpy(info->panel, c->axes, sizeof(Axes) * (size_t)c->naxes);
        for (int i = 0; i < c->naxes; i++) { /* the category labels belong to the drawing code */
            info->panel[i].x.cats = info->panel[i].y.cats = NULL;
            info->panel[i].x.label = info->panel[i].y.label = info->panel[i].x.fmt = info->panel[i].y.fmt = NULL;
        }
    }
    chart_end(c);
    free(c);
    return rc;
}

int figure_write(FigureKind k, const SessView *v, Probe *probe, int arg, const char *png_path, int width, int height,
                 Status *st)
{
    return figure_render(k, v, probe, arg, 0, png_path, width, height, NULL, st);
}

/* ---- helpers shared by the figure files ---- */
void fig_range(const double *y, int n, double *lo, double *hi)
{
    for (int i = 0; i < n; i++)
        if (isfinite(y[i])) {
            *lo = fmin(*lo, y[i]);
            *hi = fmax(*hi, y[i]);
        }
}

void fig_axis_fit(ChartAxis *ax, double lo, double hi, double pad, int want_log)
{
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (want_log && lo > 0 && hi / lo > 20) {
        ax->log = 1;
        ax->lo = lo / pow(hi / lo, pad);
        ax->hi = hi * pow(hi / lo, pad);
        return;
    }
    ax->log = 0;
    const double span = hi - lo;
    double l = lo - pad * span, h = hi + pad * span;
    if (lo >= 0 && l < 0) l = 0; /* a positive quantity's axis does not go below zero */
    chart_nice_range(&l, &h, 5);
    ax->lo = l;
    ax->hi = h;
}
