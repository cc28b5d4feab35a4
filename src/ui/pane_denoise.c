/* The denoising stepper and the NeRF views: panes that show what a probe computed.
 *
 * Denoise: one sample, one draw; step k = 0..S-1 of the sampler (t = T..0). The pane
 * shows Omega_t after the step as a heat map of the layer's weight matrix, its norm beside
 * ||x0-hat||, and what the model predicts with W + rho * x0-hat at that step: class
 * probabilities with the true label marked, or the regression value against the target, and
 * the sample's loss against the base model's. The sample is a test sample, or (key t) one of
 * the overfit collection's training samples that the generator was held out from or trained
 * on: those have a true Omega, shown beside Omega_t with the cosine of Omega_t and of x0-hat
 * with it at every step, so one sees whether the generator lands on its target. */
#include "app.h"
#include "bars.h"
#include "heatmap.h"
#include "image.h"
#include "plot.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void say(App *a, Rect r, const char *what)
{
    canvas_text_fit(a->cv, r.y + r.h / 2, r.x + 1, r.w - 2, what, (Style){-1, -1, ATTR_DIM});
}

static void draw_prediction(App *a, Rect r, const float *pred, int K, double target)
{
    if (K > 0) {
        double mx = pred[0], s = 0.0;
        for (int k = 1; k < K; k++) mx = fmax(mx, pred[k]);
        for (int k = 0; k < K; k++) s += exp(pred[k] - mx);
        Bar b[64];
        char lab[64][16];
        int best = 0;
        for (int k = 1; k < K; k++)
            if (pred[k] > pred[best]) best = k;
        for (int k = 0; k < K && k < 64; k++) {
            snprintf(lab[k], sizeof lab[k], "%s%d", k == (int)target ? "=" : " ", k);
            b[k] = (Bar){lab[k], exp(pred[k] - mx) / s, (int16_t)(k == (int)target ? 46 : k == best ? 196 : 75),
                         k == (int)target ? '*' : ' '};
        }
        bars_horizontal(a->cv, r, b, K < 64 ? K : 64, "%.3f");
    } else {
        canvas_textf(a->cv, r.y, r.x, r.w, STYLE_DEFAULT, "prediction %.4f (standardised)", pred[0]);
        if (isfinite(target)) canvas_textf(a->cv, r.y + 1, r.x, r.w, STYLE_DEFAULT, "target     %.4f (target units)", target);
    }
}

/* Omega_t of step k, and beside it the true Omega with the cosine over the steps below both
 * (a collected sample), or Omega_t alone (a test sample: no truth) */
static void draw_omega(App *a, Rect r, const ProbeTrajectory *t, int k)
{
    const HeatOpts ho = {.scale = 0.0, .downsample = 1};
    const float *om = t->omega + (int64_t)k * t->rows * t->cols;
    if (!t->truth || r.w < 20 || r.h < 6) {
        heatmap_draw(a->cv, r, om, t->rows, t->cols, &ho);
        return;
    }
    const int ph = r.h >= 16 ? r.h / 3 : 0; /* the cosine plot, when there is room */
    const int hw = (r.w - 1) / 2, hh = r.h - ph;
    const Style dim = {-1, -1, ATTR_DIM};
    canvas_text_fit(a->cv, r.y, r.x, hw, "Ω_t (sampled)", dim);
    canvas_text_fit(a->cv, r.y, r.x + hw + 1, r.w - hw - 1, "true Ω (overfit direction)", dim);
    heatmap_draw(a->cv, (Rect){r.y + 1, r.x, hh - 1, hw}, om, t->rows, t->cols, &ho);
    heatmap_draw(a->cv, (Rect){r.y + 1, r.x + hw + 1, hh - 1, r.w - hw - 1}, t->truth, t->rows, t->cols, &ho);
    if (!ph) return;
    double x[1024];
    const int S = t->steps < 1024 ? t->steps : 1024;
    for (int s = 0; s < S; s++) x[s] = s + 1;
    const PlotSeries ser[2] = {{x, t->cos_xt, S, 75, "cos(Ω_t, Ω)"}, {x, t->cos_x0, S, 46, "cos(x0-hat, Ω)"}};
    const PlotOpts po = {.xlabel = "step"};
    plot_lines(a->cv, (Rect){r.y + hh, r.x, ph, r.w}, ser, 2, &po);
}

void pane_draw_denoise(App *a, Rect r)
{
    if (!a->have_view || !sessview_stage_complete(&a->view, "scale")) {
        say(a, r, "the denoiser needs the diffusion and scale stages");
        return;
    }
    if (a->traj_state == 0) app_request_traj(a);
    if (a->traj_state != 2) {
        char buf[160];
        snprintf(buf, sizeof buf, a->traj_state == 3 ? "%s sample %d: failed (see the log)" : "%s sample %d: sampling...",
                 PROBE_SOURCE_NAMES[a->source], a->sample);
        say(a, r, buf);
        return;
    }
    const ProbeTrajectory *t = &a->traj.tr;
    const int k = a->dstep < 0 ? 0 : a->dstep >= t->steps ? t->steps - 1 : a->dstep;
    char head[256];
    snprintf(head, sizeof head, "%s sample %d  step %d/%d  t=%d  %s%s  |Ω_t| %.3f  |x0-hat| %.3f  rho %.4g",
             PROBE_SOURCE_NAMES[a->source], a->sample, k + 1, t->steps, t->t[k], a->ancestral ? "ancestral" : "session sampler",
             a->playing ? " ▶" : "", t->norm[k], t->x0norm[k], t->rho_pred);
    canvas_text_fit(a->cv, r.y, r.x, r.w, head, (Style){-1, -1, ATTR_BOLD});
    int top = 2;
    if (t->truth) {
        char l3[200];
        snprintf(l3, sizeof l3, "cos with true Ω: Ω_t %.3f x0-hat %.3f (last %.3f)  training sample %lld", t->cos_xt[k],
                 t->cos_x0[k], t->cos_x0[t->steps - 1], (long long)t->train_index);
        canvas_text_fit(a->cv, r.y + 2, r.x, r.w, l3, STYLE_DEFAULT);
        top = 3;
    }
    char l2[200];
    if (isfinite(t->loss[k]))
        snprintf(l2, sizeof l2, "loss with W + rho·x0-hat: %.4g   base: %.4g   (%s)", t->loss[k], t->loss_base,
                 t->loss[k] < t->loss_base ? "better than base" : "not better than base");
    else
        snprintf(l2, sizeof l2, "loss: not computed at this step (NeRF: every few steps)   base: %.4g", t->loss_base);
    canvas_text_fit(a->cv, r.y + 1, r.x, r.w, l2, STYLE_DEFAULT);
    Rect body = {r.y + top, r.x, r.h - top, r.w};
    const int K = a->info.classes;
    const int nerf = !strcmp(a->view.task, "nerf");
    if (nerf && a->source != PROBE_SRC_TEST) {
        draw_omega(a, body, t, k); /* renders are of test views */
        return;
    }
    if (nerf) {
        /* the view this step's weights render, beside the heat map (rendered in the background) */
        if (!a->playing) app_request_step_render(a);
        const int iw = body.w / 2;
        Rect heat = {body.y, body.x, body.h, body.w - iw - 1}, img = {body.y + 1, body.x + body.w - iw, body.h - 1, iw};
        HeatOpts ho = {.scale = 0.0, .downsample = 1};
        heatmap_draw(a->cv, heat, t->omega + (int64_t)k * t->rows * t->cols, t->rows, t->cols, &ho);
        char cap[96];
        snprintf(cap, sizeof cap, a->step_img_state == 2 ? "render at step %d" : "rendering step %d...",
                 (a->step_img_state == 2 ? a->step_img_k : k) + 1);
        canvas_text_fit(a->cv, body.y, img.x, img.w, cap, (Style){-1, -1, ATTR_DIM});
        if (a->step_img_state == 2 && a->step_img) image_draw(a->cv, img, a->step_img, a->img_h, a->img_w);
        return;
    }
    const int side = body.w >= 50 && t->pred;
    Rect heat = side ? (Rect){body.y, body.x, body.h, body.w - 26} : body;
    if (!side && t->pred && body.h > 14) heat.h = body.h - (K > 0 ? K : 2) - 1;
    draw_omega(a, heat, t, k);
    if (t->pred) {
        Rect pr = side ? (Rect){body.y, body.x + body.w - 25, body.h, 25} : (Rect){heat.y + heat.h, body.x, body.h - heat.h, body.w};
        if (pr.h > 0) draw_prediction(a, pr, t->pred + (int64_t)k * (K > 0 ? K : 1), K, a->traj.target);
    }
}

int pane_key_denoise(App *a, int key)
{
    const int S = a->traj_state == 2 ? a->traj.tr.steps : 0;
    const int n = app_source_count(a);
    switch (key) {
    case KEY_RIGHT:
    case 'l':
        if (S) a->dstep = a->dstep + 1 < S ? a->dstep + 1 : S - 1;
        break;
    case KEY_LEFT:
    case 'h':
        if (S) a->dstep = a->dstep > 0 ? a->dstep - 1 : 0;
        break;
    case KEY_HOME: a->dstep = 0; break;
    case KEY_END: a->dstep = S ? S - 1 : 0; break;
    case ' ':
        if (S) {
            if (!a->playing && a->dstep >= S - 1) a->dstep = 0;
            a->playing = !a->playing;
        }
        break;
    case 'n':
        a->sample = (a->sample + 1) % n;
        app_request_traj(a);
        break;
    case 'N':
        a->sample = (a->sample - 1 + n) % n;
        app_request_traj(a);
        break;
    case 'm': app_request_misclassified(a); break;
    case 't': {
        /* the next source that has samples (test always has) */
        for (int s = 1; s <= PROBE_SRC_COUNT; s++) {
            const ProbeSource src = (ProbeSource)((a->source + s) % PROBE_SRC_COUNT);
            if (src == PROBE_SRC_TEST || !a->info.ok || a->info.nsource[src] > 0) {
                app_set_source(a, src);
                break;
            }
        }
        break;
    }
    case 'a':
        a->ancestral = !a->ancestral;
        app_request_traj(a);
        break;
    default: return 0;
    }
    return REACT_REDRAW;
}

void pane_draw_views(App *a, Rect r)
{
    if (!a->have_view || strcmp(a->view.task, "nerf")) return;
    if (!sessview_stage_complete(&a->view, "base")) {
        say(a, r, "no base stage yet");
        return;
    }
    app_request_views(a);
    static const char *const NAMES[4] = {"truth", "base", "OCD", "overfit on test"};
    const int w = r.w / 4;
    canvas_textf(a->cv, r.y, r.x, r.w, (Style){-1, -1, ATTR_BOLD}, "test view %d", a->view_index);
    for (int k = 0; k < 4; k++) {
        Rect c = {r.y + 1, r.x + k * w, r.h - 1, w - 1};
        canvas_text_fit(a->cv, c.y, c.x, c.w, NAMES[k], STYLE_DEFAULT);
        Rect img = {c.y + 1, c.x, c.h - 1, c.w};
        if (a->img_state[k] == 2 && a->img[k])
            image_draw(a->cv, img, a->img[k], a->img_h, a->img_w);
        else
            canvas_text_fit(a->cv, img.y + img.h / 2, img.x, img.w,
                            a->img_state[k] == 1 ? "rendering..." : a->img_state[k] == 3 ? "failed" : "needs the OCD stages",
                            (Style){-1, -1, ATTR_DIM});
    }
}

int pane_key_views(App *a, int key)
{
    const int n = a->info.ok && a->info.ntest > 0 ? a->info.ntest : 1;
    if (key == KEY_RIGHT) a->view_index = (a->view_index + 1) % n;
    else if (key == KEY_LEFT) a->view_index = (a->view_index - 1 + n) % n;
    else return 0;
    for (int k = 0; k < 4; k++) a->img_state[k] = 0;
    app_request_views(a);
    return REACT_REDRAW;
}
