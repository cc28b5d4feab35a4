/* What each figure file (fig_*.c) gives figures.c: its default size and its drawing function.
 * A drawing function draws into a Chart begun at the figure's size, writes a one-line caption,
 * and fails with a Status (ERR_STATE when the session lacks what it shows). */
#ifndef OCD_FIG_INTERNAL_H
#define OCD_FIG_INTERNAL_H

#include "chart.h"
#include "probe.h"
#include "sessview.h"

#include <stddef.h>

typedef struct {
    const SessView *v;
    Probe *probe; /* NULL when the figure does not need one */
    int arg;      /* the sample or view (-1: the figure's choice) */
    int nsamples; /* with arg -1: how many samples or views (0: the figure's default) */
    char *caption;
    size_t caption_len;
} FigCtx;

typedef void (*FigSizeFn)(const FigCtx *f, int *w, int *h);
typedef int (*FigDrawFn)(Chart *c, const FigCtx *f, Status *st);

void fig_select_size(const FigCtx *f, int *w, int *h);
int fig_select_draw(Chart *c, const FigCtx *f, Status *st);
void fig_curves_size(const FigCtx *f, int *w, int *h);
int fig_curves_draw(Chart *c, const FigCtx *f, Status *st);
void fig_rho_size(const FigCtx *f, int *w, int *h);
int fig_rho_draw(Chart *c, const FigCtx *f, Status *st);
void fig_compare_size(const FigCtx *f, int *w, int *h);
int fig_compare_draw(Chart *c, const FigCtx *f, Status *st);
void fig_views_size(const FigCtx *f, int *w, int *h);
int fig_views_draw(Chart *c, const FigCtx *f, Status *st);
void fig_trajectory_size(const FigCtx *f, int *w, int *h);
int fig_trajectory_draw(Chart *c, const FigCtx *f, Status *st);

/* the finite range of y values of several arrays (lo = +inf when none) */
void fig_range(const double *y, int n, double *lo, double *hi);
/* sets an axis to [lo, hi] padded by `pad` of the span and widened to nice ticks; on log
 * axes (when log is asked and lo > 0 and hi / lo > 20) padded by factors instead */
void fig_axis_fit(ChartAxis *ax, double lo, double hi, double pad, int want_log);

#endif
