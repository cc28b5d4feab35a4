/* See sessview.h. Every read is optional: a stage not complete, or an attribute a session
 * made by an older version lacks, leaves its part empty rather than failing the view. */
#include "sessview.h"

#include "engine.h"
#include "h5io.h"
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
        h5r_attr_double(f, g, "seconds", &r->seconds);
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
    return !strcmp(metric, "accuracy") || !strcmp(metric, "psnr");
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

const char *sessview_verdict(const SessView *v, double *diff, double *sd)
{
    const SvRow *base = sessview_row(v, "base"), *ocd = sessview_row(v, "ocd");
    if (!base || !ocd) return NULL;
    /* a difference inside the spread of OCD's own repeats is not called a win */
    const double d = ocd->mean[0] - base->mean[0], s = ocd->sd[0] > base->sd[0] ? ocd->sd[0] : base->sd[0];
    if (diff) *diff = d;
    if (sd) *sd = s;
    return fabs(d) <= s ? "is within one SD of" : d < 0 ? "beats" : "does NOT beat";
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
