/* cairo helpers for the report's figures: the figure surface, axes with nice ticks (linear,
 * log10 or categorical), lines, bars, error bars, histograms, legends, text and images.
 * cairo errors are sticky on the context: they are checked where a figure is begun, where
 * an image is made, and before a figure is saved, with the call and cairo's reason. */
#include "chart.h"

#include "png_write.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CR(c) ((cairo_t *)(c)->cr)
#define FONT "DejaVu Sans"

#define CHECK_CAIRO(st, status, what)                                                                                  \
    ((status) == CAIRO_STATUS_SUCCESS ? 0                                                                              \
                                      : status_fail(st, ERR_IO, "%s failed (%s:%d): cairo: %s", what, __FILE__,        \
                                                    __LINE__, cairo_status_to_string(status)))

/* Tableau's 10 colours: distinct from each other and from the ink/grid greys */
static const uint32_t palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0xbcbd22, 0x17becf, 0x5254a3};

uint32_t chart_colour(int i)
{
    const int n = (int)(sizeof palette / sizeof palette[0]);
    return palette[((i % n) + n) % n];
}

static void set_colour(cairo_t *cr, uint32_t rgb, double alpha)
{
    cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0, alpha);
}

static void set_dash(Chart *c, ChartDash dash, double width)
{
    const double on = dash == CHART_DASHED ? 6 * c->scale : width,
                 off = dash == CHART_DASHED ? 4 * c->scale : 2 * width;
    const double d[2] = {on, off};
    cairo_set_dash(CR(c), d, dash == CHART_SOLID ? 0 : 2, 0);
}

int chart_begin(Chart *c, int width, int height, double scale, Status *st)
{
    memset(c, 0, sizeof *c);
    if (width < 64 || height < 64 || width > 8192 || height > 8192)
        return status_fail(st, ERR_CONFIG, "figure size %dx%d is outside 64..8192 pixels", width, height);
    c->width = width;
    c->height = height;
    c->scale = scale > 0 ? scale : 1;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    if (CHECK_CAIRO(st, cairo_surface_status(s), "cairo_image_surface_create")) {
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_t *cr = cairo_create(s);
    if (CHECK_CAIRO(st, cairo_status(cr), "cairo_create")) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        return -1;
    }
    c->surface = s;
    c->cr = cr;
    set_colour(cr, CHART_BG, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    return CHECK_CAIRO(st, cairo_status(cr), "cairo_paint");
}

int chart_save(Chart *c, const char *path, Status *st)
{
    if (CHECK_CAIRO(st, cairo_status(CR(c)), "drawing the figure")) return -1;
    cairo_surface_t *s = c->surface;
    cairo_surface_flush(s);
    if (CHECK_CAIRO(st, cairo_surface_status(s), "cairo_surface_flush")) return -1;
    return png_write_argb32(path, cairo_image_surface_get_data(s), c->width, c->height,
                            cairo_image_surface_get_stride(s), st);
}

void chart_end(Chart *c)
{
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) cairo_surface_destroy(c->surface);
    c->cr = c->surface = NULL;
}

void chart_release_fonts(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

const unsigned char *chart_pixels(const Chart *c, int *stride)
{
    cairo_surface_flush(c->surface);
    *stride = cairo_image_surface_get_stride(c->surface);
    return cairo_image_surface_get_data(c->surface);
}

/* ---- text ---- */
static void font(Chart *c, double size, int bold)
{
    cairo_select_font_face(CR(c), FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(CR(c), size * c->scale);
}

double chart_text_width(Chart *c, const char *text, double size, int bold)
{
    cairo_text_extents_t e;
    font(c, size, bold);
    cairo_text_extents(CR(c), text, &e);
    return e.x_advance;
}

void chart_text(Chart *c, double x, double y, const char *text, double size, double ax, double ay, double angle,
                uint32_t colour, int bold)
{
    cairo_t *cr = CR(c);
    cairo_text_extents_t e;
    cairo_font_extents_t fe;
    font(c, size, bold);
    cairo_text_extents(cr, text, &e);
    cairo_font_extents(cr, &fe);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -angle * M_PI / 180);
    cairo_move_to(cr, -ax * e.x_advance, fe.ascent - ay * (fe.ascent + fe.descent));
    set_colour(cr, colour, 1);
    cairo_show_text(cr, text);
    cairo_restore(cr);
}

/* the height of a line of text of this size */
static double text_height(Chart *c, double size)
{
    cairo_font_extents_t fe;
    font(c, size, 0);
    cairo_font_extents(CR(c), &fe);
    return fe.ascent + fe.descent;
}

/* ---- axes ---- */
enum { TICK_SIZE = 11, LABEL_SIZE = 12, TITLE_SIZE = 13 };

Axes *chart_axes(Chart *c, double x, double y, double w, double h, const char *title)
{
    if (c->naxes == CHART_MAX_AXES) return &c->axes[CHART_MAX_AXES - 1];
    Axes *a = &c->axes[c->naxes++];
    memset(a, 0, sizeof *a);
    a->bx = x;
    a->by = y;
    a->bw = w;
    a->bh = h;
    a->x.lo = a->y.lo = 0;
    a->x.hi = a->y.hi = 1;
    snprintf(a->title, sizeof a->title, "%s", title ? title : "");
    return a;
}

static double axis_t(const ChartAxis *ax, double v)
{
    const double lo = ax->log ? log10(ax->lo) : ax->lo, hi = ax->log ? log10(ax->hi) : ax->hi;
    const double u = ax->log ? (v > 0 ? log10(v) : NAN) : v;
    return (u - lo) / (hi - lo);
}

double chart_px(const Axes *a, double x) { return a->px + axis_t(&a->x, x) * a->pw; }
double chart_py(const Axes *a, double y) { return a->py + a->ph - axis_t(&a->y, y) * a->ph; }

typedef struct {
    int n;
    double v[CHART_MAX_TICKS > CHART_MAX_CATS ? CHART_MAX_TICKS : CHART_MAX_CATS];
    char label[CHART_MAX_TICKS > CHART_MAX_CATS ? CHART_MAX_TICKS : CHART_MAX_CATS][96];
} Ticks;

static void axis_ticks(const ChartAxis *ax, int target, Ticks *t)
{
    double step = 0;
    if (ax->ncats > 0) {
        t->n = ax->ncats < CHART_MAX_CATS ? ax->ncats : CHART_MAX_CATS;
        for (int i = 0; i < t->n; i++) {
            t->v[i] = i;
            snprintf(t->label[i], sizeof t->label[i], "%s", ax->cats[i]);
        }
        return;
    }
    t->n = ax->log ? chart_log_ticks(ax->lo, ax->hi, t->v, CHART_MAX_TICKS)
                   : chart_nice_ticks(ax->lo, ax->hi, target, t->v, CHART_MAX_TICKS, &step);
    if (ax->integer && !ax->log && step < 1) { /* every whole number in the range */
        step = 1;
        t->n = 0;
        for (double v = ceil(fmin(ax->lo, ax->hi)); v <= fmax(ax->lo, ax->hi) && t->n < CHART_MAX_TICKS; v++)
            t->v[t->n++] = v;
    }
    const double sc = ax->tick_scale != 0 ? ax->tick_scale : 1;
    for (int i = 0; i < t->n; i++) {
        if (ax->fmt)
            snprintf(t->label[i], sizeof t->label[i], ax->fmt, t->v[i] * sc);
        else
            chart_tick_label(t->v[i] * sc, step * sc, ax->log, t->label[i], sizeof t->label[i]);
    }
}

void chart_axes_draw(Chart *c, Axes *a)
{
    cairo_t *cr = CR(c);
    const double s = c->scale, th = text_height(c, TICK_SIZE), lh = text_height(c, LABEL_SIZE);
    const double pad = 6 * s;
    Ticks xt, yt;
    /* about one y tick per 45 pixels and one x tick per 90 of the plot's size */
    axis_ticks(&a->y, (int)fmax(2, a->bh / (45 * s)), &yt);
    double ylw = 0;
    for (int i = 0; i < yt.n && !a->y.no_labels; i++)
        ylw = fmax(ylw, chart_text_width(c, yt.label[i], TICK_SIZE, 0));
    const double top = (a->title[0] ? text_height(c, TITLE_SIZE) + pad : 0) + pad;
    double left = ylw + pad + 4 * s + (a->y.label ? lh + pad : 0);
    double right = 12 * s;
    axis_ticks(&a->x, (int)fmax(2, (a->bw - left - right) / (90 * s)), &xt);
    /* categorical x labels that do not fit side by side are turned 30 degrees */
    double xlw = 0, angle = 0;
    for (int i = 0; i < xt.n; i++)
        xlw = fmax(xlw, chart_text_width(c, xt.label[i], TICK_SIZE, 0));
    double xlab_h = th;
    if (a->x.ncats > 0 && xlw > 0.9 * (a->bw - left - right) / a->x.ncats) {
        angle = 30;
        xlab_h = xlw * sin(angle * M_PI / 180) + th * cos(angle * M_PI / 180);
    }
    double left_min = 0;
    if (a->x.ncats == 0 && xt.n > 0 && !a->x.no_labels) { /* the end tick labels stick out of the plot */
        right = fmax(right, 0.5 * chart_text_width(c, xt.label[xt.n - 1], TICK_SIZE, 0) + 4 * s);
        left_min = 0.5 * chart_text_width(c, xt.label[0], TICK_SIZE, 0) + 4 * s;
    }
    left = fmax(left, left_min);
    const double bottom = (a->x.no_labels ? 0 : xlab_h) + pad + 4 * s + (a->x.label ? lh + pad : 0);
    a->px = floor(a->bx + left) + 0.5;
    a->py = floor(a->by + top) + 0.5;
    a->pw = floor(a->bw - left - right);
    a->ph = floor(a->bh - top - bottom);
    if (a->pw < 10) a->pw = 10;
    if (a->ph < 10) a->ph = 10;

    /* grid */
    cairo_set_line_width(cr, 1);
    set_dash(c, CHART_SOLID, 1);
    set_colour(cr, CHART_GRID, 1);
    for (int i = 0; i < yt.n && a->y.ncats == 0; i++) {
        const double y = floor(chart_py(a, yt.v[i])) + 0.5;
        cairo_move_to(cr, a->px, y);
        cairo_line_to(cr, a->px + a->pw, y);
    }
    for (int i = 0; i < xt.n && a->x.ncats == 0; i++) {
        const double x = floor(chart_px(a, xt.v[i])) + 0.5;
        cairo_move_to(cr, x, a->py);
        cairo_line_to(cr, x, a->py + a->ph);
    }
    cairo_stroke(cr);
    /* frame and ticks */
    set_colour(cr, CHART_INK, 1);
    cairo_rectangle(cr, a->px, a->py, a->pw, a->ph);
    for (int i = 0; i < yt.n; i++) {
        const double y = floor(chart_py(a, yt.v[i])) + 0.5;
        cairo_move_to(cr, a->px, y);
        cairo_line_to(cr, a->px - 4 * s, y);
    }
    for (int i = 0; i < xt.n; i++) {
        const double x = floor(chart_px(a, xt.v[i])) + 0.5;
        cairo_move_to(cr, x, a->py + a->ph);
        cairo_line_to(cr, x, a->py + a->ph + 4 * s);
    }
    cairo_stroke(cr);
    /* labels */
    for (int i = 0; i < yt.n && !a->y.no_labels; i++)
        chart_text(c, a->px - 4 * s - pad * 0.5, chart_py(a, yt.v[i]), yt.label[i], TICK_SIZE, 1, 0.5, 0, CHART_INK, 0);
    for (int i = 0; i < xt.n && !a->x.no_labels; i++) {
        const double x = chart_px(a, xt.v[i]), y = a->py + a->ph + 4 * s + pad * 0.5;
        if (angle > 0)
            chart_text(c, x, y, xt.label[i], TICK_SIZE, 1, 0, angle, CHART_INK, 0);
        else
            chart_text(c, x, y, xt.label[i], TICK_SIZE, 0.5, 0, 0, CHART_INK, 0);
    }
    if (a->x.label)
        chart_text(c, a->px + a->pw / 2, a->by + a->bh - pad * 0.5, a->x.label, LABEL_SIZE, 0.5, 1, 0, CHART_INK, 0);
    if (a->y.label)
        chart_text(c, a->bx + pad * 0.5, a->py + a->ph / 2, a->y.label, LABEL_SIZE, 0.5, 0, 90, CHART_INK, 0);
    if (a->title[0]) chart_text(c, a->px + a->pw / 2, a->by + pad, a->title, TITLE_SIZE, 0.5, 0, 0, CHART_INK, 1);
}

/* ---- occupancy (for placing legends) ---- */
static void occ_point(Axes *a, double X, double Y)
{
    const int i = (int)floor((X - a->px) / a->pw * CHART_OCC), j = (int)floor((Y - a->py) / a->ph * CHART_OCC);
    if (i >= 0 && i < CHART_OCC && j >= 0 && j < CHART_OCC && a->occ[j][i] < 60000) a->occ[j][i]++;
}

static void occ_segment(Axes *a, double X0, double Y0, double X1, double Y1)
{
    const int n = 1 + (int)(hypot(X1 - X0, Y1 - Y0) / 4);
    for (int k = 0; k <= n; k++)
        occ_point(a, X0 + (X1 - X0) * k / n, Y0 + (Y1 - Y0) * k / n);
}

/* a filled rectangle: sampled at twice the grid's resolution */
static void occ_rect(Axes *a, double l, double t, double r, double b)
{
    const int nx = 1 + (int)((r - l) / fmax(1, a->pw / (2 * CHART_OCC)));
    const int ny = 1 + (int)((b - t) / fmax(1, a->ph / (2 * CHART_OCC)));
    for (int j = 0; j <= ny; j++)
        for (int i = 0; i <= nx; i++)
            occ_point(a, l + (r - l) * i / nx, t + (b - t) * j / ny);
}

/* ---- series ---- */
void chart_add_series(Axes *a, const char *name, uint32_t colour, int box, ChartDash dash)
{
    if (!name || !name[0] || a->nseries == CHART_MAX_SERIES) return;
    for (int i = 0; i < a->nseries; i++)
        if (!strcmp(a->series[i].name, name)) return;
    ChartSeries *s = &a->series[a->nseries++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->colour = colour;
    s->box = box;
    s->dash = dash;
}

void chart_add_hidden_series(Axes *a, const char *name, uint32_t colour)
{
    const int n = a->nseries;
    chart_add_series(a, name, colour, 0, CHART_SOLID);
    if (a->nseries > n) a->series[n].hidden = 1;
}

static void clip_plot(Chart *c, const Axes *a)
{
    cairo_save(CR(c));
    cairo_rectangle(CR(c), a->px, a->py, a->pw, a->ph);
    cairo_clip(CR(c));
}

void chart_line(Chart *c, Axes *a, int n, const double *x, const double *y, uint32_t colour, double width,
                ChartDash dash, double alpha, const char *name)
{
    cairo_t *cr = CR(c);
    clip_plot(c, a);
    int pen = 0;
    for (int i = 0; i < n; i++) {
        const double X = chart_px(a, x[i]), Y = chart_py(a, y[i]);
        if (!isfinite(X) || !isfinite(Y)) {
            pen = 0;
            continue;
        }
        if (pen) {
            double X0, Y0;
            cairo_get_current_point(cr, &X0, &Y0);
            occ_segment(a, X0, Y0, X, Y);
            cairo_line_to(cr, X, Y);
        } else {
            cairo_move_to(cr, X, Y);
            occ_point(a, X, Y);
        }
        pen = 1;
    }
    set_colour(cr, colour, alpha);
    cairo_set_line_width(cr, width * c->scale);
    set_dash(c, dash, width * c->scale);
    cairo_stroke(cr);
    set_dash(c, CHART_SOLID, 1);
    cairo_restore(cr);
    chart_add_series(a, name, colour, 0, dash);
}

/* a data-space rectangle as pixels, clipped to the plot */
static void data_rect(Chart *c, Axes *a, int horizontal, double at, double thick, double v0, double v1)
{
    double x0, x1, y0, y1;
    if (horizontal) {
        x0 = chart_px(a, v0), x1 = chart_px(a, v1);
        y0 = chart_py(a, at - thick / 2), y1 = chart_py(a, at + thick / 2);
    } else {
        x0 = chart_px(a, at - thick / 2), x1 = chart_px(a, at + thick / 2);
        y0 = chart_py(a, v0), y1 = chart_py(a, v1);
    }
    /* whole pixels, so bar edges are crisp and their inside is exactly the colour */
    const double l = round(fmin(x0, x1)), r = round(fmax(x0, x1)), t = round(fmin(y0, y1)), b = round(fmax(y0, y1));
    cairo_rectangle(CR(c), l, t, r - l, b - t);
    occ_rect(a, l, t, r, b);
}

void chart_bar(Chart *c, Axes *a, int horizontal, double at, double thick, double base, double value, uint32_t colour,
               const char *name)
{
    if (!isfinite(value)) return;
    clip_plot(c, a);
    data_rect(c, a, horizontal, at, thick, base, value);
    set_colour(CR(c), colour, 1);
    cairo_fill(CR(c));
    cairo_restore(CR(c));
    chart_add_series(a, name, colour, 1, CHART_SOLID);
}

void chart_errbar(Chart *c, Axes *a, int horizontal, double at, double lo, double hi, double cap)
{
    if (!isfinite(lo) || !isfinite(hi)) return;
    cairo_t *cr = CR(c);
    clip_plot(c, a);
    double p[3][2][2]; /* the stem and two caps, (x, y) of both ends */
    if (horizontal) {
        const double y = chart_py(a, at), h = fabs(chart_py(a, at + cap / 2) - y);
        const double x0 = chart_px(a, lo), x1 = chart_px(a, hi);
        double q[3][2][2] = {{{x0, y}, {x1, y}}, {{x0, y - h}, {x0, y + h}}, {{x1, y - h}, {x1, y + h}}};
        memcpy(p, q, sizeof p);
    } else {
        const double x = chart_px(a, at), w = fabs(chart_px(a, at + cap / 2) - x);
        const double y0 = chart_py(a, lo), y1 = chart_py(a, hi);
        double q[3][2][2] = {{{x, y0}, {x, y1}}, {{x - w, y0}, {x + w, y0}}, {{x - w, y1}, {x + w, y1}}};
        memcpy(p, q, sizeof p);
    }
    for (int k = 0; k < 3; k++) {
        cairo_move_to(cr, p[k][0][0], p[k][0][1]);
        cairo_line_to(cr, p[k][1][0], p[k][1][1]);
    }
    set_colour(cr, CHART_INK, 1);
    cairo_set_line_width(cr, 1.5 * c->scale);
    cairo_stroke(cr);
    cairo_restore(cr);
}

void chart_refline(Chart *c, Axes *a, int horizontal, double v, uint32_t colour, ChartDash dash, const char *name)
{
    cairo_t *cr = CR(c);
    clip_plot(c, a);
    /* on whole pixels, 2 wide: the line's pixels are exactly its colour */
    if (horizontal) {
        const double y = round(chart_py(a, v));
        cairo_move_to(cr, a->px, y);
        cairo_line_to(cr, a->px + a->pw, y);
        occ_segment(a, a->px, y, a->px + a->pw, y);
    } else {
        const double x = round(chart_px(a, v));
        cairo_move_to(cr, x, a->py);
        cairo_line_to(cr, x, a->py + a->ph);
        occ_segment(a, x, a->py, x, a->py + a->ph);
    }
    const double w = 2 * round(fmax(1, c->scale));
    set_colour(cr, colour, 1);
    cairo_set_line_width(cr, w);
    set_dash(c, dash, w);
    cairo_stroke(cr);
    set_dash(c, CHART_SOLID, 1);
    cairo_restore(cr);
    chart_add_series(a, name, colour, 0, dash);
}

void chart_hist(Chart *c, Axes *a, int nbins, const double *edges, const double *height, uint32_t colour,
                const char *name)
{
    cairo_t *cr = CR(c);
    clip_plot(c, a);
    const double base = a->y.log ? a->y.lo : 0;
    /* the outline: up and down the bins' edges */
    cairo_move_to(cr, chart_px(a, edges[0]), chart_py(a, base));
    for (int i = 0; i < nbins; i++) {
        const double y = chart_py(a, height[i] > 0 || !a->y.log ? height[i] : base);
        cairo_line_to(cr, chart_px(a, edges[i]), y);
        cairo_line_to(cr, chart_px(a, edges[i + 1]), y);
        occ_rect(a, chart_px(a, edges[i]), y, chart_px(a, edges[i + 1]), chart_py(a, base));
    }
    cairo_line_to(cr, chart_px(a, edges[nbins]), chart_py(a, base));
    cairo_close_path(cr);
    set_colour(cr, colour, 0.18);
    cairo_fill_preserve(cr);
    set_colour(cr, colour, 1);
    cairo_set_line_width(cr, 2 * c->scale);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_stroke(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_restore(cr);
    chart_add_series(a, name, colour, 1, CHART_SOLID);
}

void chart_points(Chart *c, Axes *a, int n, const double *x, const double *y, uint32_t colour, double radius)
{
    cairo_t *cr = CR(c);
    clip_plot(c, a);
    for (int i = 0; i < n; i++) {
        const double X = chart_px(a, x[i]), Y = chart_py(a, y[i]);
        if (!isfinite(X) || !isfinite(Y)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, X, Y, radius * c->scale, 0, 2 * M_PI);
        occ_point(a, X, Y);
    }
    set_colour(cr, colour, 1);
    cairo_fill(cr);
    cairo_restore(cr);
}

static int legend_count(const Axes *a)
{
    int n = 0;
    for (int i = 0; i < a->nseries; i++)
        n += !a->series[i].hidden;
    return n;
}

void chart_legend_size(Chart *c, const Axes *a, double *w, double *h)
{
    const double s = c->scale, lh = text_height(c, TICK_SIZE) + 3 * s, sw = 22 * s, pad = 6 * s;
    double tw = 0;
    for (int i = 0; i < a->nseries; i++)
        if (!a->series[i].hidden) tw = fmax(tw, chart_text_width(c, a->series[i].name, TICK_SIZE, 0));
    const int n = legend_count(a);
    *w = n ? tw + sw + 3 * pad : 0;
    *h = n ? n * lh + pad : 0;
}

void chart_legend(Chart *c, Axes *a, int corner)
{
    if (legend_count(a) == 0) return;
    cairo_t *cr = CR(c);
    const double s = c->scale, lh = text_height(c, TICK_SIZE) + 3 * s, sw = 22 * s, pad = 6 * s;
    double w, h;
    chart_legend_size(c, a, &w, &h);
    if (corner < 0) { /* the inside corner whose box covers the fewest drawn cells */
        long best = -1;
        for (int k = 0; k < 4; k++) {
            const double bx = k == 1 || k == 3 ? a->px + pad : a->px + a->pw - w - pad;
            const double by = k >= 2 ? a->py + a->ph - h - pad : a->py + pad;
            const int i0 = (int)floor((bx - a->px) / a->pw * CHART_OCC),
                      i1 = (int)floor((bx + w - a->px) / a->pw * CHART_OCC);
            const int j0 = (int)floor((by - a->py) / a->ph * CHART_OCC),
                      j1 = (int)floor((by + h - a->py) / a->ph * CHART_OCC);
            long n = 0;
            for (int j = j0 < 0 ? 0 : j0; j <= j1 && j < CHART_OCC; j++)
                for (int i = i0 < 0 ? 0 : i0; i <= i1 && i < CHART_OCC; i++)
                    n += a->occ[j][i];
            if (best < 0 || n < best) best = n, corner = k;
        }
    }
    double x = corner == 1 || corner == 3 ? a->px + pad : a->px + a->pw - w - pad;
    double y = corner >= 2 && corner < 4 ? a->py + a->ph - h - pad : a->py + pad;
    if (corner == 4) {
        x = a->px + a->pw + pad;
        y = a->py;
    }
    a->lx = x;
    a->ly = y;
    a->lw = w;
    a->lh = h;
    cairo_rectangle(cr, x, y, w, h);
    set_colour(cr, CHART_BG, 0.9);
    cairo_fill_preserve(cr);
    set_colour(cr, CHART_GRID, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int i = 0, row = 0; i < a->nseries; i++) {
        const ChartSeries *se = &a->series[i];
        if (se->hidden) continue;
        const double cy = y + pad / 2 + (row++ + 0.5) * lh;
        set_colour(cr, se->colour, 1);
        if (se->box) {
            cairo_rectangle(cr, x + pad, cy - 5 * s, sw, 10 * s);
            cairo_fill(cr);
        } else {
            cairo_move_to(cr, x + pad, cy);
            cairo_line_to(cr, x + pad + sw, cy);
            cairo_set_line_width(cr, 2.5 * s);
            set_dash(c, se->dash, 2.5 * s);
            cairo_stroke(cr);
            set_dash(c, CHART_SOLID, 1);
        }
        chart_text(c, x + 2 * pad + sw, cy, se->name, TICK_SIZE, 0, 0.5, 0, CHART_INK, 0);
    }
}

int chart_image(Chart *c, double x, double y, int w, int h, const float *rgb, double zoom, Status *st)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (CHECK_CAIRO(st, cairo_surface_status(img), "cairo_image_surface_create (image)")) {
        cairo_surface_destroy(img);
        return -1;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    for (int r = 0; r < h; r++) {
        uint32_t *row = (uint32_t *)(data + (size_t)r * stride);
        for (int q = 0; q < w; q++) {
            uint32_t v = 0;
            for (int k = 0; k < 3; k++) {
                const float f = rgb[((size_t)r * w + q) * 3 + k];
                const uint32_t b = f > 0 ? f < 1 ? (uint32_t)lrintf(f * 255) : 255 : 0;
                v = v << 8 | b;
            }
            row[q] = 0xff000000u | v;
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = CR(c);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, zoom, zoom);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return CHECK_CAIRO(st, cairo_status(cr), "drawing an image");
}
