/* Figure "curves": the training curves of the three trained parts, one panel each: the base
 * model (train and test/validation loss; for classifiers a panel of accuracy too), the
 * diffusion model's noise-prediction loss and the scale model's loss, each for the selected
 * layer and the alternative layer. Per-step losses are noisy: they are drawn faint, with a
 * running mean over them. */
#include "fig_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const SvCurve *c;
    char name[96];
    uint32_t colour;
} Series;

typedef struct {
    const char *title, *xlabel, *ylabel;
    int n;
    Series s[2];
    int want_log;
} Panel;

static void add(Panel *q, const SvCurve *c, const char *name, uint32_t colour)
{
    Series *s = &q->s[q->n++];
    s->c = c;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->colour = colour;
}

static int panels(const SessView *v, Panel *p)
{
    const char *layer = v->overfit_layer[0] ? v->overfit_layer : "selected layer";
    char alt[96];
    snprintf(alt, sizeof alt, "%s (alternative)", v->alt_layer[0] ? v->alt_layer : "the alternative layer");
    int n = 0;
    const int nerf = !strcmp(v->task, "nerf");
    if (v->base_train_loss.n || v->base_test_loss.n) {
        Panel *q = &p[n++];
        *q = (Panel){.title = "base model: loss", .xlabel = nerf ? "step" : "epoch", .ylabel = "loss", .want_log = 1};
        if (v->base_train_loss.n) add(q, &v->base_train_loss, "train", chart_colour(0));
        if (v->base_test_loss.n)
            add(q, &v->base_test_loss, strstr(v->base_test_loss.what, "validation") ? "validation" : "test",
                chart_colour(1));
    }
    if (v->base_train_acc.n || v->base_test_acc.n) {
        Panel *q = &p[n++];
        *q = (Panel){.title = "base model: accuracy", .xlabel = "epoch", .ylabel = "accuracy (%)"};
        if (v->base_train_acc.n) add(q, &v->base_train_acc, "train", chart_colour(0));
        if (v->base_test_acc.n)
            add(q, &v->base_test_acc, strstr(v->base_test_acc.what, "validation") ? "validation" : "test",
                chart_colour(1));
    }
    if (v->diffusion_loss.n || v->alt_diffusion_loss.n) {
        Panel *q = &p[n++];
        *q = (Panel){.title = "diffusion model: noise-prediction loss",
                     .xlabel = "step",
                     .ylabel = "loss (running mean)",
                     .want_log = 1};
        if (v->diffusion_loss.n) add(q, &v->diffusion_loss, layer, chart_colour(2));
        if (v->alt_diffusion_loss.n) add(q, &v->alt_diffusion_loss, alt, chart_colour(4));
    }
    if (v->scale_loss.n || v->alt_scale_loss.n) {
        Panel *q = &p[n++];
        *q = (Panel){.title = "scale model: loss",
                     .xlabel = "point (each the mean over its share of the steps)",
                     .ylabel = "loss",
                     .want_log = 1};
        if (v->scale_loss.n) add(q, &v->scale_loss, layer, chart_colour(2));
        if (v->alt_scale_loss.n) add(q, &v->alt_scale_loss, alt, chart_colour(4));
    }
    return n;
}

void fig_curves_size(const FigCtx *f, int *w, int *h)
{
    Panel p[4];
    const int n = panels(f->v, p);
    *w = 120 + 380 * (n > 0 ? n : 1);
    *h = 420;
}

/* the running mean over a centred window of `win` points (fewer at the ends) */
static void running_mean(const double *y, int n, int win, double *out)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        int k = 0;
        for (int j = i - win / 2; j <= i + win / 2; j++)
            if (j >= 0 && j < n && isfinite(y[j])) s += y[j], k++;
        out[i] = k ? s / k : NAN;
    }
}

int fig_curves_draw(Chart *c, const FigCtx *f, Status *st)
{
    const SessView *v = f->v;
    Panel p[4];
    const int np = panels(v, p);
    if (np == 0)
        return status_fail(st, ERR_STATE, "figure curves: %s: no stage with training curves is complete", v->dir);
    const double pw = (double)c->width / np;
    char caption[512] = "Training curves:";
    for (int k = 0; k < np; k++) {
        const Panel *q = &p[k];
        Axes *a = chart_axes(c, k * pw, 0, pw, c->height, q->title);
        double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
        double *smooth[2] = {NULL, NULL};
        int win[2] = {1, 1};
        const double yscale = strstr(q->ylabel, "%") ? 100 : 1;
        const int ns = q->n < 2 ? q->n : 2;
        for (int i = 0; i < ns; i++) {
            const SvCurve *cu = q->s[i].c;
            fig_range(cu->x, cu->n, &xlo, &xhi);
            /* per-step curves: about 60 windows over the run */
            win[i] = cu->n > 200 ? cu->n / 60 : 1;
            smooth[i] = malloc(sizeof(double) * (size_t)cu->n);
            if (!smooth[i]) {
                free(smooth[0]);
                free(smooth[1]);
                return status_fail(st, ERR_IO, "figure curves: out of memory");
            }
            running_mean(cu->y, cu->n, win[i], smooth[i]);
            for (int j = 0; j < cu->n; j++)
                smooth[i][j] *= yscale;
            /* the axis fits the running means: a noisy raw curve may be clipped */
            fig_range(smooth[i], cu->n, &ylo, &yhi);
        }
        a->x.lo = xlo;
        a->x.hi = xhi > xlo ? xhi : xlo + 1;
        int few = 0; /* short curves get markers: keep the end ones off the frame */
        for (int i = 0; i < q->n; i++)
            few |= q->s[i].c->n <= 30;
        if (few) {
            const double span = a->x.hi - a->x.lo;
            a->x.lo -= 0.03 * span;
            a->x.hi += 0.03 * span;
        }
        a->x.label = q->xlabel;
        a->x.integer = 1;
        a->y.label = q->ylabel;
        fig_axis_fit(&a->y, ylo, yhi, 0.05, q->want_log);
        chart_axes_draw(c, a);
        for (int i = 0; i < ns; i++) {
            const SvCurve *cu = q->s[i].c;
            char name[128];
            if (win[i] > 1) {
                double *raw = malloc(sizeof(double) * (size_t)cu->n);
                if (raw) {
                    for (int j = 0; j < cu->n; j++)
                        raw[j] = cu->y[j] * yscale;
                    chart_line(c, a, cu->n, cu->x, raw, q->s[i].colour, 1, CHART_SOLID, 0.18, NULL);
                    free(raw);
                }
                snprintf(name, sizeof name, "%s (mean of %d)", q->s[i].name, win[i]);
            } else {
                snprintf(name, sizeof name, "%s", q->s[i].name);
            }
            chart_line(c, a, cu->n, cu->x, smooth[i], q->s[i].colour, 2, CHART_SOLID, 1, name);
            if (cu->n <= 3 || (strstr(cu->what, "epoch") && cu->n <= 30))
                chart_points(c, a, cu->n, cu->x, smooth[i], q->s[i].colour, 3.5);
        }
        free(smooth[0]);
        free(smooth[1]);
        chart_legend(c, a, -1);
        const size_t len = strlen(caption);
        snprintf(caption + len, sizeof caption - len, "%s %s", k ? ";" : "", q->title);
    }
    snprintf(f->caption, f->caption_len,
             "%s. Per-step losses are drawn faint with their running mean over them; log scale where a loss spans "
             "more than a factor of 20.",
             caption);
    return 0;
}
