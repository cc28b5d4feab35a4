/* The cpu-guard backend catches what it is for: host code that reads or writes device
 * memory outside a backend call faults (SIGSEGV), and a host pointer (or another context's
 * memory) handed to a table entry aborts with the entry's and the argument's names. Each
 * case runs in a child process. That correct use works and is bit for bit the CPU is
 * checked here on a small case and, for every op, by guard_parity. */
#include "fork_check.h"
#include "harness.h"

#include "core/ctx.h"
#include "ops/ops.h"

#include <signal.h>
#include <string.h>

static Ctx *guard_ctx(void)
{
    Ctx *c = ctx_create(backend_cpu_guard(), 1, 1);
    if (!c) harness_skip("cpu-guard could not reserve its address space");
    return c;
}

static void host_read(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    Tensor *t = tensor_zeros(c, SHAPE(4));
    volatile float v = t->data[0];
    (void)v;
}

static void host_write(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    Tensor *t = tensor_zeros(c, SHAPE(4));
    t->data[1] = 1.0f;
}

static void host_read_of_a_parameter_gradient(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    Tensor *x = tensor_zeros(c, SHAPE(2, 3));
    x->requires_grad = 1;
    ag_backward(c, op_sum(c, op_relu(c, x)));
    volatile float v = x->grad[0];
    (void)v;
}

static void stale_pointer(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    float *p = c->be->alloc(c->bc, 4096);
    c->be->release(c->bc, p);
    float *q = c->be->alloc(c->bc, 4096); /* a new buffer never takes the old addresses */
    if (q == p) _exit(3);
    c->be->zero(c->bc, q, 4096);
    volatile float v = p[0];
    (void)v;
}

TEST(host_access_to_device_memory_faults)
{
    const struct {
        const char *name;
        ChildFn fn;
    } cases[] = {{"read of a tensor", host_read},
                 {"write to a tensor", host_write},
                 {"read of a gradient", host_read_of_a_parameter_gradient},
                 {"read through a released pointer", stale_pointer}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4096];
        const int r = run_expect_signal(cases[i].fn, NULL, SIGSEGV, out, sizeof out);
        CHECK(r == 1, "%s: the child was not stopped by SIGSEGV (result %d): %s", cases[i].name, r, out);
    }
}

static void host_pointer_to_fill(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    float host[4];
    c->be->fill(c->bc, 4, 1.0f, host);
}

static void host_tensor_through_an_op(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    float host[6] = {-1, 2, -3, 4, -5, 6};
    op_relu(c, tensor_wrap(c, SHAPE(2, 3), host)); /* "device" data that is host memory */
}

static void another_contexts_memory(void *arg)
{
    (void)arg;
    Ctx *a = guard_ctx(), *b = guard_ctx();
    Tensor *t = tensor_zeros(a, SHAPE(8));
    b->be->fill(b->bc, 8, 2.0f, t->data);
}

static void download_into_device_memory(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    Tensor *t = tensor_zeros(c, SHAPE(8)), *u = tensor_zeros(c, SHAPE(8));
    c->be->download(c->bc, u->data, t->data, 8 * sizeof(float));
}

static void release_of_a_foreign_pointer(void *arg)
{
    (void)arg;
    Ctx *c = guard_ctx();
    static float host[16];
    c->be->release(c->bc, host);
}

TEST(host_pointers_given_to_the_table_abort_naming_the_entry_and_argument)
{
    const struct {
        const char *name;
        ChildFn fn;
        const char *must[2];
    } cases[] = {{"host buffer to fill", host_pointer_to_fill, {"fill got y", "not device memory"}},
                 {"host data wrapped as a tensor", host_tensor_through_an_op, {"unary_fwd got x", "not device memory"}},
                 {"another context's buffer", another_contexts_memory, {"fill got y", "another context"}},
                 {"download into device memory", download_into_device_memory, {"download into", "use copy"}},
                 {"release of host memory", release_of_a_foreign_pointer, {"release of", "did not allocate"}}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4096];
        const int r = run_expect_abort(cases[i].fn, NULL, out, sizeof out);
        CHECK(r == 1, "%s: the child did not abort (result %d): %s", cases[i].name, r, out);
        for (int k = 0; k < 2; k++)
            CHECK(strstr(out, cases[i].must[k]) != NULL, "%s: the message lacks \"%s\": %s", cases[i].name,
                  cases[i].must[k], out);
    }
}

/* The checks can fail: the same work done through the table runs, keeps its data between
 * calls, and gives the CPU's numbers. */
TEST(correct_use_passes_the_wall_and_keeps_the_data)
{
    Ctx *c = guard_ctx();
    const float in[6] = {-1, 2, -3, 4, -5, 6};
    Tensor *x = tensor_from_host(c, SHAPE(2, 3), in);
    x->requires_grad = 1;
    Tensor *y = op_relu(c, x);
    Tensor *s = op_sum(c, y);
    ag_backward(c, s);
    float out[6], g[6];
    tensor_download(c, y, out);
    c->be->download(c->bc, g, x->grad, sizeof g);
    for (int i = 0; i < 6; i++) {
        CHECK(out[i] == (in[i] > 0 ? in[i] : 0.0f), "relu[%d] = %g", i, (double)out[i]);
        CHECK(g[i] == (in[i] > 0 ? 1.0f : 0.0f), "d relu[%d] = %g", i, (double)g[i]);
    }
    CHECK(tensor_item(c, s) == 12.0f, "sum of relu");
    ctx_step_end(c);
    /* a step's memory is reused after ctx_step_end, and the wall still stands around it */
    Tensor *z = tensor_from_host(c, SHAPE(2, 3), in);
    float back[6];
    tensor_download(c, z, back);
    CHECK(memcmp(back, in, sizeof in) == 0, "upload/download round trip");
    ctx_destroy(c);
}
