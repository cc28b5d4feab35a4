/* `ocd report DIR [--out DIR2] [--no-probe] [--samples N] [--threads N]`: report.md and the
 * PNG figures of a session (src/report/report.c), written into DIR (or DIR2). A session with
 * no complete stage, or bad input, writes nothing and exits non-zero; a partial session gets
 * a report of its complete stages with the missing parts named, and exit status 0. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OCD_HAVE_REPORT
int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ocd report: this build has no reports (configured with -DOCD_WITH_REPORT=OFF: no cairo)\n");
    return 2;
}
#else
#include "report.h"

static int usage_error(const char *why)
{
    fprintf(stderr, "ocd report: %s\nusage: ocd report DIR [--out DIR2] [--no-probe] [--samples N] [--threads N]\n",
            why);
    return 2;
}

/* an integer option's value in [lo, hi], or -1 */
static int int_arg(const char *s, int lo, int hi)
{
    char *end;
    const long v = strtol(s, &end, 10);
    return *s && !*end && v >= lo && v <= hi ? (int)v : -1;
}

int cmd_report(int argc, char **argv)
{
    ReportOpts o = {.asset_dir = cli_asset_dir(), .use_probe = 1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-probe")) {
            o.use_probe = 0;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--samples") || !strcmp(a, "--threads")) {
            if (!val) return usage_error("an option needs a value");
            i++;
            if (!strcmp(a, "--out")) {
                o.out_dir = val;
            } else if (!strcmp(a, "--samples")) {
                if ((o.nsamples = int_arg(val, 1, 6)) < 0) return usage_error("--samples: a number from 1 to 6");
            } else if ((o.threads = int_arg(val, 1, 1024)) < 0) {
                return usage_error("--threads: a number from 1 to 1024");
            }
        } else if (!o.session_dir && a[0] != '-') {
            o.session_dir = a;
        } else {
            char why[160];
            snprintf(why, sizeof why, "unknown argument '%s'", a);
            return usage_error(why);
        }
    }
    if (!o.session_dir) return usage_error("no session folder given");
    Status st;
    status_clear(&st);
    ReportResult *r = malloc(sizeof *r);
    if (!r) {
        fprintf(stderr, "ocd: out of memory\n");
        return 1;
    }
    const int rc = report_make(&o, r, &st);
    chart_release_fonts(); /* no figure is drawn after this: a leak checker sees a clean exit */
    if (rc) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        free(r);
        return cli_exit_code(st.code);
    }
    for (int k = 0; k < FIG_COUNT; k++) {
        const ReportFigure *f = &r->fig[k];
        if (f->ok)
            printf("%s/%s  %dx%d  %.1f s\n", r->out_dir, f->file, f->info.width, f->info.height, f->seconds);
        else if (f->applies)
            fprintf(stderr, "ocd report: figure %s not drawn: %s\n", figure_name(f->kind), f->why);
    }
    printf("%s\n%s\n", r->manifest_path, r->report_path);
    if (r->partial)
        fprintf(stderr, "ocd report: partial session: %s not complete; the report shows what is\n", r->missing);
    printf("report written in %.1f s (trained pipeline loaded in %.1f s)\n", r->total_seconds, r->probe_seconds);
    free(r);
    return 0;
}
#endif
