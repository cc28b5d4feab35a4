/* The report's pure parts: the libpng writer (round trips, cairo's premultiplied pixels, an
 * unwritable path), the tick chooser against fixed reference values, the paper's numbers
 * file, and the figures that need no probe drawn from a hand-made session view: each has the
 * size asked for and its series' colours inside its plot area. */
#include "harness.h"
#include "png_check.h"

#include "chart.h"
#include "figures.h"
#include "paper.h"
#include "png_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[64];

static const char *tmp_path(const char *name)
{
    static char buf[256];
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "/tmp/ocd-report-unit-XXXXXX");
        if (!mkdtemp(g_dir)) harness_skip("mkdtemp failed");
    }
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

TEST(png_write_round_trips_rgba_and_rgb)
{
    enum { W = 37, H = 23 };
    for (int ch = 3; ch <= 4; ch++) {
        uint8_t px[W * H * 4];
        for (int i = 0; i < W * H * ch; i++)
            px[i] = (uint8_t)(i * 7 + i / 5);
        const char *path = tmp_path(ch == 3 ? "rgb.png" : "rgba.png");
        Status st;
        status_clear(&st);
        CHECK(png_write_rgb8(path, px, W, H, ch, &st) == 0, "png_write_rgb8: %s", st.msg);
        int w = 0, h = 0;
        char err[300];
        unsigned char *back = png_check_read(path, &w, &h, err, sizeof err);
        CHECK(back != NULL, "%s", err);
        if (!back) continue;
        CHECK(w == W && h == H, "read back %dx%d, wrote %dx%d", w, h, W, H);
        int differ = 0;
        for (int i = 0; i < W * H; i++)
            for (int k = 0; k < 4; k++) {
                const int want = k < ch ? px[i * ch + k] : 255;
                differ += back[i * 4 + k] != want;
            }
        CHECK(differ == 0, "%d of %d channel values differ after the round trip (%d channels)", differ, W * H * 4, ch);
        free(back);
        CHECK(access(tmp_path(ch == 3 ? "rgb.png.tmp" : "rgba.png.tmp"), F_OK) != 0, "the .tmp file was left behind");
    }
}

TEST(png_write_unpremultiplies_cairo_pixels_and_drops_alpha_when_opaque)
{
    /* ARGB32 as native uint32: a half-transparent pixel premultiplied (a 128, r 64 -> 128) */
    uint32_t px[2 * 2] = {0xff102030u, 0x80400000u, 0xff000000u, 0x00000000u};
    Status st;
    status_clear(&st);
    const char *path = tmp_path("argb.png");
    CHECK(png_write_argb32(path, (const unsigned char *)px, 2, 2, 8, &st) == 0, "%s", st.msg);
    int w, h;
    char err[300];
    unsigned char *back = png_check_read(path, &w, &h, err, sizeof err);
    CHECK(back != NULL, "%s", err);
    if (back) {
        CHECK(back[0] == 0x10 && back[1] == 0x20 && back[2] == 0x30 && back[3] == 0xff, "opaque pixel %d,%d,%d,%d",
              back[0], back[1], back[2], back[3]);
        CHECK(back[4] == 128 && back[5] == 0 && back[6] == 0 && back[7] == 128, "half pixel %d,%d,%d,%d", back[4],
              back[5], back[6], back[7]);
        CHECK(back[15] == 0, "transparent pixel alpha %d", back[15]);
        free(back);
    }
    /* opaque everywhere: an RGB file */
    const uint32_t opaque[4] = {0xff0000ffu, 0xff00ff00u, 0xffff0000u, 0xffffffffu};
    path = tmp_path("opaque.png");
    CHECK(png_write_argb32(path, (const unsigned char *)opaque, 2, 2, 8, &st) == 0, "%s", st.msg);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    CHECK(png_image_begin_read_from_file(&img, path), "%s", img.message);
    CHECK(!(img.format & PNG_FORMAT_FLAG_ALPHA), "an opaque figure was written with an alpha channel");
    png_image_free(&img);
}

TEST(png_write_names_the_path_it_cannot_write)
{
    uint8_t px[4 * 4 * 3] = {0};
    Status st;
    status_clear(&st);
    const char *path = "/nonexistent-folder-ocd/fig.png";
    CHECK(png_write_rgb8(path, px, 4, 4, 3, &st) != 0 && st.code == ERR_IO, "no ERR_IO (%d)", st.code);
    CHECK(strstr(st.msg, "/nonexistent-folder-ocd/fig.png") != NULL, "message does not name the path: %s", st.msg);
    status_clear(&st);
    CHECK(png_write_rgb8(tmp_path("bad.png"), px, 0, 4, 3, &st) != 0 && st.code == ERR_CONFIG, "a 0-wide image");
}

/* the ticks must be exactly these (they are multiples of the step, computed as k * step) */
static void check_ticks(double lo, double hi, int target, const double *want, int n, double want_step)
{
    double t[CHART_MAX_TICKS], step = 0;
    const int got = chart_nice_ticks(lo, hi, target, t, CHART_MAX_TICKS, &step);
    CHECK(got == n, "[%g, %g] target %d: %d ticks, want %d", lo, hi, target, got, n);
    CHECK_CLOSE(step, want_step, 0, 1e-12, "step");
    for (int i = 0; i < got && i < n; i++)
        CHECK_CLOSE(t[i], want[i], 1e-15, 1e-12, "tick");
}

TEST(nice_ticks_are_the_reference_values)
{
    check_ticks(0, 1, 5, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6, 0.2);
    check_ticks(0, 0.037, 5, (double[]){0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035}, 8, 0.005);
    check_ticks(-13.2, -11.8, 5, (double[]){-13.2, -13.0, -12.8, -12.6, -12.4, -12.2, -12.0, -11.8}, 8, 0.2);
    check_ticks(97.5, 100, 4, (double[]){97.5, 98.0, 98.5, 99.0, 99.5, 100.0}, 6, 0.5);
    check_ticks(10, 2500, 5, (double[]){500, 1000, 1500, 2000, 2500}, 5, 500);
    check_ticks(3, 3, 5, (double[]){3}, 1, 1); /* an empty range: its one value */
    double lo = 0.0012, hi = 0.0371;
    chart_nice_range(&lo, &hi, 5);
    CHECK(lo == 0 && fabs(hi - 0.04) < 1e-15, "nice range of [0.0012, 0.0371]: [%g, %g], want [0, 0.04]", lo, hi);
    lo = 2, hi = 2;
    chart_nice_range(&lo, &hi, 5);
    CHECK(lo < 2 && hi > 2, "an empty range is widened: [%g, %g]", lo, hi);
}

TEST(log_ticks_are_decades_with_2_and_5_on_short_ranges)
{
    double t[CHART_MAX_TICKS];
    int n = chart_log_ticks(0.001, 0.02, t, CHART_MAX_TICKS);
    const double want[] = {0.001, 0.002, 0.005, 0.01, 0.02};
    CHECK(n == 5, "[0.001, 0.02]: %d ticks", n);
    for (int i = 0; i < n && i < 5; i++)
        CHECK_CLOSE(t[i], want[i], 0, 1e-12, "log tick");
    n = chart_log_ticks(1e-8, 1e-3, t, CHART_MAX_TICKS);
    CHECK(n == 6, "[1e-8, 1e-3]: %d ticks (powers of ten only)", n);
    for (int i = 0; i < n; i++)
        CHECK_CLOSE(t[i], pow(10, -8 + i), 0, 1e-12, "decade");
    n = chart_log_ticks(0.02, 0.05, t, CHART_MAX_TICKS);
    CHECK(n == 4 && fabs(t[0] - 0.02) < 1e-15 && fabs(t[3] - 0.05) < 1e-15, "inside one decade: %d ticks", n);
}

TEST(tick_labels_have_the_digits_the_step_needs)
{
    char b[32];
    chart_tick_label(0.05, 0.05, 0, b, sizeof b);
    CHECK(!strcmp(b, "0.05"), "'%s'", b);
    chart_tick_label(0.3, 0.1, 0, b, sizeof b);
    CHECK(!strcmp(b, "0.3"), "'%s'", b);
    chart_tick_label(1500, 500, 0, b, sizeof b);
    CHECK(!strcmp(b, "1500"), "'%s'", b);
    chart_tick_label(-12.2, 0.2, 0, b, sizeof b);
    CHECK(!strcmp(b, "-12.2"), "'%s'", b);
    chart_tick_label(0, 0.2, 0, b, sizeof b);
    CHECK(!strcmp(b, "0"), "'%s'", b);
    chart_tick_label(1e-5, 0, 1, b, sizeof b);
    CHECK(!strcmp(b, "1e-05"), "'%s'", b);
    chart_tick_label(0.002, 0, 1, b, sizeof b);
    CHECK(!strcmp(b, "0.002"), "'%s'", b);
}

TEST(paper_numbers_of_the_cpu_presets_are_read_with_their_sources)
{
    const char *path = OCD_SOURCE_DIR "/assets/paper_numbers.ini";
    PaperNumbers p;
    Status st;
    status_clear(&st);
    CHECK(paper_load(path, "mnist-lenet5", &p, &st) == 1, "mnist-lenet5: %s", st.msg);
    const PaperRow *r = paper_row(&p, "ocd");
    CHECK(r && paper_metric(r, "ce") >= 0 && paper_metric(r, "accuracy") >= 0, "no OCD ce/accuracy row");
    if (r) {
        CHECK_CLOSE(r->mean[paper_metric(r, "ce")], 0.010, 1e-12, 0, "paper OCD CE");
        CHECK_CLOSE(r->mean[paper_metric(r, "accuracy")], 0.997, 1e-12, 0, "paper OCD accuracy (a fraction)");
        CHECK_CLOSE(r->sd[paper_metric(r, "accuracy")], 0.001, 1e-12, 0, "paper OCD accuracy SD");
    }
    CHECK(strstr(p.source, "Tab. 2") && p.ndeviations >= 3, "source '%s', %d deviations", p.source, p.ndeviations);
    CHECK(paper_load(path, "california-mlp", &p, &st) == 1 && paper_row(&p, "base") &&
              paper_metric(paper_row(&p, "base"), "rmse") == 0,
          "california-mlp: base rmse");
    CHECK(paper_load(path, "nerf-lego-paper", &p, &st) == 1 && paper_row(&p, "ocd") &&
              fabs(paper_row(&p, "ocd")->mean[0] - 0.052) < 1e-12 && strstr(p.experiment, "paper's U-Net"),
          "nerf-lego-paper follows `numbers = nerf-lego`");
    CHECK(paper_load(path, "synthetic-mlp", &p, &st) == 0 && p.nrows == 0, "synthetic-mlp has no paper numbers");
}

TEST(a_bad_paper_numbers_line_is_named)
{
    const char *path = tmp_path("paper.ini");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fprintf(f, "[x]\nexperiment = e\n\n[x/base]\nce = about 0.08\n");
    fclose(f);
    PaperNumbers p;
    Status st;
    status_clear(&st);
    CHECK(paper_load(path, "x", &p, &st) == -1 && st.code == ERR_FORMAT, "no ERR_FORMAT");
    CHECK(strstr(st.msg, "paper.ini") && strstr(st.msg, "about 0.08") && strstr(st.msg, "line 5"), "message: %s",
          st.msg);
}

/* ---- figures from a hand-made view ---- */
static void fake_curve(SvCurve *c, int n, double x0, double dx, double y0, double decay, double noise, const char *what)
{
    c->n = n;
    c->x = malloc(sizeof(double) * (size_t)n);
    c->y = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        c->x[i] = x0 + dx * i;
        c->y[i] = y0 * exp(-decay * i) * (1 + noise * sin(i * 12.9898));
    }
    snprintf(c->what, sizeof c->what, "%s", what);
}

static SessView *fake_view(void)
{
    SessView *v = calloc(1, sizeof *v);
    config_init(&v->cfg);
    snprintf(v->dir, sizeof v->dir, "/tmp/fake-session");
    snprintf(v->preset, sizeof v->preset, "fake");
    snprintf(v->task, sizeof v->task, "classification");
    static const char *stages[] = {"base", "select", "overfit", "diffusion", "scale", "alt", "eval"};
    v->nstages = 7;
    for (int i = 0; i < 7; i++) {
        snprintf(v->stage[i], sizeof v->stage[i], "%s", stages[i]);
        v->complete[i] = 1;
        v->wall[i] = i + 1;
    }
    static const char *layers[] = {"conv1", "conv3", "fc1", "fc2"};
    static const double score[] = {-12.3, -12.9, -13.1, -11.9};
    v->nlayers = 4;
    for (int i = 0; i < 4; i++) {
        snprintf(v->layer[i], sizeof v->layer[i], "%s", layers[i]);
        v->score[i] = score[i];
        v->eligible[i] = i > 0;
    }
    v->chosen = 2;
    v->runner_up = 3;
    snprintf(v->overfit_layer, sizeof v->overfit_layer, "fc1");
    snprintf(v->alt_layer, sizeof v->alt_layer, "fc2");
    fake_curve(&v->base_train_loss, 8, 1, 1, 0.3, 0.4, 0, "train loss per epoch");
    fake_curve(&v->base_test_loss, 8, 1, 1, 0.1, 0.2, 0, "test loss per epoch");
    fake_curve(&v->base_test_acc, 8, 1, 1, 0.97, -0.002, 0, "test accuracy per epoch");
    fake_curve(&v->diffusion_loss, 600, 10, 10, 0.9, 0.004, 0.3, "diffusion loss per step");
    fake_curve(&v->scale_loss, 50, 1, 1, 0.02, 0.05, 0.1, "scale loss per point");
    snprintf(v->metrics[0], sizeof v->metrics[0], "ce");
    snprintf(v->metrics[1], sizeof v->metrics[1], "accuracy");
    static const char *keys[] = {"base", "ocd", "ocd_noscale", "overfit_test", "tent_1"};
    static const char *labels[] = {"base", "OCD (fc1)", "OCD no-scale", "overfit on test (fc1)", "Tent, 1 iteration"};
    v->nrows = 5;
    for (int i = 0; i < 5; i++) {
        SvRow *r = &v->rows[i];
        snprintf(r->key, sizeof r->key, "%s", keys[i]);
        snprintf(r->label, sizeof r->label, "%s", labels[i]);
        r->mean[0] = 0.036 - 0.004 * i;
        r->sd[0] = 0.0005 * (i % 2);
        r->mean[1] = 0.984 + 0.002 * i;
        r->sd[1] = 0.001 * (i % 2);
        r->n = 3;
    }
    v->test_samples = 500;
    v->repeats = 3;
    return v;
}

/* every series in a colour other than the ink's has pixels of that colour in its plot area
 * (the legend's box left out, so a legend swatch alone does not count) */
static void check_figure_pixels(const char *what, const char *path, const FigureInfo *info)
{
    int w = 0, h = 0;
    char err[300];
    unsigned char *px = png_check_read(path, &w, &h, err, sizeof err);
    CHECK(px != NULL, "%s: %s", what, err);
    if (!px) return;
    CHECK(w == info->width && h == info->height, "%s: the PNG is %dx%d, the figure says %dx%d", what, w, h, info->width,
          info->height);
    for (int p = 0; p < info->npanels; p++) {
        const Axes *a = &info->panel[p];
        CHECK(a->px >= 0 && a->py >= 0 && a->px + a->pw <= w + 1 && a->py + a->ph <= h + 1 && a->pw > 20 && a->ph > 20,
              "%s: panel %d's plot area (%g,%g %gx%g) is not inside the %dx%d figure", what, p, a->px, a->py, a->pw,
              a->ph, w, h);
        CHECK(a->nseries > 0, "%s: panel %d has no series", what, p);
        for (int s = 0; s < a->nseries; s++) {
            if (a->series[s].colour == CHART_INK) continue;
            const long n = png_check_count(px, w, h, (PngRect){a->px, a->py, a->pw, a->ph},
                                           (PngRect){a->lx, a->ly, a->lw, a->lh}, a->series[s].colour, 12);
            CHECK(n >= 20, "%s: panel %d: series '%s' (#%06x) has %ld pixels in the plot area", what, p,
                  a->series[s].name, (unsigned)a->series[s].colour, n);
        }
    }
    free(px);
}

TEST(figures_have_the_asked_size_and_their_series_inside_the_plot)
{
    SessView *v = fake_view();
    const FigureKind kinds[] = {FIG_SELECT, FIG_CURVES, FIG_COMPARE};
    for (int i = 0; i < 3; i++)
        for (int sized = 0; sized < 2; sized++) {
            char name[64];
            snprintf(name, sizeof name, "fig-%s-%d.png", figure_name(kinds[i]), sized);
            const char *path = tmp_path(name);
            FigureInfo info;
            Status st;
            status_clear(&st);
            const int W = sized ? 1000 : 0, H = sized ? 700 : 0;
            CHECK(figure_render(kinds[i], v, NULL, -1, 0, path, W, H, &info, &st) == 0, "%s: %s", name, st.msg);
            if (!status_ok(&st)) continue;
            if (sized)
                CHECK(info.width == W && info.height == H, "%s: %dx%d, asked %dx%d", name, info.width, info.height, W,
                      H);
            CHECK(strlen(info.caption) > 20, "%s: caption '%s'", name, info.caption);
            check_figure_pixels(name, path, &info);
        }
    sessview_free(v);
    free(v);
}

TEST(figures_that_need_a_probe_or_a_stage_say_so)
{
    SessView *v = fake_view();
    const FigureKind need[] = {FIG_RHO, FIG_TRAJECTORY};
    for (int i = 0; i < 2; i++) {
        Status st;
        status_clear(&st);
        const char *path = tmp_path("no-probe.png");
        CHECK(figure_write(need[i], v, NULL, -1, path, 0, 0, &st) != 0 && st.code == ERR_STATE, "%s: no ERR_STATE",
              figure_name(need[i]));
        CHECK(strstr(st.msg, "probe") != NULL, "%s: %s", figure_name(need[i]), st.msg);
        CHECK(access(path, F_OK) != 0, "%s: a file was written", figure_name(need[i]));
    }
    Status st;
    status_clear(&st);
    CHECK(figure_write(FIG_VIEWS, v, NULL, -1, tmp_path("views.png"), 0, 0, &st) != 0 && st.code == ERR_STATE &&
              strstr(st.msg, "NeRF"),
          "views of a classification session: %s", st.msg);
    v->nlayers = 0; /* as if select were not complete */
    status_clear(&st);
    CHECK(figure_write(FIG_SELECT, v, NULL, -1, tmp_path("select.png"), 0, 0, &st) != 0 && st.code == ERR_STATE &&
              strstr(st.msg, "select stage"),
          "select without scores: %s", st.msg);
    v->nlayers = 4;
    status_clear(&st);
    CHECK(figure_write(FIG_SELECT, v, NULL, -1, tmp_path("select.png"), 10, 10, &st) != 0 && st.code == ERR_CONFIG,
          "a 10x10 figure: %s", st.msg);
    sessview_free(v);
    free(v);
}

/* leaves nothing behind in /tmp, nor font caches for the leak checker */
__attribute__((destructor)) static void remove_tmp(void)
{
    chart_release_fonts();
    if (!g_dir[0]) return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
}
