/* Terminal size -> pane rectangles (layout.h). Rows of panes split the body's height, panes
 * in a row split its width; a remainder goes one cell each to the first parts. */
#include "layout.h"

#include <string.h>

/* The i-th of n parts of length total starting at start: {offset, length}. */
static void split(int start, int total, int n, int i, int *off, int *len)
{
    const int base = total / n, extra = total % n;
    *off = start + i * base + (i < extra ? i : extra);
    *len = base + (i < extra ? 1 : 0);
}

/* Places the panes of one row (ids[0..n)) side by side across the full width. */
static void place_row(Layout *l, const PaneId *ids, int n, int y, int h, int cols)
{
    for (int i = 0; i < n; i++) {
        int x, w;
        split(0, cols, n, i, &x, &w);
        l->pane[ids[i]] = (Rect){y, x, h, w};
        l->visible[ids[i]] = 1;
    }
}

/* Rows of panes over [y, y + h), each row given as a list of panes ended by PANE_COUNT. */
static void place_grid(Layout *l, const PaneId rows_of_ids[][4], int nrows, int y, int h, int cols)
{
    for (int r = 0; r < nrows; r++) {
        int n = 0, ry, rh;
        while (rows_of_ids[r][n] != PANE_COUNT)
            n++;
        split(y, h, nrows, r, &ry, &rh);
        place_row(l, rows_of_ids[r], n, ry, rh, cols);
    }
}

/* Two- and three-column screens: a grid of panes over a full-width log strip. */
static void layout_grid(Layout *l, int y, int h, int cols, int nerf)
{
    const int log_h = h / 5 < 4 ? 4 : h / 5 > 10 ? 10 : h / 5;
    const PaneId views = nerf ? PANE_VIEWS : PANE_COUNT;
    if (cols >= 120) {
        const PaneId grid[2][4] = {{PANE_ENTROPY, PANE_LOSS, PANE_RHO, PANE_COUNT},
                                   {PANE_COMPARE, PANE_DENOISE, views, PANE_COUNT}};
        place_grid(l, grid, 2, y, h - log_h, cols);
    } else {
        const PaneId grid[3][4] = {{PANE_ENTROPY, PANE_LOSS, PANE_COUNT},
                                   {PANE_RHO, PANE_COMPARE, PANE_COUNT},
                                   {PANE_DENOISE, views, PANE_COUNT}};
        place_grid(l, grid, 3, y, h - log_h, cols);
    }
    const PaneId log[1] = {PANE_LOG};
    place_row(l, log, 1, y + h - log_h, log_h, cols);
}

/* Narrow screens: one column; the panes that matter most while a run goes on come first. */
static void layout_column(Layout *l, int y, int h, int cols, int nerf)
{
    static const PaneId priority[] = {PANE_COMPARE, PANE_LOG,     PANE_LOSS, PANE_ENTROPY,
                                      PANE_RHO,     PANE_DENOISE, PANE_VIEWS};
    const int avail = nerf ? 7 : 6;
    int k = h / 7;
    k = k < 2 ? 2 : k > avail ? avail : k;
    int chosen[PANE_COUNT] = {0};
    for (int i = 0; i < k; i++)
        chosen[priority[i]] = 1;
    for (int id = 0, i = 0; id < PANE_COUNT; id++) {
        if (!chosen[id]) continue;
        int py, ph;
        split(y, h, k, i++, &py, &ph);
        l->pane[id] = (Rect){py, 0, ph, cols};
        l->visible[id] = 1;
    }
}

Layout layout_compute(int rows, int cols, int zoom, int nerf)
{
    Layout l;
    memset(&l, 0, sizeof l);
    if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
        l.too_small = 1;
        return l;
    }
    l.header = (Rect){0, 0, 1, cols};
    l.cmdline = (Rect){rows - 2, 0, 1, cols};
    l.keybar = (Rect){rows - 1, 0, 1, cols};
    const int body_y = 1, body_h = rows - 3;
    if (zoom == PANE_VIEWS && !nerf) zoom = -1;
    if (zoom >= 0 && zoom < PANE_COUNT) {
        l.pane[zoom] = (Rect){body_y, 0, body_h, cols};
        l.visible[zoom] = 1;
    } else if (cols >= 80) {
        layout_grid(&l, body_y, body_h, cols, nerf);
    } else {
        layout_column(&l, body_y, body_h, cols, nerf);
    }
    return l;
}

const char *layout_pane_name(PaneId id)
{
    static const char *const names[PANE_COUNT] = {"entropy", "loss", "rho", "compare", "denoise", "views", "log"};
    return id >= 0 && id < PANE_COUNT ? names[id] : "?";
}
