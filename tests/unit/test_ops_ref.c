/* Forward values and input gradients of every op against PyTorch (tests/ref/ops_ref.h5,
 * made by tests/ref/make_ops_ref.py in float64 from float32 inputs).
 *
 * Tolerance: |ours - torch| <= 2e-5 + 2e-4 |torch|. Our float32 results differ from the
 * float64 reference by rounding: each output is a sum of at most ~400 products of O(1)
 * terms (LeNet's 16x5x5 convolution), so the error is ~ sqrt(400) * 6e-8 * |terms| ~ 1e-6
 * absolute, with transcendental functions (exp, erf, tanh) adding ~1e-7 relative. The
 * bounds leave ~10x margin; a wrong formula is off by O(1). */
#include "fixture.h"
#include "harness.h"
#include "op_cases.h"

#include "autograd.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

static const double ATOL = 2e-5, RTOL = 2e-4;

static void run_case(Ctx *c, Fixture *f, const char *name)
{
    char op[64], path[160];
    int ip[OPC_MAX_IP] = {0}, grad[OPC_MAX_IN] = {0};
    float fp[4] = {0};
    CHECK(fixture_attr_string(f, name, "op", op, sizeof op), "%s: no op attribute", name);
    fixture_attr_ints(f, name, "ip", ip, OPC_MAX_IP);
    fixture_attr_floats(f, name, "fp", fp, 4);
    int nin = fixture_attr_ints(f, name, "grad", grad, OPC_MAX_IN);

    Tensor *in[OPC_MAX_IN];
    for (int i = 0; i < nin; i++) {
        int nd, shape[4];
        snprintf(path, sizeof path, "%.60s/in%d", name, i);
        float *h = fixture_read(f, path, &nd, shape);
        CHECK(h != NULL, "%s missing", path);
        if (!h) return;
        in[i] = tensor_from_host(c, nd, shape, h);
        in[i]->requires_grad = (uint8_t)grad[i];
        free(h);
    }
    Tensor *out = op_case_apply(c, op, in, nin, ip, fp);

    int nd, shape[4];
    snprintf(path, sizeof path, "%.60s/out", name);
    float *want = fixture_read(f, path, &nd, shape);
    float *got = malloc(sizeof(float) * (size_t)out->numel);
    tensor_download(c, out, got);
    CHECK(shape_numel(nd, shape) == out->numel, "%s: %lld outputs, reference has %lld", name,
          (long long)out->numel, (long long)shape_numel(nd, shape));
    char what[128];
    snprintf(what, sizeof what, "%.60s forward", name);
    CHECK_ARRAYS(got, want, out->numel, ATOL, RTOL, what);
    free(want);
    free(got);

    if (strcmp(op, "batch_norm") == 0) { /* the running statistics were updated in place */
        const char *after[2] = {"rm_after", "rv_after"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%.60s/%s", name, after[k]);
            float *w = fixture_read(f, path, &nd, shape), *g = malloc(sizeof(float) * (size_t)in[3 + k]->numel);
            tensor_download(c, in[3 + k], g);
            snprintf(what, sizeof what, "%.60s %s", name, after[k]);
            CHECK_ARRAYS(g, w, in[3 + k]->numel, ATOL, RTOL, what);
            free(w);
            free(g);
        }
    }

    snprintf(path, sizeof path, "%.60s/gout", name);
    float *gout = fixture_read(f, path, &nd, shape);
    if (gout) {
        Tensor *seed = tensor_from_host(c, out->ndim, out->shape, gout);
        ag_backward_seeded(c, out, seed);
        for (int i = 0; i < nin; i++) {
            if (!grad[i]) continue;
            snprintf(path, sizeof path, "%.60s/gin%d", name, i);
            float *gw = fixture_read(f, path, &nd, shape), *gg = calloc((size_t)in[i]->numel, sizeof(float));
            if (in[i]->grad) c->be->download(c->bc, gg, in[i]->grad, sizeof(float) * (size_t)in[i]->numel);
            snprintf(what, sizeof what, "%.60s d/d input %d", name, i);
            CHECK_ARRAYS(gg, gw, in[i]->numel, ATOL, RTOL, what);
            free(gw);
            free(gg);
        }
        free(gout);
    }
    ctx_step_end(c);
}

static void run_all(int threads)
{
    Fixture *f = fixture_open(OCD_SOURCE_DIR "/tests/ref/ops_ref.h5");
    CHECK(f != NULL, "tests/ref/ops_ref.h5 is missing: run tests/ref/make_ops_ref.py");
    if (!f) return;
    Ctx *c = ctx_create(backend_cpu(), threads, 1);
    char names[128][64];
    int n = fixture_groups(f, names, 128);
    CHECK(n >= 40, "only %d reference cases", n);
    for (int i = 0; i < n; i++) run_case(c, f, names[i]);
    ctx_destroy(c);
    fixture_close(f);
}

TEST(every_op_matches_pytorch_forward_and_backward) { run_all(2); }
TEST(every_op_matches_pytorch_on_one_thread) { run_all(1); }
