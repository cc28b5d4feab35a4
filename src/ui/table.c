/* Text tables with fitted columns (table.h). */
#include "table.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { KIND_PLACEHOLDER, KIND_NUMBER, KIND_TEXT };

static const char *cell_text(const TableSpec *t, int row, int col)
{
    const char *s = t->cells[(long)row * t->ncols + col];
    return s ? s : "";
}

static int cell_kind(const char *s)
{
    if (!s[0] || !strcmp(s, "-") || !strcasecmp(s, "n/a")) return KIND_PLACEHOLDER;
    const char *p = s + (*s == '-' || *s == '+');
    if (isdigit((unsigned char)p[0]) || (p[0] == '.' && isdigit((unsigned char)p[1]))) return KIND_NUMBER;
    if (!strcasecmp(p, "nan") || !strcasecmp(p, "inf")) return KIND_NUMBER;
    return KIND_TEXT;
}

static int column_is_numeric(const TableSpec *t, int col)
{
    int numbers = 0;
    for (int i = 0; i < t->nrows; i++) {
        const int k = cell_kind(cell_text(t, i, col));
        if (k == KIND_TEXT) return 0;
        numbers += k == KIND_NUMBER;
    }
    return numbers > 0;
}

/* Column widths that fit in `room` with the chosen gap; returns the gap. */
static int table_widths(const TableSpec *t, int room, int *w)
{
    int sum = 0;
    for (int j = 0; j < t->ncols; j++) {
        w[j] = utf8_width(t->header[j]);
        for (int i = 0; i < t->nrows; i++) {
            const int cw = utf8_width(cell_text(t, i, j));
            if (cw > w[j]) w[j] = cw;
        }
        sum += w[j];
    }
    const int gaps = t->ncols - 1;
    const int gap = sum + 2 * gaps <= room ? 2 : 1;
    while (sum + gap * gaps > room) {
        int widest = 0;
        for (int j = 1; j < t->ncols; j++)
            if (w[j] > w[widest]) widest = j;
        if (w[widest] <= 1) break; /* still too wide: the right columns are clipped */
        w[widest]--;
        sum--;
    }
    return gap;
}

static void table_cell(Canvas *c, int y, int x, int w, int limit, const char *s, int right, Style st)
{
    if (w > limit) w = limit;
    if (w <= 0) return;
    const int tw = utf8_width(s);
    canvas_text_fit(c, y, right && tw < w ? x + w - tw : x, w, s, st);
}

void table_draw(Canvas *c, Rect r, const TableSpec *t)
{
    if (r.h < 1 || r.w < 1 || t->ncols < 1) return;
    int *w = malloc(2 * (size_t)t->ncols * sizeof *w);
    if (!w) abort();
    int *numeric = w + t->ncols;
    const int gap = table_widths(t, r.w, w);
    for (int j = 0; j < t->ncols; j++)
        numeric[j] = column_is_numeric(t, j);

    const int end = r.x + r.w;
    for (int j = 0, x = r.x; j < t->ncols && x < end; x += w[j++] + gap)
        table_cell(c, r.y, x, w[j], end - x, t->header[j], numeric[j], (Style){-1, -1, ATTR_BOLD});

    const int shown = r.h - 1;
    int first = t->scroll > t->nrows - shown ? t->nrows - shown : t->scroll;
    if (first < 0) first = 0;
    for (int i = first; i < t->nrows && i - first < shown; i++) {
        const int y = r.y + 1 + i - first;
        const uint16_t base = i == t->highlight_row ? ATTR_REVERSE : 0;
        if (base) canvas_fill(c, (Rect){y, r.x, 1, r.w}, ' ', (Style){-1, -1, base});
        for (int j = 0, x = r.x; j < t->ncols && x < end; x += w[j++] + gap) {
            const int best = t->best && t->best[(long)i * t->ncols + j];
            const Style st = {best ? TABLE_BEST_FG : -1, -1, (uint16_t)(base | (best ? ATTR_BOLD : 0))};
            table_cell(c, y, x, w[j], end - x, cell_text(t, i, j), numeric[j], st);
        }
    }
    free(w);
}
