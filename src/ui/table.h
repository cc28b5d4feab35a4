/* Text tables: a bold header row, numbers right-aligned, text left-aligned, cells cut with
 * an ellipsis to fit, one highlighted row and cells marked best (the comparison table). */
#ifndef OCD_UI_TABLE_H
#define OCD_UI_TABLE_H

#include "canvas.h"

enum { TABLE_BEST_FG = 2 }; /* xterm green: the best value in a column */

typedef struct {
    const char *const *header; /* ncols */
    int ncols;
    const char *const *cells; /* nrows x ncols, row-major; NULL cells are empty */
    int nrows;
    int highlight_row;         /* -1 none: shown in reverse across the table's width */
    const unsigned char *best; /* nrows x ncols, may be NULL: nonzero = bold, TABLE_BEST_FG */
    int scroll;                /* the first row shown (clamped so the last page is full) */
} TableSpec;

/* The header on the first line of r, then the rows from t->scroll. Columns get their widest
 * cell (over all rows, so that scrolling does not move them); when they do not fit, the
 * widest column gives up a column at a time (down to 1). A column is numeric, and
 * right-aligned with its header, when it has a cell that starts like a number ("-1.5",
 * ".3 ± .1", "12%", "nan", "inf") and every other cell does too or is a placeholder ("",
 * "-", "n/a"); otherwise it is text. Columns are two spaces apart, one when that makes the
 * table fit. */
void table_draw(Canvas *c, Rect r, const TableSpec *t);

#endif
