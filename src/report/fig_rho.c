/* Figure "rho": the distribution of the scale rho, on the training samples (what the overfit
 * stage measured) and as the scale model predicts it on test samples (through the probe),
 * as histograms of the fraction of samples per bin; log-spaced bins when rho spans more than
 * a factor of 20. The training mean (what the no-scale ablation uses) is marked. */
#include "fig_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RHO_MAX_BINS = 40, RHO_MAX_TEST = 5000 };

void fig_rho_size(const FigCtx *f, int *w, int *h)
{
    (void)f;
    *w = 960;
    *h = 480;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the q-quantile (0..1) of the finite values of x, NAN when there are none */
static double quantile(const double *x, int n, double q)
{
    double *s = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!s) return NAN;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) s[m++] = x[i];
    if (m == 0) {
        free(s);
        return NAN;
    }
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    const double pos = q * (m - 1), fl = floor(pos);
    const int i = (int)fl;
    const double v = i + 1 < m ? s[i] + (pos - fl) * (s[i + 1] - s[i]) : s[i];
    free(s);
    return v;
}

/* fraction of the n values in each of nb bins; values outside the edges go to the end bins */
static void histogram(const double *x, int n, const double *edges, int nb, int log, double *hgt)
{
    memset(hgt, 0, sizeof(double) * (size_t)nb);
    const double lo = log ? log10(edges[0]) : edges[0], hi = log ? log10(edges[nb]) : edges[nb];
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || (log && x[i] <= 0)) continue;
        const double u = log ? log10(x[i]) : x[i];
        int b = (int)floor((u - lo) / (hi - lo) * nb);
        b = b < 0 ? 0 : b >= nb ? nb - 1 : b;
        hgt[b] += 1;
        used++;
    }
    for (int b = 0; b < nb && used; b++)
        hgt[b] /= used;
}

int fig_rho_draw(Chart *c, const FigCtx *f, Status *st)
{
    const SessView *v = f->v;
    if (v->n_overfit == 0)
        return status_fail(st, ERR_STATE, "figure rho: %s: the overfit stage is not complete", v->dir);
    int nt = probe_test_count(f->probe);
    if (v->test_samples > 0 && v->test_samples < nt) nt = (int)v->test_samples; /* what eval used */
    if (nt > RHO_MAX_TEST) nt = RHO_MAX_TEST;
    double *test = malloc(sizeof(double) * (size_t)(nt > 0 ? nt : 1));
    if (!test) return status_fail(st, ERR_IO, "figure rho: out of memory");
    if (probe_rho_test(f->probe, nt, test, st)) {
        free(test);
        return -1;
    }
    /* the bins cover the middle 99% of each set: a few extreme samples would otherwise
     * squeeze the rest into a bin or two (they are counted in the end bins) */
    const double lo = fmin(quantile(v->rho, v->n_overfit, 0.005), quantile(test, nt, 0.005));
    double hi = fmax(quantile(v->rho, v->n_overfit, 0.995), quantile(test, nt, 0.995)), mean = 0;
    if (!isfinite(lo) || !isfinite(hi)) {
        free(test);
        return status_fail(st, ERR_STATE, "figure rho: %s: no finite rho", v->dir);
    }
    for (int i = 0; i < v->n_overfit; i++)
        mean += v->rho[i] / v->n_overfit;
    const int log = lo > 0 && hi / lo > 20;
    /* about 2 sqrt(n) bins for the smaller set, 8 to 40 */
    int nb = (int)(2 * sqrt(fmin(v->n_overfit, nt)));
    nb = nb < 8 ? 8 : nb > RHO_MAX_BINS ? RHO_MAX_BINS : nb;
    double edges[RHO_MAX_BINS + 1], htrain[RHO_MAX_BINS], htest[RHO_MAX_BINS];
    if (!(hi > lo)) hi = lo + (lo != 0 ? fabs(lo) * 0.1 : 1);
    for (int b = 0; b <= nb; b++)
        edges[b] = log ? pow(10, log10(lo) + (log10(hi) - log10(lo)) * b / nb) : lo + (hi - lo) * b / nb;
    histogram(v->rho, v->n_overfit, edges, nb, log, htrain);
    histogram(test, nt, edges, nb, log, htest);
    double ymax = 0;
    for (int b = 0; b < nb; b++)
        ymax = fmax(ymax, fmax(htrain[b], htest[b]));

    char title[160], ltrain[128], ltest[128], lmean[96];
    snprintf(title, sizeof title, "The scale ρ (layer %s): training vs predicted on test", v->overfit_layer);
    snprintf(ltrain, sizeof ltrain, "training (overfit stage): n = %d, median %.3g", v->n_overfit,
             quantile(v->rho, v->n_overfit, 0.5));
    snprintf(ltest, sizeof ltest, "test (scale model): n = %d, median %.3g", nt, quantile(test, nt, 0.5));
    snprintf(lmean, sizeof lmean, "training mean %.3g (the no-scale ablation)", mean);
    Axes *a = chart_axes(c, 0, 0, c->width, c->height, title);
    a->x.lo = edges[0];
    a->x.hi = edges[nb];
    a->x.log = log;
    char xl[128];
    snprintf(xl, sizeof xl, "ρ (%s)%s", v->rho_kind[0] ? v->rho_kind : "scale of the overfit shift",
             log ? ", log scale" : "");
    a->x.label = xl;
    a->y.label = "fraction of samples per bin";
    a->y.lo = 0;
    a->y.hi = ymax * 1.1;
    chart_nice_range(&a->y.lo, &a->y.hi, 5);
    chart_axes_draw(c, a);
    chart_hist(c, a, nb, edges, htrain, chart_colour(0), ltrain);
    chart_hist(c, a, nb, edges, htest, chart_colour(1), ltest);
    chart_refline(c, a, 0, mean, chart_colour(2), CHART_DASHED, lmean);
    chart_legend(c, a, -1);
    snprintf(f->caption, f->caption_len,
             "The scale ρ: its distribution over the %d overfit training samples and as the scale model predicts it "
             "for %d test samples (fraction of samples per bin%s; the bins span the middle 99%% of the values, the "
             "rest is counted in the end bins); dashed: the training mean, which the no-scale ablation uses for every "
             "sample.",
             v->n_overfit, nt, log ? ", log-spaced bins" : "");
    free(test);
    return 0;
}
