/* A session as front ends show it: everything `ocd results`, `ocd report` and the workbench's
 * panes read from session.h5, loaded once into plain arrays (no HDF5 handles kept). Parts of
 * stages that are not complete are left empty (n = 0), so a session in progress loads too.
 * Read-only: nothing here writes to the session. */
#ifndef OCD_SESSVIEW_H
#define OCD_SESSVIEW_H

#include "buildinfo.h"
#include "config.h"
#include "core/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { SV_MAX_STAGES = 8, SV_MAX_LAYERS = 32, SV_MAX_ROWS = 32 };

/* a curve: y over x (x is the epoch, the step, or the point index, as `what` says) */
typedef struct {
    int n;
    double *x, *y;
    char what[96];
} SvCurve;

/* one method of the eval table: both metrics' mean and SD over the repeats */
typedef struct {
    char key[64], label[160];
    double mean[2], sd[2];
    int64_t n;
    double seconds;
} SvRow;

typedef struct {
    char dir[512], path[600];
    Config cfg; /* the session's resolved configuration (cfg_str etc. work on it) */
    char preset[64], created[64], program[96], device[32];
    /* /meta's record of what made the digits; empty fields in sessions older than it */
    BuildInfo build;
    int seed;
    char task[16]; /* "classification", "regression", "nerf" (from the model's arch) */

    /* stages, in pipeline order */
    int nstages;
    char stage[SV_MAX_STAGES][16];
    int complete[SV_MAX_STAGES];
    double wall[SV_MAX_STAGES]; /* seconds; -1 when not recorded */
    int has_work[SV_MAX_STAGES]; /* a work-<stage>.h5 checkpoint exists (a stage in progress) */

    /* select: every candidate layer's score */
    int nlayers;
    char layer[SV_MAX_LAYERS][32];
    double score[SV_MAX_LAYERS];
    int eligible[SV_MAX_LAYERS];
    int chosen, runner_up; /* indices into layer[], -1 when unknown */
    char select_method[160];

    /* curves */
    SvCurve base_train_loss, base_test_loss, base_train_acc, base_test_acc;
    SvCurve diffusion_loss, scale_loss, alt_diffusion_loss, alt_scale_loss;

    /* overfit: the training collection */
    int n_overfit;
    double *rho;                    /* the rho the directions were normalised by (n_overfit) */
    double *loss_before, *loss_after;
    int wrows, wcols;               /* the selected layer's weight shape (out x in) */
    char overfit_layer[32], rho_kind[64];

    /* base metrics (attributes of /base/metrics, NaN when absent) */
    double base_test_loss_final, base_test_accuracy, base_test_rmse, base_test_psnr;

    /* eval */
    int nrows;
    SvRow rows[SV_MAX_ROWS];
    char metrics[2][32], units[256], eval_layer[64], alt_layer[64];
    int64_t test_samples, repeats, ensemble;
    double ocd_seconds_per_sample, base_seconds_per_sample;
} SessView;

/* Loads the view of the session in `dir`. ERR_IO when there is no session there. */
int sessview_load(const char *dir, SessView *v, Status *st);
void sessview_free(SessView *v);

/* the stage's index in stage[], -1 if unknown; 1 when complete */
int sessview_stage_index(const SessView *v, const char *stage);
int sessview_stage_complete(const SessView *v, const char *stage);
const SvRow *sessview_row(const SessView *v, const char *key);
/* the row with the best mean on metric m (lower is better for losses, higher for accuracy
 * and PSNR), -1 when there are no rows */
int sessview_best_row(const SessView *v, int m);
int sessview_metric_higher_is_better(const char *metric);

/* OCD against the base model on the first metric: a difference smaller than the larger of
 * their SDs over the repeats is "is within one SD of", otherwise "beats" or "does NOT beat".
 * NULL when the table lacks either row. */
const char *sessview_verdict(const SessView *v, double *diff, double *sd);

/* "12.34% ± 0.05", "0.49197 ± 0.00012": how every front end prints a metric */
void sessview_fmt_metric(const char *metric, double mean, double sd, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
