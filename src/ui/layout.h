/* Where each pane goes: a pure function from the terminal size (and the zoom and NeRF
 * switches) to rectangles, so that every size can be tested without a terminal. */
#ifndef OCD_UI_LAYOUT_H
#define OCD_UI_LAYOUT_H

#include "canvas.h"

typedef enum { PANE_ENTROPY, PANE_LOSS, PANE_RHO, PANE_COMPARE, PANE_DENOISE, PANE_VIEWS, PANE_LOG, PANE_COUNT } PaneId;

typedef struct {
    Rect header, keybar, cmdline;
    Rect pane[PANE_COUNT]; /* {0,0,0,0} where not visible */
    int visible[PANE_COUNT];
    int too_small;
} Layout;

enum { LAYOUT_MIN_ROWS = 20, LAYOUT_MIN_COLS = 60, LAYOUT_MIN_PANE_H = 4, LAYOUT_MIN_PANE_W = 12 };

/* The screen is rows x cols. Row 0 is the header, the last row the key bar, the row above it
 * the command line; the panes share the body between them:
 *   cols >= 120  three columns: entropy | loss | rho over compare | denoise (| views)
 *   80..119      two columns:   entropy | loss, rho | compare, denoise (| views)
 *   60..79       one column, as many panes as fit at 7 rows each (at least compare and log;
 *                then loss, entropy, rho, denoise, views), in pane order
 * with the log a full-width strip along the bottom (one fifth of the body, 4 to 10 rows) in
 * the first two. nerf = 1 shows PANE_VIEWS, otherwise it is hidden. zoom = a PaneId shows
 * that pane alone over the whole body (zooming the views pane without nerf is ignored, as is
 * any other value than -1 or a PaneId). Below LAYOUT_MIN_ROWS x LAYOUT_MIN_COLS, too_small
 * is set and every rectangle is empty: the UI shows a message instead. */
Layout layout_compute(int rows, int cols, int zoom, int nerf);

const char *layout_pane_name(PaneId id); /* "entropy", "loss", ... for titles and commands */

#endif
