/* Finite-difference gradient checks; see gradcheck.h. */
#include "gradcheck.h"

#include "autograd.h"
#include "core/philox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    Ctx *c;
    const OpCase *oc;
    float *host[OPC_MAX_IN];
    float *proj; /* R, on the host */
    int64_t out_n;
    uint64_t rng_at; /* every forward draws the same random numbers (dropout masks) */
} Probe;

static Tensor *forward(Probe *p, Tensor **in, int with_grad)
{
    const OpCase *oc = p->oc;
    for (int i = 0; i < oc->nin; i++) {
        in[i] = tensor_from_host(p->c, oc->ndim[i], oc->shape[i], p->host[i]);
        in[i]->requires_grad = (uint8_t)(with_grad && oc->grad[i]);
    }
    p->c->rng_offset = p->rng_at;
    return op_case_apply(p->c, oc->op, in, oc->nin, oc->ip, oc->fp);
}

/* sum(R * out) in double */
static double loss_at(Probe *p)
{
    Tensor *in[OPC_MAX_IN];
    ctx_no_grad_begin(p->c);
    Tensor *out = forward(p, in, 0);
    ctx_no_grad_end(p->c);
    float *o = malloc(sizeof(float) * (size_t)out->numel);
    tensor_download(p->c, out, o);
    double L = 0.0;
    for (int64_t k = 0; k < out->numel; k++) L += (double)p->proj[k] * o[k];
    free(o);
    ctx_step_end(p->c);
    return L;
}

int gradcheck_case(Ctx *c, const OpCase *oc, uint64_t seed, GradTol tol, char *why, size_t why_len)
{
    why[0] = 0;
    Probe p = {.c = c, .oc = oc, .rng_at = 12345};
    for (int i = 0; i < oc->nin; i++) p.host[i] = malloc(sizeof(float) * (size_t)op_case_numel(oc, i));
    op_case_draw(oc, seed, p.host);

    /* analytic: one forward with gradients, backward seeded with R */
    Tensor *in[OPC_MAX_IN];
    Tensor *out = forward(&p, in, 1);
    p.out_n = out->numel;
    p.proj = malloc(sizeof(float) * (size_t)p.out_n);
    for (int64_t k = 0; k < p.out_n; k++) p.proj[k] = philox_uniform_at(seed ^ 0xabcdefu, 0, k, -1.0f, 1.0f);
    Tensor *seedt = tensor_from_host(c, out->ndim, out->shape, p.proj);
    ag_backward_seeded(c, out, seedt);
    float *ana[OPC_MAX_IN] = {0};
    for (int i = 0; i < oc->nin; i++) {
        if (!oc->grad[i]) continue;
        const int64_t n = op_case_numel(oc, i);
        ana[i] = calloc((size_t)n, sizeof(float));
        if (in[i]->grad) c->be->download(c->bc, ana[i], in[i]->grad, sizeof(float) * (size_t)n);
    }
    ctx_step_end(c);

    int bad_total = 0;
    for (int i = 0; i < oc->nin; i++) {
        if (!oc->grad[i]) continue;
        const int64_t n = op_case_numel(oc, i);
        const int64_t count = n < tol.max_elems ? n : tol.max_elems;
        int bad = 0;
        double worst = -1.0, wn = 0, wa = 0;
        int64_t wk = -1;
        for (int64_t e = 0; e < count; e++) {
            int64_t k = n <= tol.max_elems ? e : (int64_t)(philox4x32(seed, 999 + (uint64_t)e).v[0] % (uint32_t)n);
            const float keep = p.host[i][k];
            p.host[i][k] = (float)(keep + tol.h);
            double up = loss_at(&p);
            p.host[i][k] = (float)(keep - tol.h);
            double down = loss_at(&p);
            p.host[i][k] = keep;
            /* divide by the step actually taken (x +- h rounded to float) */
            double step = (double)(float)(keep + tol.h) - (double)(float)(keep - tol.h);
            double num = (up - down) / step, a = ana[i][k] * (1.0 + tol.corrupt);
            double err = fabs(num - a), lim = tol.atol + tol.rtol * fmax(fabs(num), fabs(a));
            if (!(err <= lim)) {
                bad++;
                if (err - lim > worst) {
                    worst = err - lim;
                    wk = k;
                    wn = num;
                    wa = a;
                }
            }
        }
        if (bad && !why[0])
            snprintf(why, why_len, "%s: input %d: %d of %lld elements off; worst [%lld] numeric %.7g analytic %.7g",
                     oc->name, i, bad, (long long)count, (long long)wk, wn, wa);
        bad_total += bad;
    }
    for (int i = 0; i < oc->nin; i++) {
        free(p.host[i]);
        free(ana[i]);
    }
    free(p.proj);
    return bad_total;
}
