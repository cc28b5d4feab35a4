/* See report.h: loads the session's view, opens a probe when the trained pipeline is there
 * (and wanted), draws every figure, then writes figures.json and report.md. */
#include "report.h"

#include "atomic_file.h"
#include "session.h"

#include "core/clock.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void colour_hex(uint32_t c, char *buf, size_t len) { snprintf(buf, len, "#%06x", (unsigned)(c & 0xffffff)); }

static cJSON *panel_json(const Axes *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *area = cJSON_AddObjectToObject(o, "plot_area");
    cJSON_AddNumberToObject(area, "x", a->px);
    cJSON_AddNumberToObject(area, "y", a->py);
    cJSON_AddNumberToObject(area, "w", a->pw);
    cJSON_AddNumberToObject(area, "h", a->ph);
    if (a->lw > 0) {
        cJSON *lg = cJSON_AddObjectToObject(o, "legend");
        cJSON_AddNumberToObject(lg, "x", a->lx);
        cJSON_AddNumberToObject(lg, "y", a->ly);
        cJSON_AddNumberToObject(lg, "w", a->lw);
        cJSON_AddNumberToObject(lg, "h", a->lh);
    }
    if (a->title[0]) cJSON_AddStringToObject(o, "title", a->title);
    cJSON *ser = cJSON_AddArrayToObject(o, "series");
    for (int s = 0; s < a->nseries; s++) {
        cJSON *so = cJSON_CreateObject();
        char hex[16];
        colour_hex(a->series[s].colour, hex, sizeof hex);
        cJSON_AddStringToObject(so, "name", a->series[s].name);
        cJSON_AddStringToObject(so, "colour", hex);
        cJSON_AddItemToArray(ser, so);
    }
    return o;
}

/* figures.json: what each figure file is, for scripts and tests */
static int manifest_write(const ReportResult *r, Status *st)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "figures");
    for (int k = 0; k < FIG_COUNT; k++) {
        const ReportFigure *f = &r->fig[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", figure_name(f->kind));
        cJSON_AddBoolToObject(o, "written", f->ok);
        if (f->ok) {
            cJSON_AddStringToObject(o, "file", f->file);
            cJSON_AddNumberToObject(o, "width", f->info.width);
            cJSON_AddNumberToObject(o, "height", f->info.height);
            cJSON_AddStringToObject(o, "caption", f->info.caption);
            cJSON_AddNumberToObject(o, "seconds", f->seconds);
            cJSON *ps = cJSON_AddArrayToObject(o, "panels");
            for (int p = 0; p < f->info.npanels; p++)
                cJSON_AddItemToArray(ps, panel_json(&f->info.panel[p]));
        } else {
            cJSON_AddStringToObject(o, "why", f->why);
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *js = cJSON_Print(root);
    cJSON_Delete(root);
    if (!js) return status_fail(st, ERR_IO, "%s: out of memory building the manifest", r->manifest_path);
    AtomicFile af;
    int rc = atomic_begin(&af, r->manifest_path, "w", st);
    if (rc == 0) {
        fprintf(af.f, "%s\n", js);
        rc = atomic_end(&af, 1, st);
    }
    free(js);
    return rc;
}

static int any_complete(const SessView *v, ReportResult *r)
{
    int any = 0;
    for (int i = 0; i < v->nstages; i++) {
        any |= v->complete[i];
        if (!v->complete[i]) {
            r->partial = 1;
            const size_t n = strlen(r->missing);
            snprintf(r->missing + n, sizeof r->missing - n, "%s%s", n ? ", " : "", v->stage[i]);
        }
    }
    return any;
}

/* the probe, when the figures that need it can have one; otherwise why not */
static Probe *open_probe(const ReportOpts *o, const SessView *v, ReportResult *r)
{
    if (!o->use_probe) {
        snprintf(r->probe_why, sizeof r->probe_why, "--no-probe was given");
        return NULL;
    }
    if (!sessview_stage_complete(v, "overfit") || !sessview_stage_complete(v, "diffusion") ||
        !sessview_stage_complete(v, "scale")) {
        snprintf(r->probe_why, sizeof r->probe_why, "the overfit, diffusion and scale stages are not all complete");
        return NULL;
    }
    Status pst;
    status_clear(&pst);
    const double t0 = clock_now();
    Probe *p = probe_open(v->dir, o->asset_dir, o->threads, &pst);
    r->probe_seconds = clock_now() - t0;
    if (!p) snprintf(r->probe_why, sizeof r->probe_why, "the trained pipeline could not be loaded: %s", pst.msg);
    return p;
}

int report_make(const ReportOpts *o, ReportResult *r, Status *st)
{
    memset(r, 0, sizeof *r);
    const double t0 = clock_now();
    SessView *v = malloc(sizeof *v);
    PaperNumbers *paper = malloc(sizeof *paper);
    if (!v || !paper) {
        free(v);
        free(paper);
        return status_fail(st, ERR_IO, "report: out of memory");
    }
    if (sessview_load(o->session_dir, v, st)) {
        free(v);
        free(paper);
        return -1;
    }
    int rc = 0;
    Probe *probe = NULL;
    char paper_path[600], paper_why[700] = "";
    snprintf(paper_path, sizeof paper_path, "%s/paper_numbers.ini", o->asset_dir);
    if (!any_complete(v, r)) {
        rc = status_fail(st, ERR_STATE,
                         "%s: no stage is complete yet: nothing to report (ocd inspect %s shows where it is)", v->dir,
                         v->dir);
        goto done;
    }
    const int found = paper_load(paper_path, v->preset, paper, st);
    if (found < 0) {
        rc = -1;
        goto done;
    }
    if (found == 0) snprintf(paper_why, sizeof paper_why, "%s has no entry for preset `%s`", paper_path, v->preset);
    snprintf(r->out_dir, sizeof r->out_dir, "%s", o->out_dir ? o->out_dir : v->dir);
    if (session_mkdir_p(r->out_dir)) {
        rc = status_fail(st, ERR_IO, "%s: cannot create the report folder: %s", r->out_dir, strerror(errno));
        goto done;
    }
    snprintf(r->report_path, sizeof r->report_path, "%s/report.md", r->out_dir);
    snprintf(r->manifest_path, sizeof r->manifest_path, "%s/figures.json", r->out_dir);
    probe = open_probe(o, v, r);
    for (int k = 0; k < FIG_COUNT && rc == 0; k++) {
        ReportFigure *f = &r->fig[k];
        f->kind = (FigureKind)k;
        f->applies = figure_applies(f->kind, v, f->why, sizeof f->why);
        if (!f->applies) continue;
        if (figure_needs_probe(f->kind) && !probe) {
            snprintf(f->why, sizeof f->why, "needs the trained pipeline loaded, and %s", r->probe_why);
            continue;
        }
        snprintf(f->file, sizeof f->file, "fig-%s.png", figure_name(f->kind));
        char path[700];
        snprintf(path, sizeof path, "%s/%s", r->out_dir, f->file);
        Status fst;
        status_clear(&fst);
        const double t1 = clock_now();
        f->ok = figure_render(f->kind, v, probe, -1, o->nsamples, path, 0, 0, &f->info, &fst) == 0;
        f->seconds = clock_now() - t1;
        if (!f->ok) {
            /* a file that cannot be written stops the report; a figure without its data is listed */
            if (fst.code == ERR_IO) {
                *st = fst;
                rc = -1;
            }
            snprintf(f->why, sizeof f->why, "%s", fst.msg);
            f->file[0] = 0;
        }
    }
    if (rc == 0) rc = manifest_write(r, st);
    r->total_seconds = clock_now() - t0;
    if (rc == 0) rc = report_md_write(r->report_path, v, r, found > 0 ? paper : NULL, paper_why, st);
done:
    probe_close(probe);
    sessview_free(v);
    free(v);
    free(paper);
    return rc;
}
