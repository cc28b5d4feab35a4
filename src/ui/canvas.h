/* A grid of cells (glyph + colours + attributes) that the renderers draw into. The UI copies
 * it to curses; the tests dump it as text and compare it with golden files, so nothing here
 * needs a terminal. */
#ifndef OCD_UI_CANVAS_H
#define OCD_UI_CANVAS_H

#include <stdint.h>

/* ch: a Unicode code point, 0 = the right half of the wide glyph in the cell to its left;
 * fg/bg: xterm colours 0..255, or -1 for the terminal's default. */
typedef struct {
    uint32_t ch;
    int16_t fg, bg;
    uint16_t attr;
} Cell;

enum { ATTR_BOLD = 1, ATTR_REVERSE = 2, ATTR_DIM = 4, ATTR_UNDERLINE = 8 };

typedef struct {
    int16_t fg, bg;
    uint16_t attr;
} Style;

#define STYLE_DEFAULT ((Style){-1, -1, 0})
#define STYLE_FG(colour) ((Style){(int16_t)(colour), -1, 0})

/* ascii: 1 = the terminal cannot show UTF-8 (or the user asked for ASCII): renderers then
 * use the ASCII glyph sets (glyphs.h). */
typedef struct {
    int rows, cols;
    Cell *cells; /* rows x cols, row-major */
    int ascii;
} Canvas;

typedef struct {
    int y, x, h, w;
} Rect;

Canvas *canvas_new(int rows, int cols, int ascii); /* cleared; aborts when out of memory */
void canvas_free(Canvas *c);
void canvas_resize(Canvas *c, int rows, int cols); /* the contents are cleared */
void canvas_clear(Canvas *c);                      /* spaces, default colours */
Cell *canvas_at(Canvas *c, int y, int x);          /* NULL outside */

/* Writes one glyph with style s at (y, x); a wide glyph also takes the cell to its right and
 * is not written when that cell is outside the canvas. A wide glyph that is partly
 * overwritten loses its other half (it becomes a space). A tab becomes a space, other
 * control characters '?'.
 * Returns the columns the glyph takes (0 for a zero-width one, which is dropped). */
int canvas_put(Canvas *c, int y, int x, uint32_t ch, Style s);
/* Fills r (clipped to the canvas) with ch, a glyph one column wide. */
void canvas_fill(Canvas *c, Rect r, uint32_t ch, Style s);

/* UTF-8 text from (y, x), clipped to max_w columns and to the canvas: a wide glyph that
 * would cross the limit is left out. Combining marks are dropped (a cell holds one code
 * point). Returns the columns used. */
int canvas_text(Canvas *c, int y, int x, int max_w, const char *utf8, Style s);
int canvas_textf(Canvas *c, int y, int x, int max_w, Style s, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* As canvas_text, but text wider than max_w is cut to max_w - 1 columns followed by an
 * ellipsis ('~' on an ASCII canvas), so the reader sees that something is missing. */
int canvas_text_fit(Canvas *c, int y, int x, int max_w, const char *utf8, Style s);

/* Text centred in the width of r on row y (cut with an ellipsis when wider): for messages
 * such as "no data" or "terminal too small". Returns the columns used. */
int canvas_text_centred(Canvas *c, Rect r, int y, const char *utf8, Style s);

/* A frame around r with the title on the top border (" title ", cut with an ellipsis to
 * fit between the corners). Focused frames use the heavy box glyphs and bold. Returns the
 * inner rectangle (empty, h or w 0, when r is too small for a frame). */
Rect canvas_box(Canvas *c, Rect r, const char *title, int focused, Style s);

/* The grid as UTF-8 text: one line per row, trailing spaces kept, '\n' after each row.
 * The caller frees the string. */
char *canvas_dump(const Canvas *c);
/* canvas_dump followed by a style block that lines up with it:
 *     --- styles ---
 *     ..AAAA..B.     one key per cell: '.' = default (fg -1, bg -1, no attributes)
 *     A fg=196 bg=-1 bold
 * Keys are given in order of first appearance, row by row, from A-Z a-z 0-9 and then the
 * other printable ASCII characters but '.' (93 in all). A canvas with more distinct styles
 * lists runs instead, one line per run: "row col+len fg=.. bg=.. attrs". The caller frees
 * the string. */
char *canvas_dump_styled(const Canvas *c);

int utf8_width(const char *s); /* display columns, as canvas_text counts them */

/* Where v lies between lo and hi (0 at lo, 1 at hi), for mapping values to cells. Halved
 * first so that a range from -DBL_MAX to DBL_MAX does not overflow to inf / inf. */
static inline double range_frac(double v, double lo, double hi) { return (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5); }

#endif
