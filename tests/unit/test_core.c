/* Core pieces: arenas, tensors and views, the backend table, parameter sets, the tape's
 * gradient-need propagation and no_grad scopes, and the thread pool in use. */
#include "harness.h"

#include "autograd.h"
#include "core/arena.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "optim.h"

#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int backend_entry_count(void);

static void *h_alloc(void *u, size_t n)
{
    (*(int *)u)++;
    return aligned_alloc(ARENA_ALIGN, (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
}
static void h_free(void *u, void *p)
{
    (void)u;
    free(p);
}

TEST(arena_aligns_and_coalesces_chunks_on_reset)
{
    int allocs = 0;
    Arena a;
    arena_init(&a, "test", h_alloc, h_free, &allocs, 1024);
    void *p1 = arena_alloc(&a, 3), *p2 = arena_alloc(&a, 100);
    CHECK(((uintptr_t)p1 % ARENA_ALIGN) == 0 && ((uintptr_t)p2 % ARENA_ALIGN) == 0, "unaligned allocations");
    CHECK((char *)p2 - (char *)p1 == ARENA_ALIGN, "a 3-byte allocation took %td bytes", (char *)p2 - (char *)p1);
    for (int i = 0; i < 50; i++) arena_alloc(&a, 500); /* forces several chunks */
    CHECK(a.nchunks > 1, "expected several chunks, got %d", a.nchunks);
    size_t peak = a.peak;
    arena_reset(&a);
    CHECK(a.nchunks == 1 && a.chunks[0].cap >= peak, "reset kept %d chunks (cap %zu, peak %zu)", a.nchunks,
          a.chunks[0].cap, peak);
    int before = allocs;
    for (int i = 0; i < 50; i++) arena_alloc(&a, 500);
    arena_alloc(&a, 3);
    CHECK(allocs == before, "the same step allocated again after the reset (%d new)", allocs - before);
    arena_destroy(&a);
}

TEST(backend_table_lists_every_entry_and_cpu_fills_them)
{
    /* the entries start after `name` and `device`: every pointer-sized slot is one entry */
    size_t first = offsetof(Backend, create);
    size_t slots = (sizeof(Backend) - first) / sizeof(void (*)(void));
    CHECK((int)slots == backend_entry_count(), "Backend has %zu entries, the completeness list names %d", slots,
          backend_entry_count());
    backend_check_complete(backend_cpu()); /* aborts on a NULL entry */
    CHECK(backend_find("cpu") == backend_cpu(), "backend_find(cpu)");
    CHECK(backend_find("tpu") == NULL, "backend_find(tpu) should be NULL");
}

TEST(openblas_is_the_openmp_build_kept_on_one_thread)
{
    /* 2 = OpenMP: no second thread pool beside ours. One BLAS thread: all parallelism is
     * our own tiling, which is what makes results independent of the thread count. */
    Ctx *c = ctx_create(backend_cpu(), 2, 1);
    CHECK(openblas_get_parallel() == 2, "OpenBLAS threading model %d (want 2, OpenMP)", openblas_get_parallel());
    CHECK(openblas_get_num_threads() == 1, "OpenBLAS runs %d threads (want 1)", openblas_get_num_threads());
    ctx_destroy(c);
}

TEST(views_share_data_and_gradient)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    float h[12];
    for (int i = 0; i < 12; i++) h[i] = (float)i;
    Tensor *x = tensor_from_host(c, SHAPE(3, 4), h);
    x->requires_grad = 1;
    Tensor *v = tensor_view(c, x, SHAPE(2, 6));
    Tensor *rows = tensor_narrow0(c, x, 1, 2);
    CHECK(v->data == x->data && rows->data == x->data + 4, "views do not alias their base");
    CHECK(rows->shape[0] == 2 && rows->shape[1] == 4 && rows->numel == 8, "narrow0 shape");
    Tensor *loss = op_sum(c, op_scale(c, rows, 3.0f));
    ag_backward(c, loss);
    float g[12];
    c->be->download(c->bc, g, x->grad, sizeof g);
    for (int i = 0; i < 12; i++) CHECK(g[i] == (i >= 4 ? 3.0f : 0.0f), "grad[%d] = %g", i, (double)g[i]);
    ctx_destroy(c);
}

TEST(params_are_views_into_one_aligned_block)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    ParamSet *ps = params_create(c);
    Tensor *w = params_add(ps, "fc.weight", SHAPE(3, 5)), *b = params_add(ps, "fc.bias", SHAPE(3));
    params_finalize(ps);
    CHECK(w->data == ps->data && b->data == ps->data + 16, "offsets %td %td (want 0, 16)", w->data - ps->data,
          b->data - ps->data);
    CHECK(w->grad == ps->grad && b->grad == ps->grad + 16, "gradient views");
    CHECK(params_find(ps, "fc.bias") == b && params_find(ps, "nope") == NULL, "params_find");
    CHECK(ps->total == 19, "total %lld", (long long)ps->total);
    init_constant(c, w, 2.0f);
    w->grad[3] = 5.0f;
    params_zero_grad(ps);
    CHECK(w->grad[3] == 0.0f && w->data[14] == 2.0f, "zero_grad / init");
    params_destroy(ps);
    ctx_destroy(c);
}

/* Overfitting one layer must not compute or store gradients for the others. */
TEST(frozen_parameters_get_no_gradient_and_no_tape_records)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 3);
    ParamSet *ps = params_create(c);
    Tensor *w1 = params_add(ps, "l1.weight", SHAPE(4, 3)), *w2 = params_add(ps, "l2.weight", SHAPE(2, 4));
    params_finalize(ps);
    init_normal(c, w1, 0, 1);
    init_normal(c, w2, 0, 1);
    w1->requires_grad = 0;
    Tensor *x = tensor_zeros(c, SHAPE(5, 3));
    c->be->fill(c->bc, x->numel, 0.5f, x->data);
    Tensor *h = op_relu(c, op_linear(c, x, w1, NULL));
    CHECK(!h->requires_grad && c->tape_len == 0, "frozen first layer recorded %d ops", c->tape_len);
    Tensor *loss = op_sum(c, op_linear(c, h, w2, NULL));
    CHECK(c->tape_len == 2, "expected 2 records (linear, sum), got %d", c->tape_len);
    ag_backward(c, loss);
    double g1 = c->be->sumsq(c->bc, w1->numel, w1->grad), g2 = c->be->sumsq(c->bc, w2->numel, w2->grad);
    CHECK(g1 == 0.0 && g2 > 0.0, "gradient norms %g (frozen) %g (trained)", g1, g2);
    ctx_step_end(c);

    ctx_no_grad_begin(c);
    Tensor *y = op_linear(c, x, w1, NULL);
    y = op_linear(c, op_relu(c, y), w2, NULL);
    ctx_no_grad_end(c);
    CHECK(c->tape_len == 0 && !y->requires_grad, "no_grad recorded %d ops", c->tape_len);
    params_destroy(ps);
    ctx_destroy(c);
}

/* After the first steps, a training loop obtains no more memory from the allocator. */
TEST(training_loop_stops_allocating_after_warmup)
{
    Ctx *c = ctx_create(backend_cpu(), 2, 5);
    ParamSet *ps = params_create(c);
    Tensor *cw = params_add(ps, "conv.weight", SHAPE(4, 1, 3, 3)), *fw = params_add(ps, "fc.weight", SHAPE(3, 64));
    params_finalize(ps);
    init_torch_default(c, cw, NULL);
    init_torch_default(c, fw, NULL);
    Optimizer *opt = optim_create(ps, optim_defaults(OPT_ADAM, 1e-3f));
    float xs[8 * 64], ys[8];
    for (int i = 0; i < 8 * 64; i++) xs[i] = (float)((i * 37) % 11) / 11.0f;
    for (int i = 0; i < 8; i++) ys[i] = (float)(i % 3);
    int64_t grows = 0, meta = 0, pool_grows = 0;
    for (int step = 0; step < 12; step++) {
        if (step == 3) {
            grows = c->step.grows;
            meta = c->meta.grows;
            pool_grows = c->grads.grows;
        }
        Tensor *x = tensor_from_host(c, SHAPE(8, 1, 8, 8), xs), *y = tensor_from_host(c, SHAPE(8), ys);
        Tensor *h = op_maxpool2d(c, op_relu(c, op_conv2d(c, x, cw, NULL, 1, 1)), 2, 2, 0);
        Tensor *loss = op_cross_entropy_mean(c, op_linear(c, op_reshape(c, h, SHAPE(8, 64)), fw, NULL), y);
        params_zero_grad(ps);
        ag_backward(c, loss);
        optim_step(opt);
        ctx_step_end(c);
    }
    CHECK(c->step.grows == grows && c->meta.grows == meta && c->grads.grows == pool_grows,
          "memory grew after warm-up: step %lld -> %lld, meta %lld -> %lld, pool %lld -> %lld", (long long)grows,
          (long long)c->step.grows, (long long)meta, (long long)c->meta.grows, (long long)pool_grows,
          (long long)c->grads.grows);
    CHECK(c->step.nchunks == 1, "step arena holds %d chunks", c->step.nchunks);
    optim_destroy(opt);
    params_destroy(ps);
    ctx_destroy(c);
}

/* An op output's gradient goes back to the pool once its producer's backward has run: a
 * chain of 12 ops holds at most a few gradients at once, and only the leaf's afterwards. */
TEST(backward_gives_spent_gradients_back_to_the_pool)
{
    Ctx *c = ctx_create(backend_cpu(), 1, 1);
    enum { N = 1000 };
    Tensor *x = tensor_zeros(c, SHAPE(N));
    x->requires_grad = 1;
    Tensor *h = x;
    for (int i = 0; i < 12; i++) h = op_scale(c, op_relu(c, h), 1.5f);
    Tensor *loss = op_sum(c, h);
    ag_backward(c, loss);
    const size_t block = 4 * 1024; /* N floats rounded to their size class */
    CHECK(c->grads.in_use == block, "after backward %zu bytes are lent (want only the leaf's %zu)", c->grads.in_use,
          block);
    CHECK(c->grads.peak <= 3 * block, "peak %zu bytes: more gradients were alive than needed", c->grads.peak);
    CHECK(x->grad != NULL && h->grad == NULL, "the leaf keeps its gradient, intermediates do not");
    int64_t held = c->grads.grows;
    ctx_step_end(c);
    x = tensor_zeros(c, SHAPE(N));
    x->requires_grad = 1;
    h = x;
    for (int i = 0; i < 12; i++) h = op_scale(c, op_relu(c, h), 1.5f);
    ag_backward(c, op_sum(c, h));
    CHECK(c->grads.grows == held, "the second step obtained %lld new blocks", (long long)(c->grads.grows - held));
    ctx_destroy(c);
}
