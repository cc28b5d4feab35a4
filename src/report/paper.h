/* The paper's numbers for a preset, read from assets/paper_numbers.ini (inih): what the
 * paper ran, where its numbers are printed, its value for each of our methods and metrics,
 * and the ways our preset differs. The report prints them beside ours. */
#ifndef OCD_PAPER_H
#define OCD_PAPER_H

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { PAPER_MAX_ROWS = 16, PAPER_MAX_METRICS = 2, PAPER_MAX_DEVIATIONS = 12 };

typedef struct {
    char method[64]; /* our method key */
    int nmetrics;
    char metric[PAPER_MAX_METRICS][32];
    char text[PAPER_MAX_METRICS][64];                      /* as the paper prints it ("99.2% ± 0.1") */
    double mean[PAPER_MAX_METRICS], sd[PAPER_MAX_METRICS]; /* in our units */
    char note[256];
} PaperRow;

typedef struct {
    char preset[64], experiment[256], source[256], note[512];
    int nrows;
    PaperRow row[PAPER_MAX_ROWS];
    int ndeviations;
    char deviation[PAPER_MAX_DEVIATIONS][512];
} PaperNumbers;

/* The entry for `preset` in the file at `path` (following `numbers =`): 1 when found, 0
 * when the file has none for this preset (p is then empty), -1 on a bad file (ERR_IO, or
 * ERR_FORMAT naming the file and line). */
int paper_load(const char *path, const char *preset, PaperNumbers *p, Status *st);

/* the paper's row for a method and metric: its index into row[].metric, -1 when absent */
const PaperRow *paper_row(const PaperNumbers *p, const char *method);
int paper_metric(const PaperRow *r, const char *metric);

#ifdef __cplusplus
}
#endif

#endif
