/* HDF5 fixture reader; every library call is checked. */
#include "fixture.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_H5(call)                                                                             \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            fprintf(stderr, "%s:%d: HDF5 call failed: %s\n", __FILE__, __LINE__, #call);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct Fixture {
    hid_t file;
};

Fixture *fixture_open(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* we report failures ourselves */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        fprintf(stderr, "fixture: cannot open %s\n", path);
        return NULL;
    }
    Fixture *fx = malloc(sizeof *fx);
    fx->file = f;
    return fx;
}

void fixture_close(Fixture *f)
{
    if (!f) return;
    CHECK_H5(H5Fclose(f->file));
    free(f);
}

typedef struct {
    char (*names)[64];
    int n, max;
} GroupList;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)g;
    (void)info;
    GroupList *l = op;
    if (l->n < l->max) snprintf(l->names[l->n++], 64, "%s", name);
    return 0;
}

int fixture_groups(Fixture *f, char (*names)[64], int max)
{
    GroupList l = {names, 0, max};
    hsize_t idx = 0;
    /* creation order is tracked by the writer; fall back to names when it is not */
    if (H5Literate(f->file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect, &l) < 0) {
        l.n = 0;
        idx = 0;
        CHECK_H5(H5Literate(f->file, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &l));
    }
    return l.n;
}

int fixture_has(Fixture *f, const char *path) { return H5Lexists(f->file, path, H5P_DEFAULT) > 0; }

float *fixture_read(Fixture *f, const char *path, int *ndim, int shape[4])
{
    if (!fixture_has(f, path)) return NULL;
    hid_t d = H5Dopen2(f->file, path, H5P_DEFAULT);
    CHECK_H5(d);
    hid_t sp = H5Dget_space(d);
    CHECK_H5(sp);
    hsize_t dims[8];
    int nd = H5Sget_simple_extent_dims(sp, dims, NULL);
    CHECK_H5(nd);
    long n = 1;
    *ndim = nd == 0 ? 1 : nd;
    shape[0] = 1;
    for (int i = 0; i < nd && i < 4; i++) {
        shape[i] = (int)dims[i];
        n *= (long)dims[i];
    }
    float *buf = malloc(sizeof(float) * (size_t)(n ? n : 1));
    CHECK_H5(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    CHECK_H5(H5Sclose(sp));
    CHECK_H5(H5Dclose(d));
    return buf;
}

static int read_attr(Fixture *f, const char *obj, const char *name, hid_t type, void *out, int max)
{
    if (H5Aexists_by_name(f->file, obj, name, H5P_DEFAULT) <= 0) return 0;
    hid_t a = H5Aopen_by_name(f->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    CHECK_H5(a);
    hid_t sp = H5Aget_space(a);
    CHECK_H5(sp);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    CHECK_H5(n);
    int got = 0;
    if (n <= max) {
        CHECK_H5(H5Aread(a, type, out));
        got = (int)n;
    }
    CHECK_H5(H5Sclose(sp));
    CHECK_H5(H5Aclose(a));
    return got;
}

int fixture_attr_ints(Fixture *f, const char *obj, const char *name, int *out, int max)
{
    return read_attr(f, obj, name, H5T_NATIVE_INT, out, max);
}

int fixture_attr_floats(Fixture *f, const char *obj, const char *name, float *out, int max)
{
    return read_attr(f, obj, name, H5T_NATIVE_FLOAT, out, max);
}

int fixture_attr_string(Fixture *f, const char *obj, const char *name, char *buf, size_t len)
{
    if (H5Aexists_by_name(f->file, obj, name, H5P_DEFAULT) <= 0) return 0;
    hid_t a = H5Aopen_by_name(f->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    CHECK_H5(a);
    hid_t ft = H5Aget_type(a);
    CHECK_H5(ft);
    int ok = 0;
    if (H5Tis_variable_str(ft) > 0) {
        char *s = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        CHECK_H5(H5Tset_size(mt, H5T_VARIABLE));
        CHECK_H5(H5Tset_cset(mt, H5Tget_cset(ft)));
        CHECK_H5(H5Aread(a, mt, &s));
        snprintf(buf, len, "%s", s ? s : "");
        H5free_memory(s);
        CHECK_H5(H5Tclose(mt));
        ok = 1;
    } else {
        size_t sz = H5Tget_size(ft);
        char *tmp = calloc(1, sz + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        CHECK_H5(H5Tset_size(mt, sz));
        CHECK_H5(H5Tset_cset(mt, H5Tget_cset(ft)));
        CHECK_H5(H5Aread(a, mt, tmp));
        snprintf(buf, len, "%s", tmp);
        free(tmp);
        CHECK_H5(H5Tclose(mt));
        ok = 1;
    }
    CHECK_H5(H5Tclose(ft));
    CHECK_H5(H5Aclose(a));
    return ok;
}
