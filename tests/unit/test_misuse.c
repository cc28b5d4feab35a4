/* Misuse stops the program with a message that names the op and the shapes: each case runs
 * in a child process; the test checks that it aborted and what it said. */
#include "fork_check.h"
#include "harness.h"

#include "autograd.h"
#include "core/check.h"
#include "ops/ops.h"

#include <string.h>

static Ctx *new_ctx(void) { return ctx_create(backend_cpu(), 1, 1); }

static void linear_shape_mismatch(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    op_linear(c, tensor_zeros(c, SHAPE(4, 3)), tensor_zeros(c, SHAPE(5, 7)), NULL);
}

static void conv_channel_mismatch(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    op_conv2d(c, tensor_zeros(c, SHAPE(2, 3, 8, 8)), tensor_zeros(c, SHAPE(6, 1, 5, 5)), NULL, 1, 0);
}

static void broadcast_mismatch(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    op_add(c, tensor_zeros(c, SHAPE(2, 3)), tensor_zeros(c, SHAPE(4)));
}

static void wrong_device(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    Tensor *x = tensor_zeros(c, SHAPE(2, 3));
    Tensor *w = tensor_zeros(c, SHAPE(4, 3));
    w->device = DEV_CUDA; /* as if it had been made by a CUDA context */
    op_linear(c, x, w, NULL);
}

static void backward_twice(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    Tensor *x = tensor_zeros(c, SHAPE(3, 2));
    x->requires_grad = 1;
    Tensor *loss = op_sum(c, op_relu(c, x));
    ag_backward(c, loss);
    ag_backward(c, loss);
}

static void backward_without_grad(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    ag_backward(c, op_sum(c, tensor_zeros(c, SHAPE(3))));
}

static void view_wrong_size(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    tensor_view(c, tensor_zeros(c, SHAPE(3, 4)), SHAPE(5, 2));
}

static void concat_mismatch(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    Tensor *xs[2] = {tensor_zeros(c, SHAPE(2, 3)), tensor_zeros(c, SHAPE(3, 4))};
    op_concat(c, xs, 2, 0);
}

static void labels_out_of_shape(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    op_cross_entropy(c, tensor_zeros(c, SHAPE(4, 10)), tensor_zeros(c, SHAPE(3)));
}

typedef struct {
    const char *name;
    ChildFn fn;
    const char *must[3]; /* substrings the message must contain */
} Misuse;

static const Misuse CASES[] = {
    {"linear shape mismatch", linear_shape_mismatch, {"op_linear", "[4,3]", "[5,7]"}},
    {"conv channel mismatch", conv_channel_mismatch, {"op_conv2d", "[2,3,8,8]", "[6,1,5,5]"}},
    {"broadcast mismatch", broadcast_mismatch, {"add", "[2,3]", "[4]"}},
    {"wrong device", wrong_device, {"op_linear", "[4,3]", "cuda"}},
    {"backward twice", backward_twice, {"ag_backward", "already consumed", "[1]"}},
    {"backward without gradient", backward_without_grad, {"ag_backward", "does not depend", "[1]"}},
    {"view of the wrong size", view_wrong_size, {"tensor_view", "[3,4]", "10 elements"}},
    {"concat mismatch", concat_mismatch, {"op_concat", "[2,3]", "[3,4]"}},
    {"labels of the wrong length", labels_out_of_shape, {"op_cross_entropy", "[4,10]", "[3]"}},
};

TEST(misuse_aborts_naming_the_op_and_the_shapes)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char out[4096];
        int r = run_expect_abort(CASES[i].fn, NULL, out, sizeof out);
        CHECK(r == 1, "%s: the child did not abort (result %d); it said: %s", CASES[i].name, r, out);
        for (int k = 0; k < 3; k++)
            CHECK(strstr(out, CASES[i].must[k]) != NULL, "%s: message lacks \"%s\": %s", CASES[i].name,
                  CASES[i].must[k], out);
        CHECK(strstr(out, "backtrace") != NULL, "%s: no backtrace (call site) in: %s", CASES[i].name, out);
    }
}

/* The check itself must be able to fail: correct use does not abort. */
static void correct_use(void *arg)
{
    (void)arg;
    Ctx *c = new_ctx();
    op_linear(c, tensor_zeros(c, SHAPE(4, 3)), tensor_zeros(c, SHAPE(5, 3)), NULL);
}

TEST(correct_use_does_not_abort)
{
    char out[1024];
    CHECK(run_expect_abort(correct_use, NULL, out, sizeof out) == 0, "correct use aborted: %s", out);
}
