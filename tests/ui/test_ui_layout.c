/* The workbench layout (src/ui/layout.h): over every size from 1x1 to 200x300, with and
 * without zoom and NeRF, panes never overlap, stay in the body, tile it, are at least
 * LAYOUT_MIN_PANE_H x LAYOUT_MIN_PANE_W, and bigger screens never show fewer panes; plus
 * the exact rectangles at a few common sizes. */
#include "harness.h"

#include "layout.h"

#include <string.h>

enum { SWEEP_ROWS = 200, SWEEP_COLS = 300, MAX_REPORTED = 10 };

static int rect_equal(Rect a, Rect b) { return a.y == b.y && a.x == b.x && a.h == b.h && a.w == b.w; }
static int rect_empty(Rect a) { return a.h == 0 && a.w == 0 && a.y == 0 && a.x == 0; }
static int rects_overlap(Rect a, Rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
static int rect_inside(Rect a, Rect outer)
{
    return a.y >= outer.y && a.x >= outer.x && a.y + a.h <= outer.y + outer.h && a.x + a.w <= outer.x + outer.w;
}

static int visible_count(const Layout *l)
{
    int n = 0;
    for (int p = 0; p < PANE_COUNT; p++)
        n += l->visible[p];
    return n;
}

/* Every property of one layout; returns the number of failed checks (reported with the size). */
static int check_layout(int rows, int cols, int zoom, int nerf)
{
    const int before = harness_failures();
    const Layout l = layout_compute(rows, cols, zoom, nerf);
    const int small = rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS;
#define CHECK_AT(cond, what) CHECK(cond, "%dx%d zoom %d nerf %d: %s", rows, cols, zoom, nerf, what)
    CHECK_AT(l.too_small == small, "too_small is set exactly below the minimum size");
    if (small) {
        CHECK_AT(visible_count(&l) == 0, "a too-small screen shows no pane");
        CHECK_AT(rect_empty(l.header) && rect_empty(l.keybar) && rect_empty(l.cmdline), "and no bars");
        return harness_failures() - before;
    }
    const Rect screen = {0, 0, rows, cols}, body = {1, 0, rows - 3, cols};
    CHECK_AT(rect_equal(l.header, (Rect){0, 0, 1, cols}), "the header is row 0");
    CHECK_AT(rect_equal(l.keybar, (Rect){rows - 1, 0, 1, cols}), "the key bar is the last row");
    CHECK_AT(rect_equal(l.cmdline, (Rect){rows - 2, 0, 1, cols}), "the command line is above the key bar");
    long area = 0;
    for (int p = 0; p < PANE_COUNT; p++) {
        if (!l.visible[p]) {
            CHECK_AT(rect_empty(l.pane[p]), "a hidden pane has an empty rect");
            continue;
        }
        const Rect a = l.pane[p];
        CHECK_AT(rect_inside(a, screen) && rect_inside(a, body), "a pane lies inside the body");
        CHECK_AT(a.h >= LAYOUT_MIN_PANE_H && a.w >= LAYOUT_MIN_PANE_W, "a pane is at least 4x12");
        for (int q = p + 1; q < PANE_COUNT; q++)
            if (l.visible[q]) CHECK_AT(!rects_overlap(a, l.pane[q]), "two panes overlap");
        area += (long)a.h * a.w;
    }
    /* inside the body and not overlapping, so equal area means the panes tile it */
    CHECK_AT(area == (long)body.h * body.w, "the panes cover the whole body");
    CHECK_AT(nerf || !l.visible[PANE_VIEWS], "the views pane is hidden without nerf");
    const int zoomed = zoom >= 0 && zoom < PANE_COUNT && !(zoom == PANE_VIEWS && !nerf);
    if (zoomed) {
        CHECK_AT(visible_count(&l) == 1 && l.visible[zoom], "a zoomed pane is shown alone");
        CHECK_AT(rect_equal(l.pane[zoom], body), "a zoomed pane takes the whole body");
    } else {
        CHECK_AT(l.visible[PANE_LOG] && l.visible[PANE_COMPARE], "the log and the comparison always stay");
        if (cols >= 80) CHECK_AT(visible_count(&l) == 6 + nerf, "80 columns or more show every pane");
    }
#undef CHECK_AT
    return harness_failures() - before;
}

TEST(every_size_zoom_and_nerf_gives_a_valid_layout)
{
    int reported = 0;
    for (int rows = 1; rows <= SWEEP_ROWS && reported < MAX_REPORTED; rows++)
        for (int cols = 1; cols <= SWEEP_COLS && reported < MAX_REPORTED; cols++)
            for (int zoom = -1; zoom < PANE_COUNT; zoom++)
                for (int nerf = 0; nerf <= 1; nerf++)
                    reported += check_layout(rows, cols, zoom, nerf) > 0;
}

TEST(a_bigger_screen_never_shows_fewer_panes)
{
    int reported = 0;
    for (int nerf = 0; nerf <= 1; nerf++)
        for (int rows = LAYOUT_MIN_ROWS; rows <= SWEEP_ROWS && reported < MAX_REPORTED; rows++)
            for (int cols = LAYOUT_MIN_COLS; cols <= SWEEP_COLS && reported < MAX_REPORTED; cols++) {
                const Layout l = layout_compute(rows, cols, -1, nerf);
                const int n = visible_count(&l);
                if (rows > LAYOUT_MIN_ROWS) {
                    const Layout shorter = layout_compute(rows - 1, cols, -1, nerf);
                    if (visible_count(&shorter) > n) {
                        CHECK(0, "%dx%d nerf %d: %d panes, one row fewer shows %d", rows, cols, nerf, n,
                              visible_count(&shorter));
                        reported++;
                    }
                }
                if (cols > LAYOUT_MIN_COLS) {
                    const Layout narrower = layout_compute(rows, cols - 1, -1, nerf);
                    if (visible_count(&narrower) > n) {
                        CHECK(0, "%dx%d nerf %d: %d panes, one column fewer shows %d", rows, cols, nerf, n,
                              visible_count(&narrower));
                        reported++;
                    }
                }
            }
}

TEST(zooming_a_pane_the_narrow_layout_hides_shows_it)
{
    const Layout l = layout_compute(LAYOUT_MIN_ROWS, LAYOUT_MIN_COLS, -1, 0);
    CHECK(!l.visible[PANE_DENOISE], "the smallest screen has no room for the denoiser pane");
    const Layout z = layout_compute(LAYOUT_MIN_ROWS, LAYOUT_MIN_COLS, PANE_DENOISE, 0);
    CHECK(z.visible[PANE_DENOISE] &&
              rect_equal(z.pane[PANE_DENOISE], (Rect){1, 0, LAYOUT_MIN_ROWS - 3, LAYOUT_MIN_COLS}),
          "zoomed, it takes the body");
}

TEST(zooming_the_views_pane_without_nerf_is_ignored)
{
    const Layout a = layout_compute(40, 120, PANE_VIEWS, 0), b = layout_compute(40, 120, -1, 0);
    CHECK(memcmp(&a, &b, sizeof a) == 0, "zoom on a pane that does not exist gives the normal layout");
    const Layout c = layout_compute(40, 120, 99, 1), d = layout_compute(40, 120, -1, 1);
    CHECK(memcmp(&c, &d, sizeof c) == 0, "a zoom value that is no pane is ignored");
}

static void check_rects(const char *size, const Layout *l, const Rect *want, const int *visible)
{
    for (int p = 0; p < PANE_COUNT; p++) {
        CHECK(l->visible[p] == visible[p], "%s: %s visible %d, want %d", size, layout_pane_name(p), l->visible[p],
              visible[p]);
        const Rect a = l->pane[p], b = want[p];
        CHECK(rect_equal(a, b), "%s: %s at {%d,%d,%d,%d}, want {%d,%d,%d,%d}", size, layout_pane_name(p), a.y, a.x, a.h,
              a.w, b.y, b.x, b.h, b.w);
    }
}

TEST(an_80x24_screen_has_two_columns_over_the_log)
{
    const Layout l = layout_compute(24, 80, -1, 0);
    CHECK(rect_equal(l.header, (Rect){0, 0, 1, 80}) && rect_equal(l.cmdline, (Rect){22, 0, 1, 80}) &&
              rect_equal(l.keybar, (Rect){23, 0, 1, 80}),
          "80x24 bars");
    /* body rows 1..21: log 21/5 -> 4 rows at 18; 17 rows of panes split 6, 6, 5 */
    const Rect want[PANE_COUNT] = {{1, 0, 6, 40},  {1, 40, 6, 40}, {7, 0, 6, 40}, {7, 40, 6, 40},
                                   {13, 0, 5, 80}, {0, 0, 0, 0},   {18, 0, 4, 80}};
    const int vis[PANE_COUNT] = {1, 1, 1, 1, 1, 0, 1};
    check_rects("80x24", &l, want, vis);

    const Layout n = layout_compute(24, 80, -1, 1);
    const Rect want_n[PANE_COUNT] = {{1, 0, 6, 40},  {1, 40, 6, 40},  {7, 0, 6, 40}, {7, 40, 6, 40},
                                     {13, 0, 5, 40}, {13, 40, 5, 40}, {18, 0, 4, 80}};
    const int vis_n[PANE_COUNT] = {1, 1, 1, 1, 1, 1, 1};
    check_rects("80x24 nerf", &n, want_n, vis_n);
}

TEST(a_120x40_screen_has_three_columns)
{
    const Layout l = layout_compute(40, 120, -1, 0);
    CHECK(rect_equal(l.cmdline, (Rect){38, 0, 1, 120}) && rect_equal(l.keybar, (Rect){39, 0, 1, 120}), "120x40 bars");
    /* body rows 1..37: log 37/5 -> 7 rows at 31; two rows of 15; the second row in halves */
    const Rect want[PANE_COUNT] = {{1, 0, 15, 40},   {1, 40, 15, 40}, {1, 80, 15, 40}, {16, 0, 15, 60},
                                   {16, 60, 15, 60}, {0, 0, 0, 0},    {31, 0, 7, 120}};
    const int vis[PANE_COUNT] = {1, 1, 1, 1, 1, 0, 1};
    check_rects("120x40", &l, want, vis);
}

TEST(a_200x60_screen_with_nerf_shows_every_pane)
{
    const Layout l = layout_compute(60, 200, -1, 1);
    /* body rows 1..57: log 57/5 = 11, capped at 10, at 48; rows of 24 and 23; 200 = 67+67+66 */
    const Rect want[PANE_COUNT] = {{1, 0, 24, 67},   {1, 67, 24, 67},   {1, 134, 24, 66}, {25, 0, 23, 67},
                                   {25, 67, 23, 67}, {25, 134, 23, 66}, {48, 0, 10, 200}};
    const int vis[PANE_COUNT] = {1, 1, 1, 1, 1, 1, 1};
    check_rects("200x60", &l, want, vis);
}

TEST(a_70x24_screen_stacks_loss_compare_and_log)
{
    const Layout l = layout_compute(24, 70, -1, 1);
    /* 21 body rows fit 3 panes of 7: compare and log, then loss, in pane order */
    const Rect want[PANE_COUNT] = {{0, 0, 0, 0}, {1, 0, 7, 70}, {0, 0, 0, 0},  {8, 0, 7, 70},
                                   {0, 0, 0, 0}, {0, 0, 0, 0},  {15, 0, 7, 70}};
    const int vis[PANE_COUNT] = {0, 1, 0, 1, 0, 0, 1};
    check_rects("70x24", &l, want, vis);
}

TEST(the_minimum_size_is_usable_and_one_less_is_too_small)
{
    CHECK(!layout_compute(LAYOUT_MIN_ROWS, LAYOUT_MIN_COLS, -1, 0).too_small, "20x60 is enough");
    CHECK(layout_compute(LAYOUT_MIN_ROWS - 1, LAYOUT_MIN_COLS, -1, 0).too_small, "19 rows are too few");
    CHECK(layout_compute(LAYOUT_MIN_ROWS, LAYOUT_MIN_COLS - 1, -1, 0).too_small, "59 columns are too few");
    CHECK(layout_compute(0, 0, -1, 0).too_small && layout_compute(-5, 100, 2, 1).too_small, "nonsense sizes");
}
