/* Figure "trajectory": the sampler's denoising of a few test samples (draw 0, the one the
 * eval stage's OCD row uses), step by step: the norm of the state Omega_t and of the step's
 * estimate of Omega_0 (left), and the sample's loss with W + rho * Omega_0-hat at each step
 * beside the base model's loss (right). */
#include "fig_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TRAJ_MAX = 6, TRAJ_DEFAULT = 3 };

void fig_trajectory_size(const FigCtx *f, int *w, int *h)
{
    (void)f;
    *w = 1300;
    *h = 470;
}

static int pick_samples(const FigCtx *f, int *idx)
{
    if (f->arg >= 0) {
        idx[0] = f->arg;
        return 1;
    }
    const int n = probe_test_count(f->probe), want = f->nsamples > 0 ? f->nsamples : TRAJ_DEFAULT;
    int k = 0;
    for (int i = 0; i < n && k < want && k < TRAJ_MAX; i++)
        idx[k++] = i;
    return k;
}

int fig_trajectory_draw(Chart *c, const FigCtx *f, Status *st)
{
    Probe *p = f->probe;
    if (probe_sample_steps(p) <= 0)
        return status_fail(st, ERR_STATE,
                           "figure trajectory: %s: the overfit, diffusion and scale stages are not complete",
                           f->v->dir);
    int idx[TRAJ_MAX];
    const int ns = pick_samples(f, idx);
    ProbeTrajectory tr[TRAJ_MAX];
    memset(tr, 0, sizeof tr);
    int rc = 0, got = 0;
    for (int i = 0; i < ns && rc == 0; i++, got++)
        rc = probe_trajectory(p, idx[i], 0, 0, 0, 0, &tr[i], st);
    if (rc) got--;
    if (rc || got == 0) {
        for (int i = 0; i < got; i++)
            probe_trajectory_free(&tr[i]);
        return rc ? -1 : status_fail(st, ERR_STATE, "figure trajectory: %s: no test samples", f->v->dir);
    }
    const int S = tr[0].steps;
    /* x: the step number; categories labelled with the model timestep the step used */
    char tl[64][16];
    const char *cats[64];
    double *xs = malloc(sizeof(double) * (size_t)S);
    if (!xs) rc = status_fail(st, ERR_IO, "figure trajectory: out of memory");
    for (int k = 0; k < S && xs; k++) {
        xs[k] = k;
        if (k < 64) {
            snprintf(tl[k], sizeof tl[k], "%d", tr[0].t[k]);
            cats[k] = tl[k];
        }
    }
    const int task = probe_task(p);
    const char *lossname = task == 0 ? "cross-entropy" : task == 1 ? "squared error (standardised)" : "MSE of the view";
    char names[TRAJ_MAX][96];
    for (int i = 0; i < got && rc == 0; i++) {
        const double target = probe_test_target(p, idx[i]);
        if (task == 0)
            snprintf(names[i], sizeof names[i], "test %d (label %d), ρ %.3g", idx[i], (int)target, tr[i].rho_pred);
        else if (task == 1)
            snprintf(names[i], sizeof names[i], "test %d (target %.3g), ρ %.3g", idx[i], target, tr[i].rho_pred);
        else
            snprintf(names[i], sizeof names[i], "test view %d, ρ %.3g", idx[i], tr[i].rho_pred);
    }
    const double pw = c->width * 0.5;
    for (int panel = 0; panel < 2 && rc == 0; panel++) {
        Axes *a = chart_axes(c, panel * pw, 0, pw, c->height,
                             panel == 0 ? "norm of the state Ω_t and of its estimate of Ω₀" : "the sample's loss");
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < got; i++) {
            if (panel == 0) {
                fig_range(tr[i].norm, S, &lo, &hi);
                fig_range(tr[i].x0norm, S, &lo, &hi);
            } else {
                fig_range(tr[i].loss, S, &lo, &hi);
                fig_range(&tr[i].loss_base, 1, &lo, &hi);
            }
        }
        a->x.lo = -0.5;
        a->x.hi = S - 0.5;
        if (S <= 64) {
            a->x.ncats = S;
            a->x.cats = cats;
        }
        a->x.label = "sampling step, labelled with its model timestep t (left to right)";
        a->y.label = panel == 0 ? "Frobenius norm" : lossname;
        fig_axis_fit(&a->y, lo, hi, 0.06, panel == 1);
        if (panel == 1) { /* make room for the legend on the right */
            for (int i = 0; i < got; i++)
                chart_add_series(a, names[i], chart_colour(i), 0, CHART_SOLID);
            chart_add_series(a, "base model's loss", CHART_INK, 0, CHART_DASHED);
            double lw, lh;
            chart_legend_size(c, a, &lw, &lh);
            a->bw -= lw + 10 * c->scale;
        } else {
            chart_add_series(a, "‖Ω_t‖ after the step", CHART_INK, 0, CHART_SOLID);
            chart_add_series(a, "‖Ω₀ estimate‖ of the step", CHART_INK, 0, CHART_DOTTED);
        }
        chart_axes_draw(c, a);
        for (int i = 0; i < got; i++) {
            const uint32_t col = chart_colour(i);
            if (panel == 0) {
                chart_line(c, a, S, xs, tr[i].norm, col, 2, CHART_SOLID, 1, NULL);
                chart_line(c, a, S, xs, tr[i].x0norm, col, 2, CHART_DOTTED, 1, NULL);
                chart_points(c, a, S, xs, tr[i].norm, col, 3.5);
            } else {
                chart_line(c, a, S, xs, tr[i].loss, col, 2, CHART_SOLID, 1, NULL);
                chart_points(c, a, S, xs, tr[i].loss, col, 3.5);
                chart_refline(c, a, 1, tr[i].loss_base, col, CHART_DASHED, NULL);
            }
        }
        for (int i = 0; i < got && panel == 0; i++)
            chart_add_hidden_series(a, names[i], chart_colour(i));
        chart_legend(c, a, panel == 0 ? -1 : 4);
    }
    char list[64] = "";
    for (int i = 0; i < got; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? ", " : "", idx[i]);
    snprintf(
        f->caption, f->caption_len,
        "Denoising trajectories of test sample%s %s (draw 0 of the sampler, %d steps): left, the norm of the state "
        "Ω_t after each step (solid) and of the step's estimate of Ω₀ (dotted); right, the %s with W + "
        "ρ·Ω₀-estimate at each step, the base model's dashed.",
        got > 1 ? "s" : "", list, S, lossname);
    free(xs);
    for (int i = 0; i < got; i++)
        probe_trajectory_free(&tr[i]);
    return rc;
}
