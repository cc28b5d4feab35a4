/* The report's figures, one function for each, drawn with chart.h and written as PNG files.
 * `ocd report` writes all of them; the workbench's `export png` writes the focused pane's
 * through figure_write. */
#ifndef OCD_FIGURES_H
#define OCD_FIGURES_H

#include "chart.h"
#include "probe.h"
#include "sessview.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FIG_SELECT, FIG_CURVES, FIG_RHO, FIG_COMPARE, FIG_VIEWS, FIG_TRAJECTORY, FIG_COUNT } FigureKind;

const char *figure_name(FigureKind k); /* "select", "curves", ... (file stem: fig-select.png) */
/* writes one figure as a PNG of width x height pixels (0 = the figure's default size). probe
 * may be NULL: figures that need it (rho on test, views, trajectory) then fail with ERR_STATE
 * and a message saying so. `arg` selects the sample/view where it matters (-1 = the default
 * choice). */
int figure_write(FigureKind k, const SessView *v, Probe *probe, int arg, const char *png_path, int width, int height,
                 Status *st);

/* What a written figure shows, for the report's captions and for tests: its size, a one-line
 * caption, and each panel's plot area and series (a view grid's images are panels without
 * series). */
typedef struct {
    int width, height;
    char caption[512];
    int npanels;
    Axes panel[CHART_MAX_AXES];
} FigureInfo;

/* figure_write, also filling *info (may be NULL); nsamples: how many test samples (views)
 * the trajectory (views) figure shows when arg is -1 (0 = its default, 3) */
int figure_render(FigureKind k, const SessView *v, Probe *probe, int arg, int nsamples, const char *png_path, int width,
                  int height, FigureInfo *info, Status *st);

/* whether the figure needs a probe, and whether it applies to this session at all (the
 * views are for NeRF sessions only); why not in *why */
int figure_needs_probe(FigureKind k);
int figure_applies(FigureKind k, const SessView *v, char *why, int len);

#ifdef __cplusplus
}
#endif

#endif
