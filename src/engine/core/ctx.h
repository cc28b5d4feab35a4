/* The compute context passed to every op: the backend, the step arenas, the tape, the
 * random stream and the mode flags. No engine state lives outside it. */
#ifndef OCD_CTX_H
#define OCD_CTX_H

#include "backend.h"
#include "core/arena.h"
#include "core/pool.h"
#include "core/profile.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct TapeRec TapeRec;

struct Ctx {
    const Backend *be;
    BackendCtx *bc;
    int threads;

    Arena step; /* device memory: activations, their gradients, scratch; reset each step */
    Arena meta; /* host memory: Tensor headers of this step */
    Pool grads; /* device memory: activation gradients and backward temporaries, returned
                   as soon as they are consumed */

    TapeRec *tape; /* records of this step, in order */
    int tape_len, tape_cap;
    int backward_done; /* the tape was consumed by ag_backward */

    int no_grad;  /* depth of no_grad scopes */
    int training; /* dropout active, batchnorm uses batch statistics */

    Profile *profile; /* per-op timing when not NULL (ctx_profile) */

    uint64_t seed;       /* Philox key */
    uint64_t rng_offset; /* next free counter */
};

/* NULL (with a log line) when the backend's device is absent. */
Ctx *ctx_create(const Backend *be, int threads, uint64_t seed);
void ctx_destroy(Ctx *c);
void ctx_set_threads(Ctx *c, int threads);

/* Ends a step: forgets the tape and every step tensor. Parameters are untouched. */
void ctx_step_end(Ctx *c);

void ctx_no_grad_begin(Ctx *c);
void ctx_no_grad_end(Ctx *c);
void ctx_set_training(Ctx *c, int training);

/* Starts (on) or stops (off) per-op timing; the rows stay readable in c->profile. */
void ctx_profile(Ctx *c, int on);

/* Reserves counters for n random numbers; returns the offset to draw them at. */
uint64_t ctx_rng_take(Ctx *c, int64_t n);

/* Raw step memory on the device (e.g. argmax indices) and on the host (e.g. geometry). */
void *ctx_scratch(Ctx *c, size_t bytes);
/* A short-lived device buffer (a backward temporary): give it back with ctx_temp_free. */
void *ctx_temp(Ctx *c, size_t bytes);
void ctx_temp_free(Ctx *c, void *p);
void *ctx_host_scratch(Ctx *c, size_t bytes);

/* Aborts unless every tensor given is on the context's device. */
void ctx_check_device(const Ctx *c, const char *op, const Tensor *a, const Tensor *b, const Tensor *d);

#ifdef __cplusplus
}
#endif

#endif
