/* See screen.h. Colour pairs come from ncurses' alloc_pair (6.1+), which allocates a pair for
 * each (fg, bg) on demand and recycles the least recently used: half-block images need
 * thousands of them. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "screen.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static SCREEN *g_screen; /* the one terminal (DESIGN §5: the UI thread's own state) */
static FILE *g_out, *g_in;

static int fail(char *err, size_t len, const char *what)
{
    snprintf(err, len, "%s", what);
    return -1;
}

int screen_start(const ScreenOpts *o, ScreenInfo *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    setlocale(LC_ALL, "");
    info->utf8 = !o->ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    info->headless = o->headless;
    if (o->headless) {
        /* curses renders into memory only; the size comes from the environment it reads */
        char r[16], c[16];
        snprintf(r, sizeof r, "%d", o->rows);
        snprintf(c, sizeof c, "%d", o->cols);
        setenv("LINES", r, 1);
        setenv("COLUMNS", c, 1);
        g_out = fopen("/dev/null", "w");
        g_in = fopen("/dev/null", "r");
        if (!g_out || !g_in) return fail(err, errlen, "headless: cannot open /dev/null");
        g_screen = newterm("xterm-256color", g_out, g_in);
        if (!g_screen) return fail(err, errlen, "headless: newterm(xterm-256color) failed (is ncurses-term installed?)");
        set_term(g_screen);
    } else {
        setenv("ESCDELAY", "25", 0); /* Esc alone should not wait a second */
        g_screen = newterm(NULL, stdout, stdin);
        if (!g_screen) return fail(err, errlen, "cannot start the terminal (is TERM set?)");
        set_term(g_screen);
    }
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    info->colors = 0;
    if (!o->mono && has_colors() && start_color() == OK) {
        use_default_colors();
        info->colors = COLORS >= 256 ? 256 : 8;
    }
    curs_set(0);
    screen_size(info);
    if (o->headless) {
        info->rows = o->rows;
        info->cols = o->cols;
    }
    return 0;
}

void screen_end(void)
{
    if (!g_screen) return;
    curs_set(1);
    endwin();
    delscreen(g_screen);
    g_screen = NULL;
    if (g_out) fclose(g_out);
    if (g_in) fclose(g_in);
    g_out = g_in = NULL;
}

void screen_size(ScreenInfo *info)
{
    if (info->headless) return;
    int r, c;
    getmaxyx(stdscr, r, c);
    info->rows = r;
    info->cols = c;
}

void screen_resize(ScreenInfo *info, int rows, int cols)
{
    resizeterm(rows, cols);
    info->rows = rows;
    info->cols = cols;
}

/* 256 colours shown on an 8-colour terminal: the nearest of the 8 basic ones */
static short to8(int c)
{
    if (c < 0) return -1;
    if (c < 16) return (short)(c & 7);
    if (c >= 232) return c >= 244 ? COLOR_WHITE : COLOR_BLACK;
    const int i = c - 16, r = i / 36, g = (i / 6) % 6, b = i % 6;
    return (short)((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0));
}

static int pair_of(const ScreenInfo *info, int fg, int bg)
{
    if (!info->colors || (fg < 0 && bg < 0)) return 0;
    if (info->colors < 256) {
        fg = to8(fg);
        bg = to8(bg);
    }
    const int p = alloc_pair(fg, bg);
    return p < 0 ? 0 : p;
}

void screen_blit(const Canvas *c, const ScreenInfo *info)
{
    for (int y = 0; y < c->rows && y < info->rows; y++)
        for (int x = 0; x < c->cols && x < info->cols; x++) {
            const Cell *cell = &c->cells[y * c->cols + x];
            if (cell->ch == 0) continue; /* the right half of a wide glyph */
            attr_t a = 0;
            if (cell->attr & ATTR_BOLD) a |= A_BOLD;
            if (cell->attr & ATTR_REVERSE) a |= A_REVERSE;
            if (cell->attr & ATTR_DIM) a |= A_DIM;
            if (cell->attr & ATTR_UNDERLINE) a |= A_UNDERLINE;
            /* monochrome: a coloured cell that carries meaning only by colour gets bold */
            if (!info->colors && cell->fg >= 0 && !(cell->attr & ATTR_DIM)) a |= A_BOLD;
            wchar_t w[2] = {(wchar_t)cell->ch, 0};
            cchar_t cc;
            setcchar(&cc, w, a, (short)pair_of(info, cell->fg, cell->bg), NULL);
            mvwadd_wch(stdscr, y, x, &cc);
        }
    wnoutrefresh(stdscr);
}

void screen_flush(int y, int x)
{
    if (y >= 0) {
        wmove(stdscr, y, x);
        curs_set(1);
        wnoutrefresh(stdscr);
    } else {
        curs_set(0);
    }
    doupdate();
}

void screen_repaint(void) { clearok(curscr, TRUE); }
int screen_key(void) { return wgetch(stdscr); }
void screen_keypad(int on) { keypad(stdscr, on ? TRUE : FALSE); }
