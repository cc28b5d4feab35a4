/* A matrix as a diverging heat map (blue, white at 0, red), two matrix rows per cell with
 * the upper half block: for the denoiser's Ω_t and other weight-shaped things. */
#ifndef OCD_UI_HEATMAP_H
#define OCD_UI_HEATMAP_H

#include "canvas.h"

typedef struct {
    double scale;   /* |v| >= scale is full red/blue; 0 = the largest finite |v| of the matrix */
    int downsample; /* 1: box-average each axis to fit r; 0: show the top-left part that fits */
} HeatOpts;

/* m: rows x cols, row-major. Cell (y, x) of the map shows matrix rows 2y (fg) and 2y + 1
 * (bg) of column x; NaN shows as the default colour. The last line of r gives the scale and
 * what is shown ("±0.5  64x64, top-left 20x38 shown" or "... averaged to 20x38"). ASCII
 * canvas: one character per cell for the mean of its two entries, by round(3 |v| / scale):
 * 0 '.', 1..3 "+*#" when positive and "-~=" when negative. o may be NULL (auto, crop). */
void heatmap_draw(Canvas *c, Rect r, const float *m, int rows, int cols, const HeatOpts *o);

/* The colour of v on the diverging map: t = v / scale clamped to [-1, 1] goes from blue
 * (-1, xterm 21) through white (0, 231) to red (+1, 196). */
int heatmap_colour(double v, double scale);

#endif
