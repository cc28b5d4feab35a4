/* The select stage (OCD-SPEC §2.2): every candidate layer is scored by how much the loss
 * spreads when only that layer is perturbed. For N training samples and M Gaussian draws of
 * the layer's weights (std = select.noise x the std of its entries), each sample's M losses
 * are smoothed by a Gaussian KDE and the entropy of that density is taken; a layer's score is
 * the mean over the samples. The highest-scoring layer that can take per-sample weights is
 * chosen, the next one is the runner-up (the "alternative layer" ablation);
 * select.layer = NAME overrides the choice. Every score is stored (the entropy bar chart).
 * The stage is short (seconds), so it has no checkpoint: a killed run scores again. */
#include "ocd/select.h"

#include "ocd/gkde.h"
#include "ocd/task.h"
#include "ocd/util.h"
#include "ops/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the per-sample losses of N filled samples, in batches */
static void losses(Task *t, const float *x, const float *y, int N, int64_t R, double *out)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    const int batch = t->kind == TASK_NERF ? 4 : cfg_int(t->env->cfg, "base.eval_batch");
    const int64_t xf = task_x_floats(t, R), yf = task_y_floats(t, R);
    float *lh = malloc(sizeof(float) * (size_t)batch);
    for (int i0 = 0; i0 < N; i0 += batch) {
        const int B = N - i0 < batch ? N - i0 : batch;
        Tensor *pred = m->forward(c, m, task_input(c, t, x + i0 * xf, B, R), NULL);
        tensor_download(c, task_loss(c, t, pred, task_target(c, t, y + i0 * yf, B, R)), lh);
        for (int b = 0; b < B; b++) out[i0 + b] = lh[b];
        ctx_step_end(c);
    }
    free(lh);
}

int stage_select(StageEnv *env)
{
    Ctx *c = env->c;
    Model *m = env->model;
    const Config *cfg = env->cfg;
    const double t0 = clock_now();
    Task t;
    task_init(&t, env);
    const int ntrain = task_count(&t, SPLIT_TRAIN);
    const int N = cfg_int(cfg, "select.samples") < ntrain ? cfg_int(cfg, "select.samples") : ntrain;
    const int M = cfg_int(cfg, "select.draws"), L = m->nlayers;
    const double rel = cfg_float(cfg, "select.noise");
    const int64_t R = t.kind == TASK_NERF ? (cfg_int(cfg, "select.rays") < t.P ? cfg_int(cfg, "select.rays") : t.P) : 1;
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)ntrain);
    ocd_permutation(seed, 101, ntrain, perm);
    const int64_t xf = task_x_floats(&t, R), yf = task_y_floats(&t, R);
    float *x = malloc(sizeof(float) * (size_t)(N * xf)), *y = malloc(sizeof(float) * (size_t)(N * yf));
    task_fill(&t, SPLIT_TRAIN, perm, N, R, seed ^ 0x5e1ec7ull, x, y);
    double *loss = malloc(sizeof(double) * (size_t)N * M), *col = malloc(sizeof(double) * (size_t)M);
    double *ent = malloc(sizeof(double) * (size_t)L * N), *score = malloc(sizeof(double) * (size_t)L);
    double *noise_std = malloc(sizeof(double) * (size_t)L);
    int64_t *eligible = malloc(sizeof(int64_t) * (size_t)L);
    const int was = c->training;
    ctx_set_training(c, 0);
    ctx_no_grad_begin(c);
    int rc = 0;
    for (int li = 0; li < L && rc == 0; li++) {
        const ModelLayer *l = &m->layers[li];
        const int64_t n = l->weight->numel;
        eligible[li] = l->is_linear;
        /* the std of the layer's entries */
        float *wh = malloc(sizeof(float) * (size_t)n);
        c->be->download(c->bc, wh, l->weight->data, sizeof(float) * (size_t)n);
        double mu = 0, ss = 0;
        for (int64_t e = 0; e < n; e++) mu += wh[e];
        mu /= n;
        for (int64_t e = 0; e < n; e++) ss += (wh[e] - mu) * (wh[e] - mu);
        free(wh);
        noise_std[li] = rel * sqrt(ss / (n > 1 ? n - 1 : 1));
        float *saved = c->be->alloc(c->bc, sizeof(float) * (size_t)n), *z = c->be->alloc(c->bc, sizeof(float) * (size_t)n);
        c->be->copy(c->bc, saved, l->weight->data, sizeof(float) * (size_t)n);
        double *lm = malloc(sizeof(double) * (size_t)N);
        for (int d = 0; d < M; d++) {
            /* draw d of layer li: its own Philox stream, whatever the order of the loop */
            c->be->rng_normal(c->bc, n, seed ^ 0x5e1ec7edull, ((uint64_t)(li * 65536 + d)) << 32, 0.0f,
                              (float)noise_std[li], z);
            c->be->copy(c->bc, l->weight->data, saved, sizeof(float) * (size_t)n);
            c->be->axpby(c->bc, n, 1.0f, z, 1.0f, l->weight->data);
            losses(&t, x, y, N, R, lm);
            for (int s = 0; s < N; s++) loss[(int64_t)s * M + d] = lm[s];
        }
        c->be->copy(c->bc, l->weight->data, saved, sizeof(float) * (size_t)n);
        c->be->release(c->bc, saved);
        c->be->release(c->bc, z);
        free(lm);
        double sum = 0.0;
        for (int s = 0; s < N; s++) {
            for (int d = 0; d < M; d++) col[d] = loss[(int64_t)s * M + d];
            ent[(int64_t)li * N + s] = gkde_entropy(col, M, 512);
            sum += ent[(int64_t)li * N + s];
        }
        score[li] = sum / N;
        if (!isfinite(score[li]))
            rc = status_fail(env->st, ERR_NUMERIC, "select: layer %s's score is not finite (a loss overflowed?)", l->name);
        bus_progress(env->bus, "select", li + 1, L, "entropy", score[li], NULL, 0.0);
        bus_log(env->bus, "select", "%-24s entropy %8.4f%s", l->name, score[li], l->is_linear ? "" : "  (cannot take per-sample weights)");
        if (bus_stop_requested(env->bus) && li + 1 < L)
            rc = status_fail(env->st, ERR_STATE, "select: stopped after %d of %d layers (the stage starts again)", li + 1, L);
    }
    ctx_no_grad_end(c);
    ctx_set_training(c, was);
    /* choose */
    int best = -1, second = -1;
    for (int li = 0; li < L; li++) {
        if (!eligible[li]) continue;
        if (best < 0 || score[li] > score[best]) {
            second = best;
            best = li;
        } else if (second < 0 || score[li] > score[second]) {
            second = li;
        }
    }
    const char *over = cfg_str(cfg, "select.layer");
    int chosen = best, runner = second;
    if (rc == 0 && over[0]) {
        chosen = model_layer_index(m, over);
        if (chosen < 0 || !eligible[chosen]) {
            char names[1024] = "";
            for (int li = 0; li < L; li++)
                if (eligible[li]) snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "", m->layers[li].name);
            rc = status_fail(env->st, ERR_CONFIG, "select.layer = %s is not a layer that can take per-sample weights (%s)",
                             over, names);
        } else if (chosen == best) {
            runner = second;
        } else {
            runner = best; /* the automatic choice is the alternative */
        }
    }
    if (rc == 0 && chosen < 0) rc = status_fail(env->st, ERR_CONFIG, "select: %s has no layer that can take per-sample weights", m->kind);
    if (rc == 0) {
        char path[600], names[4096] = "";
        for (int li = 0; li < L; li++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", li ? "," : "", m->layers[li].name);
        session_work_path(env->s, "select", path, sizeof path);
        H5File *f = h5w_begin(path, NULL, env->st);
        const int64_t nl = L, dims[2] = {L, N};
        Status *st = env->st;
        rc = f ? 0 : -1;
        rc = rc ? rc : h5w_doubles(f, "select/scores", score, 1, &nl, st);
        rc = rc ? rc : h5w_doubles(f, "select/entropies", ent, 2, dims, st);
        rc = rc ? rc : h5w_doubles(f, "select/noise_std", noise_std, 1, &nl, st);
        rc = rc ? rc : h5w_ints(f, "select/eligible", eligible, 1, &nl, st);
        rc = rc ? rc : h5w_attr_str(f, "select", "layers", names, st);
        rc = rc ? rc : h5w_attr_str(f, "select", "chosen", m->layers[chosen].name, st);
        rc = rc ? rc : h5w_attr_str(f, "select", "runner_up", runner >= 0 ? m->layers[runner].name : "", st);
        rc = rc ? rc : h5w_attr_str(f, "select", "automatic_choice", best >= 0 ? m->layers[best].name : "", st);
        rc = rc ? rc : h5w_attr_int(f, "select", "samples", N, st);
        rc = rc ? rc : h5w_attr_int(f, "select", "draws", M, st);
        rc = rc ? rc : h5w_attr_double(f, "select", "noise_rel", rel, st);
        rc = rc ? rc : h5w_attr_double(f, "select", "seconds", clock_now() - t0, st);
        rc = rc ? rc : h5w_attr_str(f, "select", "method",
                                    "mean over samples of the differential entropy (nats) of a Gaussian KDE (Silverman) "
                                    "of the sample's losses under Gaussian perturbations of the layer alone",
                                    st);
        if (f && rc) h5w_abort(f);
        if (f && rc == 0) rc = h5w_commit(f, st);
        if (rc == 0) rc = session_commit_stage(env->s, "select", st);
        if (rc == 0)
            bus_log(env->bus, "select", "chosen %s%s, runner-up %s (%.1f s)", m->layers[chosen].name,
                    over[0] ? " (select.layer)" : "", runner >= 0 ? m->layers[runner].name : "(none)", clock_now() - t0);
    }
    free(perm);
    free(x);
    free(y);
    free(loss);
    free(col);
    free(ent);
    free(score);
    free(noise_std);
    free(eligible);
    task_free(&t);
    return rc ? -1 : 0;
}

int select_load(StageEnv *env, int *chosen, int *runner_up)
{
    H5File *f = h5r_open(env->s->path, env->st);
    if (!f) return -1;
    char a[64] = "", b[64] = "";
    h5r_attr_str(f, "select", "chosen", a, sizeof a);
    h5r_attr_str(f, "select", "runner_up", b, sizeof b);
    h5r_close(f);
    *chosen = model_layer_index(env->model, a);
    *runner_up = b[0] ? model_layer_index(env->model, b) : -1;
    if (*chosen < 0) return status_fail(env->st, ERR_FORMAT, "%s: /select names layer '%s', which %s does not have", env->s->path, a, env->model->kind);
    return 0;
}
