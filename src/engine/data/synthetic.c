/* A generated regression task (tests and quick demos; nothing is read from disk): features
 * x ~ U(-1, 1)^4 from Philox, target y = sin(pi x1) (1 + x2) + x3^2 - x4 / 2. Small MLPs
 * underfit it in a few epochs, leaving a residual that is a smooth function of x: the case in
 * which a per-sample shift of the first layer is predictable from the input (OCD's premise).
 * Train and test are drawn independently; features and target are standardised with the
 * training statistics, as California's. */
#include "data/data_io.h"

#include "core/philox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SYN_FEATURES = 4 };

static float uniform(uint64_t seed, uint64_t i)
{
    const PhiloxOut r = philox4x32(seed ^ 0x5717ull, i);
    return (float)((double)r.v[0] / 4294967296.0 * 2.0 - 1.0);
}

static double target(const float *x) { return sin(M_PI * x[0]) * (1.0 + x[1]) + (double)x[2] * x[2] - 0.5 * x[3]; }

static int fill(Split *s, int n, uint64_t seed, uint64_t stream, Status *st)
{
    s->n = n;
    s->ndim = 1;
    s->dims[0] = SYN_FEATURES;
    s->x = data_alloc((size_t)n * SYN_FEATURES * sizeof(float), "synthetic", st);
    s->y = data_alloc((size_t)n * sizeof(float), "synthetic", st);
    if (!s->x || !s->y) return -1;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < SYN_FEATURES; k++) s->x[i * SYN_FEATURES + k] = uniform(seed, stream + (uint64_t)i * SYN_FEATURES + k);
        s->y[i] = (float)target(s->x + i * SYN_FEATURES);
    }
    return 0;
}

int dataset_make_synthetic(int n_train, int n_test, uint64_t seed, Dataset *ds, Status *st)
{
    memset(ds, 0, sizeof *ds);
    ds->task = TASK_REGRESSION;
    snprintf(ds->name, sizeof ds->name, "synthetic");
    ds->nfeat = SYN_FEATURES;
    if (fill(&ds->train, n_train, seed, 0, st) || fill(&ds->test, n_test, seed, (uint64_t)1 << 40, st)) {
        dataset_free(ds);
        return -1;
    }
    /* standardise with the training statistics */
    for (int k = 0; k <= SYN_FEATURES; k++) {
        double m = 0.0, ss = 0.0;
        for (int i = 0; i < n_train; i++) m += k < SYN_FEATURES ? ds->train.x[i * SYN_FEATURES + k] : ds->train.y[i];
        m /= n_train;
        for (int i = 0; i < n_train; i++) {
            const double v = (k < SYN_FEATURES ? ds->train.x[i * SYN_FEATURES + k] : ds->train.y[i]) - m;
            ss += v * v;
        }
        const float sd = (float)sqrt(ss / (n_train > 1 ? n_train - 1 : 1));
        if (k < SYN_FEATURES) {
            ds->feat_mean[k] = (float)m;
            ds->feat_std[k] = sd;
        } else {
            ds->y_mean = (float)m;
            ds->y_std = sd;
        }
    }
    Split *sp[2] = {&ds->train, &ds->test};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < sp[s]->n; i++) {
            for (int k = 0; k < SYN_FEATURES; k++) {
                float *v = &sp[s]->x[i * SYN_FEATURES + k];
                *v = (*v - ds->feat_mean[k]) / ds->feat_std[k];
            }
            sp[s]->y[i] = (sp[s]->y[i] - ds->y_mean) / ds->y_std;
        }
    return 0;
}
