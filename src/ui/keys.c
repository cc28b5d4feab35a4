/* See keys.h. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "keys.h"

#include <curses.h>
#include <string.h>

static int act_quit(App *a)
{
    if (a->running && !a->confirm_quit) {
        a->confirm_quit = 1;
        app_msg(a, 0, "a stage is running: y stops it (keeping every complete stage and its checkpoint) and quits; any other key goes on");
        return REACT_REDRAW;
    }
    return REACT_QUIT;
}
static int act_help(App *a)
{
    a->help = !a->help;
    return REACT_REDRAW;
}
/* the next pane in direction dir that the layout shows (zoomed: any pane, shown alone) */
static int focus_move(App *a, int dir)
{
    int f = a->focus;
    for (int k = 0; k < PANE_COUNT; k++) {
        f = (f + dir + PANE_COUNT) % PANE_COUNT;
        if (a->lay.visible[f] || a->zoom >= 0) break;
    }
    a->focus = f;
    if (a->zoom >= 0) a->zoom = f;
    return REACT_RELAYOUT;
}
static int act_focus_next(App *a) { return focus_move(a, 1); }
static int act_focus_prev(App *a) { return focus_move(a, -1); }
static int act_zoom(App *a)
{
    a->zoom = a->zoom >= 0 ? -1 : a->focus;
    return REACT_RELAYOUT;
}
static int act_repaint(App *a)
{
    (void)a;
    return REACT_REDRAW | REACT_RELAYOUT;
}
static int act_run(App *a)
{
    app_run(a, NULL, NULL);
    return REACT_REDRAW;
}
static int act_pause(App *a)
{
    app_pause(a, !a->paused);
    return REACT_REDRAW;
}
static int act_stop(App *a)
{
    app_stop(a);
    return REACT_REDRAW;
}
static int act_export(App *a)
{
    app_export_png(a, NULL);
    return REACT_REDRAW;
}

#define ANY (-1)
static const KeyBinding KEYS[] = {
    {'?', "?", ANY, "this help (any key closes it)", "help", act_help},
    {':', ":", ANY, "command line (Tab completes; Up recalls; Enter runs; C-g cancels)", "command", NULL},
    {'\t', "Tab", ANY, "focus the next pane", "focus", act_focus_next},
    {KEY_BTAB, "S-Tab", ANY, "focus the previous pane", NULL, act_focus_prev},
    {'z', "z", ANY, "zoom the focused pane / back to all panes", "zoom", act_zoom},
    {'r', "r", ANY, "run the stages not complete yet", "run", act_run},
    {'p', "p", ANY, "pause / resume the run", "pause", act_pause},
    {'s', "s", ANY, "stop the run at its next checkpoint", NULL, act_stop},
    {'E', "E", ANY, "export the focused pane's figure as PNG (into the session)", "png", act_export},
    {12, "C-l", ANY, "repaint the screen", NULL, act_repaint},
    {'q', "q", ANY, "quit (asks first while a stage runs)", "quit", act_quit},
    {KEY_UP, "Up/Down", PANE_ENTROPY, "pick a layer", "layer", NULL},
    {'w', "w", PANE_ENTROPY, "what if: overfit-on-test gain of the picked layer (and the chosen one)", "what-if", NULL},
    {'l', "l", PANE_LOSS, "log-y on/off", "log-y", NULL},
    {'e', "e", PANE_LOSS, "smoothing on/off", "smooth", NULL},
    {'x', "x", PANE_LOSS, "x range: all / the last quarter", "x-range", NULL},
    {'b', "b", PANE_COMPARE, "table / bars with ±SD / differences to the base with 95% intervals", "bars", NULL},
    {KEY_RIGHT, "Left/Right", PANE_DENOISE, "step the denoiser t = T..0 (Home/End: first/last)", "step", NULL},
    {' ', "Space", PANE_DENOISE, "play / pause the denoising steps", "play", NULL},
    {'n', "n/N", PANE_DENOISE, "next / previous sample", "sample", NULL},
    {'t', "t", PANE_DENOISE, "samples from: test / held out from the generator / trained on (true Ω beside)", "source", NULL},
    {'m', "m", PANE_DENOISE, "next sample the base model gets wrong", "misclassified", NULL},
    {'a', "a", PANE_DENOISE, "sampler: the session's (DDIM) / ancestral DDPM", "sampler", NULL},
    {KEY_LEFT, "Left/Right", PANE_VIEWS, "previous / next test view", "view", NULL},
    {KEY_UP, "Up/Down", PANE_LOG, "scroll the log", "scroll", NULL},
};

const KeyBinding *keys_table(int *n)
{
    *n = (int)(sizeof KEYS / sizeof KEYS[0]);
    return KEYS;
}

int keys_dispatch(App *a, int key)
{
    if (a->confirm_quit) {
        a->confirm_quit = 0;
        if (key == 'y' || key == 'Y') {
            app_stop(a);
            return REACT_QUIT;
        }
        app_msg(a, 0, "not quitting");
        return REACT_REDRAW;
    }
    if (a->help) {
        a->help = 0;
        return REACT_REDRAW;
    }
    /* the focused pane first, so that its keys win over the global ones */
    const int r = pane_key(a, (PaneId)a->focus, key);
    if (r) return r;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (KEYS[i].key == key && KEYS[i].pane == ANY && KEYS[i].act) return KEYS[i].act(a);
    return 0;
}

void keys_draw_bar(App *a, Rect r)
{
    const Style key = {a->scr.colors ? 0 : -1, a->scr.colors ? 250 : -1, a->scr.colors ? 0 : ATTR_REVERSE};
    const Style txt = STYLE_DEFAULT;
    int x = r.x;
    for (int pass = 0; pass < 2; pass++) /* the focused pane's keys, then the global ones */
        for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
            const KeyBinding *k = &KEYS[i];
            if (!k->bar || (pass == 0 ? k->pane != a->focus : k->pane != ANY)) continue;
            const char *word = k->bar;
            const int need = utf8_width(k->name) + utf8_width(word) + 2;
            if (x + need > r.x + r.w) return;
            x += canvas_text(a->cv, r.y, x, r.x + r.w - x, k->name, key);
            x += canvas_text(a->cv, r.y, x, r.x + r.w - x, " ", txt);
            x += canvas_text(a->cv, r.y, x, r.x + r.w - x, word, txt);
            x += canvas_text(a->cv, r.y, x, r.x + r.w - x, " ", txt);
        }
}

void keys_draw_help(App *a)
{
    const int n = (int)(sizeof KEYS / sizeof KEYS[0]);
    const int h = n + 6 < a->scr.rows - 2 ? n + 6 : a->scr.rows - 2, w = a->scr.cols - 8 < 96 ? a->scr.cols - 8 : 96;
    Rect box = {(a->scr.rows - h) / 2, (a->scr.cols - w) / 2, h, w};
    canvas_fill(a->cv, box, ' ', STYLE_DEFAULT);
    Rect in = canvas_box(a->cv, box, "keys (from the key table) — any key closes", 1, STYLE_DEFAULT);
    int y = in.y;
    for (int i = 0; i < n && y < in.y + in.h - 2; i++, y++) {
        const KeyBinding *k = &KEYS[i];
        const char *where = k->pane == ANY ? "" : layout_pane_name((PaneId)k->pane);
        canvas_text(a->cv, y, in.x + 1, 12, k->name, (Style){-1, -1, ATTR_BOLD});
        canvas_text(a->cv, y, in.x + 13, 9, where, (Style){-1, -1, ATTR_DIM});
        canvas_text_fit(a->cv, y, in.x + 22, in.w - 23, k->help, STYLE_DEFAULT);
    }
    canvas_text_fit(a->cv, in.y + in.h - 1, in.x + 1, in.w - 2,
                    "commands (:help lists them): open run stop pause resume set layer whatif sample source step sampler view export save-screen quit",
                    (Style){-1, -1, ATTR_DIM});
}

int keys_parse(const char *s)
{
    static const struct {
        const char *name;
        int key;
    } NAMES[] = {{"Tab", '\t'},         {"S-Tab", KEY_BTAB}, {"Enter", '\r'},       {"Esc", 27},
                 {"Space", ' '},        {"Up", KEY_UP},      {"Down", KEY_DOWN},    {"Left", KEY_LEFT},
                 {"Right", KEY_RIGHT},  {"Home", KEY_HOME},  {"End", KEY_END},      {"C-l", 12},
                 {"C-g", 7},            {"Backspace", 127}};
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!strcmp(NAMES[i].name, s)) return NAMES[i].key;
    if (strlen(s) == 1) return (unsigned char)s[0];
    return -1;
}
