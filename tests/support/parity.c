/* See parity.h. */
#include "parity.h"

#include "harness.h"
#include "op_cases.h"

#include "autograd.h"
#include "core/philox.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *parity_device(void)
{
    static int checked;
    const char *d = getenv("OCD_PARITY_DEVICE");
    if (!d || !d[0]) d = "cpu-guard";
    if (!checked) {
        const Backend *be = backend_find(d);
        if (!be) harness_skip("the device of OCD_PARITY_DEVICE is not compiled in");
        if (!backend_usable(be)) harness_skip("the device of OCD_PARITY_DEVICE cannot start here");
        checked = 1;
    }
    return d;
}

int parity_exact(void) { return strcmp(parity_device(), "cpu-guard") == 0; }

typedef struct {
    float *out;
    float *grad[OPC_MAX_IN];
    int64_t out_n;
} CaseResult;

/* proj == NULL: forward only */
static CaseResult run_case_on(Ctx *c, const OpCase *oc, float **host, const float *proj)
{
    CaseResult r = {0};
    Tensor *in[OPC_MAX_IN];
    for (int i = 0; i < oc->nin; i++) {
        in[i] = tensor_from_host(c, oc->ndim[i], oc->shape[i], host[i]);
        in[i]->requires_grad = (uint8_t)oc->grad[i];
    }
    c->rng_offset = 4242;
    Tensor *out = op_case_apply(c, oc->op, in, oc->nin, oc->ip, oc->fp);
    r.out_n = out->numel;
    r.out = malloc(sizeof(float) * (size_t)out->numel);
    tensor_download(c, out, r.out);
    if (proj && out->requires_grad) {
        ag_backward_seeded(c, out, tensor_from_host(c, out->ndim, out->shape, proj));
        for (int i = 0; i < oc->nin; i++) {
            if (!oc->grad[i]) continue;
            int64_t n = op_case_numel(oc, i);
            r.grad[i] = calloc((size_t)n, sizeof(float));
            if (in[i]->grad) c->be->download(c->bc, r.grad[i], in[i]->grad, sizeof(float) * (size_t)n);
        }
    }
    ctx_step_end(c);
    return r;
}

static void free_result(CaseResult *r)
{
    free(r->out);
    for (int i = 0; i < OPC_MAX_IN; i++) free(r->grad[i]);
}

/* bit for bit: memcmp, so that -0 vs 0 and NaN payloads count too */
static void check_exact(const char *what, const float *got, const float *want, int64_t n)
{
    for (int64_t j = 0; j < n; j++)
        if (memcmp(&got[j], &want[j], sizeof(float)) != 0) {
            CHECK(0, "%s: element %lld is %.9g, the CPU gives %.9g (bit-identical expected)", what, (long long)j,
                  (double)got[j], (double)want[j]);
            return;
        }
}

int parity_op_cases(Ctx *dev, Ctx *cpu, const ParityTol *tol)
{
    int compared = 0;
    for (int k = 0; k < OP_CASES_COUNT; k++) {
        const OpCase *oc = &OP_CASES[k];
        float *host[OPC_MAX_IN];
        for (int i = 0; i < oc->nin; i++) host[i] = malloc(sizeof(float) * (size_t)op_case_numel(oc, i));
        op_case_draw(oc, 900 + (uint64_t)k, host);
        /* run once on the CPU to learn the output size, then make the projection */
        CaseResult a = run_case_on(cpu, oc, host, NULL);
        float *proj = malloc(sizeof(float) * (size_t)a.out_n);
        for (int64_t j = 0; j < a.out_n; j++) proj[j] = philox_uniform_at(31, 0, j, -1.0f, 1.0f);
        free_result(&a);
        a = run_case_on(cpu, oc, host, proj);
        CaseResult b = run_case_on(dev, oc, host, proj);
        const int conv = strcmp(oc->op, "conv2d") == 0;
        const double atol = conv ? tol->conv_atol : tol->atol, rtol = conv ? tol->conv_rtol : tol->rtol;
        const int exact = atol == 0 && rtol == 0;
        char what[96];
        snprintf(what, sizeof what, "%s output on %s", oc->name, dev->be->name);
        CHECK(b.out_n == a.out_n, "%s: %lld elements, the CPU gives %lld", what, (long long)b.out_n, (long long)a.out_n);
        if (exact)
            check_exact(what, b.out, a.out, a.out_n);
        else
            CHECK_ARRAYS(b.out, a.out, a.out_n, atol, rtol, what);
        for (int i = 0; i < oc->nin; i++) {
            if (!a.grad[i]) continue;
            snprintf(what, sizeof what, "%s d/d input %d on %s", oc->name, i, dev->be->name);
            CHECK(b.grad[i] != NULL, "%s: no gradient", what);
            if (!b.grad[i]) continue;
            if (exact)
                check_exact(what, b.grad[i], a.grad[i], op_case_numel(oc, i));
            else
                CHECK_ARRAYS(b.grad[i], a.grad[i], op_case_numel(oc, i), atol, rtol, what);
        }
        compared++;
        free_result(&a);
        free_result(&b);
        free(proj);
        for (int i = 0; i < oc->nin; i++) free(host[i]);
    }
    return compared;
}

/* ---- sessions ---- */

typedef struct {
    hid_t got;
    ParityRule rule;
    int compared;
} Walk;

static double *read_all(hid_t d, hsize_t *n, int *rank, hsize_t dims[8])
{
    hid_t sp = H5Dget_space(d);
    *rank = H5Sget_simple_extent_ndims(sp);
    if (*rank < 0 || *rank > 8) {
        H5Sclose(sp);
        return NULL;
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    *n = (hsize_t)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    double *v = malloc(sizeof(double) * (*n ? *n : 1));
    if (v && *n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        free(v);
        return NULL;
    }
    return v;
}

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *user)
{
    (void)info;
    Walk *w = user;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0 || H5Iget_type(o) != H5I_DATASET) {
        if (o >= 0) H5Oclose(o);
        return 0;
    }
    char path[512];
    snprintf(path, sizeof path, "/%s", name);
    hid_t ty = H5Dget_type(o);
    const H5T_class_t cls = H5Tget_class(ty);
    H5Tclose(ty);
    double atol = 0, rtol = 0;
    if (w->rule && !w->rule(path, &atol, &rtol)) {
        H5Oclose(o);
        return 0;
    }
    CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, "%s: not a numeric dataset, and no rule skips it", path);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        H5Oclose(o);
        return 0;
    }
    hid_t d2 = H5Lexists(w->got, name, H5P_DEFAULT) > 0 ? H5Dopen(w->got, name, H5P_DEFAULT) : -1;
    CHECK(d2 >= 0, "%s is missing from the device's session", path);
    if (d2 < 0) {
        H5Oclose(o);
        return 0;
    }
    hsize_t na, nb, da[8], db[8];
    int ra, rb;
    double *a = read_all(o, &na, &ra, da), *b = read_all(d2, &nb, &rb, db);
    int same_shape = a && b && ra == rb && na == nb;
    for (int i = 0; same_shape && i < ra; i++) same_shape = da[i] == db[i];
    CHECK(same_shape, "%s: shapes differ (or unreadable): %llu vs %llu elements", path, (unsigned long long)nb,
          (unsigned long long)na);
    if (same_shape) {
        hsize_t worst = 0;
        double worst_excess = 0;
        int bad = 0;
        for (hsize_t i = 0; i < na; i++) {
            const double ref = a[i], got = b[i];
            int ok;
            if (atol == 0 && rtol == 0)
                ok = memcmp(&ref, &got, sizeof ref) == 0 || (isnan(ref) && isnan(got));
            else
                ok = fabs(got - ref) <= atol + rtol * fabs(ref);
            if (!ok) {
                const double excess = fabs(got - ref) - (atol + rtol * fabs(ref));
                if (!bad || excess > worst_excess || isnan(excess)) worst = i, worst_excess = excess;
                bad++;
            }
        }
        CHECK(!bad, "%s: %d of %llu elements differ (atol %g, rtol %g); worst at %llu: %.9g, the CPU %.9g", path, bad,
              (unsigned long long)na, atol, rtol, (unsigned long long)worst, b[worst], a[worst]);
        w->compared++;
    }
    free(a);
    free(b);
    H5Dclose(d2);
    H5Oclose(o);
    return 0;
}

int parity_session_datasets(const char *got_h5, const char *ref_h5, ParityRule rule)
{
    hid_t fa = H5Fopen(ref_h5, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(got_h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(fa >= 0 && fb >= 0, "cannot open %s or %s", ref_h5, got_h5);
    Walk w = {.got = fb, .rule = rule};
    if (fa >= 0 && fb >= 0) H5Lvisit(fa, H5_INDEX_NAME, H5_ITER_INC, visit, &w);
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
    return w.compared;
}
