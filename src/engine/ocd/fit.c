/* See fit.h. */
#include "ocd/fit.h"

#include "ocd/sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double fit_cosine(const float *a, const float *b, int64_t n)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int64_t e = 0; e < n; e++) {
        ab += (double)a[e] * b[e];
        aa += (double)a[e] * a[e];
        bb += (double)b[e] * b[e];
    }
    return aa > 0.0 && bb > 0.0 ? ab / sqrt(aa * bb) : 0.0;
}

double fit_norm_ratio(const float *a, const float *b, int64_t n)
{
    double aa = 0.0, bb = 0.0;
    for (int64_t e = 0; e < n; e++) {
        aa += (double)a[e] * a[e];
        bb += (double)b[e] * b[e];
    }
    return bb > 0.0 ? sqrt(aa / bb) : 0.0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double fit_quantile(const double *x, int n, double q)
{
    if (n <= 0) return NAN;
    double *s = malloc(sizeof(double) * (size_t)n);
    memcpy(s, x, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    const double pos = q * (n - 1);
    const int lo = (int)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    const double v = s[lo] + (pos - lo) * (s[hi] - s[lo]);
    free(s);
    return v;
}

static double mean_of(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += x[i];
    return n > 0 ? s / n : NAN;
}

int fit_measure(StageEnv *env, Task *t, const Collected *k, WNet *w, const Schedule *sch, const int *which, int n,
                FitSet *out)
{
    memset(out, 0, sizeof *out);
    if (n <= 0) return 0;
    enum { CHUNK = 64 }; /* samples per sampler call: bounds the U-Net's activations */
    const int64_t per = (int64_t)k->rows * k->cols;
    const CondDims d = k->d;
    out->n = n;
    out->cos = calloc((size_t)n, sizeof(double));
    out->cos_other = calloc((size_t)n, sizeof(double));
    out->ratio = calloc((size_t)n, sizeof(double));
    float *truth = malloc(sizeof(float) * (size_t)((CHUNK + 1) * per)), *om = malloc(sizeof(float) * (size_t)(CHUNK * per));
    float *cin = malloc(sizeof(float) * (size_t)(CHUNK * d.din)), *cact = malloc(sizeof(float) * (size_t)(CHUNK * d.dact));
    float *cout = malloc(sizeof(float) * (size_t)(CHUNK * d.dout));
    uint64_t ids[CHUNK];
    int sel[CHUNK + 1], rc = 0;
    const SamplerOpts base = {.key = FIT_DRAW_KEY, .dropout = cfg_bool(env->cfg, "diffusion.sample_dropout")};
    for (int i0 = 0; i0 < n && rc == 0; i0 += CHUNK) {
        const int B = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (int b = 0; b < B; b++) {
            const int j = which[i0 + b];
            sel[b] = j;
            ids[b] = (uint64_t)j; /* the draw depends on the sample, not on the chunk */
            memcpy(cin + (int64_t)b * d.din, k->cin + (int64_t)j * d.din, sizeof(float) * (size_t)d.din);
            memcpy(cact + (int64_t)b * d.dact, k->cact + (int64_t)j * d.dact, sizeof(float) * (size_t)d.dact);
            memcpy(cout + (int64_t)b * d.dout, k->cout + (int64_t)j * d.dout, sizeof(float) * (size_t)d.dout);
        }
        sel[B] = which[(i0 + B) % n]; /* the "other sample" of the chunk's last one */
        rc = collect_directions(env, t, k, sel, B + 1, truth);
        SamplerOpts o = base;
        o.ids = ids;
        rc = rc ? rc : sampler_run(env->c, w, sch, cin, cact, cout, B, &o, om);
        for (int b = 0; b < B && rc == 0; b++) {
            const float *a = om + b * per, *tr = truth + b * per, *other = truth + (b + 1) * per;
            out->cos[i0 + b] = fit_cosine(a, tr, per);
            out->cos_other[i0 + b] = fit_cosine(a, other, per);
            out->ratio[i0 + b] = fit_norm_ratio(a, tr, per);
        }
    }
    free(truth);
    free(om);
    free(cin);
    free(cact);
    free(cout);
    if (rc) {
        fit_free(out);
        return -1;
    }
    const double qs[3] = {0.25, 0.5, 0.75};
    out->cos_mean = mean_of(out->cos, n);
    out->cos_other_mean = mean_of(out->cos_other, n);
    out->ratio_mean = mean_of(out->ratio, n);
    for (int q = 0; q < 3; q++) {
        out->cos_q[q] = fit_quantile(out->cos, n, qs[q]);
        out->ratio_q[q] = fit_quantile(out->ratio, n, qs[q]);
    }
    return 0;
}

int fit_save(H5File *f, const char *grp, const FitSet *s, Status *st)
{
    char p[200];
    const int64_t n = s->n;
    int r = h5w_attr_int(f, grp, "n", s->n, st);
    if (s->n > 0) {
        r = r ? r : (snprintf(p, sizeof p, "%s/cos", grp), h5w_doubles(f, p, s->cos, 1, &n, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/cos_other", grp), h5w_doubles(f, p, s->cos_other, 1, &n, st));
        r = r ? r : (snprintf(p, sizeof p, "%s/norm_ratio", grp), h5w_doubles(f, p, s->ratio, 1, &n, st));
    }
    r = r ? r : h5w_attr_double(f, grp, "cos_mean", s->cos_mean, st);
    r = r ? r : h5w_attr_double(f, grp, "cos_q25", s->cos_q[0], st);
    r = r ? r : h5w_attr_double(f, grp, "cos_median", s->cos_q[1], st);
    r = r ? r : h5w_attr_double(f, grp, "cos_q75", s->cos_q[2], st);
    r = r ? r : h5w_attr_double(f, grp, "cos_other_mean", s->cos_other_mean, st);
    r = r ? r : h5w_attr_double(f, grp, "norm_ratio_mean", s->ratio_mean, st);
    r = r ? r : h5w_attr_double(f, grp, "norm_ratio_median", s->ratio_q[1], st);
    return r;
}

void fit_free(FitSet *s)
{
    free(s->cos);
    free(s->cos_other);
    free(s->ratio);
    memset(s, 0, sizeof *s);
}
