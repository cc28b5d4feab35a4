/* The cell grid the renderers draw into: writing glyphs and text, frames, and the text dumps
 * the golden tests compare (canvas.h). */
#include "canvas.h"

#include "glyphs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "canvas: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

Canvas *canvas_new(int rows, int cols, int ascii)
{
    Canvas *c = xrealloc(NULL, sizeof *c);
    *c = (Canvas){0, 0, NULL, ascii};
    canvas_resize(c, rows, cols);
    return c;
}

void canvas_free(Canvas *c)
{
    if (!c) return;
    free(c->cells);
    free(c);
}

void canvas_resize(Canvas *c, int rows, int cols)
{
    c->rows = rows > 0 ? rows : 0;
    c->cols = cols > 0 ? cols : 0;
    c->cells = xrealloc(c->cells, (size_t)c->rows * (size_t)c->cols * sizeof *c->cells);
    canvas_clear(c);
}

void canvas_clear(Canvas *c)
{
    const Cell blank = {' ', -1, -1, 0};
    for (long i = 0; i < (long)c->rows * c->cols; i++)
        c->cells[i] = blank;
}

Cell *canvas_at(Canvas *c, int y, int x)
{
    if (y < 0 || x < 0 || y >= c->rows || x >= c->cols) return NULL;
    return &c->cells[(long)y * c->cols + x];
}

/* Before a cell is overwritten: if it is one half of a wide glyph, the other half would be
 * left dangling, so it becomes a space (keeping its colours). */
static void cell_unpair(Canvas *c, int y, int x)
{
    Cell *cell = canvas_at(c, y, x), *left = canvas_at(c, y, x - 1), *right = canvas_at(c, y, x + 1);
    if (cell->ch == 0 && left) left->ch = ' ';
    if (cell->ch != 0 && right && right->ch == 0) right->ch = ' ';
}

static void cell_set(Cell *cell, uint32_t ch, Style s)
{
    cell->ch = ch;
    cell->fg = s.fg;
    cell->bg = s.bg;
    cell->attr = s.attr;
}

int canvas_put(Canvas *c, int y, int x, uint32_t ch, Style s)
{
    if (c->ascii) ch = glyph_ascii(ch);
    if (ch == '\t')
        ch = ' ';
    else if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0))
        ch = '?';
    const int w = glyph_width(ch);
    if (w == 0) return 0;
    if (!canvas_at(c, y, x) || !canvas_at(c, y, x + w - 1)) return w;
    for (int i = 0; i < w; i++)
        cell_unpair(c, y, x + i);
    cell_set(canvas_at(c, y, x), ch, s);
    if (w == 2) cell_set(canvas_at(c, y, x + 1), 0, s);
    return w;
}

void canvas_fill(Canvas *c, Rect r, uint32_t ch, Style s)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            canvas_put(c, y, x, ch, s);
}

/* Writes glyphs while they fit in max_w columns; `dry` only measures. */
static int text_run(Canvas *c, int y, int x, int max_w, const char *s, Style st, int dry)
{
    int used = 0, n;
    uint32_t cp;
    while ((n = utf8_decode(s, &cp)) > 0) {
        s += n;
        if (c && c->ascii) cp = glyph_ascii(cp); /* as canvas_put will write it */
        const int w = glyph_width(cp); /* controls count 1: canvas_put shows them as '?' */
        if (w == 0) continue;
        if (used + w > max_w) break;
        if (!dry) canvas_put(c, y, x + used, cp, st);
        used += w;
    }
    return used;
}

int canvas_text(Canvas *c, int y, int x, int max_w, const char *utf8, Style s)
{
    if (!utf8 || max_w <= 0) return 0;
    return text_run(c, y, x, max_w, utf8, s, 0);
}

int canvas_textf(Canvas *c, int y, int x, int max_w, Style s, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    if ((size_t)n < sizeof small) return canvas_text(c, y, x, max_w, small, s);
    char *big = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    const int used = canvas_text(c, y, x, max_w, big, s);
    free(big);
    return used;
}

int canvas_text_fit(Canvas *c, int y, int x, int max_w, const char *utf8, Style s)
{
    if (!utf8 || max_w <= 0) return 0;
    if (utf8_width(utf8) <= max_w) return canvas_text(c, y, x, max_w, utf8, s);
    const int used = text_run(c, y, x, max_w - 1, utf8, s, 0);
    canvas_put(c, y, x + used, c->ascii ? '~' : GLYPH_ELLIPSIS, s);
    return used + 1;
}

int canvas_text_centred(Canvas *c, Rect r, int y, const char *utf8, Style s)
{
    const int w = utf8_width(utf8);
    return canvas_text_fit(c, y, w < r.w ? r.x + (r.w - w) / 2 : r.x, r.w, utf8, s);
}

int utf8_width(const char *s) { return s ? text_run(NULL, 0, 0, 1 << 30, s, STYLE_DEFAULT, 1) : 0; }

Rect canvas_box(Canvas *c, Rect r, const char *title, int focused, Style s)
{
    if (r.h < 2 || r.w < 2) return (Rect){r.y, r.x, 0, 0};
    const BoxGlyphs *g = glyph_box(focused, c->ascii);
    if (focused) s.attr |= ATTR_BOLD;
    const int bottom = r.y + r.h - 1, right = r.x + r.w - 1;
    for (int x = r.x + 1; x < right; x++) {
        canvas_put(c, r.y, x, g->h, s);
        canvas_put(c, bottom, x, g->h, s);
    }
    for (int y = r.y + 1; y < bottom; y++) {
        canvas_put(c, y, r.x, g->v, s);
        canvas_put(c, y, right, g->v, s);
    }
    canvas_put(c, r.y, r.x, g->tl, s);
    canvas_put(c, r.y, right, g->tr, s);
    canvas_put(c, bottom, r.x, g->bl, s);
    canvas_put(c, bottom, right, g->br, s);
    /* " title " from the third column, leaving a corner and one border cell at each end */
    const int room = r.w - 4;
    if (title && title[0] && room >= 3) {
        canvas_put(c, r.y, r.x + 2, ' ', s);
        const int used = canvas_text_fit(c, r.y, r.x + 3, room - 2, title, s);
        canvas_put(c, r.y, r.x + 3 + used, ' ', s);
    }
    return (Rect){r.y + 1, r.x + 1, r.h - 2, r.w - 2};
}

/* A growing string for the dumps. */
typedef struct {
    char *s;
    size_t n, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...)
{
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void dump_text(const Canvas *c, Buf *b)
{
    for (int y = 0; y < c->rows; y++) {
        for (int x = 0; x < c->cols; x++) {
            const uint32_t ch = c->cells[(long)y * c->cols + x].ch;
            if (ch == 0) continue; /* the right half of a wide glyph */
            char u[4];
            buf_add(b, u, (size_t)utf8_encode(ch, u));
        }
        buf_add(b, "\n", 1);
    }
    if (!b->s) buf_add(b, "", 0);
}

char *canvas_dump(const Canvas *c)
{
    Buf b = {0};
    dump_text(c, &b);
    return b.s;
}

static int style_is_default(const Cell *a) { return a->fg == -1 && a->bg == -1 && a->attr == 0; }
static int style_equal(const Cell *a, const Cell *b) { return a->fg == b->fg && a->bg == b->bg && a->attr == b->attr; }

static void style_describe(Buf *b, const Cell *a)
{
    static const char *const names[] = {"bold", "reverse", "dim", "underline"};
    buf_printf(b, "fg=%d bg=%d", a->fg, a->bg);
    for (int i = 0; i < 4; i++)
        if (a->attr & (1u << i)) buf_printf(b, " %s", names[i]);
    buf_add(b, "\n", 1);
}

static const char style_keys[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                 "!\"#$%&'()*+,-/:;<=>?@[\\]^_`{|}~";
enum { STYLE_NKEYS = sizeof style_keys - 1 };

/* The distinct non-default styles in order of first appearance; returns how many (up to
 * STYLE_NKEYS + 1, which means "too many for keys"). */
static int styles_collect(const Canvas *c, const Cell **seen)
{
    int n = 0;
    for (long i = 0; i < (long)c->rows * c->cols; i++) {
        const Cell *cell = &c->cells[i];
        if (style_is_default(cell)) continue;
        int k = 0;
        while (k < n && !style_equal(seen[k], cell))
            k++;
        if (k == n) {
            seen[n++] = cell;
            if (n > STYLE_NKEYS) return n;
        }
    }
    return n;
}

static void dump_style_grid(const Canvas *c, Buf *b, const Cell **seen, int n)
{
    for (int y = 0; y < c->rows; y++) {
        for (int x = 0; x < c->cols; x++) {
            const Cell *cell = &c->cells[(long)y * c->cols + x];
            int k = 0;
            while (k < n && !style_equal(seen[k], cell))
                k++;
            buf_add(b, k < n ? &style_keys[k] : ".", 1);
        }
        buf_add(b, "\n", 1);
    }
    for (int k = 0; k < n; k++) {
        buf_printf(b, "%c ", style_keys[k]);
        style_describe(b, seen[k]);
    }
}

static void dump_style_runs(const Canvas *c, Buf *b)
{
    for (int y = 0; y < c->rows; y++) {
        const Cell *row = &c->cells[(long)y * c->cols];
        for (int x = 0; x < c->cols;) {
            int e = x + 1;
            while (e < c->cols && style_equal(&row[e], &row[x]))
                e++;
            if (!style_is_default(&row[x])) {
                buf_printf(b, "%d %d+%d ", y, x, e - x);
                style_describe(b, &row[x]);
            }
            x = e;
        }
    }
}

char *canvas_dump_styled(const Canvas *c)
{
    Buf b = {0};
    dump_text(c, &b);
    const Cell *seen[STYLE_NKEYS + 1];
    const int n = styles_collect(c, seen);
    if (n <= STYLE_NKEYS) {
        buf_printf(&b, "--- styles ---\n");
        dump_style_grid(c, &b, seen, n);
    } else {
        buf_printf(&b, "--- styles (runs: row col+len) ---\n");
        dump_style_runs(c, &b);
    }
    return b.s;
}
