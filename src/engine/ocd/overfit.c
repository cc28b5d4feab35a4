/* Per-sample overfitting and per-sample predictions; see overfit.h. */
#include "ocd/overfit.h"

#include "autograd.h"
#include "core/check.h"
#include "ops/ops.h"
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* B copies of the layer's weight in one device buffer, plus Adam state: the task's buffers */
typedef struct {
    float *w, *m, *v;
    int64_t n; /* B * out * in */
} Copies;

static void copies_make(Task *t, const ModelLayer *l, int B, Copies *k, int adam)
{
    Ctx *c = t->env->c;
    const int64_t per = (int64_t)l->out * l->in;
    k->n = per * B;
    k->w = task_buffer(t, TASK_BUF_COPIES, k->n);
    for (int b = 0; b < B; b++) c->be->copy(c->bc, k->w + b * per, l->weight->data, sizeof(float) * (size_t)per);
    k->m = k->v = NULL;
    if (adam) {
        k->m = task_buffer(t, TASK_BUF_ADAM_M, k->n);
        k->v = task_buffer(t, TASK_BUF_ADAM_V, k->n);
        c->be->zero(c->bc, k->m, sizeof(float) * (size_t)k->n);
        c->be->zero(c->bc, k->v, sizeof(float) * (size_t)k->n);
    }
}

/* the model's parameters are frozen while one layer's copies train, so the tape computes
 * nothing for them; the caller's trainable flags are put back */
static uint8_t *freeze(ParamSet *ps)
{
    uint8_t *was = malloc((size_t)ps->count + 1);
    for (int i = 0; i < ps->count; i++) {
        was[i] = ps->params[i]->requires_grad;
        ps->params[i]->requires_grad = 0;
    }
    return was;
}

static void unfreeze(ParamSet *ps, uint8_t *was)
{
    for (int i = 0; i < ps->count; i++) ps->params[i]->requires_grad = was[i];
    free(was);
}

int overfit_batch(Task *t, const OverfitCfg *oc, SplitId s, const int64_t *idx, int B, uint64_t key, float *delta,
                  float *loss0, float *loss1)
{
    return overfit_batch_to(t, oc, s, idx, B, NULL, key, delta, loss0, loss1);
}

int overfit_batch_to(Task *t, const OverfitCfg *oc, SplitId s, const int64_t *idx, int B, const float *labels,
                     uint64_t key, float *delta, float *loss0, float *loss1)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    const ModelLayer *l = &m->layers[oc->layer];
    ENG_ASSERT(l->is_linear, "overfit: layer %s cannot take per-sample weights", l->name);
    ENG_ASSERT(!labels || t->kind != TASK_NERF, "overfit: targets other than the split's are for one-value targets only");
    const int64_t R = t->kind == TASK_NERF ? (oc->rays > 0 && oc->rays < t->P ? oc->rays : t->P) : 1;
    const int64_t xf = task_x_floats(t, R), yf = task_y_floats(t, R), per = (int64_t)l->out * l->in;
    float *x = malloc(sizeof(float) * (size_t)(B * xf)), *y = malloc(sizeof(float) * (size_t)(B * yf));
    float *lh = malloc(sizeof(float) * (size_t)B);
    Copies k;
    copies_make(t, l, B, &k, oc->adam);
    uint8_t *was = freeze(m->ps);
    const int was_training = c->training;
    ctx_set_training(c, 0); /* the base model's dropout off: the fit is of the deterministic model */
    int rc = 0;
    for (int step = 0; step <= oc->steps && rc == 0; step++) {
        const int last = step == oc->steps; /* one more forward: the loss after */
        if (step == 0 || t->kind == TASK_NERF) task_fill(t, s, idx, B, R, key + (uint64_t)(last ? step - 1 : step), x, y);
        if (step == 0 && labels) memcpy(y, labels, sizeof(float) * (size_t)B);
        if (last) ctx_no_grad_begin(c);
        Tensor *w = tensor_wrap(c, SHAPE(B, l->out, l->in), k.w);
        w->requires_grad = !last;
        ModelTap tap = {.layer = oc->layer, .ps_weight = w};
        Tensor *pred = m->forward(c, m, task_input(c, t, x, B, R), &tap);
        Tensor *loss = task_loss(c, t, pred, task_target(c, t, y, B, R));
        if ((step == 0 && loss0) || (last && loss1)) {
            tensor_download(c, loss, lh);
            for (int b = 0; b < B; b++) (step == 0 ? loss0 : loss1)[b] = lh[b];
        }
        if (!last) {
            /* the sum: each copy's gradient is its own sample's */
            ag_backward(c, op_sum(c, loss));
            if (oc->adam)
                c->be->adam_step(c->bc, k.n, k.w, w->grad, k.m, k.v, oc->lr, 0.9f, 0.999f, 1e-8f, 0.0f, 0, step + 1);
            else
                c->be->axpby(c->bc, k.n, -oc->lr, w->grad, 1.0f, k.w);
        } else {
            ctx_no_grad_end(c);
        }
        ctx_step_end(c);
    }
    /* delta = copies - base */
    float *base = malloc(sizeof(float) * (size_t)per);
    c->be->download(c->bc, base, l->weight->data, sizeof(float) * (size_t)per);
    c->be->download(c->bc, delta, k.w, sizeof(float) * (size_t)k.n);
    for (int b = 0; b < B; b++)
        for (int64_t e = 0; e < per; e++) delta[b * per + e] -= base[e];
    for (int64_t e = 0; e < k.n; e++)
        if (!isfinite(delta[e])) {
            rc = status_fail(t->env->st, ERR_NUMERIC, "overfit: layer %s's weights became non-finite (lr %g too high?)",
                             l->name, (double)oc->lr);
            break;
        }
    free(base);
    ctx_set_training(c, was_training);
    unfreeze(m->ps, was);
    free(x);
    free(y);
    free(lh);
    return rc;
}

int64_t task_pred_floats(const Task *t)
{
    switch (t->kind) {
    case TASK_CLASSIFICATION: return t->env->ds->n_classes;
    case TASK_REGRESSION: return 1;
    case TASK_NERF: return t->P * 3;
    }
    return 0;
}

/* W + scale_b * delta_b for b < B, into the task's prediction buffer */
static float *shifted(Task *t, const ModelLayer *l, int B, const float *delta, const float *scale)
{
    Ctx *c = t->env->c;
    const int64_t per = (int64_t)l->out * l->in;
    float *h = malloc(sizeof(float) * (size_t)(per * B)), *base = malloc(sizeof(float) * (size_t)per);
    c->be->download(c->bc, base, l->weight->data, sizeof(float) * (size_t)per);
    for (int b = 0; b < B; b++) {
        const float sc = scale ? scale[b] : 1.0f;
        for (int64_t e = 0; e < per; e++) h[b * per + e] = base[e] + sc * delta[b * per + e];
    }
    float *d = task_buffer(t, TASK_BUF_PRED, per * B);
    c->be->upload(c->bc, d, h, sizeof(float) * (size_t)(per * B));
    free(h);
    free(base);
    return d;
}

int task_predict(Task *t, int layer, SplitId s, const int64_t *idx, int B, const float *delta, const float *scale,
                 float *pred)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    const ModelLayer *l = layer >= 0 ? &m->layers[layer] : NULL;
    const int was = c->training;
    ctx_set_training(c, 0);
    ctx_no_grad_begin(c);
    float *wdev = delta ? shifted(t, l, B, delta, scale) : NULL;
    if (t->kind != TASK_NERF) {
        const int64_t xf = task_x_floats(t, 1);
        float *x = malloc(sizeof(float) * (size_t)(B * xf)), *y = malloc(sizeof(float) * (size_t)B);
        task_fill(t, s, idx, B, 1, 0, x, y);
        ModelTap tap = {.layer = layer};
        if (wdev) tap.ps_weight = tensor_wrap(c, SHAPE(B, l->out, l->in), wdev);
        Tensor *p = m->forward(c, m, task_input(c, t, x, B, 1), wdev ? &tap : NULL);
        tensor_download(c, p, pred);
        ctx_step_end(c);
        free(x);
        free(y);
    } else {
        const int chunk = cfg_int(t->env->cfg, "model.nerf_chunk");
        float *x = malloc(sizeof(float) * (size_t)(t->P * 6)), *y = malloc(sizeof(float) * (size_t)(t->P * 3));
        const int64_t per = l ? (int64_t)l->out * l->in : 0;
        for (int b = 0; b < B; b++) {
            task_fill(t, s, idx + b, 1, t->P, 0, x, y);
            for (int64_t p0 = 0; p0 < t->P; p0 += chunk) {
                const int R = (int)(t->P - p0 < chunk ? t->P - p0 : chunk);
                ModelTap tap = {.layer = layer};
                if (wdev) tap.ps_weight = tensor_wrap(c, SHAPE(1, l->out, l->in), wdev + b * per);
                Tensor *p = m->forward(c, m, tensor_from_host(c, SHAPE(1, R, 6), x + p0 * 6), wdev ? &tap : NULL);
                tensor_download(c, p, pred + ((int64_t)b * t->P + p0) * 3);
                ctx_step_end(c);
            }
        }
        free(x);
        free(y);
    }
    ctx_no_grad_end(c);
    ctx_set_training(c, was);
    return 0;
}

int overfit_all_predict(Task *t, const OverfitCfg *oc, SplitId s, int64_t idx, uint64_t key, float *pred)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    ParamSet *ps = m->ps;
    const int64_t R = t->kind == TASK_NERF ? (oc->rays > 0 && oc->rays < t->P ? oc->rays : t->P) : 1;
    /* the weights saved on the device, and one optimiser for all samples, reset for each */
    const size_t bytes = sizeof(float) * (size_t)ps->total;
    float *saved = task_buffer(t, TASK_BUF_SAVED, ps->total);
    c->be->copy(c->bc, saved, ps->data, bytes);
    uint8_t *was = malloc((size_t)ps->count + 1);
    for (int i = 0; i < ps->count; i++) was[i] = ps->params[i]->requires_grad;
    params_set_trainable(ps, 1);
    OptConfig want = optim_defaults(oc->adam ? OPT_ADAM : OPT_SGD, oc->lr);
    if (!oc->adam) want.momentum = 0.0f;
    if (t->opt && memcmp(&t->opt->cfg, &want, sizeof want) != 0) {
        optim_destroy(t->opt);
        t->opt = NULL;
    }
    if (!t->opt) t->opt = optim_create(ps, want);
    Optimizer *o = t->opt;
    optim_reset(o);
    const int xf = (int)task_x_floats(t, R), yf = (int)task_y_floats(t, R);
    float *x = malloc(sizeof(float) * (size_t)xf), *y = malloc(sizeof(float) * (size_t)yf);
    const int was_training = c->training;
    ctx_set_training(c, 0);
    for (int step = 0; step < oc->steps; step++) {
        if (step == 0 || t->kind == TASK_NERF) task_fill(t, s, &idx, 1, R, key + (uint64_t)step, x, y);
        params_zero_grad(ps);
        Tensor *pr = m->forward(c, m, task_input(c, t, x, 1, R), NULL);
        ag_backward(c, op_sum(c, task_loss(c, t, pr, task_target(c, t, y, 1, R))));
        optim_step(o);
        ctx_step_end(c);
    }
    ctx_set_training(c, was_training);
    int rc = task_predict(t, -1, s, &idx, 1, NULL, NULL, pred);
    c->be->copy(c->bc, ps->data, saved, bytes);
    for (int i = 0; i < ps->count; i++) ps->params[i]->requires_grad = was[i];
    free(was);
    free(x);
    free(y);
    return rc;
}
