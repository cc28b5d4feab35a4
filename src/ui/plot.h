/* Line charts in braille (2 x 4 dots per cell): several series, y tick labels, optional
 * log-y and EMA smoothing, for the loss curves and anything else drawn against a step. */
#ifndef OCD_UI_PLOT_H
#define OCD_UI_PLOT_H

#include "canvas.h"

/* x may be NULL: the points are at 0..n-1. name NULL: "series k". */
typedef struct {
    const double *x, *y;
    int n;
    int16_t colour;
    const char *name;
} PlotSeries;

typedef struct {
    int logy;          /* log10 y axis; points with y <= 0 are skipped */
    double xmin, xmax; /* the x range shown; xmin == xmax: all points */
    int smooth;        /* EMA over this many points (alpha = 2 / (smooth + 1)); 0 or 1 = off */
    const char *xlabel;
} PlotOpts;

/* Draws into r: the legend on the top line (with "log y" / "ema N" at its right end), y tick
 * labels and an axis on the left, the x axis with the first and last x and the label at the
 * bottom, and the series as connected lines (one dot colour per cell: the last series drawn
 * in a cell colours it). The y range is that of the points in the x range, not padded, so
 * the extreme points touch the top and bottom dot rows. NaN/inf points are skipped and
 * break the line. No finite point: "no data". ASCII canvas: one '*' per cell instead of
 * braille. o may be NULL (defaults). */
void plot_lines(Canvas *c, Rect r, const PlotSeries *s, int ns, const PlotOpts *o);

#endif
