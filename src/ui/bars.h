/* Bar charts with eighth-block precision: labelled horizontal bars (layer entropies),
 * mean ± sd bars (the method comparison) and two histograms over the same bins (rho on the
 * training set against rho predicted on the test set). */
#ifndef OCD_UI_BARS_H
#define OCD_UI_BARS_H

#include "canvas.h"

/* mark: ' ' none, '*' chosen, '+' runner-up */
typedef struct {
    const char *label;
    double value;
    int16_t colour;
    char mark;
} Bar;

/* One bar per row from the top of r (as many as fit): the mark, the label (left-aligned, at
 * most a third of the width), the bar, the value (value_fmt, NULL = "%.4g", right-aligned).
 * Bars start at the left edge, which stands for min(0, smallest value), and end at their
 * value, on a scale that reaches max(0, largest value) at the full width; a marked bar's
 * label is bold. NaN values draw no bar and "nan". ASCII: '#'. */
void bars_horizontal(Canvas *c, Rect r, const Bar *b, int n, const char *value_fmt);

/* One row per method: the bar up to the mean (on the scale from min(0, mean - sd) to the
 * largest mean + sd), the part within one sd below the mean shaded (▒, ASCII ':') and a
 * whisker to mean + sd (─┤, ASCII -|), then "mean ± sd". The best mean (lowest when
 * lower_is_better, else highest) is marked '*' and bold. sd may be NULL (no whiskers);
 * NaN means show "n/a". */
void bars_mean_sd(Canvas *c, Rect r, const char *const *labels, const double *mean, const double *sd, int n,
                  int lower_is_better, int16_t colour);

/* Paired differences with their intervals (a forest plot), one row per method: the label,
 * a track on one scale for every row that reaches 0, with 0 marked │ on every row (ASCII '|'),
 * the interval from lo to hi drawn ─ (ASCII '-') and ● at the difference (ASCII 'o'), then
 * text[i] right-aligned (e.g. "+0.0003 [-0.0003, +0.0009] no difference"). A row whose diff
 * is NaN draws only the 0 mark and its text; lo/hi NaN draw the point alone. colour[i]: the
 * row's interval and text (e.g. by verdict); -1 the default. */
void bars_interval(Canvas *c, Rect r, const char *const *labels, const double *diff, const double *lo,
                   const double *hi, const char *const *text, const int16_t *colour, int n);

/* Histograms of a and b over the same `bins` equal bins spanning both samples' finite
 * values, side by side in each bin (a left, b right), as vertical eighth-block bars whose
 * height is the fraction of each sample in the bin (so samples of different sizes compare).
 * The legend is on the top line, the largest fraction labels the left axis and the bin edges
 * the bottom line (as many as fit). Bins are reduced when r is too narrow for two columns
 * each. ASCII: '#' for a and '+' for b. */
void bars_histograms(Canvas *c, Rect r, const double *a, int na, const char *name_a, int16_t col_a, const double *b,
                     int nb, const char *name_b, int16_t col_b, int bins);

#endif
