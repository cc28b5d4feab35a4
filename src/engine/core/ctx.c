/* The compute context: backend state, step arenas, tape storage, random stream, modes. */
#include "core/ctx.h"

#include "autograd.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

static void *dev_alloc(void *user, size_t bytes)
{
    Ctx *c = user;
    return c->be->alloc(c->bc, bytes);
}

static void dev_release(void *user, void *p)
{
    Ctx *c = user;
    c->be->release(c->bc, p);
}

static void *host_alloc(void *user, size_t bytes)
{
    (void)user;
    return aligned_alloc(ARENA_ALIGN, (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
}

static void host_release(void *user, void *p)
{
    (void)user;
    free(p);
}

Ctx *ctx_create(const Backend *be, int threads, uint64_t seed)
{
    ENG_ASSERT(be != NULL, "ctx_create: no backend");
    backend_check_complete(be);
    if (threads < 1) threads = 1;
    BackendCtx *bc = be->create(threads);
    if (!bc) {
        eng_log(LOG_ERROR, "backend %s: no usable %s device", be->name, device_name(be->device));
        return NULL;
    }
    Ctx *c = calloc(1, sizeof *c);
    ENG_CHECK_ALLOC(c);
    c->be = be;
    c->bc = bc;
    c->threads = threads;
    c->seed = seed;
    c->training = 1;
    arena_init(&c->step, "step", dev_alloc, dev_release, c, (size_t)16 << 20);
    arena_init(&c->meta, "meta", host_alloc, host_release, c, (size_t)1 << 20);
    pool_init(&c->grads, dev_alloc, dev_release, c);
    c->tape_cap = 256;
    c->tape = malloc((size_t)c->tape_cap * sizeof *c->tape);
    ENG_CHECK_ALLOC(c->tape);
    return c;
}

void ctx_destroy(Ctx *c)
{
    if (!c) return;
    pool_destroy(&c->grads);
    arena_destroy(&c->step);
    arena_destroy(&c->meta);
    free(c->tape);
    free(c->profile);
    c->be->destroy(c->bc);
    free(c);
}

void ctx_set_threads(Ctx *c, int threads)
{
    c->threads = threads < 1 ? 1 : threads;
    c->be->set_threads(c->bc, c->threads);
}

void ctx_step_end(Ctx *c)
{
    pool_reclaim(&c->grads);
    arena_reset(&c->step);
    arena_reset(&c->meta);
    c->tape_len = 0;
    c->backward_done = 0;
}

void ctx_profile(Ctx *c, int on)
{
    if (on && !c->profile) {
        c->profile = calloc(1, sizeof *c->profile);
        ENG_CHECK_ALLOC(c->profile);
    }
    if (on) {
        c->be->sync(c->bc);
        c->profile->mark = profile_now();
    } else if (c->profile) {
        free(c->profile);
        c->profile = NULL;
    }
}

void ctx_no_grad_begin(Ctx *c) { c->no_grad++; }

void ctx_no_grad_end(Ctx *c)
{
    ENG_ASSERT(c->no_grad > 0, "ctx_no_grad_end without a matching ctx_no_grad_begin");
    c->no_grad--;
}

void ctx_set_training(Ctx *c, int training) { c->training = training != 0; }

uint64_t ctx_rng_take(Ctx *c, int64_t n)
{
    uint64_t off = c->rng_offset;
    c->rng_offset += (uint64_t)((n + 3) / 4);
    return off;
}

void *ctx_scratch(Ctx *c, size_t bytes) { return arena_alloc(&c->step, bytes); }

void *ctx_host_scratch(Ctx *c, size_t bytes) { return arena_alloc(&c->meta, bytes); }

void *ctx_temp(Ctx *c, size_t bytes) { return pool_get(&c->grads, bytes); }

void ctx_temp_free(Ctx *c, void *p) { pool_put(&c->grads, p); }

void ctx_check_device(const Ctx *c, const char *op, const Tensor *a, const Tensor *b, const Tensor *d)
{
    const Tensor *ts[3] = {a, b, d};
    for (int i = 0; i < 3; i++) {
        if (!ts[i] || ts[i]->device == (uint8_t)c->be->device) continue;
        ShapeStr s;
        ENG_FATAL("%s: input %d %s is on %s, but this context computes on %s", op, i,
                  tensor_shape_str(ts[i], &s), device_name((DeviceKind)ts[i]->device),
                  device_name(c->be->device));
    }
}
