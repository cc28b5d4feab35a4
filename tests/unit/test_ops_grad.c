/* Every op's backward against central finite differences (tests/support/op_cases.c lists
 * the cases: small shapes, odd sizes, and a few sized to reach other CPU code paths).
 *
 * Tolerance: the loss sum(R * out) is summed in double from float32 outputs. Rounding of
 * each output (a few ulps, ~1e-7 relative) perturbs the loss by about sqrt(n_out) * 1e-7,
 * and dividing by the step 2h = 0.02 turns that into <= 5e-5 for our sizes; the truncation
 * error h^2/6 * f''' is <= 2e-5 relative for these O(1)-curvature ops. atol = 2e-4 and
 * rtol = 1e-2 keep a margin of ~4x over the first and ~500x over the second while still
 * catching a wrong term: the last test shows a 5% error in a gradient is caught in every
 * case. */
#include "gradcheck.h"
#include "harness.h"

#include <string.h>

static const GradTol TOL = {.h = 1e-2, .atol = 2e-4, .rtol = 1e-2, .max_elems = 120, .corrupt = 0.0};

/* Cases with many outputs: the loss sums n_out float32 values, whose rounding noise
 * (~sqrt(n_out) * 6e-8) divided by 2h exceeds atol at h = 0.01 when n_out ~ 65536. A larger
 * step brings the noise back down; these ops are smooth and each output depends on one
 * input through 1/(group size), so the truncation error h^2 f''' stays below 1e-6. */
static double step_for(const OpCase *oc, double h)
{
    static const struct {
        const char *name;
        double h;
    } wide[] = {{"group_norm_large", 0.1}, {"add_channel_bcast_large", 0.1}, {"sub_rows_large", 0.1}};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (strcmp(oc->name, wide[i].name) == 0) return wide[i].h;
    return h;
}

static int has_grad_input(const OpCase *oc)
{
    for (int k = 0; k < oc->nin; k++)
        if (oc->grad[k]) return 1;
    return 0;
}

static void check_all(int threads, uint64_t seed0, GradTol tol)
{
    Ctx *c = ctx_create(backend_cpu(), threads, 7);
    int checked = 0;
    for (int i = 0; i < OP_CASES_COUNT; i++) {
        const OpCase *oc = &OP_CASES[i];
        if (!has_grad_input(oc)) continue;
        char why[256];
        GradTol t = tol;
        t.h = step_for(oc, tol.h);
        int bad = gradcheck_case(c, oc, seed0 + (uint64_t)i, t, why, sizeof why);
        CHECK(bad == 0, "%s", why);
        checked++;
    }
    CHECK(checked >= 45, "only %d cases checked", checked);
    ctx_destroy(c);
}

TEST(every_op_backward_matches_finite_differences) { check_all(2, 1000, TOL); }

/* another draw of every input, and one thread (the other side of every parallel branch) */
TEST(backward_matches_for_another_draw_on_one_thread)
{
    GradTol t = TOL;
    t.max_elems = 40;
    check_all(1, 77777, t);
}

/* A check that cannot fail proves nothing: scale every analytic gradient by 1.05 and make
 * sure each case is flagged. */
TEST(gradcheck_flags_a_five_percent_error_in_every_case)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 7);
    GradTol t = TOL;
    t.corrupt = 0.05;
    t.max_elems = 40;
    for (int i = 0; i < OP_CASES_COUNT; i++) {
        const OpCase *oc = &OP_CASES[i];
        if (!has_grad_input(oc)) continue;
        char why[256];
        GradTol tc = t;
        tc.h = step_for(oc, t.h);
        CHECK(gradcheck_case(c, oc, 5 + (uint64_t)i, tc, why, sizeof why) > 0, "%s: a 5%% error went unnoticed",
              oc->name);
    }
    ctx_destroy(c);
}
