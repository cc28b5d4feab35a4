/* Half-block images and xterm-256 quantisation (image.h). */
#include "image.h"

#include "glyphs.h"

#include <math.h>
#include <stdlib.h>

static double clamp01(double v) { return v > 0 ? (v < 1 ? v : 1) : 0; } /* NaN -> 0 */

int rgb_to_xterm256(double r, double g, double b)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255}; /* xterm's cube steps */
    const double v[3] = {clamp01(r) * 255, clamp01(g) * 255, clamp01(b) * 255};
    int idx[3];
    double cube_d = 0;
    for (int i = 0; i < 3; i++) {
        int best = 0;
        for (int k = 1; k < 6; k++)
            if (fabs(v[i] - level[k]) < fabs(v[i] - level[best])) best = k;
        idx[i] = best;
        cube_d += (v[i] - level[best]) * (v[i] - level[best]);
    }
    /* the grey ramp: 232 + i is 8 + 10 i */
    const double mean = (v[0] + v[1] + v[2]) / 3;
    int gi = (int)lround((mean - 8) / 10);
    gi = gi < 0 ? 0 : gi > 23 ? 23 : gi;
    const double gv = 8 + 10 * gi;
    double grey_d = 0;
    for (int i = 0; i < 3; i++)
        grey_d += (v[i] - gv) * (v[i] - gv);
    if (grey_d < cube_d) return 232 + gi;
    return 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
}

/* The mean of the source pixels under output pixel (oy, ox) of an oh x ow resampling, each
 * weighted by the area it shares with the output pixel's footprint. */
static void box_sample(const float *rgb, int h, int w, int oh, int ow, int oy, int ox, double out[3])
{
    const double sy0 = (double)oy * h / oh, sy1 = (double)(oy + 1) * h / oh;
    const double sx0 = (double)ox * w / ow, sx1 = (double)(ox + 1) * w / ow;
    double acc[3] = {0, 0, 0}, area = 0;
    for (int y = (int)sy0; y < h && y < sy1; y++) {
        const double wy = fmin(y + 1, sy1) - fmax(y, sy0);
        for (int x = (int)sx0; x < w && x < sx1; x++) {
            const double wgt = wy * (fmin(x + 1, sx1) - fmax(x, sx0));
            const float *p = &rgb[((long)y * w + x) * 3];
            for (int ch = 0; ch < 3; ch++)
                acc[ch] += wgt * clamp01(p[ch]);
            area += wgt;
        }
    }
    for (int ch = 0; ch < 3; ch++)
        out[ch] = area > 0 ? acc[ch] / area : 0;
}

static double luminance(const double p[3]) { return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]; }

void image_draw(Canvas *c, Rect r, const float *rgb, int h, int w)
{
    if (r.h <= 0 || r.w <= 0 || h <= 0 || w <= 0) return;
    /* output size in pixels: r is r.w pixels wide and 2 r.h tall */
    int ow, oh;
    const double fit = fmin((double)r.w / w, 2.0 * r.h / h);
    if (fit >= 1) {
        const int k = (int)fit;
        ow = w * k, oh = h * k;
    } else {
        ow = (int)lround(w * fit), oh = (int)lround(h * fit);
        ow = ow < 1 ? 1 : ow > r.w ? r.w : ow;
        oh = oh < 1 ? 1 : oh > 2 * r.h ? 2 * r.h : oh;
    }
    const int cells_h = (oh + 1) / 2;
    const int top = r.y + (r.h - cells_h) / 2, left = r.x + (r.w - ow) / 2;
    static const char ramp[] = " .:-=+*#%@";
    for (int cy = 0; cy < cells_h; cy++)
        for (int x = 0; x < ow; x++) {
            double up[3], down[3];
            box_sample(rgb, h, w, oh, ow, 2 * cy, x, up);
            const int has_down = 2 * cy + 1 < oh;
            if (has_down) box_sample(rgb, h, w, oh, ow, 2 * cy + 1, x, down);
            if (c->ascii) {
                const double lum = has_down ? (luminance(up) + luminance(down)) / 2 : luminance(up);
                canvas_put(c, top + cy, left + x, (uint32_t)ramp[lround(clamp01(lum) * 9)], STYLE_DEFAULT);
                continue;
            }
            const Style s = {(int16_t)rgb_to_xterm256(up[0], up[1], up[2]),
                             (int16_t)(has_down ? rgb_to_xterm256(down[0], down[1], down[2]) : -1), 0};
            canvas_put(c, top + cy, left + x, GLYPH_UPPER_HALF, s);
        }
}
