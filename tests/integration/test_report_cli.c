/* `ocd report` through the real binary, on the tiny MNIST session the `tiny_mnist` fixture
 * makes once (OCD_TINY_MNIST): every figure the report lists decodes with libpng at the size
 * it states and shows its series inside its plot area; the report's results table is
 * `ocd results`'s; figures that cannot be drawn are named with the reason; bad input writes
 * nothing; a session without an eval stage gets a partial report. */
#include "harness.h"
#include "png_check.h"
#include "run_util.h"

#include "chart.h"
#include "sessview.h"

#include <cjson/cJSON.h>
#include <dirent.h>

static char big[1 << 20];

static const char *fixture(void)
{
    const char *d = getenv("OCD_TINY_MNIST");
    if (!d) harness_skip("OCD_TINY_MNIST is not set (run through ctest: the tiny_mnist fixture makes it)");
    char p[600];
    snprintf(p, sizeof p, "%s/session.h5", d);
    if (!run_exists(p)) harness_skip("the tiny_mnist fixture's session is missing (run ctest -R fixture_tiny_mnist)");
    return d;
}

/* the whole file, NUL-terminated, in a static buffer of the caller's */
static int slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    const size_t n = fread(buf, 1, len - 1, f);
    buf[n] = 0;
    fclose(f);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* #rrggbb -> 0xRRGGBB */
static uint32_t hex_colour(const char *s) { return (uint32_t)strtoul(s + 1, NULL, 16); }

static PngRect rect_of(cJSON *o)
{
    PngRect r = {0, 0, 0, 0};
    if (!o) return r;
    r.x = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "x"));
    r.y = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "y"));
    r.w = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "w"));
    r.h = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "h"));
    return r;
}

TEST(the_tiny_session_report_has_every_figure_it_lists)
{
    const char *fix = fixture();
    char out[300], path[700];
    snprintf(out, sizeof out, "%s/full", run_temp_root("report"));
    char *v[] = {(char *)run_ocd_bin(), "report", (char *)fix, "--out", out, NULL};
    const int rc = run_capture(v, big, sizeof big);
    CHECK(rc == 0, "ocd report failed (%d): %.3000s", rc, big);
    if (rc) return;
    snprintf(path, sizeof path, "%s/report.md", fix);
    CHECK(!run_exists(path), "--out was given, yet %s was written", path);
    static char md[1 << 18], js[1 << 18];
    snprintf(path, sizeof path, "%s/report.md", out);
    CHECK(slurp(path, md, sizeof md) == 0, "no %s", path);
    snprintf(path, sizeof path, "%s/figures.json", out);
    CHECK(slurp(path, js, sizeof js) == 0, "no %s", path);
    cJSON *j = cJSON_Parse(js);
    CHECK(j != NULL, "figures.json is not JSON");
    if (!j) return;
    cJSON *figs = cJSON_GetObjectItem(j, "figures"), *f;
    CHECK(cJSON_GetArraySize(figs) == 6, "%d figures listed", cJSON_GetArraySize(figs));
    int written = 0;
    cJSON_ArrayForEach(f, figs)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(f, "name"));
        if (!cJSON_IsTrue(cJSON_GetObjectItem(f, "written"))) {
            /* on a classification session only the NeRF views are left out, and named */
            const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(f, "why"));
            CHECK(!strcmp(name, "views") && why && strstr(why, "NeRF"), "figure %s not written: %s", name, why);
            CHECK(strstr(md, "NeRF test views: not applicable") != NULL,
                  "report.md does not say why the views are missing");
            continue;
        }
        written++;
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(f, "file"));
        const int W = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(f, "width"));
        const int H = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(f, "height"));
        char stated[160];
        snprintf(stated, sizeof stated, "(`%s`, %d x %d pixels)", file, W, H);
        CHECK(strstr(md, stated) != NULL, "report.md does not state %s", stated);
        snprintf(stated, sizeof stated, "](%s)", file);
        CHECK(strstr(md, stated) != NULL, "report.md does not embed %s", file);
        snprintf(path, sizeof path, "%s/%s", out, file);
        int w = 0, h = 0;
        char err[300];
        unsigned char *px = png_check_read(path, &w, &h, err, sizeof err);
        CHECK(px != NULL, "%s", err);
        if (!px) continue;
        CHECK(w == W && h == H, "%s decodes as %dx%d, stated %dx%d", file, w, h, W, H);
        /* every panel shows some series, and every series shows in some panel (a line may
         * hide another in one panel: the tiny session's trajectories overlap) */
        cJSON *panels = cJSON_GetObjectItem(f, "panels"), *p;
        CHECK(cJSON_GetArraySize(panels) > 0, "%s: no panels", file);
        char seen[64][128], shown[64];
        int nseen = 0;
        cJSON_ArrayForEach(p, panels)
        {
            const PngRect area = rect_of(cJSON_GetObjectItem(p, "plot_area")),
                          legend = rect_of(cJSON_GetObjectItem(p, "legend"));
            CHECK(area.w > 20 && area.h > 20 && area.x + area.w <= w + 1 && area.y + area.h <= h + 1,
                  "%s: plot area %gx%g at %g,%g", file, area.w, area.h, area.x, area.y);
            cJSON *series = cJSON_GetObjectItem(p, "series"), *s;
            int drawn = 0;
            cJSON_ArrayForEach(s, series)
            {
                const char *sname = cJSON_GetStringValue(cJSON_GetObjectItem(s, "name"));
                const uint32_t col = hex_colour(cJSON_GetStringValue(cJSON_GetObjectItem(s, "colour")));
                if (col == CHART_INK) continue; /* legend-only entries for line styles */
                const int ok = png_check_count(px, w, h, area, legend, col, 12) >= 20;
                drawn += ok;
                int k = 0;
                while (k < nseen && strcmp(seen[k], sname))
                    k++;
                if (k == nseen && nseen < 64) snprintf(seen[nseen], sizeof seen[0], "%s", sname), shown[nseen++] = 0;
                if (k < 64) shown[k] |= ok;
            }
            CHECK(drawn > 0, "%s: a panel without any series drawn", file);
        }
        for (int k = 0; k < nseen; k++)
            CHECK(shown[k], "%s: series '%s' has no pixels of its colour in any plot area", file, seen[k]);
        free(px);
    }
    CHECK(written == 5, "%d figures written (want select, curves, rho, compare, trajectory)", written);
    cJSON_Delete(j);
    CHECK(strstr(md, "| seed | 1 |") && strstr(md, "| device | cpu |") && strstr(md, "cairo ") &&
              strstr(md, "libpng ") && strstr(md, "HDF5 ") && strstr(md, "## Beside the paper") &&
              strstr(md, "0.010 ± 0.006"),
          "report.md lacks the settings, versions or the paper's numbers: %.1500s", md);
}

/* the rows of the first Markdown table after `heading` */
static int md_table(const char *md, const char *heading, char rows[][4][160], int max)
{
    const char *s = strstr(md, heading);
    s = s ? strstr(s, "| method |") : NULL;
    if (!s) return -1;
    s = strchr(s, '\n');
    s = s ? strchr(s + 1, '\n') : NULL; /* past the alignment row */
    int n = 0;
    while (s && s[1] == '|' && n < max) {
        const char *line = s + 1, *end = strchr(line, '\n');
        char buf[800];
        snprintf(buf, sizeof buf, "%.*s", (int)(end ? end - line : (long)strlen(line)), line);
        int c = 0;
        for (char *tok = strtok(buf, "|"); tok && c < 4; tok = strtok(NULL, "|")) {
            while (*tok == ' ')
                tok++;
            char *e = tok + strlen(tok);
            while (e > tok && e[-1] == ' ')
                *--e = 0;
            snprintf(rows[n][c++], sizeof rows[0][0], "%s", tok);
        }
        n++;
        s = end;
    }
    return n;
}

TEST(the_report_table_is_ocd_results_table)
{
    const char *fix = fixture();
    char out[300], path[700];
    snprintf(out, sizeof out, "%s/table", run_temp_root("report"));
    char *v[] = {(char *)run_ocd_bin(), "report", (char *)fix, "--out", out, "--no-probe", NULL};
    CHECK(run_capture(v, big, sizeof big) == 0, "ocd report --no-probe: %.2000s", big);
    static char md[1 << 18];
    snprintf(path, sizeof path, "%s/report.md", out);
    CHECK(slurp(path, md, sizeof md) == 0, "no %s", path);
    char *r[] = {(char *)run_ocd_bin(), "results", (char *)fix, "--format", "json", NULL};
    CHECK(run_capture(r, big, sizeof big) == 0, "ocd results: %.500s", big);
    cJSON *j = cJSON_Parse(big);
    CHECK(j != NULL, "ocd results printed no JSON");
    if (!j) return;
    static char rows[32][4][160];
    const int n = md_table(md, "## Results", rows, 32);
    cJSON *methods = cJSON_GetObjectItem(j, "methods"), *m;
    CHECK(n == cJSON_GetArraySize(methods) && n >= 12, "report.md's table has %d rows, ocd results %d methods", n,
          cJSON_GetArraySize(methods));
    int i = 0;
    cJSON_ArrayForEach(m, methods)
    {
        if (i >= n) break;
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(m, "label"));
        CHECK(!strcmp(rows[i][0], label), "row %d: '%s' in the report, '%s' in ocd results", i, rows[i][0], label);
        static const char *metrics[2] = {"ce", "accuracy"};
        for (int k = 0; k < 2; k++) {
            cJSON *x = cJSON_GetObjectItem(m, metrics[k]);
            char want[64];
            sessview_fmt_metric(metrics[k], cJSON_GetNumberValue(cJSON_GetObjectItem(x, "mean")),
                                cJSON_GetNumberValue(cJSON_GetObjectItem(x, "sd")), want, sizeof want);
            CHECK(!strcmp(rows[i][1 + k], want), "%s %s: '%s' in the report, '%s' from ocd results", label, metrics[k],
                  rows[i][1 + k], want);
            if (k == 0)
                CHECK(atoi(rows[i][3]) == (int)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "n")), "%s: n '%s'", label,
                      rows[i][3]);
        }
        i++;
    }
    cJSON_Delete(j);
    /* without the probe, the figures that need it are named, and not written */
    CHECK(strstr(md, "The scale ρ: not available: needs the trained pipeline loaded, and --no-probe was given") &&
              strstr(md, "Denoising trajectories: not available"),
          "report.md does not name the figures --no-probe left out: %.3000s", strstr(md, "## Figures"));
    snprintf(path, sizeof path, "%s/fig-rho.png", out);
    CHECK(!run_exists(path), "fig-rho.png written with --no-probe");
    snprintf(path, sizeof path, "%s/fig-compare.png", out);
    CHECK(run_exists(path), "fig-compare.png missing with --no-probe");
}

TEST(bad_input_is_named_and_nothing_is_written)
{
    const char *root = run_temp_root("report");
    char dir[300], out[300], path[700];
    /* a folder that does not exist */
    snprintf(dir, sizeof dir, "%s/nope", root);
    char *v[] = {(char *)run_ocd_bin(), "report", dir, NULL};
    int rc = run_capture(v, big, sizeof big);
    CHECK(rc == 2 && strstr(big, dir), "missing folder: exit %d, '%.300s'", rc, big);
    CHECK(!run_exists(dir), "%s was created", dir);
    /* a folder without a session */
    snprintf(dir, sizeof dir, "%s/empty", root);
    mkdir(dir, 0755);
    rc = run_capture(v, big, sizeof big);
    CHECK(rc != 0 && strstr(big, dir), "not a session: exit %d, '%.300s'", rc, big);
    CHECK(count_entries(dir) == 0, "%s: %d entries written", dir, count_entries(dir));
    /* a corrupt session file */
    snprintf(dir, sizeof dir, "%s/corrupt", root);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/session.h5", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("this is not an HDF5 file\n", f);
        fclose(f);
    }
    snprintf(out, sizeof out, "%s/corrupt-out", root);
    char *vo[] = {(char *)run_ocd_bin(), "report", dir, "--out", out, NULL};
    rc = run_capture(vo, big, sizeof big);
    CHECK(rc == 2 && strstr(big, "session.h5"), "corrupt session: exit %d, '%.300s'", rc, big);
    CHECK(count_entries(dir) == 1 && !run_exists(out), "something was written for a corrupt session");
    /* bad options */
    const char *fix = getenv("OCD_TINY_MNIST") ? getenv("OCD_TINY_MNIST") : dir;
    char *vs[] = {(char *)run_ocd_bin(), "report", (char *)fix, "--samples", "0", NULL};
    CHECK(run_capture(vs, big, sizeof big) == 2 && strstr(big, "--samples"), "--samples 0: '%.300s'", big);
    char *vu[] = {(char *)run_ocd_bin(), "report", NULL};
    CHECK(run_capture(vu, big, sizeof big) == 2 && strstr(big, "usage"), "no folder: '%.300s'", big);
}

TEST(a_session_without_eval_gets_a_partial_report)
{
    char dir[300], path[700];
    snprintf(dir, sizeof dir, "%s/partial", run_temp_root("report"));
    char *run[] = {(char *)run_ocd_bin(),
                   "run",
                   "mnist-lenet5",
                   "--session",
                   dir,
                   "--stages",
                   "base",
                   "--set",
                   "data.train_limit=300",
                   "--set",
                   "data.val_count=0",
                   "--set",
                   "data.test_limit=40",
                   "--set",
                   "base.epochs=1",
                   NULL};
    int rc = run_capture(run, big, sizeof big);
    CHECK(rc == 0, "the base-only run failed (%d): %.2000s", rc, big);
    if (rc) return;
    char *v[] = {(char *)run_ocd_bin(), "report", dir, NULL};
    rc = run_capture(v, big, sizeof big);
    CHECK(rc == 0 && strstr(big, "partial session"), "report of a partial session: exit %d, '%.1000s'", rc, big);
    static char md[1 << 18];
    snprintf(path, sizeof path, "%s/report.md", dir);
    CHECK(slurp(path, md, sizeof md) == 0, "no %s", path);
    CHECK(strstr(md, "**Partial session**: select, overfit, diffusion, scale, alt, eval not complete") != NULL,
          "the missing stages are not named: %.1500s", md);
    CHECK(strstr(md, "## Results\n\nNot available:") && strstr(md, "no complete eval stage"),
          "the results section: %.2000s", strstr(md, "## Results") ? strstr(md, "## Results") : md);
    CHECK(strstr(md, "- Layer selection: not available:") && strstr(md, "- Method comparison: not available:"),
          "the figures left out are not named: %.2000s", strstr(md, "## Figures") ? strstr(md, "## Figures") : md);
    snprintf(path, sizeof path, "%s/fig-curves.png", dir);
    CHECK(run_exists(path), "the base model's curves were not drawn");
    snprintf(path, sizeof path, "%s/fig-select.png", dir);
    CHECK(!run_exists(path), "fig-select.png written without a select stage");
    char *res[] = {(char *)run_ocd_bin(), "results", dir, NULL};
    CHECK(run_capture(res, big, sizeof big) == 5, "ocd results of a session without eval: '%.300s'", big);
}
