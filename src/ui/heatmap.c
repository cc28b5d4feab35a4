/* Diverging heat maps of matrices (heatmap.h). */
#include "heatmap.h"

#include "glyphs.h"
#include "image.h"

#include <math.h>
#include <stdio.h>

int heatmap_colour(double v, double scale)
{
    double t = scale > 0 ? v / scale : 0;
    t = t > 1 ? 1 : t < -1 ? -1 : t;
    if (t >= 0) return rgb_to_xterm256(1, 1 - t, 1 - t);
    return rgb_to_xterm256(1 + t, 1 + t, 1);
}

/* The mean of the finite entries under output entry (oy, ox) of an oh x ow resampling of the
 * top-left rows x cols of m (whose rows are `stride` long), area-weighted; NaN when there is
 * none. With oh == rows and ow == cols it is the entry itself. */
static double heat_sample(const float *m, int stride, int rows, int cols, int oh, int ow, int oy, int ox)
{
    const double y0 = (double)oy * rows / oh, y1 = (double)(oy + 1) * rows / oh;
    const double x0 = (double)ox * cols / ow, x1 = (double)(ox + 1) * cols / ow;
    double acc = 0, area = 0;
    for (int y = (int)y0; y < rows && y < y1; y++)
        for (int x = (int)x0; x < cols && x < x1; x++) {
            const double v = m[(long)y * stride + x];
            if (!isfinite(v)) continue;
            const double wgt = (fmin(y + 1, y1) - fmax(y, y0)) * (fmin(x + 1, x1) - fmax(x, x0));
            acc += wgt * v;
            area += wgt;
        }
    return area > 0 ? acc / area : NAN;
}

static uint32_t heat_ascii(double v, double scale)
{
    static const char pos[] = ".+*#", neg[] = ".-~=";
    if (isnan(v)) return ' ';
    const double t = 3 * fabs(v) / scale; /* may be inf for a huge v and a tiny scale */
    const long level = t >= 3 ? 3 : lround(t);
    return (uint32_t)(v >= 0 ? pos[level] : neg[level]);
}

void heatmap_draw(Canvas *c, Rect r, const float *m, int rows, int cols, const HeatOpts *o)
{
    const HeatOpts defaults = {0, 0};
    if (!o) o = &defaults;
    if (r.h < 2 || r.w < 1 || rows <= 0 || cols <= 0) return;
    double scale = o->scale;
    if (!(scale > 0)) {
        scale = 0;
        for (long i = 0; i < (long)rows * cols; i++)
            if (isfinite(m[i])) scale = fmax(scale, fabs(m[i]));
        if (scale == 0) scale = 1; /* all zero: everything white, no division by zero */
    }
    const int map_h = r.h - 1; /* the last line is the scale */
    /* shown entries: oh x ow; the source rows x cols of them (all, or the top-left part) */
    const int oh = rows < 2 * map_h ? rows : 2 * map_h, ow = cols < r.w ? cols : r.w;
    const int src_h = o->downsample ? rows : oh, src_w = o->downsample ? cols : ow;
    const int whole = rows <= 2 * map_h && cols <= r.w; /* the matrix fits as it is */
    for (int cy = 0; cy < (oh + 1) / 2; cy++)
        for (int x = 0; x < ow; x++) {
            const double up = heat_sample(m, cols, src_h, src_w, oh, ow, 2 * cy, x);
            const int has_down = 2 * cy + 1 < oh;
            const double down = has_down ? heat_sample(m, cols, src_h, src_w, oh, ow, 2 * cy + 1, x) : NAN;
            if (c->ascii) {
                const double v = !has_down || isnan(down) ? up : isnan(up) ? down : (up + down) / 2;
                canvas_put(c, r.y + cy, r.x + x, heat_ascii(v, scale), STYLE_DEFAULT);
                continue;
            }
            const Style s = {(int16_t)(isnan(up) ? -1 : heatmap_colour(up, scale)),
                             (int16_t)(isnan(down) ? -1 : heatmap_colour(down, scale)), 0};
            canvas_put(c, r.y + cy, r.x + x, GLYPH_UPPER_HALF, s);
        }
    char line[128];
    const char *pm = c->ascii ? "+-" : "\u00b1";
    if (whole)
        snprintf(line, sizeof line, "%s%.3g  %dx%d", pm, scale, rows, cols);
    else
        snprintf(line, sizeof line, "%s%.3g  %dx%d, %s %dx%d%s", pm, scale, rows, cols,
                 o->downsample ? "averaged to" : "top-left", oh, ow, o->downsample ? "" : " shown");
    canvas_text_fit(c, r.y + r.h - 1, r.x, r.w, line, (Style){-1, -1, ATTR_DIM});
}
