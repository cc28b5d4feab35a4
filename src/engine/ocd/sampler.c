/* See sampler.h. */
#include "ocd/sampler.h"

#include "core/check.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>

/* counters: each stream id owns 2^40 of them, each step (and the start) a slice of them */
static uint64_t stream_offset(uint64_t id, int step, int64_t n) { return (id << 40) + (uint64_t)step * (uint64_t)((n + 3) / 4 + 1); }

int sampler_run(Ctx *c, WNet *w, const Schedule *s, const float *cin, const float *cact, const float *cout, int B,
                const SamplerOpts *o, float *omega0)
{
    const int64_t n = (int64_t)w->rows * w->cols;
    const int was = c->training;
    ctx_set_training(c, o->dropout);
    ctx_no_grad_begin(c);
    ENG_ASSERT(w->c == c, "sampler_run: the network lives in another context");
    float *x = wnet_sample_buffer(w, 2 * B * n), *z = x + B * n;
    for (int b = 0; b < B; b++)
        c->be->rng_normal(c->bc, n, o->key, stream_offset(o->ids[b], 0, n), 0.0f, 1.0f, x + b * n);
    float *hx = o->hook ? malloc(sizeof(float) * (size_t)(B * n) * 3) : NULL;
    float *tt = malloc(sizeof(float) * (size_t)B);
    for (int i = 0; i < s->nsteps; i++) {
        /* the embedding lives in the step arena: remade each step (a few small linears) */
        Tensor *emb = wnet_embed(c, w, cin, cact, cout, B);
        Tensor *maps = wnet_maps(c, w, cin, cact, B);
        for (int b = 0; b < B; b++) tt[b] = (float)s->t_model[i];
        Tensor *eps = wnet_eps(c, w, tensor_wrap(c, SHAPE(B, w->rows, w->cols), x), tensor_from_host(c, SHAPE(B), tt), emb, maps);
        if (w->target_x0) { /* the network gave Omega_0: the noise it implies, eps = (x - sqrt(ab) x0) / sqrt(1 - ab) */
            const double ab = schedule_alpha_bar(s, s->t_model[i]), sd = sqrt(1.0 - ab);
            c->be->axpby(c->bc, B * n, (float)(1.0 / sd), x, (float)(-sqrt(ab) / sd), eps->data);
        }
        if (hx) {
            double cx, ce;
            schedule_x0_coef(s, s->t_model[i], &cx, &ce);
            c->be->download(c->bc, hx, x, sizeof(float) * (size_t)(B * n));
            tensor_download(c, eps, hx + B * n);
            for (int64_t e = 0; e < B * n; e++) hx[2 * B * n + e] = (float)(cx * hx[e] + ce * hx[B * n + e]);
        }
        c->be->axpby(c->bc, B * n, (float)s->b[i], eps->data, (float)s->a[i], x);
        if (s->c[i] != 0.0) {
            for (int b = 0; b < B; b++)
                c->be->rng_normal(c->bc, n, o->key, stream_offset(o->ids[b], i + 1, n), 0.0f, 1.0f, z + b * n);
            c->be->axpby(c->bc, B * n, (float)s->c[i], z, 1.0f, x);
        }
        ctx_step_end(c);
        if (hx) {
            /* the state after the step, beside the noise and x0-hat the step used */
            c->be->download(c->bc, hx, x, sizeof(float) * (size_t)(B * n));
            o->hook(o->user, i, s->t_model[i], hx, hx + B * n, hx + 2 * B * n);
        }
    }
    c->be->download(c->bc, omega0, x, sizeof(float) * (size_t)(B * n));
    free(hx);
    free(tt);
    ctx_no_grad_end(c);
    ctx_set_training(c, was);
    return 0;
}
