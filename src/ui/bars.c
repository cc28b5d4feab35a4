/* Horizontal bars, mean ± sd bars and paired histograms in eighth blocks (bars.h). */
#include "bars.h"

#include "glyphs.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VALUE_MAX = 40 };

/* The columns of one labelled row: mark, label, bar, value. */
typedef struct {
    int label_x, label_w, bar_x, bar_w, value_x, value_w;
} RowCols;

static RowCols row_columns(Rect r, int label_w, int value_w)
{
    RowCols k;
    if (label_w > r.w / 3) label_w = r.w / 3;
    if (value_w > r.w / 3) value_w = r.w / 3;
    k.label_x = r.x + 2; /* the mark and a space first */
    k.label_w = label_w;
    k.bar_x = k.label_x + label_w + 1;
    k.value_w = value_w;
    k.value_x = r.x + r.w - value_w;
    k.bar_w = k.value_x - 1 - k.bar_x;
    if (k.bar_w < 0) k.bar_w = 0;
    return k;
}

/* A bar of `eighths` eighths from x, at most w cells. */
static void bar_draw(Canvas *c, int y, int x, int w, long eighths, Style s)
{
    for (int i = 0; i < w; i++) {
        const long e = eighths - 8L * i;
        if (e <= 0) break;
        canvas_put(c, y, x + i, glyph_left_eighth(e > 8 ? 8 : (int)e, c->ascii, '#'), s);
    }
}

/* The length in eighths of a bar from lo to v on a w-cell scale ending at hi (clamped in
 * floating point, so a NaN or a huge value never reaches the integer conversion). */
static long to_eighths(double v, double lo, double hi, int w)
{
    const double e = range_frac(v, lo, hi) * w * 8.0;
    return e > 0 ? (e < 8.0 * w ? lround(e) : 8L * w) : 0;
}

void bars_horizontal(Canvas *c, Rect r, const Bar *b, int n, const char *value_fmt)
{
    const char *fmt = value_fmt ? value_fmt : "%.4g";
    const int rows = n < r.h ? n : r.h;
    if (rows <= 0 || r.w <= 0) return;
    double lo = 0, hi = 0;
    int label_w = 0, value_w = 0;
    char(*vals)[VALUE_MAX] = malloc((size_t)rows * sizeof *vals);
    if (!vals) abort();
    for (int i = 0; i < rows; i++) {
        if (isfinite(b[i].value)) lo = fmin(lo, b[i].value), hi = fmax(hi, b[i].value);
        if (isnan(b[i].value))
            snprintf(vals[i], VALUE_MAX, "nan");
        else
            snprintf(vals[i], VALUE_MAX, fmt, b[i].value);
        const int lw = utf8_width(b[i].label), vw = utf8_width(vals[i]);
        if (lw > label_w) label_w = lw;
        if (vw > value_w) value_w = vw;
    }
    if (hi == lo) hi = lo + 1; /* all zero: empty bars, not a division by zero */
    const RowCols k = row_columns(r, label_w, value_w);
    for (int i = 0; i < rows; i++) {
        const int y = r.y + i;
        const Style label = {-1, -1, b[i].mark == '*' ? ATTR_BOLD : 0};
        if (b[i].mark && b[i].mark != ' ') canvas_put(c, y, r.x, (uint32_t)(unsigned char)b[i].mark, label);
        canvas_text_fit(c, y, k.label_x, k.label_w, b[i].label, label);
        if (!isnan(b[i].value))
            bar_draw(c, y, k.bar_x, k.bar_w, to_eighths(b[i].value, lo, hi, k.bar_w), STYLE_FG(b[i].colour));
        const int vw = utf8_width(vals[i]) < k.value_w ? utf8_width(vals[i]) : k.value_w;
        canvas_text_fit(c, y, k.value_x + k.value_w - vw, vw, vals[i], label);
    }
    free(vals);
}

/* The glyphs of a mean ± sd row: solid, shaded (within one sd below the mean), whisker. */
static void mean_sd_row(Canvas *c, int y, const RowCols *k, double m, double s, double lo, double hi, Style st)
{
    const int w = k->bar_w;
    const long e = to_eighths(m, lo, hi, w);
    const double below = range_frac(m - s, lo, hi) * w; /* in cells */
    for (int i = 0; i < w && 8L * i < e; i++) {
        uint32_t g;
        if (e - 8L * i < 8)
            g = glyph_left_eighth((int)(e - 8L * i), c->ascii, '#');
        else if (i + 1 <= below + 1e-9)
            g = c->ascii ? '#' : GLYPH_FULL_BLOCK;
        else
            g = c->ascii ? ':' : GLYPH_SHADE;
        canvas_put(c, y, k->bar_x + i, g, st);
    }
    if (!(s > 0)) return;
    const BoxGlyphs *box = glyph_box(0, c->ascii);
    const int first = (int)((e + 7) / 8);
    const int last = (int)(to_eighths(m + s, lo, hi, w) + 4) / 8 - 1; /* the cell that holds mean + sd */
    for (int i = first; i <= last; i++)
        canvas_put(c, y, k->bar_x + i, i == last ? box->tee_right : box->h, st);
}

void bars_mean_sd(Canvas *c, Rect r, const char *const *labels, const double *mean, const double *sd, int n,
                  int lower_is_better, int16_t colour)
{
    const int rows = n < r.h ? n : r.h;
    if (rows <= 0 || r.w <= 0) return;
    double lo = 0, hi = 0;
    int best = -1, label_w = 0, value_w = 0;
    char(*vals)[VALUE_MAX] = malloc((size_t)rows * sizeof *vals);
    if (!vals) abort();
    for (int i = 0; i < rows; i++) {
        const double m = mean[i], s = sd && isfinite(sd[i]) ? fabs(sd[i]) : 0;
        if (isfinite(m)) {
            lo = fmin(lo, m - s), hi = fmax(hi, m + s);
            if (best < 0 || (lower_is_better ? m < mean[best] : m > mean[best])) best = i;
            if (sd)
                snprintf(vals[i], VALUE_MAX, "%.4g %s %.2g", m, c->ascii ? "+-" : "\u00b1", s);
            else
                snprintf(vals[i], VALUE_MAX, "%.4g", m);
        } else {
            snprintf(vals[i], VALUE_MAX, "n/a");
        }
        const int lw = utf8_width(labels[i]), vw = utf8_width(vals[i]);
        if (lw > label_w) label_w = lw;
        if (vw > value_w) value_w = vw;
    }
    if (hi == lo) hi = lo + 1;
    lo = fmax(lo, -DBL_MAX), hi = fmin(hi, DBL_MAX); /* mean ± sd may overflow */
    const RowCols k = row_columns(r, label_w, value_w);
    for (int i = 0; i < rows; i++) {
        const int y = r.y + i;
        const Style text = {-1, -1, i == best ? ATTR_BOLD : 0};
        if (i == best) canvas_put(c, y, r.x, '*', text);
        canvas_text_fit(c, y, k.label_x, k.label_w, labels[i], text);
        if (isfinite(mean[i]))
            mean_sd_row(c, y, &k, mean[i], sd && isfinite(sd[i]) ? fabs(sd[i]) : 0, lo, hi, STYLE_FG(colour));
        const int vw = utf8_width(vals[i]) < k.value_w ? utf8_width(vals[i]) : k.value_w;
        canvas_text_fit(c, y, k.value_x + k.value_w - vw, vw, vals[i], text);
    }
    free(vals);
}

/* the cell of x on a track of w cells spanning [lo, hi] */
static int track_cell(double x, double lo, double hi, int w)
{
    const int k = (int)floor(range_frac(x, lo, hi) * (w - 1) + 0.5);
    return k < 0 ? 0 : k > w - 1 ? w - 1 : k;
}

void bars_interval(Canvas *c, Rect r, const char *const *labels, const double *diff, const double *lo,
                   const double *hi, const char *const *text, const int16_t *colour, int n)
{
    const int rows = n < r.h ? n : r.h;
    if (rows <= 0 || r.w <= 0) return;
    double a = 0, b = 0; /* the scale always holds 0: the line every interval is read against */
    int label_w = 0, value_w = 0;
    for (int i = 0; i < rows; i++) {
        const double xs[3] = {diff[i], lo[i], hi[i]};
        for (int k = 0; k < 3; k++)
            if (isfinite(xs[k]) && isfinite(diff[i])) a = fmin(a, xs[k]), b = fmax(b, xs[k]);
        const int lw = utf8_width(labels[i]), vw = utf8_width(text[i]);
        if (lw > label_w) label_w = lw;
        if (vw > value_w) value_w = vw;
    }
    if (b == a) a -= 1, b += 1;
    /* the text (difference, interval, verdict) matters more than a long track: up to 2/5 */
    if (value_w > r.w * 2 / 5) value_w = r.w * 2 / 5;
    RowCols k = row_columns(r, label_w, r.w / 3);
    k.value_w = value_w;
    k.value_x = r.x + r.w - value_w;
    k.bar_w = k.value_x - 1 - k.bar_x;
    if (k.bar_w < 0) k.bar_w = 0;
    const BoxGlyphs *box = glyph_box(0, c->ascii);
    const int zero = k.bar_w > 0 ? track_cell(0.0, a, b, k.bar_w) : 0;
    for (int i = 0; i < rows; i++) {
        const int y = r.y + i;
        const Style st = colour && colour[i] >= 0 ? STYLE_FG(colour[i]) : STYLE_DEFAULT;
        canvas_text_fit(c, y, k.label_x, k.label_w, labels[i], STYLE_DEFAULT);
        if (k.bar_w > 0) {
            canvas_put(c, y, k.bar_x + zero, box->v, (Style){-1, -1, ATTR_DIM});
            if (isfinite(diff[i])) {
                if (isfinite(lo[i]) && isfinite(hi[i]))
                    for (int x = track_cell(lo[i], a, b, k.bar_w); x <= track_cell(hi[i], a, b, k.bar_w); x++)
                        canvas_put(c, y, k.bar_x + x, x == zero ? box->v : box->h, st);
                canvas_put(c, y, k.bar_x + track_cell(diff[i], a, b, k.bar_w), c->ascii ? 'o' : GLYPH_DOT, st);
            }
        }
        const int vw = utf8_width(text[i]) < k.value_w ? utf8_width(text[i]) : k.value_w;
        canvas_text_fit(c, y, k.value_x + k.value_w - vw, vw, text[i], st);
    }
}

/* Fractions of the finite values of v in each of `bins` bins over [lo, hi]; returns how many
 * were counted. */
static int histogram_fractions(const double *v, int n, double lo, double hi, int bins, double *frac)
{
    int total = 0;
    for (int k = 0; k < bins; k++)
        frac[k] = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        const double f = range_frac(v[i], lo, hi) * bins;
        const int k = f >= bins ? bins - 1 : f > 0 ? (int)f : 0; /* the maximum falls in the last bin */
        frac[k] += 1;
        total++;
    }
    for (int k = 0; k < bins && total; k++)
        frac[k] /= total;
    return total;
}

static void histogram_legend(Canvas *c, Rect r, const char *name, int count, int16_t colour, uint32_t ascii_glyph,
                             int *x)
{
    char text[96];
    snprintf(text, sizeof text, " %s (n=%d)", name ? name : "?", count);
    if (*x + 2 >= r.x + r.w) return;
    *x += canvas_put(c, r.y, *x, c->ascii ? ascii_glyph : GLYPH_FULL_BLOCK, STYLE_FG(colour));
    *x += canvas_text_fit(c, r.y, *x, r.x + r.w - *x, text, STYLE_DEFAULT) + 2;
}

/* Vertical bars of fractions frac[] (the top of the area = peak) in the columns bx + k * g, w wide. */
static void histogram_columns(Canvas *c, int bottom, int ph, int bx, int g, int w, const double *frac, int bins,
                              double peak, Style s, uint32_t ascii_glyph)
{
    for (int k = 0; k < bins; k++) {
        const long e = lround(frac[k] / peak * ph * 8);
        for (int j = 0; j < ph && e - 8L * j > 0; j++) {
            const long part = e - 8L * j;
            const uint32_t ch = glyph_lower_eighth(part > 8 ? 8 : (int)part, c->ascii, ascii_glyph);
            for (int i = 0; i < w; i++)
                canvas_put(c, bottom - j, bx + k * g + i, ch, s);
        }
    }
}

/* Bin edges along the bottom line: the last one flush right, the others from the left where
 * they do not run into their neighbours. */
static void histogram_edges(Canvas *c, int y, int bx, int g, int bins, double lo, double hi, int end)
{
    char lab[32];
    snprintf(lab, sizeof lab, "%.3g", hi);
    const int last_w = utf8_width(lab), last_x = bx + bins * g - last_w;
    if (last_x < bx) return; /* not even the last edge fits */
    canvas_text(c, y, last_x, end - last_x, lab, STYLE_DEFAULT);
    int free_x = bx;
    for (int k = 0; k < bins; k++) {
        const int x = bx + k * g;
        double edge = lo + k * (hi - lo) / bins;
        if (fabs(edge) < 1e-9 * (hi - lo)) edge = 0; /* no "-1.4e-17" for a zero edge */
        snprintf(lab, sizeof lab, "%.3g", edge);
        const int w = utf8_width(lab);
        if (x < free_x || x + w >= last_x) continue;
        canvas_text(c, y, x, w, lab, STYLE_DEFAULT);
        free_x = x + w + 1;
    }
}

void bars_histograms(Canvas *c, Rect r, const double *a, int na, const char *name_a, int16_t col_a, const double *b,
                     int nb, const char *name_b, int16_t col_b, int bins)
{
    if (r.h < 1 || r.w < 1) return;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < na; i++)
        if (isfinite(a[i])) lo = fmin(lo, a[i]), hi = fmax(hi, a[i]);
    for (int i = 0; i < nb; i++)
        if (isfinite(b[i])) lo = fmin(lo, b[i]), hi = fmax(hi, b[i]);
    if (!(lo <= hi)) {
        canvas_text_centred(c, r, r.y + r.h / 2, "no data", (Style){-1, -1, ATTR_DIM});
        return;
    }
    if (lo == hi) lo -= 0.5, hi += 0.5;

    char top[32];
    const int lw = 5; /* "100%" and a space for the axis labels */
    const int ph = r.h - 3, ax = r.x + lw - 1, bx = ax + 1, pw = r.x + r.w - bx;
    if (bins > pw / 2) bins = pw / 2;
    if (ph < 1 || bins < 1) return;
    const int g = pw / bins, w = g >= 3 ? (g - 1) / 2 : 1;

    double *fa = malloc(2 * (size_t)bins * sizeof *fa);
    if (!fa) abort();
    double *fb = fa + bins;
    const int ca = histogram_fractions(a, na, lo, hi, bins, fa), cb = histogram_fractions(b, nb, lo, hi, bins, fb);
    double peak = 0;
    for (int k = 0; k < bins; k++)
        peak = fmax(peak, fmax(fa[k], fb[k]));

    int x = r.x;
    histogram_legend(c, r, name_a, ca, col_a, '#', &x);
    histogram_legend(c, r, name_b, cb, col_b, '+', &x);

    const int bottom = r.y + ph, axis_y = bottom + 1;
    const BoxGlyphs *box = glyph_box(0, c->ascii);
    for (int y = r.y + 1; y <= bottom; y++)
        canvas_put(c, y, ax, box->v, STYLE_DEFAULT);
    canvas_put(c, r.y + 1, ax, box->tee_right, STYLE_DEFAULT);
    snprintf(top, sizeof top, "%.0f%%", 100 * peak);
    canvas_text(c, r.y + 1, ax - utf8_width(top), utf8_width(top), top, STYLE_DEFAULT);
    canvas_text(c, axis_y, ax - 2, 2, "0%", STYLE_DEFAULT);
    canvas_put(c, axis_y, ax, box->bl, STYLE_DEFAULT);
    for (int i = bx; i < r.x + r.w; i++)
        canvas_put(c, axis_y, i, box->h, STYLE_DEFAULT);

    histogram_columns(c, bottom, ph, bx, g, w, fa, bins, peak, STYLE_FG(col_a), '#');
    histogram_columns(c, bottom, ph, bx + w, g, w, fb, bins, peak, STYLE_FG(col_b), '+');
    histogram_edges(c, axis_y + 1, bx, g, bins, lo, hi, r.x + r.w);
    free(fa);
}
