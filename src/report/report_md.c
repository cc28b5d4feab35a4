/* report.md: the session (preset, seed, device, versions), its stages and their wall times,
 * the results table (results_table.c, as `ocd results` prints it), the paper's numbers beside
 * ours with the deviations that apply, and every figure with its caption, or why it is not
 * there. Written under report.md.tmp and renamed. */
#include "report.h"

#include "atomic_file.h"
#include "results_table.h"
#include "session.h"

#include <cairo.h>
#include <cblas.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef OCD_VERSION
#define OCD_VERSION "unknown"
#endif

static const char *fig_title[FIG_COUNT] = {
    [FIG_SELECT] = "Layer selection",    [FIG_CURVES] = "Training curves", [FIG_RHO] = "The scale ρ",
    [FIG_COMPARE] = "Method comparison", [FIG_VIEWS] = "NeRF test views",  [FIG_TRAJECTORY] = "Denoising trajectories",
};

static void write_header(FILE *f, const SessView *v)
{
    char now[32];
    session_utc_now(now, sizeof now);
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    fprintf(f, "# OCD report: `%s`, seed %d\n\n", v->preset, v->seed);
    fprintf(f, "| | |\n|---|---|\n");
    fprintf(f, "| session | `%s` (created %s by %s) |\n", v->dir, v->created[0] ? v->created : "?",
            v->program[0] ? v->program : "?");
    /* the preset file as the repository names it, not this machine's absolute path */
    const char *src = v->cfg.source[0] ? v->cfg.source : "defaults", *in_repo = strstr(src, "/assets/");
    fprintf(f, "| preset | `%s` (%s) |\n", v->preset, in_repo ? in_repo + 1 : src);
    fprintf(f, "| seed | %d |\n", v->seed);
    fprintf(f, "| device | %s |\n", v->device[0] ? v->device : "?");
    fprintf(f, "| task | %s", v->task);
    if (v->overfit_layer[0]) fprintf(f, "; OCD on `%s` (%d x %d)", v->overfit_layer, v->wrows, v->wcols);
    if (v->alt_layer[0]) fprintf(f, ", alternative layer `%s`", v->alt_layer);
    fprintf(f, " |\n");
    const BuildInfo *b = &v->build;
    if (b->git[0])
        fprintf(f, "| made by | ocd workbench %s, git %s; CPU %s; our kernels %s; OpenBLAS kernels %s (%s) |\n",
                b->version, b->git, b->cpu_model, b->kernel_path, b->blas_core, b->blas_config);
    else
        fprintf(f, "| made by | not recorded (a session older than /meta's build record) |\n");
    fprintf(f, "| report | written %s by ocd workbench %s |\n", now, OCD_VERSION);
    fprintf(f, "| libraries | cairo %s, libpng %s, HDF5 %u.%u.%u, %s |\n\n", cairo_version_string(),
            png_get_libpng_ver(NULL), maj, min, rel, openblas_get_config());
}

static void write_stages(FILE *f, const SessView *v, const ReportResult *r)
{
    fprintf(f, "## Stages\n\n| stage | state | wall time |\n|---|---|---:|\n");
    double total = 0;
    for (int i = 0; i < v->nstages; i++) {
        char wall[32] = "–";
        if (v->wall[i] >= 0) {
            snprintf(wall, sizeof wall, "%.1f s", v->wall[i]);
            total += v->wall[i];
        }
        fprintf(f, "| %s | %s | %s |\n", v->stage[i],
                v->complete[i]   ? "complete"
                : v->has_work[i] ? "not complete (a checkpoint of it exists: in progress or stopped)"
                                 : "not complete",
                wall);
    }
    fprintf(f, "\nTotal of the recorded stage wall times: %.1f s (%.1f min).", total, total / 60);
    if (r->partial) fprintf(f, " **Partial session**: %s not complete; the report shows what is.", r->missing);
    fprintf(f, "\n\n");
}

static void write_results(FILE *f, const SessView *v)
{
    fprintf(f, "## Results\n\n");
    Status st;
    status_clear(&st);
    if (results_check(v, &st)) {
        fprintf(f, "Not available: %s.\n\n", st.msg);
        return;
    }
    fprintf(f, "`ocd results %s` prints the same table.\n\n", v->dir);
    results_write_md(v, f);
    fprintf(f, "\n");
}

static void write_paper(FILE *f, const SessView *v, const PaperNumbers *p, const char *why)
{
    fprintf(f, "## Beside the paper\n\n");
    if (!p) {
        fprintf(f, "Not available: %s.\n\n", why);
        return;
    }
    fprintf(f, "%s. Source: %s.\n\n", p->experiment, p->source);
    fprintf(f, "| method | metric | paper | ours |\n|---|---|---:|---:|\n");
    for (int i = 0; i < p->nrows; i++) {
        const PaperRow *pr = &p->row[i];
        const SvRow *ours = sessview_row(v, pr->method);
        for (int m = 0; m < pr->nmetrics; m++) {
            char o[64] = "–";
            int vm = -1;
            for (int k = 0; k < 2; k++)
                if (!strcmp(v->metrics[k], pr->metric[m])) vm = k;
            if (ours && vm >= 0)
                sessview_fmt_metric(v->metrics[vm], ours->mean[vm], ours->sd[vm], o, sizeof o);
            else if (!ours && v->nrows)
                snprintf(o, sizeof o, "(not run)");
            fprintf(f, "| %s | %s | %s | %s |\n", ours ? ours->label : pr->method, pr->metric[m], pr->text[m], o);
        }
    }
    for (int i = 0; i < p->nrows; i++)
        if (p->row[i].note[0]) fprintf(f, "\n%s: %s\n", p->row[i].method, p->row[i].note);
    if (p->note[0]) fprintf(f, "\n%s\n", p->note);
    if (p->ndeviations) {
        fprintf(f,
                "\nWhere this preset differs from the paper (docs/RESULTS.md has the measurements behind each):\n\n");
        for (int i = 0; i < p->ndeviations; i++)
            fprintf(f, "- %s\n", p->deviation[i]);
    }
    fprintf(f, "\n");
}

static void write_figures(FILE *f, const ReportResult *r)
{
    fprintf(f, "## Figures\n\n");
    int missing = 0;
    for (int k = 0; k < FIG_COUNT; k++) {
        const ReportFigure *g = &r->fig[k];
        if (!g->ok) {
            missing++;
            continue;
        }
        fprintf(f, "### %s\n\n![%s](%s)\n\n%s (`%s`, %d x %d pixels)\n\n", fig_title[k], fig_title[k], g->file,
                g->info.caption, g->file, g->info.width, g->info.height);
    }
    if (!missing) return;
    fprintf(f, "### Not drawn\n\n");
    for (int k = 0; k < FIG_COUNT; k++) {
        const ReportFigure *g = &r->fig[k];
        if (!g->ok) fprintf(f, "- %s: %s: %s\n", fig_title[k], g->applies ? "not available" : "not applicable", g->why);
    }
    fprintf(f, "\n");
}

int report_md_write(const char *path, const SessView *v, const ReportResult *r, const PaperNumbers *paper,
                    const char *paper_why, Status *st)
{
    AtomicFile af;
    if (atomic_begin(&af, path, "w", st)) return -1;
    FILE *f = af.f;
    write_header(f, v);
    write_stages(f, v, r);
    write_results(f, v);
    write_paper(f, v, paper, paper_why);
    write_figures(f, r);
    fprintf(f, "---\nMade by `ocd report %s` in %.1f s (the trained pipeline loaded in %.1f s).\n", v->dir,
            r->total_seconds, r->probe_seconds);
    return atomic_end(&af, 1, st);
}
