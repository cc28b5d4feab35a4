/* Braille line charts (plot.h). The series are rasterised into a dot grid (2 x 4 dots per
 * cell, 1 x 1 on an ASCII canvas) with one colour per cell, then written as glyphs. */
#include "plot.h"

#include "glyphs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LABEL_MAX_W = 10 };

/* The dot grid: W x H dots over pw x ph cells. */
typedef struct {
    int pw, ph, sx, sy, W, H;
    unsigned char *bits; /* ph x pw: braille bits (or 1 on ASCII) */
    int16_t *colour;     /* ph x pw */
    double x0, x1, y0, y1;
} Dots;

/* v printed with fmt; a value within a thousandth of `span` of zero prints as 0, so a tick
 * half-way between -0.9996 and 0.9996 reads "0", not "4.9e-06" or "-0". */
static void fmt_num(char *buf, size_t n, const char *fmt, double v, double span)
{
    if (fabs(v) <= 1e-3 * fabs(span)) v = 0.0;
    snprintf(buf, n, fmt, v);
}

/* The y series to plot: smoothed, then log10 when asked; NaN where nothing is drawn.
 * Caller frees. */
static double *series_values(const PlotSeries *s, const PlotOpts *o)
{
    double *v = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *v);
    if (!v) abort();
    const double alpha = o->smooth > 1 ? 2.0 / (o->smooth + 1) : 1.0;
    double ema = NAN;
    for (int i = 0; i < s->n; i++) {
        double y = s->y[i];
        if (!isfinite(y) || (o->logy && y <= 0)) {
            v[i] = NAN;
            continue;
        }
        ema = isnan(ema) ? y : ema + alpha * (y - ema);
        v[i] = o->logy ? log10(ema) : ema;
    }
    return v;
}

static double series_x(const PlotSeries *s, int i) { return s->x ? s->x[i] : (double)i; }

/* The x range (all finite x, or the one asked for) and the y range of the points inside it.
 * Returns 0 when there is no point to draw. */
static int plot_ranges(const PlotSeries *s, double *const *vals, int ns, const PlotOpts *o, Dots *d)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    if (o->xmin != o->xmax) {
        x0 = fmin(o->xmin, o->xmax);
        x1 = fmax(o->xmin, o->xmax);
    } else {
        for (int k = 0; k < ns; k++)
            for (int i = 0; i < s[k].n; i++) {
                const double x = series_x(&s[k], i);
                if (isfinite(x) && !isnan(vals[k][i])) x0 = fmin(x0, x), x1 = fmax(x1, x);
            }
    }
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            const double x = series_x(&s[k], i), y = vals[k][i];
            if (isfinite(x) && x >= x0 && x <= x1 && !isnan(y)) y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    if (!(y0 <= y1)) return 0;
    if (x0 == x1) x0 -= 0.5, x1 += 0.5; /* a single x: the points go to the middle */
    if (y0 == y1) {
        const double pad = y0 != 0 ? fabs(y0) * 0.1 : 1.0;
        y0 -= pad, y1 += pad;
    }
    d->x0 = x0, d->x1 = x1, d->y0 = y0, d->y1 = y1;
    return 1;
}

static void dot_set(Dots *d, int px, int py, int16_t colour)
{
    if (px < 0 || py < 0 || px >= d->W || py >= d->H) return;
    const int cell = (py / d->sy) * d->pw + px / d->sx;
    d->bits[cell] |= d->sx == 2 ? (unsigned char)glyph_braille_bit(px % 2, py % 4) : 1;
    d->colour[cell] = colour;
}

/* Liang-Barsky: clips the segment to the dot grid's box (in dot units, edges at -0.5 and
 * W - 0.5); returns 0 when nothing of it is inside. Keeps the rasteriser's loops short even
 * when a point far outside the shown range is joined to one inside. */
static int segment_clip(const Dots *d, double *ax, double *ay, double *bx, double *by)
{
    const double dx = *bx - *ax, dy = *by - *ay;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*ax + 0.5, d->W - 0.5 - *ax, *ay + 0.5, d->H - 0.5 - *ay};
    double t0 = 0, t1 = 1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
            continue;
        }
        const double t = q[i] / p[i];
        if (p[i] < 0)
            t0 = fmax(t0, t);
        else
            t1 = fmin(t1, t);
    }
    if (t0 > t1) return 0;
    *bx = *ax + t1 * dx, *by = *ay + t1 * dy;
    *ax = *ax + t0 * dx, *ay = *ay + t0 * dy;
    return 1;
}

static void dots_line(Dots *d, double ax, double ay, double bx, double by, int16_t colour)
{
    if (!segment_clip(d, &ax, &ay, &bx, &by)) return;
    int x = (int)lround(ax), y = (int)lround(ay);
    const int x1 = (int)lround(bx), y1 = (int)lround(by);
    const int dx = abs(x1 - x), dy = -abs(y1 - y), stx = x < x1 ? 1 : -1, sty = y < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) { /* Bresenham */
        dot_set(d, x, y, colour);
        if (x == x1 && y == y1) break;
        const int e2 = 2 * err;
        if (e2 >= dy) err += dy, x += stx;
        if (e2 <= dx) err += dx, y += sty;
    }
}

static void dots_series(Dots *d, const PlotSeries *s, const double *v)
{
    int have_prev = 0;
    double px = 0, py = 0;
    for (int i = 0; i < s->n; i++) {
        const double x = series_x(s, i);
        if (!isfinite(x) || isnan(v[i])) { /* a gap breaks the line */
            have_prev = 0;
            continue;
        }
        const double dx = range_frac(x, d->x0, d->x1) * (d->W - 1);
        const double dy = (1 - range_frac(v[i], d->y0, d->y1)) * (d->H - 1);
        if (!isfinite(dx) || !isfinite(dy)) { /* only from a degenerate range; treat as a gap */
            have_prev = 0;
            continue;
        }
        if (have_prev)
            dots_line(d, px, py, dx, dy, s->colour);
        else
            dots_line(d, dx, dy, dx, dy, s->colour);
        px = dx, py = dy, have_prev = 1;
    }
}

/* "━ name  ━ name" from the left; the flags ("log y  ema 20") flush right when they fit. */
static void plot_legend(Canvas *c, Rect r, const PlotSeries *s, int ns, const PlotOpts *o)
{
    char flags[48], ema[24] = "";
    if (o->smooth > 1) snprintf(ema, sizeof ema, "ema %d", o->smooth);
    snprintf(flags, sizeof flags, "%s%s%s", o->logy ? "log y" : "", o->logy && ema[0] ? "  " : "", ema);
    int fw = utf8_width(flags);
    if (fw >= r.w) fw = 0;
    const int end = r.x + r.w - (fw ? fw + 1 : 0);
    int x = r.x;
    for (int k = 0; k < ns && x + 2 < end; k++) {
        char name[32];
        if (!s[k].name) snprintf(name, sizeof name, "series %d", k + 1);
        x += canvas_put(c, r.y, x, c->ascii ? '-' : 0x2501, STYLE_FG(s[k].colour));
        x += canvas_put(c, r.y, x, ' ', STYLE_DEFAULT);
        x += canvas_text_fit(c, r.y, x, end - x, s[k].name ? s[k].name : name, STYLE_DEFAULT) + 2;
    }
    if (fw) canvas_text(c, r.y, r.x + r.w - fw, fw, flags, (Style){-1, -1, ATTR_DIM});
}

/* The value at the top of row j of ph rows, as a label (10^v on a log axis). */
static void tick_label(char *buf, size_t n, const Dots *d, int j, int ph, int logy)
{
    const double v = ph > 1 ? d->y1 - (double)j * (d->y1 - d->y0) / (ph - 1) : d->y1;
    if (logy)
        fmt_num(buf, n, "%.3g", pow(10.0, v), 0);
    else
        fmt_num(buf, n, "%.3g", v, d->y1 - d->y0);
}

/* Tick rows: the top, the bottom, and one every 4 or so rows between (at most 10 intervals:
 * more labels on a tall zoomed plot would only be noise). */
enum { TICKS_MAX = 11 };
static int tick_rows(int ph, int *rows)
{
    if (ph == 1) {
        rows[0] = 0;
        return 1;
    }
    int k = (ph - 1) / 4;
    k = k < 1 ? 1 : k > TICKS_MAX - 1 ? TICKS_MAX - 1 : k;
    for (int i = 0; i <= k; i++)
        rows[i] = (int)lround((double)i * (ph - 1) / k);
    return k + 1;
}

static void plot_axes(Canvas *c, Rect r, const Dots *d, int lw, const PlotOpts *o, const int *ticks, int nt)
{
    const BoxGlyphs *g = glyph_box(0, c->ascii);
    const int ax = r.x + lw, top = r.y + 1, axis_y = top + d->ph;
    for (int j = 0; j < d->ph; j++)
        canvas_put(c, top + j, ax, g->v, STYLE_DEFAULT);
    for (int i = 0; i < nt; i++) {
        char lab[32];
        tick_label(lab, sizeof lab, d, ticks[i], d->ph, o->logy);
        const int w = utf8_width(lab) < lw ? utf8_width(lab) : lw;
        canvas_text(c, top + ticks[i], ax - w, w, lab, STYLE_DEFAULT);
        canvas_put(c, top + ticks[i], ax, g->tee_right, STYLE_DEFAULT);
    }
    canvas_put(c, axis_y, ax, g->bl, STYLE_DEFAULT);
    for (int x = ax + 1; x < r.x + r.w; x++)
        canvas_put(c, axis_y, x, g->h, STYLE_DEFAULT);

    /* x labels: first x under the axis corner, last x flush right, the name between */
    char lo[32], hi[32];
    fmt_num(lo, sizeof lo, "%.6g", d->x0, d->x1 - d->x0);
    fmt_num(hi, sizeof hi, "%.6g", d->x1, d->x1 - d->x0);
    const int y = axis_y + 1, end = r.x + r.w;
    const int lo_w = canvas_text(c, y, ax, end - ax, lo, STYLE_DEFAULT);
    const int hi_w = utf8_width(hi);
    if (ax + lo_w + 1 + hi_w <= end) canvas_text(c, y, end - hi_w, hi_w, hi, STYLE_DEFAULT);
    if (o->xlabel) {
        const int gap_x = ax + lo_w + 1, gap_w = end - hi_w - 1 - gap_x;
        const int w = utf8_width(o->xlabel);
        if (w <= gap_w) canvas_text(c, y, gap_x + (gap_w - w) / 2, w, o->xlabel, (Style){-1, -1, ATTR_DIM});
    }
}

static void dots_blit(Canvas *c, int top, int left, const Dots *d)
{
    for (int j = 0; j < d->ph; j++)
        for (int i = 0; i < d->pw; i++) {
            const unsigned b = d->bits[j * d->pw + i];
            if (!b) continue;
            const uint32_t ch = c->ascii ? '*' : GLYPH_BRAILLE_BASE + b;
            canvas_put(c, top + j, left + i, ch, STYLE_FG(d->colour[j * d->pw + i]));
        }
}

void plot_lines(Canvas *c, Rect r, const PlotSeries *s, int ns, const PlotOpts *opts)
{
    const PlotOpts defaults = {0};
    const PlotOpts *o = opts ? opts : &defaults;
    if (r.h < 1 || r.w < 1) return;
    plot_legend(c, r, s, ns, o);
    if (r.h < 4 || r.w < 8) return; /* no room for axes: the legend alone */

    double **vals = calloc((size_t)(ns > 0 ? ns : 1), sizeof *vals);
    if (!vals) abort();
    for (int k = 0; k < ns; k++)
        vals[k] = series_values(&s[k], o);
    Dots d = {0};
    d.ph = r.h - 3;
    if (!plot_ranges(s, vals, ns, o, &d)) {
        canvas_text_centred(c, r, r.y + r.h / 2, "no data", (Style){-1, -1, ATTR_DIM});
    } else {
        int ticks[TICKS_MAX], lw = 1;
        const int nt = tick_rows(d.ph, ticks);
        for (int i = 0; i < nt; i++) {
            char lab[32];
            tick_label(lab, sizeof lab, &d, ticks[i], d.ph, o->logy);
            if (utf8_width(lab) > lw) lw = utf8_width(lab);
        }
        if (lw > LABEL_MAX_W) lw = LABEL_MAX_W;
        if (lw > r.w - 3) lw = r.w - 3; /* keep two columns of plot; the labels are cut instead */
        d.pw = r.w - lw - 1;
        d.sx = c->ascii ? 1 : 2, d.sy = c->ascii ? 1 : 4;
        d.W = d.pw * d.sx, d.H = d.ph * d.sy;
        d.bits = calloc((size_t)d.pw * d.ph, 1);
        d.colour = calloc((size_t)d.pw * d.ph, sizeof *d.colour);
        if (!d.bits || !d.colour) abort();
        for (int k = 0; k < ns; k++)
            dots_series(&d, &s[k], vals[k]);
        plot_axes(c, r, &d, lw, o, ticks, nt);
        dots_blit(c, r.y + 1, r.x + lw + 1, &d);
        free(d.bits);
        free(d.colour);
    }
    for (int k = 0; k < ns; k++)
        free(vals[k]);
    free(vals);
}
