/* The tape: recording, gradient-need propagation and the reverse walk. */
#include "autograd.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

TapeRec *ag_record(Ctx *c, const char *op, BackwardFn fn, Tensor *out, Tensor *const *ins, int nin)
{
    ENG_ASSERT(nin <= TAPE_MAX_IN, "%s: %d inputs recorded (at most %d)", op, nin, TAPE_MAX_IN);
    if (c->profile) { /* the op's forward ran since the previous op ended */
        c->be->sync(c->bc);
        double t = profile_now();
        profile_add(c->profile, op, 0, t - c->profile->mark);
        c->profile->mark = t;
    }
    const int need = ag_needs_grad(c, ins, nin);
    out->requires_grad = (uint8_t)need;
    if (!need) return NULL;
    ENG_ASSERT(!c->backward_done,
               "%s: recording onto a tape that backward already consumed; call ctx_step_end() first", op);
    if (c->tape_len == c->tape_cap) {
        c->tape_cap *= 2;
        c->tape = realloc(c->tape, (size_t)c->tape_cap * sizeof *c->tape);
        ENG_CHECK_ALLOC(c->tape);
    }
    TapeRec *r = &c->tape[c->tape_len++];
    memset(r, 0, sizeof *r);
    r->op = op;
    r->backward = fn;
    r->out = out;
    for (int i = 0; i < nin; i++) r->in[i] = ins[i];
    return r;
}

int ag_needs_grad(const Ctx *c, Tensor *const *ins, int nin)
{
    if (c->no_grad) return 0;
    for (int i = 0; i < nin; i++)
        if (ins[i] && ins[i]->requires_grad) return 1;
    return 0;
}

float *ag_grad(Ctx *c, Tensor *t)
{
    if (!t || !t->requires_grad) return NULL;
    return tensor_grad(c, t);
}

static int has_grad(const Tensor *t)
{
    return t->view_of ? t->view_of->grad != NULL : t->grad != NULL;
}

static void run_tape(Ctx *c)
{
    for (int i = c->tape_len - 1; i >= 0; i--) {
        TapeRec *r = &c->tape[i];
        if (!has_grad(r->out)) continue; /* nothing flowed into this op's output */
        double t0 = c->profile ? profile_now() : 0.0;
        r->backward(c, r);
        if (c->profile) {
            c->be->sync(c->bc);
            double t = profile_now();
            profile_add(c->profile, r->op, 1, t - t0);
            c->profile->mark = t;
        }
        /* every consumer of the output ran before its producer: its gradient is spent */
        if (r->out->grad_pooled) {
            pool_put(&c->grads, r->out->grad);
            r->out->grad = NULL;
            r->out->grad_pooled = 0;
        }
    }
    c->backward_done = 1;
}

static void check_backward(Ctx *c, const Tensor *out, const char *fn)
{
    ShapeStr s;
    ENG_ASSERT(!c->backward_done,
               "%s: this tape was already consumed by an earlier backward (output %s); "
               "run a new forward after ctx_step_end()",
               fn, tensor_shape_str(out, &s));
    ENG_ASSERT(out->requires_grad, "%s: the output %s does not depend on anything that requires a gradient", fn,
               tensor_shape_str(out, &s));
}

void ag_backward(Ctx *c, Tensor *loss)
{
    ShapeStr s;
    check_backward(c, loss, "ag_backward");
    ENG_ASSERT(loss->numel == 1, "ag_backward: the loss must have one element, got %s", tensor_shape_str(loss, &s));
    c->be->fill(c->bc, 1, 1.0f, tensor_grad(c, loss));
    run_tape(c);
}

void ag_backward_seeded(Ctx *c, Tensor *out, const Tensor *seed)
{
    ShapeStr s, t;
    check_backward(c, out, "ag_backward_seeded");
    ENG_ASSERT(seed->numel == out->numel, "ag_backward_seeded: seed %s does not match output %s",
               tensor_shape_str(seed, &s), tensor_shape_str(out, &t));
    /* the seed lives until the step ends: the output's gradient can simply be it */
    if (!out->grad && !out->view_of && !out->is_param)
        out->grad = seed->data;
    else
        c->be->axpby(c->bc, out->numel, 1.0f, seed->data, 1.0f, tensor_grad(c, out));
    run_tape(c);
}
