/* Charts drawn with cairo into an ARGB32 image surface, written with our libpng writer: a
 * Chart is the figure (surface, white background, a size-dependent scale for text and
 * lines); an Axes is one panel (its plot area, data ranges, linear or log scales, the
 * series drawn in it for the legend). The figures (fig_*.c) are built from these pieces.
 * Axes record their plot area and series colours so a test (or a script, via the report's
 * figures.json) can look for the series' pixels inside the plot area. */
#ifndef OCD_CHART_H
#define OCD_CHART_H

#include "core/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CHART_MAX_AXES = 16, CHART_MAX_SERIES = 16, CHART_MAX_TICKS = 32, CHART_MAX_CATS = 40, CHART_OCC = 16 };

/* Colours are 0xRRGGBB. Series take palette colours in order; text, frame and grid use the
 * fixed ones below, which no series uses, so a series' pixels can be told apart. */
uint32_t chart_colour(int i);
enum {
    CHART_INK = 0x262626,   /* text, frame, ticks, error bars */
    CHART_GRID = 0xe8e8e8,  /* grid lines */
    CHART_MUTED = 0x9e9e9e, /* bars that are not a highlighted series */
    CHART_FAINT = 0xd4d4d4, /* bars of things that do not apply */
    CHART_BG = 0xffffff,
};

typedef struct {
    double lo, hi;
    int log;                 /* log10 scale (values <= 0 are not drawn) */
    int ncats;               /* > 0: a categorical axis, category i at value i */
    const char *const *cats; /* ncats labels (kept by the caller while drawing) */
    const char *label;       /* axis title (may be NULL) */
    const char *fmt;         /* printf format of tick labels (NULL: chosen from the step) */
    double tick_scale;       /* tick labels show value * tick_scale (0 = 1) */
    int no_labels;           /* draw ticks without labels (a panel sharing its neighbour's) */
    int integer;             /* ticks on whole numbers only (epochs, steps) */
} ChartAxis;

typedef enum { CHART_SOLID, CHART_DASHED, CHART_DOTTED } ChartDash;

typedef struct {
    char name[64];
    uint32_t colour;
    int box; /* legend swatch: 1 a filled square (bars, areas), 0 a line */
    ChartDash dash;
    int hidden; /* drawn, but left out of the legend (another panel's legend names it) */
} ChartSeries;

typedef struct {
    double bx, by, bw, bh; /* the panel's box in the figure, pixels */
    double px, py, pw, ph; /* the plot area (inside the frame), pixels */
    ChartAxis x, y;
    char title[160];
    int nseries;
    ChartSeries series[CHART_MAX_SERIES];
    double lx, ly, lw, lh; /* the legend's box once drawn (lw = 0: none) */
    /* where the plot area has ink: a CHART_OCC x CHART_OCC grid of counts, so the legend can
     * go to the emptiest corner */
    uint16_t occ[CHART_OCC][CHART_OCC];
} Axes;

typedef struct Chart {
    int width, height;
    double scale;       /* text and line sizes relative to the default figure size */
    void *surface, *cr; /* cairo_surface_t *, cairo_t * (kept opaque for users of this header) */
    int naxes;
    Axes axes[CHART_MAX_AXES];
} Chart;

/* A white figure of width x height; `scale` sizes text and lines (1 at the default size).
 * ERR_CONFIG for a size out of [64, 8192], ERR_IO when cairo cannot make the surface. */
int chart_begin(Chart *c, int width, int height, double scale, Status *st);
/* writes the figure as a PNG (png_write_argb32) */
int chart_save(Chart *c, const char *path, Status *st);
void chart_end(Chart *c);
/* the figure's pixels: ARGB32 rows of stride bytes (for tests and the TUI) */
const unsigned char *chart_pixels(const Chart *c, int *stride);

/* Frees cairo's and fontconfig's process-wide font caches (cairo_debug_reset_static_data,
 * FcFini). Call it once, when no Chart is alive and none will be made again (at exit), so a
 * leak checker sees a clean exit; a program that skips it loses nothing. */
void chart_release_fonts(void);

/* ---- ticks ---- */
/* Ticks for [lo, hi]: multiples of a step 1, 2 or 5 x 10^k giving about `target` ticks, all
 * inside [lo, hi]. Returns the count (at most max); *step gets the step. */
int chart_nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step);
/* Widens [*lo, *hi] to multiples of the nice step for `target` ticks (an empty range is
 * widened around its value). */
void chart_nice_range(double *lo, double *hi, int target);
/* Ticks of a log10 axis over [lo, hi] (both > 0): powers of ten, with 2 and 5 between them
 * when the range spans at most three decades (every integer multiple inside one decade). */
int chart_log_ticks(double lo, double hi, double *ticks, int max);
/* the label of tick value v on an axis with the given step ("0.05", "1e-04", "20") */
void chart_tick_label(double v, double step, int log, char *buf, int len);

/* ---- axes ---- */
/* A panel in box (x, y, w, h) of the figure, with a title (may be NULL). The axes' ranges
 * are set by the caller in a->x / a->y before chart_axes_draw. */
Axes *chart_axes(Chart *c, double x, double y, double w, double h, const char *title);
/* Lays out the plot area (room for the title, tick labels and axis titles), then draws the
 * grid, the frame, ticks and labels. Series are drawn after this. */
void chart_axes_draw(Chart *c, Axes *a);
/* data -> pixel */
double chart_px(const Axes *a, double x);
double chart_py(const Axes *a, double y);

/* ---- series (each call with a name adds a legend entry) ---- */
/* a polyline over (x[i], y[i]); non-finite points (and <= 0 on log axes) break the line */
void chart_line(Chart *c, Axes *a, int n, const double *x, const double *y, uint32_t colour, double width,
                ChartDash dash, double alpha, const char *name);
/* a vertical (horizontal = 0) or horizontal (= 1) bar at category/position `at` of
 * thickness `thick` (data units) from `base` to `value`, filled */
void chart_bar(Chart *c, Axes *a, int horizontal, double at, double thick, double base, double value, uint32_t colour,
               const char *name);
/* an error bar at `at` from lo to hi with caps */
void chart_errbar(Chart *c, Axes *a, int horizontal, double at, double lo, double hi, double cap);
/* a reference line across the plot at value v on the y axis (horizontal = 0: x = v) */
void chart_refline(Chart *c, Axes *a, int horizontal, double v, uint32_t colour, ChartDash dash, const char *name);
/* a histogram drawn as a filled (alpha) area under a step outline; edges: nbins + 1 */
void chart_hist(Chart *c, Axes *a, int nbins, const double *edges, const double *height, uint32_t colour,
                const char *name);
/* adds a legend entry without drawing (e.g. for bars drawn one by one in several colours) */
void chart_add_series(Axes *a, const char *name, uint32_t colour, int box, ChartDash dash);
/* records a series drawn without a name (so its colour is known) and left out of the legend */
void chart_add_hidden_series(Axes *a, const char *name, uint32_t colour);
/* the size the legend of the axes' series will take (for making room for it) */
void chart_legend_size(Chart *c, const Axes *a, double *w, double *h);
/* small filled circles at the points */
void chart_points(Chart *c, Axes *a, int n, const double *x, const double *y, uint32_t colour, double radius);
/* the legend of the axes' series in a corner: 0 top-right, 1 top-left, 2 bottom-right,
 * 3 bottom-left, 4 outside, to the right of the plot area, -1 the inside corner where it
 * covers the least of what was drawn */
void chart_legend(Chart *c, Axes *a, int corner);

/* ---- text and images ---- */
/* text at (x, y): ax/ay anchor (0 left/top, 0.5 centre, 1 right/bottom), size in points at
 * scale 1, angle in degrees (counter-clockwise) */
void chart_text(Chart *c, double x, double y, const char *text, double size, double ax, double ay, double angle,
                uint32_t colour, int bold);
double chart_text_width(Chart *c, const char *text, double size, int bold);
/* an RGB float image (h, w, 3) in [0, 1] drawn at (x, y) scaled by `zoom` with nearest-
 * neighbour sampling (zoom 1: pixel for pixel) */
int chart_image(Chart *c, double x, double y, int w, int h, const float *rgb, double zoom, Status *st);

#ifdef __cplusplus
}
#endif

#endif
