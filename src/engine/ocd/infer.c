/* See infer.h. */
#include "ocd/infer.h"

#include "ocd/collect.h"
#include "ocd/diffusion.h"
#include "ocd/overfit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int infer_pipeline_load(StageEnv *env, const char *prefix, OcdPipeline *p)
{
    memset(p, 0, sizeof *p);
    char g[64];
    snprintf(g, sizeof g, "%soverfit", prefix);
    int rc = collect_load(env, env->s->path, g, &p->k);
    if (rc == 0) {
        p->layer = p->k.layer;
        snprintf(g, sizeof g, "%sdiffusion", prefix);
        rc = diffusion_load(env, &p->k, env->s->path, g, &p->w);
    }
    if (rc == 0) {
        snprintf(g, sizeof g, "%sscale", prefix);
        rc = scale_load(env, &p->k, env->s->path, g, &p->scale);
    }
    if (rc) {
        infer_pipeline_free(p);
        return -1;
    }
    /* the no-scale ablation's rho: the mean over the samples the scale model trained on (the
     * held-out ones at the collection's end measure the fit, scale.c) */
    const int ntrain = p->k.n - collect_holdout(env->cfg, p->k.n);
    for (int i = 0; i < ntrain; i++)
        p->rho_mean += p->k.rho[i];
    p->rho_mean /= ntrain;
    p->ok = 1;
    return 0;
}

void infer_pipeline_free(OcdPipeline *p)
{
    if (p->w.unet) wnet_destroy(&p->w);
    scalenet_destroy(p->scale);
    collect_free(&p->k);
    memset(p, 0, sizeof *p);
}

uint64_t infer_key(uint64_t seed, int repeat) { return seed * 1000003u + (uint64_t)repeat * 7919u + 11u; }

uint64_t infer_overfit_key(uint64_t seed, int repeat) { return seed * 31u + (uint64_t)repeat; }
uint64_t infer_overfit_all_key(uint64_t seed, int repeat) { return seed * 37u + (uint64_t)repeat; }

uint64_t infer_draw_id(int64_t index, int draw) { return (uint64_t)index * INFER_MAX_DRAWS + (uint64_t)draw; }

int infer_draws(StageEnv *env, Task *t, OcdPipeline *p, const Schedule *sch, const int64_t *idx, int B, int draw0,
                int D, uint64_t key, SamplerHook hook, void *user, float *rho, float *om)
{
    const CondDims d = p->k.d;
    const int64_t n = (int64_t)B * D;
    float *cin = malloc(sizeof(float) * (size_t)(n * d.din)), *cact = malloc(sizeof(float) * (size_t)(n * d.dact));
    float *cout = malloc(sizeof(float) * (size_t)(n * d.dout));
    uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)n);
    int rc = task_cond(t, p->layer, SPLIT_TEST, idx, B, cin, cact, cout);
    if (rc == 0) {
        scalenet_predict(env->c, p->scale, cact, cin, B, rho);
        /* draw-major copies of the conditioning, so draw d of all samples is one block */
        for (int dd = D - 1; dd >= 0; dd--)
            for (int b = 0; b < B; b++) {
                const int64_t at = (int64_t)dd * B + b;
                memmove(cin + at * d.din, cin + (int64_t)b * d.din, sizeof(float) * (size_t)d.din);
                memmove(cact + at * d.dact, cact + (int64_t)b * d.dact, sizeof(float) * (size_t)d.dact);
                memmove(cout + at * d.dout, cout + (int64_t)b * d.dout, sizeof(float) * (size_t)d.dout);
                ids[at] = infer_draw_id(idx[b], draw0 + dd);
            }
        SamplerOpts so = {.key = key,
                          .ids = ids,
                          .dropout = cfg_bool(env->cfg, "diffusion.sample_dropout"),
                          .hook = hook,
                          .user = user};
        rc = sampler_run(env->c, &p->w, sch, cin, cact, cout, (int)n, &so, om);
    }
    free(cin);
    free(cact);
    free(cout);
    free(ids);
    return rc;
}

double infer_loss(const Task *t, const float *pred, const float *y, int *correct)
{
    if (correct) *correct = 0;
    if (t->kind == TASK_CLASSIFICATION) {
        const int K = t->env->ds->n_classes, lab = (int)y[0];
        double mx = pred[0];
        int best = 0;
        for (int k = 1; k < K; k++)
            if (pred[k] > mx) mx = pred[k], best = k;
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += exp((double)pred[k] - mx);
        if (correct) *correct = best == lab;
        return log(s) + mx - pred[lab];
    }
    const int64_t pf = task_pred_floats(t);
    double s = 0.0;
    for (int64_t k = 0; k < pf; k++) {
        const double e = (double)pred[k] - y[k];
        s += e * e;
    }
    return s / (double)pf;
}
