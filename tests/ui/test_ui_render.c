/* The pure renderers (src/ui: canvas, plot, bars, image, heatmap, table) drawn into fixed
 * canvases and compared with golden dumps in tests/ui/golden, plus properties a golden
 * cannot promise: bar lengths in proportion, a curve's extremes in the corners, exact
 * xterm colours, wide glyphs, and no renderer writing outside its rectangle.
 * OCD_UPDATE_GOLDEN=1 rewrites the goldens instead of comparing (look at them before
 * committing: `cat tests/ui/golden/plot_sin_cos_utf8.txt`). */
#include "harness.h"
#include "golden.h"

#include "bars.h"
#include "canvas.h"
#include "glyphs.h"
#include "heatmap.h"
#include "image.h"
#include "plot.h"
#include "table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void golden_canvas(const char *name, const Canvas *c, int styled)
{
    char *d = styled ? canvas_dump_styled(c) : canvas_dump(c);
    golden_check(name, d);
    free(d);
}

/* ---- helpers that read glyphs back ---- */

static uint32_t ch_at(Canvas *c, int y, int x) { return canvas_at(c, y, x)->ch; }

static int left_eighths(uint32_t ch)
{
    if (ch == 0x2588) return 8;
    if (ch >= 0x2589 && ch <= 0x258F) return (int)(0x2590 - ch);
    return 0;
}

static int is_braille(uint32_t ch) { return ch >= 0x2800 && ch <= 0x28FF; }

/* xterm 256 index -> 0..255 RGB (cube and grey ramp only). */
static void xterm_rgb(int idx, int rgb[3])
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (idx >= 232) {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (idx - 232);
        return;
    }
    idx -= 16;
    rgb[0] = level[idx / 36], rgb[1] = level[(idx / 6) % 6], rgb[2] = level[idx % 6];
}

/* A canvas filled with a sentinel, to catch writes outside the rectangle under test. */
static Canvas *sentinel_canvas(int rows, int cols, int ascii)
{
    Canvas *c = canvas_new(rows, cols, ascii);
    canvas_fill(c, (Rect){0, 0, rows, cols}, '@', (Style){7, 0, ATTR_DIM});
    canvas_fill(c, (Rect){2, 3, rows - 4, cols - 6}, ' ', STYLE_DEFAULT);
    return c;
}

static int untouched_outside(Canvas *c, Rect r)
{
    for (int y = 0; y < c->rows; y++)
        for (int x = 0; x < c->cols; x++) {
            if (y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w) continue;
            const Cell *cell = canvas_at(c, y, x);
            if (cell->ch != '@' || cell->fg != 7 || cell->bg != 0 || cell->attr != ATTR_DIM) return 0;
        }
    return 1;
}

/* ---- canvas ---- */

TEST(a_wide_glyph_takes_two_columns_and_text_never_passes_max_w)
{
    Canvas *c = sentinel_canvas(3, 12, 0);
    CHECK(utf8_width("\u6f22a") == 3, "漢a is 3 columns, got %d", utf8_width("\u6f22a"));
    CHECK(utf8_width("e\u0301") == 1, "a combining accent takes no column");
    int used = canvas_text(c, 1, 2, 5, "a\u6f22\u5b57b", STYLE_DEFAULT);
    CHECK(used == 5, "a漢字 fills 5 columns exactly, used %d", used);
    CHECK(ch_at(c, 1, 3) == 0x6f22 && ch_at(c, 1, 4) == 0 && ch_at(c, 1, 5) == 0x5b57 && ch_at(c, 1, 6) == 0,
          "a wide glyph is its code point then a 0 cell");
    CHECK(ch_at(c, 1, 7) == '@', "the b after max_w is not written");

    canvas_fill(c, (Rect){0, 0, 3, 12}, '@', (Style){7, 0, ATTR_DIM});
    used = canvas_text(c, 0, 2, 5, "\u6f22\u6f22\u6f22", STYLE_DEFAULT);
    CHECK(used == 4, "the third 漢 would cross max_w: 4 columns used, got %d", used);
    CHECK(ch_at(c, 0, 6) == '@' && ch_at(c, 0, 1) == '@', "nothing written outside [x, x + max_w)");
    canvas_text(c, 2, 11, 5, "\u6f22", STYLE_DEFAULT);
    CHECK(ch_at(c, 2, 11) == '@', "a wide glyph is not split at the canvas edge");

    /* overwriting one half of a wide glyph blanks the other: no orphan halves in the dump */
    canvas_put(c, 0, 3, 'x', STYLE_DEFAULT);
    CHECK(ch_at(c, 0, 2) == ' ' && ch_at(c, 0, 3) == 'x', "the left half became a space");
    char *d = canvas_dump(c);
    CHECK(!strncmp(d, "@@ x\u6f22@@@@@@\n", strlen("@@ x\u6f22@@@@@@\n")), "dump row 0: %s", d);
    free(d);
    canvas_free(c);
}

TEST(canvas_text_fit_cuts_with_an_ellipsis)
{
    Canvas *c = canvas_new(2, 10, 0), *a = canvas_new(1, 10, 1);
    CHECK(canvas_text_fit(c, 0, 0, 6, "abcdefgh", STYLE_DEFAULT) == 6, "6 columns");
    CHECK(canvas_text_fit(c, 1, 0, 6, "abcdef", STYLE_DEFAULT) == 6, "a text that fits is not cut");
    canvas_text_fit(a, 0, 0, 6, "abcdefgh", STYLE_DEFAULT);
    char *d = canvas_dump(c), *da = canvas_dump(a);
    CHECK(!strcmp(d, "abcde\u2026    \nabcdef    \n"), "got:\n%s", d);
    CHECK(!strcmp(da, "abcde~    \n"), "ASCII ellipsis, got:\n%s", da);
    free(d);
    free(da);
    canvas_free(c);
    canvas_free(a);
}

TEST(control_characters_formatting_and_centring)
{
    Canvas *c = canvas_new(3, 12, 0);
    CHECK(canvas_text(c, 0, 0, 12, "a\tb\001c", STYLE_DEFAULT) == 5, "a control counts one column");
    CHECK(canvas_textf(c, 1, 0, 12, STYLE_DEFAULT, "%d/%s", 42, "x") == 4, "printf-style text");
    CHECK(canvas_text_centred(c, (Rect){2, 2, 1, 8}, 2, "mid", STYLE_DEFAULT) == 3, "centred");
    char *d = canvas_dump(c);
    CHECK(!strcmp(d, "a b?c       \n42/x        \n    mid     \n"), "tab -> space, ^A -> ?; got:\n%s", d);
    free(d);
    canvas_free(c);
}

TEST(canvas_box_clips_its_title_between_the_corners)
{
    Canvas *c = sentinel_canvas(9, 20, 0), *a = canvas_new(5, 14, 1);
    const Rect r = {2, 3, 5, 14};
    const Rect in = canvas_box(c, r, "a very long pane title", 0, STYLE_FG(244));
    CHECK(in.y == 3 && in.x == 4 && in.h == 3 && in.w == 12, "inner rect {%d,%d,%d,%d}", in.y, in.x, in.h, in.w);
    CHECK(ch_at(c, 2, 3) == 0x250C && ch_at(c, 2, 16) == 0x2510 && ch_at(c, 2, 15) == 0x2500,
          "the corners and one border cell survive the title");
    CHECK(ch_at(c, 2, 13) == GLYPH_ELLIPSIS, "the cut title ends with an ellipsis");
    CHECK(untouched_outside(c, r), "the box stays inside its rect");
    canvas_box(a, (Rect){0, 0, 5, 14}, "focused", 1, STYLE_DEFAULT);
    CHECK(canvas_at(a, 0, 0)->attr & ATTR_BOLD, "a focused frame is bold");
    golden_canvas("box_utf8", c, 1);
    golden_canvas("box_ascii_focused", a, 1);
    Rect none = canvas_box(c, (Rect){0, 0, 1, 5}, "x", 0, STYLE_DEFAULT);
    CHECK(none.h == 0 && none.w == 0, "no frame fits in one row");
    canvas_free(c);
    canvas_free(a);
}

TEST(the_styled_dump_keys_each_style_once)
{
    Canvas *c = canvas_new(2, 6, 0);
    canvas_text(c, 0, 1, 3, "red", (Style){196, -1, ATTR_BOLD});
    canvas_put(c, 1, 0, GLYPH_UPPER_HALF, (Style){196, 21, 0});
    canvas_put(c, 1, 5, 'r', (Style){-1, -1, ATTR_REVERSE | ATTR_UNDERLINE});
    char *d = canvas_dump_styled(c);
    const char *want = " red  \n\u2580    r\n"
                       "--- styles ---\n"
                       ".AAA..\n"
                       "B....C\n"
                       "A fg=196 bg=-1 bold\n"
                       "B fg=196 bg=21\n"
                       "C fg=-1 bg=-1 reverse underline\n";
    CHECK(!strcmp(d, want), "got:\n%s", d);
    free(d);

    /* more styles than keys: one line per run instead */
    Canvas *many = canvas_new(1, 100, 0);
    for (int x = 0; x < 100; x++)
        canvas_put(many, 0, x, 'x', (Style){(int16_t)(x / 1), -1, 0});
    d = canvas_dump_styled(many);
    CHECK(strstr(d, "--- styles (runs: row col+len) ---\n0 0+1 fg=0 bg=-1\n") && strstr(d, "0 99+1 fg=99 bg=-1\n"),
          "runs format, got:\n%.300s", d);
    free(d);
    canvas_free(many);
    canvas_free(c);
}

/* ---- plot ---- */

enum { NPTS = 64 };

static void plot_sin_cos(Canvas *c, Rect r)
{
    static double s[NPTS], co[NPTS];
    for (int i = 0; i < NPTS; i++)
        s[i] = sin(i / 5.0), co[i] = cos(i / 5.0);
    const PlotSeries series[2] = {{NULL, s, NPTS, 39, "sin"}, {NULL, co, NPTS, 208, "cos"}};
    const PlotOpts o = {.xlabel = "step"};
    plot_lines(c, r, series, 2, &o);
}

static void loss_curve(double *x, double *y)
{
    for (int i = 0; i < NPTS; i++)
        x[i] = 100.0 * i, y[i] = 2.0 * exp(-i / 8.0) + 0.01;
}

TEST(plot_goldens_sin_cos_and_a_loss_curve_linear_and_log)
{
    Canvas *c = canvas_new(14, 60, 0), *a = canvas_new(14, 60, 1);
    plot_sin_cos(c, (Rect){0, 0, 14, 60});
    plot_sin_cos(a, (Rect){0, 0, 14, 60});
    golden_canvas("plot_sin_cos_utf8", c, 1);
    golden_canvas("plot_sin_cos_ascii", a, 0);

    double x[NPTS], y[NPTS];
    loss_curve(x, y);
    const PlotSeries loss = {x, y, NPTS, 46, "train loss"};
    PlotOpts o = {.xlabel = "step"};
    canvas_clear(c);
    plot_lines(c, (Rect){0, 0, 14, 60}, &loss, 1, &o);
    golden_canvas("plot_loss_linear", c, 0);
    o.logy = 1;
    canvas_clear(c);
    plot_lines(c, (Rect){0, 0, 14, 60}, &loss, 1, &o);
    golden_canvas("plot_loss_logy", c, 0);
    canvas_free(c);
    canvas_free(a);
}

/* The dot grid of the plot area (braille cells) of a plot drawn at {0,0,h,w}. */
typedef struct {
    int W, H;
    unsigned char dot[64][256];
} DotGrid;

static void read_dots(Canvas *c, int top, int ph, int left, int pw, DotGrid *g)
{
    memset(g, 0, sizeof *g);
    g->W = 2 * pw, g->H = 4 * ph;
    for (int j = 0; j < ph; j++)
        for (int i = 0; i < pw; i++) {
            const uint32_t ch = ch_at(c, top + j, left + i);
            if (!is_braille(ch)) continue;
            for (int dy = 0; dy < 4; dy++)
                for (int dx = 0; dx < 2; dx++)
                    if ((ch - 0x2800) & glyph_braille_bit(dx, dy)) g->dot[4 * j + dy][2 * i + dx] = 1;
        }
}

/* The plot area's left column: the first braille column right of the y axis. */
static int plot_area_left(Canvas *c, int row)
{
    for (int x = 0; x < c->cols; x++)
        if (ch_at(c, row, x) == 0x2502 || ch_at(c, row, x) == 0x2524) return x + 1;
    return -1;
}

TEST(an_increasing_series_runs_from_the_bottom_left_to_the_top_right_dot)
{
    Canvas *c = canvas_new(12, 40, 0);
    double y[NPTS];
    for (int i = 0; i < NPTS; i++)
        y[i] = exp(i / 20.0);
    const PlotSeries s = {NULL, y, NPTS, 1, "exp"};
    plot_lines(c, (Rect){0, 0, 12, 40}, &s, 1, NULL);
    const int top = 1, ph = 12 - 3, left = plot_area_left(c, top), right = 39;
    CHECK(left > 0, "found the y axis");
    CHECK(is_braille(ch_at(c, top, right)) && ((ch_at(c, top, right) - 0x2800) & glyph_braille_bit(1, 0)),
          "the highest point is the top-right dot of the plot, got U+%04X", ch_at(c, top, right));
    CHECK(is_braille(ch_at(c, top + ph - 1, left)) &&
              ((ch_at(c, top + ph - 1, left) - 0x2800) & glyph_braille_bit(0, 3)),
          "the lowest point is the bottom-left dot");
    DotGrid g;
    read_dots(c, top, ph, left, right - left + 1, &g);
    /* an increasing curve: the highest dot of each column is never below that of the column to its left */
    int prev = g.H;
    for (int px = 0; px < g.W; px++) {
        int hi = -1;
        for (int py = 0; py < g.H && hi < 0; py++)
            if (g.dot[py][px]) hi = py;
        CHECK(hi >= 0, "column %d has a dot (the line is connected)", px);
        CHECK(hi <= prev, "column %d's highest dot %d is below the previous column's %d", px, hi, prev);
        if (hi >= 0) prev = hi;
    }
    canvas_free(c);
}

TEST(on_a_log_axis_an_exponential_is_a_straight_line)
{
    Canvas *c = canvas_new(14, 50, 0);
    double y[NPTS];
    for (int i = 0; i < NPTS; i++)
        y[i] = 1e-3 * pow(10.0, i * 4.0 / (NPTS - 1)); /* 1e-3 .. 10 */
    const PlotSeries s = {NULL, y, NPTS, 1, "10^x"};
    const PlotOpts o = {.logy = 1};
    plot_lines(c, (Rect){0, 0, 14, 50}, &s, 1, &o);
    const int top = 1, ph = 14 - 3, left = plot_area_left(c, top);
    DotGrid g;
    read_dots(c, top, ph, left, 50 - left, &g);
    int bad = 0;
    for (int px = 0; px < g.W; px++) {
        const double ideal = (g.H - 1) * (1.0 - (double)px / (g.W - 1));
        for (int py = 0; py < g.H; py++)
            if (g.dot[py][px] && fabs(py - ideal) > 1.5) bad++;
    }
    CHECK(bad == 0, "%d dots are more than 1.5 dots off the straight line", bad);
    char *d = canvas_dump(c);
    CHECK(strstr(d, "10\u2524") && strstr(d, "0.001\u2524"), "the ticks read 10 and 0.001:\n%s", d);
    CHECK(strstr(d, "log y"), "the legend says log y");
    free(d);
    canvas_free(c);
}

TEST(smoothing_delays_a_step_and_gaps_break_the_line)
{
    double y[NPTS];
    for (int i = 0; i < NPTS; i++)
        y[i] = i < NPTS / 2 ? 0.0 : 1.0;
    const PlotSeries s = {NULL, y, NPTS, 1, "step"};
    Canvas *raw = canvas_new(12, 40, 1), *smooth = canvas_new(12, 40, 1);
    plot_lines(raw, (Rect){0, 0, 12, 40}, &s, 1, NULL);
    const PlotOpts o = {.smooth = 8};
    plot_lines(smooth, (Rect){0, 0, 12, 40}, &s, 1, &o);
    /* ASCII: one dot per cell; the step is at x = 32 of 0..63, about the middle column */
    const int top = 1, ph = 9;
    int col = -1;
    for (int x = 0; x < 40; x++)
        if (ch_at(raw, top, x) == '*') {
            col = x; /* the first column where the raw curve reaches the top */
            break;
        }
    CHECK(col > 0, "the raw step reaches the top row");
    int smooth_top = 0;
    for (int j = 0; j < ph; j++)
        smooth_top += ch_at(smooth, top + j, col) == '*' && j < ph / 2;
    CHECK(smooth_top == 0, "smoothed, the curve is still in the lower half where the raw one jumps");
    char *d = canvas_dump(smooth);
    CHECK(strstr(d, "ema 8"), "the legend says ema 8");
    free(d);

    canvas_free(raw);
    canvas_free(smooth);

    /* a NaN in the middle: the points on each side are joined, the two across it are not */
    const double z[8] = {1, 1, 1, 1, NAN, 1, 1, 1};
    const PlotSeries gap = {NULL, z, 8, 1, "gap"};
    Canvas *c = canvas_new(8, 40, 0);
    plot_lines(c, (Rect){0, 0, 8, 40}, &gap, 1, NULL);
    const int gtop = 1, gph = 5, gleft = plot_area_left(c, gtop);
    DotGrid g;
    read_dots(c, gtop, gph, gleft, 40 - gleft, &g);
    int row = -1;
    for (int py = 0; py < g.H && row < 0; py++)
        if (g.dot[py][0]) row = py;
    CHECK(row >= 0, "the first point is drawn");
    int joined = 1, across = 0;
    const double step = (g.W - 1) / 7.0;
    for (int px = 0; px < g.W && row >= 0; px++) {
        if (px <= lround(3 * step) || px >= lround(5 * step))
            joined &= g.dot[row][px];
        else
            across += g.dot[row][px];
    }
    CHECK(joined, "the points on either side of the gap are joined by a line");
    CHECK(across == 0, "%d dots join the points across the NaN", across);
    canvas_free(c);
}

TEST(an_empty_or_all_nan_plot_says_no_data)
{
    Canvas *c = canvas_new(8, 30, 0);
    const double nan3[3] = {NAN, INFINITY, NAN};
    const PlotSeries s[2] = {{NULL, NULL, 0, 1, "empty"}, {NULL, nan3, 3, 2, "nan"}};
    plot_lines(c, (Rect){0, 0, 8, 30}, s, 2, NULL);
    char *d = canvas_dump(c);
    CHECK(strstr(d, "no data") != NULL, "got:\n%s", d);
    CHECK(strstr(d, "empty") && strstr(d, "nan"), "the legend is still drawn");
    free(d);
    canvas_free(c);
}

/* ---- bars ---- */

static const Bar entropy_bars[] = {
    {"conv1", 3.2, 39, ' '}, {"conv2", 5.9, 39, '*'}, {"fc1", 4.4, 39, '+'},
    {"fc2", -1.3, 39, ' '},  {"out", 0.0, 39, ' '},
};
enum { NBARS = sizeof entropy_bars / sizeof entropy_bars[0] };

TEST(bars_goldens_with_a_negative_value_and_marks)
{
    Canvas *c = canvas_new(NBARS, 48, 0), *a = canvas_new(NBARS, 48, 1);
    bars_horizontal(c, (Rect){0, 0, NBARS, 48}, entropy_bars, NBARS, NULL);
    bars_horizontal(a, (Rect){0, 0, NBARS, 48}, entropy_bars, NBARS, "%.2f");
    golden_canvas("bars_utf8", c, 1);
    golden_canvas("bars_ascii", a, 0);
    CHECK(ch_at(c, 1, 0) == '*' && ch_at(c, 2, 0) == '+', "the chosen and runner-up marks");
    CHECK(canvas_at(c, 1, 2)->attr & ATTR_BOLD, "the chosen layer's label is bold");
    canvas_free(c);
    canvas_free(a);
}

TEST(bar_lengths_are_proportional_to_value_minus_the_origin)
{
    for (int ascii = 0; ascii <= 1; ascii++) {
        Canvas *c = canvas_new(NBARS, 60, ascii);
        bars_horizontal(c, (Rect){0, 0, NBARS, 60}, entropy_bars, NBARS, NULL);
        const double lo = -1.3, hi = 5.9; /* bars start at min(0, min) */
        long len[NBARS];
        for (int i = 0; i < NBARS; i++) {
            len[i] = 0;
            for (int x = 0; x < 60; x++) {
                const uint32_t ch = ch_at(c, i, x);
                len[i] += ascii ? 8 * (ch == '#') : left_eighths(ch);
            }
        }
        const long full = len[1]; /* the largest value spans the bar area */
        CHECK(full >= 8 * 20, "the longest bar is long (%ld eighths)", full);
        for (int i = 0; i < NBARS; i++) {
            const double want = (entropy_bars[i].value - lo) / (hi - lo) * full;
            CHECK(fabs(len[i] - want) <= (ascii ? 8 : 1), "%s bar %s: %ld eighths, want %.1f", ascii ? "ascii" : "utf8",
                  entropy_bars[i].label, len[i], want);
        }
        CHECK(len[3] == 0, "the most negative bar is empty: it is the origin");
        canvas_free(c);
    }
}

static const char *const methods[] = {"base", "ocd", "ocd-alt", "ensemble"};
static const double method_mean[] = {0.412, 0.3712, 0.398, 0.3751}, method_sd[] = {0, 0.0121, 0.03, 0.0062};

TEST(mean_sd_bars_mark_the_best_and_draw_whiskers)
{
    Canvas *c = canvas_new(4, 56, 0), *a = canvas_new(4, 56, 1);
    bars_mean_sd(c, (Rect){0, 0, 4, 56}, methods, method_mean, method_sd, 4, 1, 75);
    bars_mean_sd(a, (Rect){0, 0, 4, 56}, methods, method_mean, method_sd, 4, 1, 75);
    golden_canvas("bars_mean_sd_utf8", c, 1);
    golden_canvas("bars_mean_sd_ascii", a, 0);
    CHECK(ch_at(c, 1, 0) == '*', "ocd has the lowest mean and is marked");
    for (int i = 0; i < 4; i++)
        CHECK(i == 1 || ch_at(c, i, 0) == ' ', "only the best is marked (row %d)", i);
    int whiskers = 0;
    for (int x = 0; x < 56; x++)
        whiskers += ch_at(c, 2, x) == 0x2524;
    CHECK(whiskers == 1, "the row with an sd ends its whisker with one ┤");
    whiskers = 0;
    for (int x = 0; x < 56; x++)
        whiskers += ch_at(c, 0, x) == 0x2524 || ch_at(c, 0, x) == 0x2500;
    CHECK(whiskers == 0, "sd 0: no whisker");
    char *d = canvas_dump(c);
    CHECK(strstr(d, "0.3712 \u00b1 0.012"), "the value reads mean ± sd:\n%s", d);
    free(d);
    canvas_free(c);
    canvas_free(a);
}

/* the forest plot of paired differences: the base without one, an interval left of 0
 * (better, for a loss), one around 0, one right of 0, and a row without an interval */
static const char *const diff_labels[] = {"base", "ocd", "ocd-alt", "ensemble", "old row"};
static const double diff_d[] = {NAN, -0.02, 0.001, 0.015, NAN}, diff_lo[] = {NAN, -0.03, -0.004, 0.01, NAN},
                    diff_hi[] = {NAN, -0.01, 0.006, 0.02, NAN};
static const char *const diff_text[] = {"(the reference)", "-0.02 better", "+0.001 no difference", "+0.015 worse", "-"};
static const int16_t diff_col[] = {-1, 46, -1, 196, -1};

TEST(interval_rows_draw_each_interval_against_one_zero_line)
{
    Canvas *c = canvas_new(5, 70, 0), *a = canvas_new(5, 70, 1);
    bars_interval(c, (Rect){0, 0, 5, 70}, diff_labels, diff_d, diff_lo, diff_hi, diff_text, diff_col, 5);
    bars_interval(a, (Rect){0, 0, 5, 70}, diff_labels, diff_d, diff_lo, diff_hi, diff_text, diff_col, 5);
    golden_canvas("bars_interval_utf8", c, 1);
    golden_canvas("bars_interval_ascii", a, 0);
    /* the 0 mark is in the same column on every row, and every row has one or a point on it */
    int zero = -1;
    for (int x = 0; x < 70 && zero < 0; x++)
        if (ch_at(c, 0, x) == 0x2502) zero = x;
    CHECK(zero > 0, "the base row has no 0 mark");
    for (int i = 0; i < 5; i++)
        CHECK(ch_at(c, i, zero) == 0x2502 || ch_at(c, i, zero) == 0x25CF, "row %d has no 0 mark in column %d", i, zero);
    /* the better interval lies left of 0, the worse one right of it; the point is a dot */
    int dots_left = 0, dots_right = 0;
    for (int x = 0; x < 70; x++) {
        dots_left += ch_at(c, 1, x) == 0x25CF && x < zero;
        dots_right += ch_at(c, 3, x) == 0x25CF && x > zero;
    }
    CHECK(dots_left == 1 && dots_right == 1, "the points of rows 1 and 3: %d left, %d right of 0", dots_left, dots_right);
    for (int x = 0; x < 70; x++) CHECK(ch_at(c, 4, x) != 0x25CF, "a row without an interval draws a point");
    char *d = canvas_dump(a);
    CHECK(strstr(d, "+0.015 worse") && strstr(d, "(the reference)"), "the texts:\n%s", d);
    free(d);
    canvas_free(c);
    canvas_free(a);
}

/* Deterministic bell-shaped samples: the sum of four uniforms from an LCG (no libm, so the
 * same on every machine). */
static void bell_samples(double *v, int n, double centre, double spread, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            s += (seed >> 8 & 0xFFFF) / 65536.0;
        }
        v[i] = centre + spread * (s - 2.0);
    }
}

TEST(two_histograms_share_their_bins)
{
    enum { NA = 500, NB = 200 };
    double a[NA], b[NB];
    bell_samples(a, NA, 1.0, 0.5, 1);
    bell_samples(b, NB, 1.4, 0.4, 2);
    Canvas *c = canvas_new(12, 60, 0), *asc = canvas_new(12, 60, 1);
    bars_histograms(c, (Rect){0, 0, 12, 60}, a, NA, "rho train", 39, b, NB, "rho test", 208, 12);
    bars_histograms(asc, (Rect){0, 0, 12, 60}, a, NA, "rho train", 39, b, NB, "rho test", 208, 12);
    golden_canvas("histograms_utf8", c, 1);
    golden_canvas("histograms_ascii", asc, 0);
    /* the tallest bar reaches the top row of the bar area (rows 1..9); no bar floats: above
     * a partial block or a space a column holds nothing but spaces */
    int top = 0, floating = 0;
    for (int x = 0; x < 60; x++) {
        top += ch_at(c, 1, x) == GLYPH_FULL_BLOCK;
        int ended = 0;
        for (int y = 9; y >= 1; y--) {
            const uint32_t ch = ch_at(c, y, x);
            const int block = ch >= 0x2581 && ch <= 0x2588;
            if (ended && block) floating++;
            if (!block || ch != GLYPH_FULL_BLOCK) ended = 1;
        }
    }
    CHECK(top >= 1, "the tallest bar is full height");
    CHECK(floating == 0, "%d block cells float above the top of their bar", floating);
    char *d = canvas_dump(c);
    CHECK(strstr(d, "rho train (n=500)") && strstr(d, "rho test (n=200)"), "legend with counts:\n%s", d);
    free(d);
    canvas_free(c);
    canvas_free(asc);
}

/* ---- image ---- */

TEST(rgb_to_xterm256_gives_the_palette_indices)
{
    CHECK(rgb_to_xterm256(1, 0, 0) == 196, "red %d", rgb_to_xterm256(1, 0, 0));
    CHECK(rgb_to_xterm256(0, 1, 0) == 46, "green %d", rgb_to_xterm256(0, 1, 0));
    CHECK(rgb_to_xterm256(0, 0, 1) == 21, "blue %d", rgb_to_xterm256(0, 0, 1));
    CHECK(rgb_to_xterm256(1, 1, 1) == 231, "white %d", rgb_to_xterm256(1, 1, 1));
    CHECK(rgb_to_xterm256(0, 0, 0) == 16, "black %d", rgb_to_xterm256(0, 0, 0));
    /* 0.5 is 127.5: the grey 128 (232 + 12) is nearer than the cube's 135 */
    CHECK(rgb_to_xterm256(0.5, 0.5, 0.5) == 244, "mid grey %d", rgb_to_xterm256(0.5, 0.5, 0.5));
    CHECK(rgb_to_xterm256(2, -1, NAN) == 196, "out of range values are clamped");
}

TEST(a_red_over_blue_pixel_pair_is_one_half_block)
{
    const float px[2 * 3] = {1, 0, 0, 0, 0, 1}; /* h 2, w 1: red on top, blue below */
    Canvas *c = sentinel_canvas(5, 7, 0);
    image_draw(c, (Rect){2, 3, 1, 1}, px, 2, 1);
    const Cell *cell = canvas_at(c, 2, 3);
    CHECK(cell->ch == GLYPH_UPPER_HALF && cell->fg == 196 && cell->bg == 21, "got U+%04X fg %d bg %d", cell->ch,
          cell->fg, cell->bg);
    CHECK(untouched_outside(c, (Rect){2, 3, 1, 1}), "nothing outside the rect");
    canvas_free(c);
}

TEST(a_small_image_is_enlarged_by_a_whole_factor)
{
    const float px[2 * 2 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}; /* red green / blue white */
    Canvas *c = canvas_new(4, 10, 0);
    image_draw(c, (Rect){0, 0, 4, 10}, px, 2, 2); /* 4x: 8 x 8 pixels in 4 rows, centred in 10 */
    const int want[4][2] = {{196, 46}, {196, 46}, {21, 231}, {21, 231}};
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 8; x++) {
            const Cell *cell = canvas_at(c, y, 1 + x);
            const int w = want[y][x / 4];
            CHECK(cell->ch == GLYPH_UPPER_HALF && cell->fg == w && cell->bg == w, "cell %d,%d: fg %d bg %d, want %d", y,
                  1 + x, cell->fg, cell->bg, w);
        }
    CHECK(ch_at(c, 0, 0) == ' ' && ch_at(c, 0, 9) == ' ', "a column free on each side");
    canvas_free(c);
}

static void gradient_image(float *img, int h, int w)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = &img[(y * w + x) * 3];
            p[0] = (float)x / (w - 1), p[1] = (float)y / (h - 1), p[2] = 0.5f;
        }
}

static void checker_image(float *img, int h, int w, int square)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float v = ((y / square + x / square) % 2) ? 1.0f : 0.0f;
            for (int ch = 0; ch < 3; ch++)
                img[(y * w + x) * 3 + ch] = v;
        }
}

TEST(image_goldens_gradient_and_checkerboard)
{
    float grad[6 * 8 * 3], check[8 * 8 * 3];
    gradient_image(grad, 6, 8);
    checker_image(check, 8, 8, 2);
    Canvas *c = canvas_new(4, 20, 0), *a = canvas_new(4, 20, 1);
    image_draw(c, (Rect){0, 0, 3, 8}, grad, 6, 8);
    image_draw(c, (Rect){0, 10, 4, 8}, check, 8, 8);
    image_draw(a, (Rect){0, 0, 3, 8}, grad, 6, 8);
    image_draw(a, (Rect){0, 10, 4, 8}, check, 8, 8);
    golden_canvas("image_utf8", c, 1);
    golden_canvas("image_ascii", a, 0);
    /* the gradient at 1:1: red grows to the right, green down; blue is 0.5 throughout */
    int rgb0[3], rgb1[3];
    xterm_rgb(canvas_at(c, 0, 0)->fg, rgb0);
    xterm_rgb(canvas_at(c, 0, 7)->fg, rgb1);
    CHECK(rgb0[0] < 50 && rgb1[0] > 200, "red left %d, right %d", rgb0[0], rgb1[0]);
    xterm_rgb(canvas_at(c, 2, 0)->bg, rgb1);
    CHECK(rgb0[1] < 50 && rgb1[1] > 200, "green top %d, bottom %d", rgb0[1], rgb1[1]);
    /* the checkerboard of 2-pixel squares: each cell is one colour (both pixels of a square) */
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 8; x++) {
            const Cell *cell = canvas_at(c, y, 10 + x);
            const int want = ((y + x / 2) % 2) ? 231 : 16;
            CHECK(cell->fg == want && cell->bg == want, "checker cell %d,%d: fg %d bg %d, want %d", y, x, cell->fg,
                  cell->bg, want);
        }
    canvas_free(c);
    canvas_free(a);
}

TEST(a_shrunk_checkerboard_averages_to_grey_and_keeps_its_aspect)
{
    enum { N = 16 };
    float img[N * N * 3];
    checker_image(img, N, N, 1);
    Canvas *c = sentinel_canvas(12, 30, 0);
    const Rect r = {2, 3, 8, 24}; /* fits 16 pixels tall -> 1:1 would need 16 cols x 8 rows: fits */
    image_draw(c, r, img, N, N);
    CHECK(canvas_at(c, 2, 3 + 4)->fg == 16 || canvas_at(c, 2, 3 + 4)->fg == 231, "1:1 keeps black and white");
    CHECK(untouched_outside(c, r), "centred inside the rect");
    Canvas *s = canvas_new(4, 8, 0);
    image_draw(s, (Rect){0, 0, 4, 8}, img, N, N); /* half size: each output pixel is 2x2 sources */
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 8; x++) {
            const Cell *cell = canvas_at(s, y, x);
            CHECK(cell->fg == 244 && cell->bg == 244, "box filter: cell %d,%d is mid grey (fg %d bg %d)", y, x,
                  cell->fg, cell->bg);
        }
    Canvas *wide = canvas_new(4, 40, 0);
    image_draw(wide, (Rect){0, 0, 4, 40}, img, N, N); /* height limits: 8 pixels tall -> 8 wide */
    int cells = 0;
    for (int x = 0; x < 40; x++)
        cells += ch_at(wide, 0, x) == GLYPH_UPPER_HALF;
    CHECK(cells == 8, "a square image stays square: %d columns for 8 pixel rows", cells);
    CHECK(ch_at(wide, 0, 16) == GLYPH_UPPER_HALF && ch_at(wide, 0, 15) == ' ', "and is centred");
    canvas_free(c);
    canvas_free(s);
    canvas_free(wide);
}

/* ---- heat map ---- */

TEST(heatmap_golden_of_a_known_matrix)
{
    enum { R = 7, C = 12 };
    float m[R * C];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            m[i * C + j] = (float)((j - 5.5) * (i - 3) / 16.5);
    Canvas *c = canvas_new(5, 16, 0), *a = canvas_new(5, 16, 1);
    heatmap_draw(c, (Rect){0, 0, 5, 16}, m, R, C, NULL);
    heatmap_draw(a, (Rect){0, 0, 5, 16}, m, R, C, NULL);
    golden_canvas("heatmap_utf8", c, 1);
    golden_canvas("heatmap_ascii", a, 0);
    canvas_free(c);
    canvas_free(a);
}

TEST(a_positive_entry_is_red_and_a_negative_one_blue)
{
    const float m[2 * 2] = {0.8f, 0, 0, -0.4f};
    Canvas *c = canvas_new(2, 12, 0);
    heatmap_draw(c, (Rect){0, 0, 2, 12}, m, 2, 2, NULL);
    int pos[3], neg[3], zero[3];
    xterm_rgb(canvas_at(c, 0, 0)->fg, pos);  /* m[0][0] */
    xterm_rgb(canvas_at(c, 0, 1)->bg, neg);  /* m[1][1] */
    xterm_rgb(canvas_at(c, 0, 1)->fg, zero); /* m[0][1] */
    CHECK(canvas_at(c, 0, 0)->fg == 196, "the largest |v| is full red, got %d", canvas_at(c, 0, 0)->fg);
    CHECK(pos[0] > pos[2] + 100, "positive is red-ish: %d,%d,%d", pos[0], pos[1], pos[2]);
    CHECK(neg[2] > neg[0] + 60, "negative is blue-ish: %d,%d,%d", neg[0], neg[1], neg[2]);
    CHECK(zero[0] == 255 && zero[1] == 255 && zero[2] == 255, "zero is white");
    char *d = canvas_dump(c);
    CHECK(strstr(d, "\u00b10.8"), "the scale line reads ±0.8:\n%s", d);
    free(d);
    canvas_free(c);
}

TEST(a_large_matrix_is_cropped_or_averaged_to_fit)
{
    enum { R = 40, C = 100 };
    static float m[R * C];
    for (int i = 0; i < R * C; i++)
        m[i] = (i % C) < 50 ? 1.0f : -1.0f; /* left half +, right half - */
    Canvas *c = sentinel_canvas(10, 42, 0);
    const Rect r = {2, 3, 6, 36};
    heatmap_draw(c, r, m, R, C, NULL);
    CHECK(untouched_outside(c, r), "stays in its rect");
    char *d = canvas_dump(c);
    CHECK(strstr(d, "top-left 10x36 shown"), "says what is shown:\n%s", d);
    free(d);
    CHECK(canvas_at(c, 2, 3 + 35)->fg == 196, "the crop is all from the positive left half");
    const HeatOpts avg = {0, 1};
    heatmap_draw(c, r, m, R, C, &avg);
    d = canvas_dump(c);
    CHECK(strstr(d, "averaged to 10x36"), "says it averaged:\n%s", d);
    free(d);
    CHECK(canvas_at(c, 2, 3)->fg == 196 && canvas_at(c, 2, 3 + 35)->fg == 21, "averaged: red left, blue right");
    canvas_free(c);
}

/* ---- table ---- */

static const char *const tbl_header[] = {"method", "accuracy", "CE loss", "notes"};
/* one table row per line */
/* clang-format off */
static const char *const tbl_cells[] = {
    "base",            "0.9812", "0.0643",  "trained 12 epochs",
    "ocd",             "0.9840", "0.0571",  "diffusion on conv2",
    "ocd (runner-up)", "0.9826", "0.0602",  "fc1",
    "ensemble",        "0.9831", "n/a",     "",
    "overfit on test", "0.9990", "0.00412", "an upper bound, not a method",
};
/* clang-format on */
static const unsigned char tbl_best[] = {0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

TEST(table_golden_with_truncation_and_a_highlighted_row)
{
    Canvas *c = sentinel_canvas(10, 50, 0);
    const Rect r = {2, 3, 6, 44};
    const TableSpec t = {tbl_header, 4, tbl_cells, 5, 2, tbl_best, 0};
    table_draw(c, r, &t);
    golden_canvas("table_utf8", c, 1);
    CHECK(untouched_outside(c, r), "the table stays in its rect");
    char *d = canvas_dump(c);
    CHECK(strstr(d, "\u2026"), "a cut cell ends with an ellipsis:\n%s", d);
    free(d);
    /* numbers are right-aligned under their (wider) headers: every cell of the accuracy and
     * CE loss columns ends where the header does */
    const char *const numeric[2] = {"accuracy", "CE loss"};
    for (int k = 0; k < 2; k++) {
        const int n = (int)strlen(numeric[k]);
        int end = -1;
        for (int x = 3; x + n <= 47 && end < 0; x++) {
            int same = 1;
            for (int i = 0; i < n; i++)
                same &= ch_at(c, 2, x + i) == (uint32_t)numeric[k][i];
            if (same) end = x + n - 1;
        }
        CHECK(end > 0, "found the %s header", numeric[k]);
        for (int y = 3; y < 8 && end > 0; y++) {
            const uint32_t last = ch_at(c, y, end);
            CHECK(((last >= '0' && last <= '9') || last == 'a') && ch_at(c, y, end + 1) == ' ',
                  "row %d: the %s cell ends in column %d (U+%04X)", y, numeric[k], end, last);
        }
        if (k == 0) {
            const Cell *best = canvas_at(c, 4, end);
            CHECK(best->fg == TABLE_BEST_FG && (best->attr & ATTR_BOLD), "the best accuracy is green and bold");
        }
    }
    CHECK(canvas_at(c, 5, 3)->attr & ATTR_REVERSE && canvas_at(c, 5, 3 + 43)->attr & ATTR_REVERSE,
          "the highlighted row is reversed across the table's width");
    canvas_free(c);
}

TEST(table_scrolls_and_clamps_the_scroll)
{
    Canvas *c = canvas_new(3, 60, 0);
    const TableSpec t = {tbl_header, 4, tbl_cells, 5, -1, NULL, 3};
    table_draw(c, (Rect){0, 0, 3, 60}, &t);
    char *d = canvas_dump(c);
    CHECK(strstr(d, "\nensemble") && strstr(d, "\noverfit on test"), "rows 3 and 4 shown:\n%s", d);
    free(d);
    canvas_clear(c);
    const TableSpec far = {tbl_header, 4, tbl_cells, 5, -1, NULL, 99};
    table_draw(c, (Rect){0, 0, 3, 60}, &far);
    d = canvas_dump(c);
    CHECK(strstr(d, "\nensemble") && strstr(d, "\noverfit on test"), "a scroll past the end shows the last page:\n%s",
          d);
    free(d);
    canvas_free(c);
}

/* ---- every renderer, every small size: nothing outside the rect, no crash ---- */

TEST(no_renderer_writes_outside_its_rect_at_any_small_size)
{
    double x[NPTS], y[NPTS], a[100], b[60];
    loss_curve(x, y);
    bell_samples(a, 100, 0, 1, 3);
    bell_samples(b, 60, 0.5, 1, 4);
    const PlotSeries s = {x, y, NPTS, 1, "a long series name"};
    const PlotOpts o = {.logy = 1, .smooth = 5, .xlabel = "step"};
    float img[6 * 8 * 3], m[7 * 9];
    gradient_image(img, 6, 8);
    for (int i = 0; i < 7 * 9; i++)
        m[i] = (float)(i % 5) - 2;
    const TableSpec t = {tbl_header, 4, tbl_cells, 5, 1, tbl_best, 0};
    int bad = 0;
    for (int ascii = 0; ascii <= 1; ascii++)
        for (int h = 0; h <= 9 && bad < 5; h++)
            for (int w = 0; w <= 30 && bad < 5; w++) {
                const Rect r = {2, 3, h, w};
                for (int which = 0; which < 8; which++) {
                    Canvas *c = sentinel_canvas(h + 4, w + 6, ascii);
                    canvas_fill(c, r, ' ', STYLE_DEFAULT);
                    switch (which) {
                    case 0: plot_lines(c, r, &s, 1, &o); break;
                    case 1: bars_horizontal(c, r, entropy_bars, NBARS, NULL); break;
                    case 2: bars_mean_sd(c, r, methods, method_mean, method_sd, 4, 1, 2); break;
                    case 3: bars_histograms(c, r, a, 100, "a", 1, b, 60, "b", 2, 10); break;
                    case 4: image_draw(c, r, img, 6, 8); break;
                    case 5: heatmap_draw(c, r, m, 7, 9, NULL); break;
                    case 6: table_draw(c, r, &t); break;
                    case 7: bars_interval(c, r, diff_labels, diff_d, diff_lo, diff_hi, diff_text, diff_col, 5); break;
                    }
                    if (!untouched_outside(c, r)) {
                        CHECK(0, "renderer %d (ascii %d) wrote outside a %dx%d rect", which, ascii, h, w);
                        bad++;
                    }
                    canvas_free(c);
                }
            }
}
