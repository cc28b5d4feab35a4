/* Figure "views" (NeRF): test views rendered whole through the probe, one row per view,
 * columns truth | base | OCD | overfit on test, each at the dataset's resolution (pixel for
 * pixel at the default size; scaled, nearest-neighbour, when a size is asked for), with each
 * render's MSE against the truth under it. */
#include "fig_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VIEW_COLS = 4, VIEW_MAX_ROWS = 8 };
static const char *col_name[VIEW_COLS] = {"truth", "base", "OCD", "overfit on test"};
static const ProbeView col_view[VIEW_COLS] = {PROBE_TRUTH, PROBE_BASE, PROBE_OCD, PROBE_OVERFIT};

/* layout at scale 1, pixels: outer pad, gap between images, header, per-row text lines */
enum { PAD = 12, GAP = 8, HEAD = 26, ROW_LABEL = 18, ROW_MSE = 18, ROW_GAP = 6 };

static int pick_views(const FigCtx *f, int *views)
{
    if (f->arg >= 0) {
        views[0] = f->arg;
        return 1;
    }
    const int n = f->probe ? probe_test_count(f->probe) : 0;
    int want = f->nsamples > 0 ? f->nsamples : 3;
    if (want > VIEW_MAX_ROWS) want = VIEW_MAX_ROWS;
    if (want > n) want = n;
    /* spread over the test views: the first, the last, evenly between */
    for (int i = 0; i < want; i++)
        views[i] = want > 1 ? (int)((int64_t)i * (n - 1) / (want - 1)) : 0;
    return want;
}

void fig_views_size(const FigCtx *f, int *w, int *h)
{
    int H = 100, W = 100, views[VIEW_MAX_ROWS];
    if (f->probe) probe_view_size(f->probe, &H, &W);
    const int rows = pick_views(f, views);
    *w = 2 * PAD + VIEW_COLS * W + (VIEW_COLS - 1) * GAP;
    *h = HEAD + (rows > 0 ? rows : 1) * (ROW_LABEL + H + ROW_MSE + ROW_GAP) + PAD;
    if (*w < 300) *w = 300;
}

static double mse(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / (double)n;
}

int fig_views_draw(Chart *c, const FigCtx *f, Status *st)
{
    int H = 0, W = 0, views[VIEW_MAX_ROWS];
    if (probe_view_size(f->probe, &H, &W))
        return status_fail(st, ERR_STATE, "figure views: %s is not a NeRF session", f->v->dir);
    const int rows = pick_views(f, views), ntest = probe_test_count(f->probe);
    for (int r = 0; r < rows; r++)
        if (views[r] < 0 || views[r] >= ntest)
            return status_fail(st, ERR_CONFIG, "figure views: test view %d: the session has views 0..%d", views[r],
                               ntest - 1);
    const double s = c->scale;
    /* the images take what the text and gaps leave */
    const double zx = (c->width - (2 * PAD + (VIEW_COLS - 1) * GAP) * s) / (VIEW_COLS * W);
    const double zy = (c->height - (HEAD + PAD + rows * (ROW_LABEL + ROW_MSE + ROW_GAP)) * s) / (rows * H);
    const double zoom = fmax(0.05, fmin(zx, zy));
    const double iw = W * zoom, ih = H * zoom, gap = GAP * s;
    const double x0 = (c->width - (VIEW_COLS * iw + (VIEW_COLS - 1) * gap)) / 2;
    const int64_t nf = (int64_t)H * W * 3;
    float *img[VIEW_COLS];
    for (int k = 0; k < VIEW_COLS; k++)
        img[k] = malloc(sizeof(float) * (size_t)nf);
    int rc = 0;
    for (int k = 0; k < VIEW_COLS; k++)
        if (!img[k]) rc = status_fail(st, ERR_IO, "figure views: out of memory");
    for (int k = 0; k < VIEW_COLS && rc == 0; k++)
        chart_text(c, x0 + k * (iw + gap) + iw / 2, HEAD * s / 2, col_name[k], 12, 0.5, 0.5, 0, CHART_INK, 1);
    const char *layer = f->v->overfit_layer;
    double y = HEAD * s;
    for (int r = 0; r < rows && rc == 0; r++) {
        char label[96];
        snprintf(label, sizeof label, "test view %d", views[r]);
        chart_text(c, x0, y + ROW_LABEL * s / 2, label, 11, 0, 0.5, 0, CHART_INK, 0);
        y += ROW_LABEL * s;
        for (int k = 0; k < VIEW_COLS && rc == 0; k++) {
            rc = probe_render(f->probe, views[r], col_view[k], img[k], st);
            if (rc) break;
            const double x = x0 + k * (iw + gap);
            rc = chart_image(c, x, y, W, H, img[k], zoom, st);
            if (rc) break;
            Axes *a = chart_axes(c, x, y, iw, ih, NULL); /* records the image's box for the figure info */
            a->px = x;
            a->py = y;
            a->pw = iw;
            a->ph = ih;
            char m[64];
            if (k == 0)
                snprintf(m, sizeof m, "%dx%d", W, H);
            else
                snprintf(m, sizeof m, "MSE %.5f", mse(img[k], img[0], nf));
            chart_text(c, x + iw / 2, y + ih + ROW_MSE * s / 2, m, 11, 0.5, 0.5, 0, CHART_INK, 0);
        }
        y += ih + (ROW_MSE + ROW_GAP) * s;
    }
    for (int k = 0; k < VIEW_COLS; k++)
        free(img[k]);
    if (rc) return -1;
    char list[128] = "";
    for (int r = 0; r < rows; r++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", r ? ", " : "", views[r]);
    snprintf(f->caption, f->caption_len,
             "NeRF test view%s %s at %dx%d: the truth, the base model's render, OCD's (draw 0, layer %s) and the "
             "render after overfitting %s on the test view itself (the upper bound); MSE against the truth under each.",
             rows > 1 ? "s" : "", list, W, H, layer, layer);
    return 0;
}
