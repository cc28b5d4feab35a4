/* See sessview.h. Every read is optional: a stage not complete, or an attribute a session
 * made by an older version lacks, leaves its part empty rather than failing the view. */
#include "sessview.h"

#include "engine.h"
#include "h5io.h"
#include "ocd/eval.h"
#include "ocd/util.h"
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void curve_read(H5File *f, const char *ypath, const char *xpath, const char *what, SvCurve *c)
{
    memset(c, 0, sizeof *c);
    if (!h5r_exists(f, ypath)) return;
    Status st;
    status_clear(&st);
    int64_t n = 0, nx = 0;
    c->y = h5_read_doubles_alloc(f, ypath, &n, &st);
    if (!c->y) return;
    c->x = xpath && h5r_exists(f, xpath) ? h5_read_doubles_alloc(f, xpath, &nx, &st) : NULL;
    if (!c->x || nx != n) {
        free(c->x);
        c->x = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        for (int64_t i = 0; i < n; i++) c->x[i] = (double)(i + 1);
    }
    c->n = (int)n;
    snprintf(c->what, sizeof c->what, "%s", what);
}

static void curve_free(SvCurve *c)
{
    free(c->x);
    free(c->y);
    memset(c, 0, sizeof *c);
}

static int layer_index(const SessView *v, const char *name)
{
    for (int i = 0; i < v->nlayers; i++)
        if (!strcmp(v->layer[i], name)) return i;
    return -1;
}

static void read_select(H5File *f, SessView *v)
{
    v->chosen = v->runner_up = -1;
    if (!sessview_stage_complete(v, "select")) return;
    char names[1024] = "", chosen[64] = "", runner[64] = "";
    h5r_attr_str(f, "select", "layers", names, sizeof names);
    h5r_attr_str(f, "select", "chosen", chosen, sizeof chosen);
    h5r_attr_str(f, "select", "runner_up", runner, sizeof runner);
    h5r_attr_str(f, "select", "method", v->select_method, sizeof v->select_method);
    for (char *tok = strtok(names, ","); tok && v->nlayers < SV_MAX_LAYERS; tok = strtok(NULL, ","))
        snprintf(v->layer[v->nlayers++], sizeof v->layer[0], "%s", tok);
    Status st;
    status_clear(&st);
    int64_t n = 0, ne = 0;
    double *score = h5_read_doubles_alloc(f, "select/scores", &n, &st);
    int64_t *elig = h5_read_ints_alloc(f, "select/eligible", &ne, &st);
    for (int i = 0; i < v->nlayers; i++) {
        v->score[i] = score && i < n ? score[i] : NAN;
        v->eligible[i] = elig && i < ne ? (int)elig[i] : 1;
    }
    free(score);
    free(elig);
    v->chosen = layer_index(v, chosen);
    v->runner_up = layer_index(v, runner);
}

static void read_overfit(H5File *f, SessView *v)
{
    if (!sessview_stage_complete(v, "overfit")) return;
    Status st;
    status_clear(&st);
    int64_t n = 0, n0 = 0, n1 = 0, rows = 0, cols = 0;
    h5r_attr_str(f, "overfit", "normalised_by", v->rho_kind, sizeof v->rho_kind);
    h5r_attr_str(f, "overfit", "layer", v->overfit_layer, sizeof v->overfit_layer);
    h5r_attr_int(f, "overfit", "rows", &rows);
    h5r_attr_int(f, "overfit", "cols", &cols);
    v->wrows = (int)rows;
    v->wcols = (int)cols;
    /* the rho the directions were divided by: the L2 norm (paper) or the std (authors' code) */
    const char *which = strncmp(v->rho_kind, "l2", 2) == 0 ? "overfit/rho_l2" : "overfit/rho_std";
    v->rho = h5_read_doubles_alloc(f, which, &n, &st);
    v->loss_before = h5_read_doubles_alloc(f, "overfit/loss_before", &n0, &st);
    v->loss_after = h5_read_doubles_alloc(f, "overfit/loss_after", &n1, &st);
    v->n_overfit = v->rho && v->loss_before && v->loss_after && n0 == n && n1 == n ? (int)n : 0;
}

static void read_eval(H5File *f, SessView *v)
{
    if (!sessview_stage_complete(v, "eval")) return;
    char list[1024] = "", mlist[64] = "";
    h5r_attr_str(f, "eval", "methods", list, sizeof list);
    h5r_attr_str(f, "eval", "metrics", mlist, sizeof mlist);
    char *comma = strchr(mlist, ',');
    if (!comma) return;
    *comma = 0;
    snprintf(v->metrics[0], sizeof v->metrics[0], "%s", mlist);
    snprintf(v->metrics[1], sizeof v->metrics[1], "%s", comma + 1);
    for (char *tok = strtok(list, ","); tok && v->nrows < SV_MAX_ROWS; tok = strtok(NULL, ",")) {
        SvRow *r = &v->rows[v->nrows++];
        snprintf(r->key, sizeof r->key, "%s", tok);
        char g[96], a[80];
        snprintf(g, sizeof g, "eval/%s", tok);
        h5r_attr_str(f, g, "label", r->label, sizeof r->label);
        for (int m = 0; m < 2; m++) {
            snprintf(a, sizeof a, "%s_mean", v->metrics[m]);
            r->mean[m] = NAN;
            h5r_attr_double(f, g, a, &r->mean[m]);
            snprintf(a, sizeof a, "%s_sd", v->metrics[m]);
            h5r_attr_double(f, g, a, &r->sd[m]);
        }
        h5r_attr_int(f, g, "n", &r->n);
        h5r_attr_int(f, g, "test_samples", &r->test_samples);
        h5r_attr_double(f, g, "seconds", &r->seconds);
        r->temperature = NAN;
        h5r_attr_double(f, g, "temperature", &r->temperature);
        /* a row has its interval when every part of it is there */
        r->has_diff = 1;
        for (int m = 0; m < 2; m++) {
            static const char *const part[3] = {"diff", "diff_lo", "diff_hi"};
            double *dst[3] = {&r->diff[m], &r->lo[m], &r->hi[m]};
            for (int k = 0; k < 3; k++) {
                snprintf(a, sizeof a, "%s_%s", v->metrics[m], part[k]);
                *dst[k] = NAN;
                r->has_diff &= h5r_attr_double(f, g, a, dst[k]) != 0;
            }
            snprintf(a, sizeof a, "%s_verdict", v->metrics[m]);
            r->has_diff &= h5r_attr_str(f, g, a, r->verdict[m], sizeof r->verdict[m]) != 0;
        }
    }
    h5r_attr_int(f, "eval", "test_samples", &v->test_samples);
    h5r_attr_int(f, "eval", "repeats", &v->repeats);
    h5r_attr_int(f, "eval", "ensemble", &v->ensemble);
    h5r_attr_str(f, "eval", "layer", v->eval_layer, sizeof v->eval_layer);
    h5r_attr_str(f, "eval", "alt_layer", v->alt_layer, sizeof v->alt_layer);
    h5r_attr_str(f, "eval", "units", v->units, sizeof v->units);
    h5r_attr_str(f, "eval", "device", v->device, sizeof v->device);
    h5r_attr_double(f, "eval", "ocd_seconds_per_sample", &v->ocd_seconds_per_sample);
    h5r_attr_double(f, "eval", "base_seconds_per_sample", &v->base_seconds_per_sample);
    h5r_attr_int(f, "eval", "bootstrap_resamples", &v->bootstrap_resamples);
    v->bootstrap_level = BOOT_LEVEL;
    h5r_attr_double(f, "eval", "bootstrap_level", &v->bootstrap_level);
    h5r_attr_str(f, "eval", "ceiling_note", v->ceiling_note, sizeof v->ceiling_note);
    h5r_attr_str(f, "eval", "skipped", v->skipped, sizeof v->skipped);
}

static void read_curves(H5File *f, SessView *v)
{
    const char *val = h5r_exists(f, "base/curves/val_loss") ? "val" : "test";
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "base/curves/%s_loss", val);
    snprintf(p2, sizeof p2, "base/curves/%s_accuracy", val);
    const int nerf = !strcmp(v->task, "nerf");
    curve_read(f, "base/curves/train_loss", NULL, nerf ? "train loss (MSE of colours) per interval" : "train loss per epoch",
               &v->base_train_loss);
    curve_read(f, p1, NULL, !strcmp(val, "val") ? "validation loss per epoch" : "test loss per epoch", &v->base_test_loss);
    curve_read(f, "base/curves/train_accuracy", NULL, "train accuracy per epoch", &v->base_train_acc);
    curve_read(f, p2, NULL, !strcmp(val, "val") ? "validation accuracy per epoch" : "test accuracy per epoch",
               &v->base_test_acc);
    if (nerf) {
        int64_t every = 0;
        h5r_attr_int(f, "base/curves", "steps_per_point", &every);
        for (int i = 0; i < v->base_train_loss.n && every > 0; i++) v->base_train_loss.x[i] = (double)every * (i + 1);
        if (every > 0) snprintf(v->base_train_loss.what, sizeof v->base_train_loss.what, "train loss (MSE of colours) per step");
    }
    if (sessview_stage_complete(v, "diffusion"))
        curve_read(f, "diffusion/curves/loss", "diffusion/curves/step", "diffusion loss per step", &v->diffusion_loss);
    if (sessview_stage_complete(v, "scale")) curve_read(f, "scale/curves/loss", NULL, "scale loss per point", &v->scale_loss);
    if (sessview_stage_complete(v, "alt")) {
        curve_read(f, "alt/diffusion/curves/loss", "alt/diffusion/curves/step", "alternative layer: diffusion loss per step",
                   &v->alt_diffusion_loss);
        curve_read(f, "alt/scale/curves/loss", NULL, "alternative layer: scale loss per point", &v->alt_scale_loss);
    }
}

int sessview_load(const char *dir, SessView *v, Status *st)
{
    memset(v, 0, sizeof *v);
    v->chosen = v->runner_up = -1;
    Session s;
    if (session_load(dir, &s, st)) return -1;
    snprintf(v->dir, sizeof v->dir, "%s", s.dir);
    snprintf(v->path, sizeof v->path, "%s", s.path);
    config_copy(&v->cfg, &s.cfg);
    snprintf(v->preset, sizeof v->preset, "%s", cfg_str(&s.cfg, "preset.name"));
    v->seed = cfg_int(&s.cfg, "run.seed");
    const char *arch = cfg_str(&s.cfg, "model.arch");
    snprintf(v->task, sizeof v->task, "%s",
             !strcmp(arch, "mlp") ? "regression" : !strcmp(arch, "tinynerf") ? "nerf" : "classification");
    int n = 0;
    const char *const *names = engine_stage_names(&n);
    v->nstages = n < SV_MAX_STAGES ? n : SV_MAX_STAGES;
    for (int i = 0; i < v->nstages; i++) {
        snprintf(v->stage[i], sizeof v->stage[i], "%s", names[i]);
        v->complete[i] = session_stage_complete(&s, names[i]);
        char work[700];
        session_work_path(&s, names[i], work, sizeof work);
        v->has_work[i] = access(work, R_OK) == 0;
        v->wall[i] = -1.0;
    }
    session_end(&s);
    H5File *f = h5r_open(v->path, st);
    if (!f) {
        config_free(&v->cfg);
        return -1;
    }
    h5r_attr_str(f, "meta", "created", v->created, sizeof v->created);
    h5r_attr_str(f, "meta", "program", v->program, sizeof v->program);
    {
        char *dst[BUILDINFO_FIELDS] = {v->build.version,     v->build.git,       v->build.cpu_model,
                                       v->build.kernel_path, v->build.blas_core, v->build.blas_config};
        const size_t len[BUILDINFO_FIELDS] = {sizeof v->build.version,     sizeof v->build.git,
                                              sizeof v->build.cpu_model,   sizeof v->build.kernel_path,
                                              sizeof v->build.blas_core,   sizeof v->build.blas_config};
        for (int i = 0; i < BUILDINFO_FIELDS; i++) h5r_attr_str(f, "meta", BUILDINFO_ATTRS[i], dst[i], len[i]);
    }
    for (int i = 0; i < v->nstages; i++)
        if (v->complete[i]) h5r_attr_double(f, v->stage[i], "wall_seconds", &v->wall[i]);
    v->base_test_loss_final = v->base_test_accuracy = v->base_test_rmse = v->base_test_psnr = NAN;
    if (sessview_stage_complete(v, "base")) {
        h5r_attr_double(f, "base/metrics", "test_loss", &v->base_test_loss_final);
        h5r_attr_double(f, "base/metrics", "test_mse", &v->base_test_loss_final);
        h5r_attr_double(f, "base/metrics", "test_accuracy", &v->base_test_accuracy);
        h5r_attr_double(f, "base/metrics", "test_rmse", &v->base_test_rmse);
        h5r_attr_double(f, "base/metrics", "test_psnr", &v->base_test_psnr);
        h5r_attr_str(f, "base/metrics", "device", v->device, sizeof v->device);
    }
    read_curves(f, v);
    read_select(f, v);
    read_overfit(f, v);
    read_eval(f, v);
    if (sessview_stage_complete(v, "diffusion")) sessview_read_fit(f, "diffusion", "scale", &v->fit);
    if (sessview_stage_complete(v, "alt") && h5r_exists(f, "alt/diffusion"))
        sessview_read_fit(f, "alt/diffusion", "alt/scale", &v->alt_fit);
    h5r_close(f);
    return 0;
}

void sessview_free(SessView *v)
{
    SvCurve *cs[] = {&v->base_train_loss, &v->base_test_loss, &v->base_train_acc, &v->base_test_acc,
                     &v->diffusion_loss,  &v->scale_loss,     &v->alt_diffusion_loss, &v->alt_scale_loss};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) curve_free(cs[i]);
    free(v->rho);
    free(v->loss_before);
    free(v->loss_after);
    config_free(&v->cfg);
    memset(v, 0, sizeof *v);
}

int sessview_stage_index(const SessView *v, const char *stage)
{
    for (int i = 0; i < v->nstages; i++)
        if (!strcmp(v->stage[i], stage)) return i;
    return -1;
}

int sessview_stage_complete(const SessView *v, const char *stage)
{
    const int i = sessview_stage_index(v, stage);
    return i >= 0 && v->complete[i];
}

const SvRow *sessview_row(const SessView *v, const char *key)
{
    for (int i = 0; i < v->nrows; i++)
        if (!strcmp(v->rows[i].key, key)) return &v->rows[i];
    return NULL;
}

int sessview_metric_higher_is_better(const char *metric)
{
    const EvalMetricInfo *mi = eval_metric_find(metric);
    return mi && mi->higher_is_better;
}

int sessview_best_row(const SessView *v, int m)
{
    const int hi = sessview_metric_higher_is_better(v->metrics[m]);
    int best = -1;
    for (int i = 0; i < v->nrows; i++) {
        const double x = v->rows[i].mean[m];
        if (!isfinite(x)) continue;
        if (best < 0 || (hi ? x > v->rows[best].mean[m] : x < v->rows[best].mean[m])) best = i;
    }
    return best;
}

const char *sessview_verdict(const SessView *v, int m, double *diff, double *lo, double *hi)
{
    const SvRow *ocd = sessview_row(v, "ocd");
    if (!ocd || !ocd->has_diff || m < 0 || m > 1) return NULL;
    if (diff) *diff = ocd->diff[m];
    if (lo) *lo = ocd->lo[m];
    if (hi) *hi = ocd->hi[m];
    return ocd->verdict[m];
}

void sessview_verdict_line(const SessView *v, int brief, char *buf, size_t len)
{
    buf[0] = 0;
    const SvRow *base = sessview_row(v, "base"), *ocd = sessview_row(v, "ocd");
    if (!base || !ocd) return;
    const char *metric = v->metrics[0];
    double d, lo, hi;
    const char *w = sessview_verdict(v, 0, &d, &lo, &hi);
    if (!w) {
        char iv[96];
        sessview_fmt_diff(metric, ocd->mean[0] - base->mean[0], NAN, NAN, iv, sizeof iv);
        snprintf(buf, len,
                 "OCD vs the base model on %s: %s in the means, no verdict (no paired interval: the session's eval "
                 "stage predates them; run it again)",
                 metric, iv);
        return;
    }
    const int pct = !strcmp(metric, "accuracy");
    char ds[32], ls[32], hs[32];
    snprintf(ds, sizeof ds, pct ? "%+.2f pp" : "%+.5f", pct ? 100 * d : d);
    snprintf(ls, sizeof ls, pct ? "%+.2f" : "%+.5f", pct ? 100 * lo : lo);
    snprintf(hs, sizeof hs, pct ? "%+.2f" : "%+.5f", pct ? 100 * hi : hi);
    const int64_t n = ocd->test_samples > 0 ? ocd->test_samples : v->test_samples;
    if (brief)
        snprintf(buf, len, "OCD vs the base model on %s: %s, %s [%s, %s] (%.0f%% CI, %lld samples)", metric, w, ds, ls, hs,
                 100 * v->bootstrap_level, (long long)n);
    else
        snprintf(buf, len,
                 "OCD vs the base model on %s: %s (%s, %.0f%% CI [%s, %s]; paired bootstrap over %lld test samples, "
                 "%lld resamples).",
                 metric, w, ds, 100 * v->bootstrap_level, ls, hs, (long long)n, (long long)v->bootstrap_resamples);
}

void sessview_fmt_diff(const char *metric, double diff, double lo, double hi, char *buf, size_t len)
{
    if (!isfinite(diff)) {
        snprintf(buf, len, "-");
        return;
    }
    const int pct = !strcmp(metric, "accuracy"), dp = !strcmp(metric, "psnr") ? 2 : 5;
    const double k = pct ? 100.0 : 1.0;
    if (!isfinite(lo) || !isfinite(hi))
        snprintf(buf, len, "%+.*f%s", pct ? 2 : dp, k * diff, pct ? " pp" : "");
    else if (pct)
        snprintf(buf, len, "%+.2f pp [%+.2f, %+.2f]", k * diff, k * lo, k * hi);
    else
        snprintf(buf, len, "%+.*f [%+.*f, %+.*f]", dp, diff, dp, lo, dp, hi);
}

void sessview_row_diff_cells(const SvRow *r, const char *metric, int m, char *diff, size_t dlen, const char **verdict)
{
    if (!r->has_diff) {
        snprintf(diff, dlen, "-");
        *verdict = "-";
        return;
    }
    sessview_fmt_diff(metric, r->diff[m], r->lo[m], r->hi[m], diff, dlen);
    *verdict = r->verdict[m];
}

void sessview_fmt_metric(const char *metric, double mean, double sd, char *buf, size_t len)
{
    if (!strcmp(metric, "accuracy"))
        snprintf(buf, len, "%.2f%% ± %.2f", 100 * mean, 100 * sd);
    else if (!strcmp(metric, "psnr"))
        snprintf(buf, len, "%.2f ± %.2f", mean, sd);
    else
        snprintf(buf, len, "%.5f ± %.5f", mean, sd);
}
