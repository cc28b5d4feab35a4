/* The OCD stages' sample interface; see task.h. */
#include "ocd/task.h"

#include "core/check.h"
#include "core/philox.h"
#include "ops/ops.h"
#include "optim.h"

#include <stdlib.h>
#include <string.h>

float *nerf_view_rays(const ViewSet *v); /* nerf_base.c */

static const Split *split_of(const Task *t, SplitId s)
{
    return s == SPLIT_TRAIN ? &t->env->ds->train : s == SPLIT_VAL ? &t->env->ds->val : &t->env->ds->test;
}

static const ViewSet *views_of(const Task *t, SplitId s)
{
    ENG_ASSERT(s != SPLIT_VAL, "task: NeRF scenes have no validation views");
    return s == SPLIT_TRAIN ? &t->env->ds->views_train : &t->env->ds->views_test;
}

int task_init(Task *t, StageEnv *env)
{
    memset(t, 0, sizeof *t);
    t->env = env;
    t->kind = env->ds->task;
    if (t->kind == TASK_NERF) {
        t->rays[0] = nerf_view_rays(&env->ds->views_train);
        t->rays[1] = nerf_view_rays(&env->ds->views_test);
        t->P = (int64_t)env->ds->views_train.H * env->ds->views_train.W;
    }
    return 0;
}

void task_free(Task *t)
{
    free(t->rays[0]);
    free(t->rays[1]);
    for (int i = 0; i < TASK_BUF_COUNT; i++)
        if (t->buf[i]) t->env->c->be->release(t->env->c->bc, t->buf[i]);
    optim_destroy(t->opt);
    memset(t, 0, sizeof *t);
}

float *task_buffer(Task *t, int slot, int64_t floats)
{
    Ctx *c = t->env->c;
    if ((size_t)floats > t->buf_floats[slot]) {
        if (t->buf[slot]) c->be->release(c->bc, t->buf[slot]);
        t->buf[slot] = c->be->alloc(c->bc, sizeof(float) * (size_t)floats);
        t->buf_floats[slot] = (size_t)floats;
    }
    return t->buf[slot];
}

int task_count(const Task *t, SplitId s)
{
    return t->kind == TASK_NERF ? views_of(t, s)->n : split_of(t, s)->n;
}

int64_t task_full_rays(const Task *t) { return t->kind == TASK_NERF ? t->P : 1; }

static int64_t per_sample(const Split *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->dims[i];
    return n;
}

int64_t task_x_floats(const Task *t, int64_t R)
{
    return t->kind == TASK_NERF ? R * 6 : per_sample(&t->env->ds->train);
}

int64_t task_y_floats(const Task *t, int64_t R) { return t->kind == TASK_NERF ? R * 3 : 1; }

void task_fill(const Task *t, SplitId s, const int64_t *idx, int B, int64_t R, uint64_t key, float *x, float *y)
{
    if (t->kind != TASK_NERF) {
        const Split *sp = split_of(t, s);
        const int64_t d = per_sample(sp);
        for (int b = 0; b < B; b++) {
            memcpy(x + b * d, sp->x + idx[b] * d, sizeof(float) * (size_t)d);
            y[b] = sp->y[idx[b]];
        }
        return;
    }
    const ViewSet *v = views_of(t, s);
    const float *rays = t->rays[s];
    for (int b = 0; b < B; b++) {
        const int64_t view = idx[b];
        for (int64_t k = 0; k < R; k++) {
            int64_t p = k;
            if (R != t->P) {
                const PhiloxOut r = philox4x32(key ^ 0x5e1ec7ull, ((uint64_t)view << 40) + (uint64_t)k);
                p = (int64_t)(r.v[0] % (uint32_t)t->P);
            }
            memcpy(x + (b * R + k) * 6, rays + (view * t->P + p) * 6, sizeof(float) * 6);
            memcpy(y + (b * R + k) * 3, v->images + (view * t->P + p) * 3, sizeof(float) * 3);
        }
    }
}

Tensor *task_input(Ctx *c, const Task *t, const float *x, int B, int64_t R)
{
    if (t->kind == TASK_NERF) return tensor_from_host(c, SHAPE(B, (int)R, 6), x);
    const Split *sp = &t->env->ds->train;
    int shape[4] = {B, sp->dims[0], sp->dims[1], sp->dims[2]};
    return tensor_from_host(c, sp->ndim + 1, shape, x);
}

Tensor *task_target(Ctx *c, const Task *t, const float *y, int B, int64_t R)
{
    if (t->kind == TASK_NERF) return tensor_from_host(c, SHAPE(B, (int)R * 3), y);
    return tensor_from_host(c, SHAPE(B), y);
}

Tensor *task_loss(Ctx *c, const Task *t, Tensor *pred, Tensor *y)
{
    const int B = pred->shape[0];
    switch (t->kind) {
    case TASK_CLASSIFICATION: return op_cross_entropy(c, pred, y);
    case TASK_REGRESSION: return op_mse(c, op_reshape(c, pred, SHAPE(B, 1)), op_reshape(c, y, SHAPE(B, 1)));
    case TASK_NERF: return op_mse(c, op_reshape(c, pred, SHAPE(B, (int)(pred->numel / B))), y);
    }
    return NULL;
}

CondDims task_cond_dims(const Task *t, int layer)
{
    const ModelLayer *l = &t->env->model->layers[layer];
    CondDims d = {l->in, l->out, 0};
    switch (t->kind) {
    case TASK_CLASSIFICATION: d.dout = t->env->ds->n_classes; break;
    case TASK_REGRESSION: d.dout = 1; break;
    case TASK_NERF: d.dout = NERF_COND_SIDE * NERF_COND_SIDE * 3; break;
    }
    return d;
}

/* a (H, W, 3) render area-averaged to NERF_COND_SIDE^2 x 3 */
static void nerf_pool(const float *img, int H, int W, float *out)
{
    const int S = NERF_COND_SIDE;
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++)
            for (int k = 0; k < 3; k++) {
                const int r0 = i * H / S, r1 = (i + 1) * H / S, c0 = j * W / S, c1 = (j + 1) * W / S;
                double s = 0.0;
                for (int r = r0; r < r1; r++)
                    for (int cc = c0; cc < c1; cc++) s += img[((int64_t)r * W + cc) * 3 + k];
                out[(i * S + j) * 3 + k] = (float)(s / ((r1 - r0) * (c1 - c0)));
            }
}

int task_cond(Task *t, int layer, SplitId s, const int64_t *idx, int B, float *cin, float *cact, float *cout)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    const CondDims d = task_cond_dims(t, layer);
    const int was = c->training;
    ctx_set_training(c, 0);
    ctx_no_grad_begin(c);
    if (t->kind == TASK_NERF) { /* one whole view at a time: the weighted means need all its points */
        const ViewSet *v = views_of(t, s);
        float *x = malloc(sizeof(float) * (size_t)(t->P * 6)), *y = malloc(sizeof(float) * (size_t)(t->P * 3));
        float *img = malloc(sizeof(float) * (size_t)(t->P * 3));
        for (int b = 0; b < B; b++) {
            task_fill(t, s, idx + b, 1, t->P, 0, x, y);
            ModelTap tap = {.layer = layer};
            Tensor *pred = m->forward(c, m, task_input(c, t, x, 1, t->P), &tap);
            tensor_download(c, tap.input, cin + (int64_t)b * d.din);
            tensor_download(c, tap.activation, cact + (int64_t)b * d.dact);
            tensor_download(c, pred, img);
            nerf_pool(img, v->H, v->W, cout + (int64_t)b * d.dout);
            ctx_step_end(c);
        }
        free(x);
        free(y);
        free(img);
    } else {
        const int64_t xf = task_x_floats(t, 1);
        float *x = malloc(sizeof(float) * (size_t)(B * xf)), *y = malloc(sizeof(float) * (size_t)B);
        task_fill(t, s, idx, B, 1, 0, x, y);
        ModelTap tap = {.layer = layer};
        Tensor *pred = m->forward(c, m, task_input(c, t, x, B, 1), &tap);
        ENG_ASSERT(tap.input && tap.activation && tap.input->numel == (int64_t)B * d.din &&
                       tap.activation->numel == (int64_t)B * d.dact && pred->numel == (int64_t)B * d.dout,
                   "task_cond: %s's tap on layer %d does not give (B, %d) / (B, %d) / (B, %d)", m->kind, layer, d.din,
                   d.dact, d.dout);
        tensor_download(c, tap.input, cin);
        tensor_download(c, tap.activation, cact);
        tensor_download(c, pred, cout);
        ctx_step_end(c);
        free(x);
        free(y);
    }
    ctx_no_grad_end(c);
    ctx_set_training(c, was);
    return 0;
}
