/* The panes that show the session's stored results: layer selection (entropy), training
 * curves (loss), the rho distributions, the method comparison and the log. The denoising
 * stepper and the NeRF views are in pane_denoise.c. Each pane draws from the App only. */
#include "app.h"
#include "bars.h"
#include "figures.h"
#include "plot.h"
#include "table.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pane_draw_denoise(App *a, Rect r);
void pane_draw_views(App *a, Rect r);
int pane_key_denoise(App *a, int key);
int pane_key_views(App *a, int key);

enum { C_TRAIN = 39, C_TEST = 208, C_DIFF = 135, C_SCALE = 70, C_ALT = 244, C_CHOSEN = 46, C_RUNNER = 214, C_BAR = 75 };

static void say(App *a, Rect r, const char *what)
{
    canvas_text_fit(a->cv, r.y + r.h / 2, r.x + 1, r.w - 2, what, (Style){-1, -1, ATTR_DIM});
}

static int stage_done(App *a, const char *s) { return a->have_view && sessview_stage_complete(&a->view, s); }

/* ---- entropy: every candidate layer's score as a bar ---- */
static void draw_entropy(App *a, Rect r)
{
    if (!stage_done(a, "select")) {
        say(a, r, a->running && !strcmp(a->run_stage, "select") ? "select: scoring layers..." : "no select stage yet (r runs it)");
        return;
    }
    const SessView *v = &a->view;
    /* only the layers OCD can use get a bar; the others are named below them */
    Bar bars[SV_MAX_LAYERS];
    char labels[SV_MAX_LAYERS][48], skipped[256] = "";
    int nb = 0;
    for (int i = 0; i < v->nlayers; i++) {
        if (!v->eligible[i] || !isfinite(v->score[i])) {
            snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), "%s%s", skipped[0] ? ", " : "", v->layer[i]);
            continue;
        }
        snprintf(labels[nb], sizeof labels[nb], "%s%s", i == a->sel_layer ? ">" : " ", v->layer[i]);
        bars[nb] = (Bar){labels[nb], v->score[i], (int16_t)(i == v->chosen ? C_CHOSEN : i == v->runner_up ? C_RUNNER : C_BAR),
                         i == v->chosen ? '*' : i == v->runner_up ? '+' : ' '};
        nb++;
    }
    const int extra = 4;
    Rect rb = {r.y, r.x, r.h > nb + extra ? nb : r.h - extra, r.w};
    if (rb.h < 1) rb.h = r.h;
    bars_horizontal(a->cv, rb, bars, nb, "%.4g");
    int y = rb.y + rb.h;
    if (y < r.y + r.h)
        canvas_text_fit(a->cv, y++, r.x, r.w, "* chosen  + runner-up  > picked  (a longer bar: a higher score)",
                        (Style){-1, -1, ATTR_DIM});
    const char *pinned = cfg_str(&v->cfg, "select.layer");
    if (pinned[0] && y < r.y + r.h)
        canvas_textf(a->cv, y++, r.x, r.w, (Style){-1, -1, ATTR_DIM}, "chosen by the preset (select.layer = %s), not by score", pinned);
    if (skipped[0] && y < r.y + r.h)
        canvas_textf(a->cv, y++, r.x, r.w, (Style){-1, -1, ATTR_DIM}, "not usable by OCD: %s", skipped);
    /* what if: the overfit-on-test gain of the picked layer beside the chosen one's */
    const int L = a->sel_layer, C = v->chosen;
    for (int k = 0; k < 2 && y < r.y + r.h; k++) {
        const int i = k == 0 ? L : C;
        if (i < 0 || (k == 1 && C == L)) continue;
        char buf[200];
        switch (a->gain_state[i]) {
        case 0: snprintf(buf, sizeof buf, "%s: w = what if (overfit-on-test gain)", v->layer[i]); break;
        case 1: snprintf(buf, sizeof buf, "%s: overfitting test samples...", v->layer[i]); break;
        case 2:
            snprintf(buf, sizeof buf, "%s%s: loss %.4g -> %.4g (%+.1f%%) overfit on test", v->layer[i],
                     i == C ? " (chosen)" : "", a->gain_base[i], a->gain_over[i],
                     100 * (a->gain_over[i] - a->gain_base[i]) / a->gain_base[i]);
            break;
        default: snprintf(buf, sizeof buf, "%s: what if failed (see the log)", v->layer[i]); break;
        }
        canvas_text_fit(a->cv, y++, r.x, r.w, buf, (Style){i == C ? C_CHOSEN : -1, -1, 0});
    }
}

static int key_entropy(App *a, int key)
{
    if (!stage_done(a, "select")) return 0;
    const int n = a->view.nlayers;
    if (key == KEY_UP || key == 'k' || key == KEY_DOWN || key == 'j') {
        /* move to the previous / next layer OCD can use */
        const int d = key == KEY_UP || key == 'k' ? -1 : 1;
        int L = a->sel_layer;
        for (int k = 0; k < n; k++) {
            L = (L + d + n) % n;
            if (a->view.eligible[L]) break;
        }
        a->sel_layer = L;
    } else if (key == 'w') {
        app_request_gain(a, a->sel_layer);
        if (a->view.chosen >= 0 && a->view.chosen != a->sel_layer && a->gain_state[a->view.chosen] == 0)
            app_request_gain(a, a->view.chosen);
    } else
        return 0;
    return REACT_REDRAW;
}

/* ---- loss: stored curves of complete stages, live curves of the one running ---- */
static void draw_loss(App *a, Rect r)
{
    PlotSeries s[8];
    int n = 0;
    const SessView *v = &a->view;
    if (a->have_view) {
        if (v->base_train_loss.n) s[n++] = (PlotSeries){v->base_train_loss.x, v->base_train_loss.y, v->base_train_loss.n, C_TRAIN, "base train"};
        if (v->base_test_loss.n) s[n++] = (PlotSeries){v->base_test_loss.x, v->base_test_loss.y, v->base_test_loss.n, C_TEST, "base held-out"};
    }
    /* two plots when there is room: base above, diffusion and scale below */
    PlotSeries d[6];
    int nd = 0;
    if (a->have_view && v->diffusion_loss.n) d[nd++] = (PlotSeries){v->diffusion_loss.x, v->diffusion_loss.y, v->diffusion_loss.n, C_DIFF, "diffusion"};
    if (a->have_view && v->alt_diffusion_loss.n) d[nd++] = (PlotSeries){v->alt_diffusion_loss.x, v->alt_diffusion_loss.y, v->alt_diffusion_loss.n, C_ALT, "diffusion (alt)"};
    if (a->have_view && v->scale_loss.n) d[nd++] = (PlotSeries){v->scale_loss.x, v->scale_loss.y, v->scale_loss.n, C_SCALE, "scale"};
    static const int16_t live_col[LIVE_SERIES] = {226, 201, 51, 118};
    static char live_name[LIVE_SERIES][40];
    for (int i = 0; i < LIVE_SERIES; i++) {
        const LiveCurve *c = &a->live[i];
        if (c->n < 2 || (a->have_view && sessview_stage_complete(v, c->stage) && strcmp(c->stage, a->run_stage))) continue;
        snprintf(live_name[i], sizeof live_name[i], "%s %s (live)", c->stage, c->name);
        PlotSeries ls = {c->x, c->y, c->n, live_col[i], live_name[i]};
        if (!strcmp(c->stage, "base")) s[n++] = ls;
        else if (nd < 6) d[nd++] = ls;
    }
    if (n + nd == 0) {
        say(a, r, "no curves yet: the base stage writes them (r runs it)");
        return;
    }
    PlotOpts o = {.logy = a->logy, .smooth = a->smooth ? 5 : 0, .xlabel = "step / epoch"};
    char title[64];
    snprintf(title, sizeof title, "log-y %s  smooth %s  x %s", a->logy ? "on" : "off", a->smooth ? "on" : "off",
             a->xrange ? "last 1/4" : "all");
    canvas_text_fit(a->cv, r.y, r.x, r.w, title, (Style){-1, -1, ATTR_DIM});
    Rect body = {r.y + 1, r.x, r.h - 1, r.w};
    /* the generators' fit under the diffusion curves: did the network learn its target? */
    const SvFit *fits[2] = {a->have_view && v->fit.have ? &v->fit : NULL, a->have_view && v->alt_fit.have ? &v->alt_fit : NULL};
    const int nfit = (fits[0] != NULL) + (fits[1] != NULL);
    if (nd > 0 && nfit > 0 && body.h >= 8 + nfit) {
        int y = body.y + body.h - nfit;
        for (int i = 0; i < 2; i++) {
            if (!fits[i]) continue;
            char line[600], fl[512];
            sessview_fit_line(fits[i], fl, sizeof fl);
            snprintf(line, sizeof line, "fit %s: %s", i ? (v->alt_layer[0] ? v->alt_layer : "alt") : v->overfit_layer, fl);
            canvas_text_fit(a->cv, y++, r.x, r.w, line, (Style){i ? C_ALT : C_DIFF, -1, 0});
        }
        body.h -= nfit;
    }
    const int both = n > 0 && nd > 0 && body.h >= 12;
    Rect top = both ? (Rect){body.y, body.x, body.h / 2, body.w} : body;
    Rect bot = both ? (Rect){body.y + body.h / 2, body.x, body.h - body.h / 2, body.w} : body;
    for (int k = 0; k < 2; k++) {
        PlotSeries *ps = k == 0 ? s : d;
        const int np = k == 0 ? n : nd;
        if (np == 0 || (!both && k == 1 && n > 0)) continue;
        o.xmin = o.xmax = 0;
        if (a->xrange) { /* the last quarter of the longest series */
            double lo = 1e300, hi = -1e300;
            for (int i = 0; i < np; i++)
                if (ps[i].n) {
                    lo = fmin(lo, ps[i].x[0]);
                    hi = fmax(hi, ps[i].x[ps[i].n - 1]);
                }
            o.xmin = lo + 0.75 * (hi - lo);
            o.xmax = hi;
        }
        plot_lines(a->cv, k == 0 ? top : bot, ps, np, &o);
    }
}

static int key_loss(App *a, int key)
{
    if (key == 'l') a->logy = !a->logy;
    else if (key == 'e') a->smooth = !a->smooth;
    else if (key == 'x') a->xrange = !a->xrange;
    else return 0;
    return REACT_REDRAW;
}

/* ---- rho: the training collection's rho vs the scale model's prediction on test ---- */
static void draw_rho(App *a, Rect r)
{
    if (!stage_done(a, "overfit") || a->view.n_overfit == 0) {
        say(a, r, "no overfit stage yet");
        return;
    }
    if (stage_done(a, "scale") && a->rho_state == 0) app_request_rho(a);
    const char *tname = a->rho_state == 2 ? "predicted on test" : a->rho_state == 1 ? "predicted on test (running...)"
                        : a->rho_state == 3                       ? "predicted on test (failed: see the log)"
                                                                  : "predicted on test (needs the scale stage)";
    bars_histograms(a->cv, r, a->view.rho, a->view.n_overfit, "training (overfit)", C_TRAIN, a->rho_test,
                    a->rho_state == 2 ? a->n_rho_test : 0, tname, C_TEST, r.w > 60 ? 24 : 12);
}

/* ---- compare: the results table, bars with ±SD, or the paired differences ---- */

enum { C_BETTER = 46, C_WORSE = 196 };

static int16_t verdict_colour(const char *w)
{
    return w && !strcmp(w, "better") ? C_BETTER : w && !strcmp(w, "worse") ? C_WORSE : -1;
}

/* the widest cell of column j (header included) */
static int column_width(const char *const *cells, int nrows, int ncols, const char *header, int j)
{
    int w = utf8_width(header);
    for (int i = 0; i < nrows; i++)
        if (cells[i * ncols + j] && utf8_width(cells[i * ncols + j]) > w) w = utf8_width(cells[i * ncols + j]);
    return w;
}

/* The table: method, both metrics (mean ± SD), then as many of the first metric's verdict,
 * its difference to the base with the interval, and the second metric's verdict as leave
 * the labels LABEL_MIN columns ("-" where a row has none) */
static void compare_table(App *a, Rect body)
{
    enum { NC = 6, LABEL_MIN = 18 };
    const SessView *v = &a->view;
    static char cells[SV_MAX_ROWS][NC][96];
    const char *cp[SV_MAX_ROWS * NC];
    unsigned char best[SV_MAX_ROWS * NC] = {0};
    char h3[64], h4[48], h5[48];
    snprintf(h3, sizeof h3, "%s − base [%.0f%% CI]", v->metrics[0], 100 * v->bootstrap_level);
    snprintf(h4, sizeof h4, "%s verdict", v->metrics[0]);
    snprintf(h5, sizeof h5, "%s verdict", v->metrics[1]);
    const char *hdr[NC] = {"method", v->metrics[0], v->metrics[1], h3, h4, h5};
    const int shown[NC] = {0, 1, 2, 4, 3, 5}; /* the order of the columns on screen */
    const int best0 = sessview_best_row(v, 0), best1 = sessview_best_row(v, 1);
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        const char *w[2];
        char spare[96];
        snprintf(cells[i][0], sizeof cells[i][0], "%s", r->label);
        sessview_fmt_metric(v->metrics[0], r->mean[0], r->sd[0], cells[i][1], sizeof cells[i][1]);
        sessview_fmt_metric(v->metrics[1], r->mean[1], r->sd[1], cells[i][2], sizeof cells[i][2]);
        sessview_row_diff_cells(r, v->metrics[0], 0, cells[i][3], sizeof cells[i][3], &w[0]);
        sessview_row_diff_cells(r, v->metrics[1], 1, spare, sizeof spare, &w[1]);
        snprintf(cells[i][4], sizeof cells[i][4], "%s", w[0]);
        snprintf(cells[i][5], sizeof cells[i][5], "%s", w[1]);
    }
    /* columns 0-2 always, then the first metric's verdict, its interval, the second's verdict,
     * as they fit */
    static const int order[NC] = {0, 1, 2, 4, 3, 5};
    int use[NC] = {1, 1, 1, 0, 0, 0}, room = body.w - LABEL_MIN;
    const char *all[SV_MAX_ROWS * NC];
    for (int i = 0; i < v->nrows; i++)
        for (int j = 0; j < NC; j++) all[i * NC + j] = cells[i][j];
    for (int k = 1; k < NC; k++) {
        const int j = order[k], w = column_width(all, v->nrows, NC, hdr[j], j) + 2;
        if (w > room) break;
        room -= w;
        use[j] = 1;
    }
    const char *uh[NC];
    int nc = 0, col_of[NC];
    for (int k = 0; k < NC; k++)
        if (use[shown[k]]) col_of[nc] = shown[k], uh[nc++] = hdr[shown[k]];
    for (int i = 0; i < v->nrows; i++)
        for (int k = 0; k < nc; k++) {
            cp[i * nc + k] = cells[i][col_of[k]];
            best[i * nc + k] = (col_of[k] == 1 && i == best0) || (col_of[k] == 2 && i == best1);
        }
    int hl = -1;
    for (int i = 0; i < v->nrows; i++)
        if (!strcmp(v->rows[i].key, "ocd")) hl = i;
    TableSpec t = {uh, nc, cp, v->nrows, hl, best, 0};
    table_draw(a->cv, body, &t);
}

/* every row's difference to the base on the first metric, with its interval, on one scale */
static void compare_intervals(App *a, Rect body)
{
    const SessView *v = &a->view;
    char title[160];
    snprintf(title, sizeof title, "%s: method − base, %.0f%% paired bootstrap interval (│ is 0; %s is better)",
             v->metrics[0], 100 * v->bootstrap_level, sessview_metric_higher_is_better(v->metrics[0]) ? "right" : "left");
    canvas_text_fit(a->cv, body.y, body.x, body.w, title, (Style){-1, -1, ATTR_DIM});
    const char *labels[SV_MAX_ROWS], *text[SV_MAX_ROWS];
    double d[SV_MAX_ROWS], lo[SV_MAX_ROWS], hi[SV_MAX_ROWS];
    int16_t col[SV_MAX_ROWS];
    static char cell[SV_MAX_ROWS][128];
    for (int i = 0; i < v->nrows; i++) {
        const SvRow *r = &v->rows[i];
        char diff[96];
        const char *w;
        sessview_row_diff_cells(r, v->metrics[0], 0, diff, sizeof diff, &w);
        labels[i] = r->label;
        d[i] = r->has_diff ? r->diff[0] : NAN;
        lo[i] = r->has_diff ? r->lo[0] : NAN;
        hi[i] = r->has_diff ? r->hi[0] : NAN;
        col[i] = verdict_colour(r->has_diff ? w : NULL);
        if (!strcmp(r->key, "base"))
            snprintf(cell[i], sizeof cell[i], "(the reference)");
        else if (r->has_diff)
            snprintf(cell[i], sizeof cell[i], "%s %s", diff, w);
        else
            snprintf(cell[i], sizeof cell[i], "-");
        text[i] = cell[i];
    }
    bars_interval(a->cv, (Rect){body.y + 1, body.x, body.h - 1, body.w}, labels, d, lo, hi, text, col, v->nrows);
}

/* text wrapped at spaces into at most max lines of width w (display columns: every glyph we
 * draw is one column, so a column is a UTF-8 lead byte); returns the lines, written to
 * lines[i] (each < 512 bytes) */
static int wrap_words(const char *text, int w, char lines[][512], int max)
{
    int n = 0;
    const char *p = text;
    while (*p && n < max && w > 8) {
        while (*p == ' ') p++;
        const char *cut = NULL, *q = p;
        int cols = 0;
        for (; *q && cols <= w; q++) {
            if (((unsigned char)*q & 0xC0) != 0x80) cols++;
            if (*q == ' ' && cols <= w) cut = q;
        }
        if (!*q && cols <= w) cut = q; /* the rest fits */
        if (!cut || cut == p) cut = q > p ? q - 1 : q;
        snprintf(lines[n++], 512, "%.*s", (int)(cut - p), p);
        p = cut;
    }
    return n;
}

static void draw_compare(App *a, Rect r)
{
    if (!stage_done(a, "eval")) {
        say(a, r, a->running && !strcmp(a->run_stage, "eval") ? "eval: running every method..." : "no eval stage yet");
        return;
    }
    const SessView *v = &a->view;
    char verdict[320];
    sessview_verdict_line(v, 1, verdict, sizeof verdict);
    const int vrow = r.y + r.h - 1;
    canvas_text_fit(a->cv, vrow, r.x, r.w, verdict,
                    (Style){verdict_colour(sessview_verdict(v, 0, NULL, NULL, NULL)), -1, ATTR_BOLD});
    Rect body = {r.y, r.x, r.h - 1, r.w};
    /* why OCD lands there (the fit beside the ceilings), above the verdict when the table
     * leaves room for it */
    char why[1024], lines[4][512];
    sessview_why_line(v, why, sizeof why);
    const int nl = why[0] ? wrap_words(why, r.w, lines, 4) : 0;
    if (nl && a->compare_view == 0 && body.h >= v->nrows + 2 + nl) {
        for (int i = 0; i < nl; i++)
            canvas_text_fit(a->cv, vrow - nl + i, r.x, r.w, lines[i], (Style){-1, -1, ATTR_DIM});
        body.h -= nl;
    }
    if (a->compare_view == 1) {
        const char *labels[SV_MAX_ROWS];
        double mean[SV_MAX_ROWS], sdv[SV_MAX_ROWS];
        for (int i = 0; i < v->nrows; i++) {
            labels[i] = v->rows[i].label;
            mean[i] = v->rows[i].mean[0];
            sdv[i] = v->rows[i].sd[0];
        }
        bars_mean_sd(a->cv, body, labels, mean, sdv, v->nrows, !sessview_metric_higher_is_better(v->metrics[0]), C_BAR);
    } else if (a->compare_view == 2) {
        compare_intervals(a, body);
    } else {
        compare_table(a, body);
    }
}

static int key_compare(App *a, int key)
{
    if (key != 'b') return 0;
    a->compare_view = (a->compare_view + 1) % 3;
    return REACT_REDRAW;
}

/* ---- log ---- */
static void draw_log(App *a, Rect r)
{
    const int first = a->log_n - r.h - a->log_scroll;
    for (int i = 0; i < r.h; i++) {
        const int k = (first < 0 ? 0 : first) + i;
        if (k >= a->log_n || k < 0) break;
        const int err = !strncmp(a->log[k], "error", 5);
        canvas_text_fit(a->cv, r.y + i, r.x, r.w, a->log[k], (Style){err ? 196 : -1, -1, 0});
    }
}

static int key_log(App *a, int key)
{
    if (key == KEY_UP || key == 'k') a->log_scroll = a->log_scroll + 1 < a->log_n ? a->log_scroll + 1 : a->log_scroll;
    else if (key == KEY_DOWN || key == 'j') a->log_scroll = a->log_scroll > 0 ? a->log_scroll - 1 : 0;
    else return 0;
    return REACT_REDRAW;
}

void pane_draw(App *a, PaneId id, Rect r)
{
    switch (id) {
    case PANE_ENTROPY: draw_entropy(a, r); break;
    case PANE_LOSS: draw_loss(a, r); break;
    case PANE_RHO: draw_rho(a, r); break;
    case PANE_COMPARE: draw_compare(a, r); break;
    case PANE_DENOISE: pane_draw_denoise(a, r); break;
    case PANE_VIEWS: pane_draw_views(a, r); break;
    case PANE_LOG: draw_log(a, r); break;
    default: break;
    }
}

int pane_key(App *a, PaneId id, int key)
{
    switch (id) {
    case PANE_ENTROPY: return key_entropy(a, key);
    case PANE_LOSS: return key_loss(a, key);
    case PANE_COMPARE: return key_compare(a, key);
    case PANE_DENOISE: return pane_key_denoise(a, key);
    case PANE_VIEWS: return pane_key_views(a, key);
    case PANE_LOG: return key_log(a, key);
    default: return 0;
    }
}

int pane_figure(PaneId id)
{
    switch (id) {
    case PANE_ENTROPY: return FIG_SELECT;
    case PANE_LOSS: return FIG_CURVES;
    case PANE_RHO: return FIG_RHO;
    case PANE_COMPARE: return FIG_COMPARE;
    case PANE_DENOISE: return FIG_TRAJECTORY;
    case PANE_VIEWS: return FIG_VIEWS;
    default: return -1;
    }
}
