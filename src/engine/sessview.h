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

/* How well a trained generator reproduces its target (the diffusion stage's /fit, the scale
 * stage's rho fit; fit.h): NaN where the session does not record it (sessions made before
 * the held-out set existed have only the trained-on mean) */
typedef struct {
    int have;                          /* the stage is complete */
    int n_held, n_train;               /* samples measured */
    int64_t train_samples, holdout_samples; /* trained on, held out */
    double held_cos_mean, held_cos_q[3];
    double train_cos_mean, train_cos_q[3];
    double other_cos_mean;             /* a draw against another sample's true direction */
    double held_ratio_median, train_ratio_median; /* ||Omega_0|| / ||Omega|| */
    char target[8];                    /* eps | x0 */
    int64_t rc_maps, rc_product, cond_maps;
    double rho_rel_held, rho_rel_train, rho_logcorr_held; /* the scale model on the same sets */
} SvFit;

/* one method of the eval table: both metrics' mean and SD over the repeats; and the paired
 * difference to the base model (method - base, on the test samples the row ran on) with its
 * bootstrap interval and verdict ("better", "worse", "no difference"). has_diff is 0 for the
 * base row and for rows of sessions made before the intervals (shown as "-"). */
typedef struct {
    char key[64], label[256];
    double mean[2], sd[2];
    int64_t n;            /* repeats */
    int64_t test_samples; /* 0 when not recorded (older sessions: every test sample of the table) */
    double seconds;
    int has_diff;
    double diff[2], lo[2], hi[2];
    char verdict[2][16];
    double temperature; /* the temperature-scaled base's T; NaN for other rows */
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

    /* the generators' fit: the selected layer's (diffusion, scale) and the alternative layer's */
    SvFit fit, alt_fit;

    /* base metrics (attributes of /base/metrics, NaN when absent) */
    double base_test_loss_final, base_test_accuracy, base_test_rmse, base_test_psnr;

    /* eval */
    int nrows;
    SvRow rows[SV_MAX_ROWS];
    char metrics[2][32], units[256], eval_layer[64], alt_layer[64];
    int64_t test_samples, repeats, ensemble;
    double ocd_seconds_per_sample, base_seconds_per_sample;
    int64_t bootstrap_resamples; /* 0: the session has no intervals */
    double bootstrap_level;
    char ceiling_note[1024];     /* which ceiling applies and why ("" in older sessions) */
    char skipped[2048];          /* "key: reason; ..." of methods that apply but did not run */
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
/* the eval stage's metric table (ocd/eval.h) says; unknown names count as losses */
int sessview_metric_higher_is_better(const char *metric);

/* OCD against the base model on metric m: the OCD row's verdict ("better", "worse", "no
 * difference") with its paired difference and interval; NULL when the table lacks the OCD
 * row or the session has no intervals */
const char *sessview_verdict(const SessView *v, int m, double *diff, double *lo, double *hi);
/* The sentence every front end shows under the table, on the first metric: the verdict, the
 * difference, its interval and what it was computed on ("OCD vs the base model on ce: no
 * difference (+0.00029, 95% CI [-0.00028, +0.00089]; paired bootstrap over 40 test samples,
 * 2000 resamples)"). brief: a shorter form for a terminal pane. A session without intervals
 * says so. Empty when the table lacks the OCD or base row. */
void sessview_verdict_line(const SessView *v, int brief, char *buf, size_t len);

/* The per-sample values behind metric m (0, 1) of row `key`: its loss or its 0/1 correct
 * flag, each averaged over the repeats, for the row's test samples (the first *n of the
 * split), in a new array the caller frees; *scale is what the metric's statistic multiplies
 * (the target's std for RMSE, else 1). NULL with ERR_STATE when the row is not in the table
 * and ERR_FORMAT when the session stored no per-sample values (an eval stage older than
 * them) or stored them with another shape (sessview_samples.c). */
double *sessview_row_samples(const SessView *v, const char *key, int m, int *n, double *scale, Status *st);
/* metric m of row `key` recomputed on its first n test samples from those values (the base
 * on a costly row's subset); NaN where the session stored fewer or none */
double sessview_row_metric_on(const SessView *v, const char *key, int m, int64_t n);

/* reads grp_diffusion/fit and grp_scale's rho fit ("diffusion", "scale" or "alt/diffusion",
 * "alt/scale"; sessview_fit.c) */
struct H5File;
void sessview_read_fit(struct H5File *f, const char *grp_diffusion, const char *grp_scale, SvFit *fit);
/* Whether the generator learned its target, in words, from the held-out cosine (or the
 * trained-on one for older sessions) against a draw compared with another sample's
 * direction: "learned" (mean cosine >= 0.5 and >= 0.2 above the other-sample cosine),
 * "partly learned" (>= 0.05 above it), else "not learned"; NULL without a fit. */
const char *sessview_fit_verdict(const SvFit *fit);
/* One line on the fit, the same wording in every front end:
 * "held-out cosine 0.83 (median 0.90, IQR 0.75 to 0.95, n 256); trained on 0.85; another
 * sample's 0.05; norm ratio 0.97; rho rel. error 0.21 held out: learned" */
void sessview_fit_line(const SvFit *fit, char *buf, size_t len);
/* Why OCD lands where it does, on the first metric, from what the session measured: whether
 * the generator learned (sessview_fit_verdict, held-out cosine) and where the ceilings are
 * against the base model (the predicted-label overfit: a perfect label-free generator; the
 * true-label overfit: the bound that needs the label), each with its paired interval:
 * "Why OCD does not beat the base model here: the generator partly learned its target
 * (held-out cosine 0.412); a perfect label-free generator ... is no different from the base
 * model (-0.00355 [-0.01008, +0.00175]); overfitting with the true label is better (...)."
 * Empty when the session has neither the OCD verdict nor a fit. */
void sessview_why_line(const SessView *v, char *buf, size_t len);

/* "12.34% ± 0.05", "0.49197 ± 0.00012": how every front end prints a metric */
void sessview_fmt_metric(const char *metric, double mean, double sd, char *buf, size_t len);
/* a paired difference and its interval in the metric's units: "+0.00029 [-0.00028, +0.00089]",
 * "+2.50 pp [+1.00, +4.00]" (accuracy in percentage points); "-" when not finite */
void sessview_fmt_diff(const char *metric, double diff, double lo, double hi, char *buf, size_t len);
/* the row's cells for metric m: its difference (sessview_fmt_diff) and verdict, "-" for both
 * where the row has none */
void sessview_row_diff_cells(const SvRow *r, const char *metric, int m, char *diff, size_t dlen, const char **verdict);

#ifdef __cplusplus
}
#endif

#endif
