/* Tent on the selected layer's bias; see tent.h. */
#include "ocd/tent.h"

#include "autograd.h"
#include "core/check.h"
#include "ops/ops.h"

#include <stdlib.h>

int tent_predict(Task *t, int layer, SplitId s, const int64_t *idx, int B, int iters, float lr, float *pred)
{
    Ctx *c = t->env->c;
    Model *m = t->env->model;
    const ModelLayer *l = &m->layers[layer];
    ENG_ASSERT(t->kind == TASK_CLASSIFICATION && l->bias, "tent: a classification model and a layer with a bias");
    const int64_t n = (int64_t)B * l->out, xf = task_x_floats(t, 1);
    /* the per-sample biases and their Adam moments, in the task's buffers (the overfit copies'
     * slots: the two never run at once) */
    float *bias = task_buffer(t, TASK_BUF_COPIES, n), *mm = task_buffer(t, TASK_BUF_ADAM_M, n);
    float *vv = task_buffer(t, TASK_BUF_ADAM_V, n);
    for (int b = 0; b < B; b++) c->be->copy(c->bc, bias + (int64_t)b * l->out, l->bias->data, sizeof(float) * (size_t)l->out);
    c->be->zero(c->bc, mm, sizeof(float) * (size_t)n);
    c->be->zero(c->bc, vv, sizeof(float) * (size_t)n);
    float *x = malloc(sizeof(float) * (size_t)(B * xf)), *y = malloc(sizeof(float) * (size_t)B);
    task_fill(t, s, idx, B, 1, 0, x, y);
    uint8_t *was = malloc((size_t)m->ps->count + 1);
    for (int i = 0; i < m->ps->count; i++) {
        was[i] = m->ps->params[i]->requires_grad;
        m->ps->params[i]->requires_grad = 0;
    }
    const int was_training = c->training;
    ctx_set_training(c, 0);
    for (int it = 0; it <= iters; it++) {
        const int last = it == iters;
        if (last) ctx_no_grad_begin(c);
        Tensor *bt = tensor_wrap(c, SHAPE(B, l->out), bias);
        bt->requires_grad = !last;
        ModelTap tap = {.layer = layer, .ps_bias = bt};
        Tensor *logits = m->forward(c, m, task_input(c, t, x, B, 1), &tap);
        if (last) {
            tensor_download(c, logits, pred);
            ctx_no_grad_end(c);
        } else { /* sum over samples of H(p) = -sum p log p: each copy sees only its sample */
            Tensor *ent = op_sum(c, op_mul(c, op_softmax(c, logits), op_log_softmax(c, logits)));
            ag_backward(c, op_scale(c, ent, -1.0f));
            c->be->adam_step(c->bc, n, bias, bt->grad, mm, vv, lr, 0.9f, 0.999f, 1e-8f, 0.0f, 0, it + 1);
        }
        ctx_step_end(c);
    }
    ctx_set_training(c, was_training);
    for (int i = 0; i < m->ps->count; i++) m->ps->params[i]->requires_grad = was[i];
    free(was);
    free(x);
    free(y);
    return 0;
}
