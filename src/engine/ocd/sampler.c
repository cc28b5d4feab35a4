/* See sampler.h. */
#include "ocd/sampler.h"

#include "core/check.h"
#include "ops/ops.h"

#include <math.h>
#include <stdlib.h>

/* counters: each stream id owns 2^40 of them, each step (and the start) a slice of them */
static uint64_t stream_offset(uint64_t id, int step, int64_t n) { return (id << 40) + (uint64_t)step * (uint64_t)((n + 3) / 4 + 1); }

/* the whole sampling of B samples, every step on all of them */
static void sample_batch(Ctx *c, WNet *w, const Schedule *s, const float *cin, const float *cact, const float *cout,
                         int B, const SamplerOpts *o, float *omega0)
{
    const int64_t n = (int64_t)w->rows * w->cols;
    const int was = c->training;
    ctx_set_training(c, o->dropout);
    ctx_no_grad_begin(c);
    ENG_ASSERT(w->c == c, "sampler_run: the network lives in another context");
    /* the conditioning embedding and maps depend on the sample only: made once, kept beside
     * the state in the WNet's buffer (the step arena is reset after every step) */
    Tensor *emb0 = wnet_embed(c, w, cin, cact, cout, B), *maps0 = wnet_maps(c, w, cin, cact, B);
    const int64_t nmaps = maps0 ? maps0->numel : 0;
    float *x = wnet_sample_buffer(w, 2 * B * n + emb0->numel + nmaps), *z = x + B * n, *embd = z + B * n,
          *mapsd = embd + emb0->numel;
    const int emb_shape[2] = {emb0->shape[0], emb0->shape[1]}, maps_shape[4] = {B, maps0 ? maps0->shape[1] : 0, w->H, w->W};
    c->be->copy(c->bc, embd, emb0->data, sizeof(float) * (size_t)emb0->numel);
    if (maps0) c->be->copy(c->bc, mapsd, maps0->data, sizeof(float) * (size_t)nmaps);
    ctx_step_end(c);
    for (int b = 0; b < B; b++)
        c->be->rng_normal(c->bc, n, o->key, stream_offset(o->ids[b], 0, n), 0.0f, 1.0f, x + b * n);
    float *hx = o->hook ? malloc(sizeof(float) * (size_t)(B * n) * 3) : NULL;
    float *tt = malloc(sizeof(float) * (size_t)B);
    for (int i = 0; i < s->nsteps; i++) {
        Tensor *emb = tensor_wrap(c, 2, emb_shape, embd), *maps = nmaps ? tensor_wrap(c, 4, maps_shape, mapsd) : NULL;
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
}

/* On the CPU a batch is sampled SAMPLER_CPU_CHUNK samples at a time, all steps of a chunk
 * before the next: at 256 samples every U-Net activation (up to 250 MB) streams through
 * memory between two ops, while a chunk's stay in the caches (about 20% faster per sample on
 * 2 cores). A fixed size, not one from the thread count, so the bits do not depend on it;
 * GPUs want the whole batch, and the hook wants every sample at every step. */
enum { SAMPLER_CPU_CHUNK = 16 };

int sampler_run(Ctx *c, WNet *w, const Schedule *s, const float *cin, const float *cact, const float *cout, int B,
                const SamplerOpts *o, float *omega0)
{
    const int chunk = o->hook || c->be->device == DEV_CUDA ? B : SAMPLER_CPU_CHUNK;
    const int64_t n = (int64_t)w->rows * w->cols;
    for (int b0 = 0; b0 < B; b0 += chunk) {
        SamplerOpts oc = *o;
        oc.ids = o->ids + b0;
        sample_batch(c, w, s, cin + (int64_t)b0 * w->d.din, cact + (int64_t)b0 * w->d.dact,
                     cout + (int64_t)b0 * w->d.dout, B - b0 < chunk ? B - b0 : chunk, &oc, omega0 + b0 * n);
    }
    return 0;
}
