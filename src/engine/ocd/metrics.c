/* Evaluation of a model on a split, and saving/loading a model's parameters. */
#include "ocd/stage.h"

#include "h5io.h"
#include "ops/ops.h"
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t per_sample(const Split *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->dims[i];
    return n;
}

/* a batch tensor (B, dims...) over rows [i0, i0+B) of the split */
Tensor *split_batch(Ctx *c, const Split *s, int64_t i0, int B);
Tensor *split_batch(Ctx *c, const Split *s, int64_t i0, int B)
{
    int shape[4] = {B, s->dims[0], s->dims[1], s->dims[2]};
    return tensor_from_host(c, s->ndim + 1, shape, s->x + i0 * per_sample(s));
}

int eval_split(StageEnv *env, const Split *split, SplitMetrics *out)
{
    Ctx *c = env->c;
    const int classify = env->ds->task == TASK_CLASSIFICATION;
    const int batch = cfg_int(env->cfg, "base.eval_batch");
    const int was = c->training;
    double loss = 0.0, hits = 0.0;
    float *logits = NULL;
    ctx_set_training(c, 0);
    ctx_no_grad_begin(c);
    for (int64_t i0 = 0; i0 < split->n; i0 += batch) {
        const int B = (int)(split->n - i0 < batch ? split->n - i0 : batch);
        Tensor *x = split_batch(c, split, i0, B), *y = tensor_from_host(c, SHAPE(B), split->y + i0);
        Tensor *pred = env->model->forward(c, env->model, x, NULL);
        if (classify) {
            loss += (double)tensor_item(c, op_sum(c, op_cross_entropy(c, pred, y)));
            const int K = pred->shape[1];
            logits = realloc(logits, sizeof(float) * (size_t)B * K);
            tensor_download(c, pred, logits);
            for (int b = 0; b < B; b++) {
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (logits[b * K + k] > logits[b * K + best]) best = k;
                hits += best == (int)split->y[i0 + b];
            }
        } else {
            loss += (double)tensor_item(c, op_sum(c, op_mse(c, op_reshape(c, pred, SHAPE(B, 1)),
                                                        op_reshape(c, y, SHAPE(B, 1)))));
        }
        ctx_step_end(c);
    }
    ctx_no_grad_end(c);
    ctx_set_training(c, was);
    free(logits);
    out->n = split->n;
    out->loss = split->n ? loss / (double)split->n : 0.0;
    out->accuracy = split->n && classify ? hits / (double)split->n : 0.0;
    out->rmse = classify ? 0.0 : sqrt(out->loss) * env->ds->y_std;
    if (!isfinite(out->loss)) return status_fail(env->st, ERR_NUMERIC, "evaluation: the loss is not finite (%g)", out->loss);
    return 0;
}

int paramset_save(struct H5File *f, const char *group, ParamSet *ps, Status *st)
{
    float *host = malloc(sizeof(float) * (size_t)(ps->total ? ps->total : 1));
    params_download(ps, host);
    int r = 0;
    char path[256];
    for (int i = 0; i < ps->count && r == 0; i++) {
        Tensor *p = ps->params[i];
        int64_t dims[4];
        for (int d = 0; d < p->ndim; d++) dims[d] = p->shape[d];
        snprintf(path, sizeof path, "%s/%s", group, p->name);
        r = h5w_floats(f, path, host + ps->offsets[i], p->ndim, dims, st);
    }
    free(host);
    return r;
}

int paramset_load(struct H5File *f, const char *group, ParamSet *ps, Status *st)
{
    float *host = calloc((size_t)(ps->total ? ps->total : 1), sizeof(float));
    int r = 0;
    char path[256];
    for (int i = 0; i < ps->count && r == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", group, ps->params[i]->name);
        r = h5r_floats(f, path, host + ps->offsets[i], ps->params[i]->numel, st);
    }
    if (r == 0) params_upload(ps, host);
    free(host);
    return r;
}

int model_save(struct H5File *f, const char *group, Model *m, Status *st)
{
    char g[200];
    snprintf(g, sizeof g, "%s/weights", group);
    if (paramset_save(f, g, m->ps, st)) return -1;
    if (!m->buffers) return 0;
    snprintf(g, sizeof g, "%s/buffers", group);
    return paramset_save(f, g, m->buffers, st);
}

int model_load(struct H5File *f, const char *group, Model *m, Status *st)
{
    char g[200];
    snprintf(g, sizeof g, "%s/weights", group);
    if (paramset_load(f, g, m->ps, st)) return -1;
    if (!m->buffers) return 0;
    snprintf(g, sizeof g, "%s/buffers", group);
    return paramset_load(f, g, m->buffers, st);
}

int optimizer_save(struct H5File *f, const char *group, Ctx *c, Optimizer *o, Status *st)
{
    const int64_t n = o->ps->total;
    float *host = malloc(sizeof(float) * (size_t)(n ? n : 1));
    float *bufs[2] = {o->m, o->v};
    const char *names[2] = {"m", "v"};
    char path[200];
    int r = 0;
    for (int k = 0; k < 2 && r == 0; k++) {
        if (!bufs[k]) continue;
        c->be->download(c->bc, host, bufs[k], sizeof(float) * (size_t)n);
        snprintf(path, sizeof path, "%s/%s", group, names[k]);
        r = h5w_floats(f, path, host, 1, &n, st);
    }
    free(host);
    return r ? r : h5w_attr_int(f, group, "t", o->t, st);
}

int optimizer_load(struct H5File *f, const char *group, Ctx *c, Optimizer *o, Status *st)
{
    const int64_t n = o->ps->total;
    float *host = malloc(sizeof(float) * (size_t)(n ? n : 1));
    float *bufs[2] = {o->m, o->v};
    const char *names[2] = {"m", "v"};
    char path[200];
    int r = 0;
    for (int k = 0; k < 2 && r == 0; k++) {
        if (!bufs[k]) continue;
        snprintf(path, sizeof path, "%s/%s", group, names[k]);
        r = h5r_floats(f, path, host, n, st);
        if (r == 0) c->be->upload(c->bc, bufs[k], host, sizeof(float) * (size_t)n);
    }
    free(host);
    if (r == 0 && !h5r_attr_int(f, group, "t", &o->t))
        r = status_fail(st, ERR_FORMAT, "checkpoint: %s has no step count 't'", group);
    return r;
}
