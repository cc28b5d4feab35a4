/* `ocd report`'s work: every figure of a session as fig-<name>.png, a manifest of them
 * (figures.json: size, caption, plot areas and series colours), and report.md, which names
 * the session's settings, versions and stage times, embeds the results table (the same code
 * as `ocd results`), the paper's numbers beside ours, and every figure with its caption, or
 * why it is not there. Files are written whole under a temporary name and renamed; report.md
 * comes last. */
#ifndef OCD_REPORT_H
#define OCD_REPORT_H

#include "figures.h"
#include "paper.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *session_dir;
    const char *out_dir;   /* NULL: the session folder */
    const char *asset_dir; /* the data (for the probe) and paper_numbers.ini */
    int use_probe;         /* 0: no figure that needs the trained pipeline */
    int threads;           /* the probe's threads (0: the session's run.threads) */
    int nsamples;          /* test samples in the trajectory and views figures (0: 3) */
} ReportOpts;

typedef struct {
    FigureKind kind;
    char file[64]; /* fig-<name>.png, when written */
    int ok, applies;
    char why[1100]; /* why not written */
    double seconds;
    FigureInfo info;
} ReportFigure;

typedef struct {
    char out_dir[512], report_path[600], manifest_path[600];
    int partial;       /* some stage is not complete */
    char missing[256]; /* the stages that are not complete */
    double probe_seconds, total_seconds;
    char probe_why[600]; /* why there is no probe ("" when there is one) */
    ReportFigure fig[FIG_COUNT];
} ReportResult;

/* Makes the report. Bad input (no session, a corrupt file) and a session with no complete
 * stage fail before anything is written (the Status says why: ERR_IO/ERR_FORMAT, ERR_STATE).
 * A figure that cannot be drawn (its stage is not complete, no probe) is listed in report.md
 * with the reason; a file that cannot be written fails the report (ERR_IO). */
int report_make(const ReportOpts *o, ReportResult *r, Status *st);

/* report.md from a loaded view and the figures' outcomes (report_md.c) */
int report_md_write(const char *path, const SessView *v, const ReportResult *r, const PaperNumbers *paper,
                    const char *paper_why, Status *st);

#ifdef __cplusplus
}
#endif

#endif
