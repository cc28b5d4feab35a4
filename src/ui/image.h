/* RGB images in the terminal: two pixels per cell with the upper half block (▀, fg = top
 * pixel, bg = bottom pixel) in the xterm 256-colour palette, or an ASCII luminance ramp. */
#ifndef OCD_UI_IMAGE_H
#define OCD_UI_IMAGE_H

#include "canvas.h"

/* rgb: h x w x 3, row-major, values in [0, 1] (clamped; NaN counts as 0). The image keeps its
 * aspect (a cell is one pixel wide and two tall) and is centred in r: shrunk with a box
 * filter (area-weighted) when it is larger than r, enlarged by the largest whole factor that
 * fits (each pixel repeated, so small images stay crisp) when it is smaller. An odd last
 * pixel row leaves the bottom half of its cells in the default background. ASCII canvas:
 * one ramp character " .:-=+*#%@" per cell, by the mean luminance of its two pixels. */
void image_draw(Canvas *c, Rect r, const float *rgb, int h, int w);

/* The nearest (Euclidean, in 0..255 RGB) of the 6x6x6 cube (16..231) and the 24 greys
 * (232..255); a tie goes to the cube. (1,0,0) -> 196, (1,1,1) -> 231, (0,0,0) -> 16. */
int rgb_to_xterm256(double r, double g, double b);

#endif
