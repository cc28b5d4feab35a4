/* HDF5 helpers; see h5io.h. Error printing of the library is off: its failures come back
 * through Status with the call and object named. */
#include "h5io.h"

#include "core/check.h"

#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct H5File {
    hid_t id;
    char final_path[1024];
    char tmp_path[1040];
    int writing;
};

#define H5_FAIL(st, what, obj) status_fail(st, ERR_IO, "%s: %s failed for '%s' (%s:%d)", f->final_path, what, obj, \
                                           __FILE__, __LINE__)

static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* creation order is tracked so that members list in the order they were written */
static hid_t group_props(void)
{
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);
    if (p >= 0) H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    return p;
}

static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    if (!in || !out) {
        if (in) fclose(in);
        return -1;
    }
    char buf[1 << 16];
    size_t n;
    int ok = 1;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) ok &= fwrite(buf, 1, n, out) == n;
    ok &= !ferror(in);
    fclose(in);
    ok &= fclose(out) == 0;
    return ok ? 0 : -1;
}

H5File *h5w_begin(const char *final_path, const char *base, Status *st)
{
    quiet();
    H5File *f = calloc(1, sizeof *f);
    ENG_CHECK_ALLOC(f);
    snprintf(f->final_path, sizeof f->final_path, "%s", final_path);
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp", final_path);
    f->writing = 1;
    unlink(f->tmp_path); /* a leftover from a killed run */
    if (base) {
        if (copy_file(base, f->tmp_path) != 0) {
            status_fail(st, ERR_IO, "%s: cannot copy to %s", base, f->tmp_path);
            free(f);
            return NULL;
        }
        f->id = H5Fopen(f->tmp_path, H5F_ACC_RDWR, H5P_DEFAULT);
    } else {
        hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        f->id = H5Fcreate(f->tmp_path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
        H5Pclose(fcpl);
    }
    if (f->id < 0) {
        status_fail(st, ERR_IO, "%s: cannot create (HDF5)", f->tmp_path);
        unlink(f->tmp_path);
        free(f);
        return NULL;
    }
    return f;
}

/* opens (creating as needed) the group that will hold `path`'s last component */
static hid_t parent_of(H5File *f, const char *path, const char **leaf)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path[0] == '/' ? path + 1 : path);
    hid_t g = H5Gopen2(f->id, "/", H5P_DEFAULT);
    char *p = buf, *slash;
    while (g >= 0 && (slash = strchr(p, '/')) != NULL) {
        *slash = 0;
        hid_t next;
        if (H5Lexists(g, p, H5P_DEFAULT) > 0) {
            next = H5Gopen2(g, p, H5P_DEFAULT);
        } else {
            hid_t gcpl = group_props();
            next = H5Gcreate2(g, p, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            H5Pclose(gcpl);
        }
        H5Gclose(g);
        g = next;
        p = slash + 1;
    }
    *leaf = path + (p - buf) + (path[0] == '/' ? 1 : 0);
    return g;
}

static int write_data(H5File *f, const char *path, hid_t type, const void *data, int ndim, const int64_t *dims,
                      Status *st)
{
    const char *leaf;
    hid_t g = parent_of(f, path, &leaf);
    if (g < 0) return H5_FAIL(st, "creating the groups", path);
    hsize_t hd[8];
    for (int i = 0; i < ndim; i++) hd[i] = (hsize_t)dims[i];
    if (H5Lexists(g, leaf, H5P_DEFAULT) > 0) H5Ldelete(g, leaf, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(ndim, hd, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    if (n >= 4096) { /* chunked and compressed where it pays */
        hsize_t chunk[8];
        int64_t budget = 1 << 18; /* elements per chunk */
        for (int i = ndim - 1; i >= 0; i--) {
            chunk[i] = hd[i] < (hsize_t)budget ? hd[i] : (hsize_t)budget;
            if (chunk[i] < 1) chunk[i] = 1;
            budget /= (int64_t)chunk[i];
            if (budget < 1) budget = 1;
        }
        H5Pset_chunk(dcpl, ndim, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(g, leaf, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t w = d >= 0 ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Gclose(g);
    return w < 0 ? H5_FAIL(st, "writing the dataset", path) : 0;
}

int h5w_floats(H5File *f, const char *path, const float *data, int ndim, const int64_t *dims, Status *st)
{
    return write_data(f, path, H5T_NATIVE_FLOAT, data, ndim, dims, st);
}

int h5w_doubles(H5File *f, const char *path, const double *data, int ndim, const int64_t *dims, Status *st)
{
    return write_data(f, path, H5T_NATIVE_DOUBLE, data, ndim, dims, st);
}

int h5w_ints(H5File *f, const char *path, const int64_t *data, int ndim, const int64_t *dims, Status *st)
{
    return write_data(f, path, H5T_NATIVE_INT64, data, ndim, dims, st);
}

/* the object an attribute goes on, created as a group when absent */
static hid_t open_obj(H5File *f, const char *obj)
{
    if (!obj || !*obj || strcmp(obj, "/") == 0) return H5Oopen(f->id, "/", H5P_DEFAULT);
    if (H5Lexists(f->id, obj, H5P_DEFAULT) <= 0) {
        char probe[520];
        snprintf(probe, sizeof probe, "%s/x", obj);
        const char *leaf;
        hid_t g = parent_of(f, probe, &leaf);
        if (g < 0) return -1;
        return g; /* the group itself */
    }
    return H5Oopen(f->id, obj, H5P_DEFAULT);
}

static int write_attr(H5File *f, const char *obj, const char *name, hid_t type, const void *v, Status *st)
{
    hid_t o = open_obj(f, obj);
    if (o < 0) return H5_FAIL(st, "opening", obj);
    if (H5Aexists(o, name) > 0) H5Adelete(o, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t w = a >= 0 ? H5Awrite(a, type, v) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Oclose(o);
    return w < 0 ? H5_FAIL(st, "writing an attribute on", obj) : 0;
}

int h5w_attr_str(H5File *f, const char *obj, const char *name, const char *value, Status *st)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int r = write_attr(f, obj, name, t, value, st);
    H5Tclose(t);
    return r;
}

int h5w_attr_double(H5File *f, const char *obj, const char *name, double value, Status *st)
{
    return write_attr(f, obj, name, H5T_NATIVE_DOUBLE, &value, st);
}

int h5w_attr_int(H5File *f, const char *obj, const char *name, int64_t value, Status *st)
{
    return write_attr(f, obj, name, H5T_NATIVE_INT64, &value, st);
}

int h5w_copy_from(H5File *f, const char *src_file, const char *src_path, const char *dst_path, Status *st)
{
    hid_t src = H5Fopen(src_file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (src < 0) return status_fail(st, ERR_IO, "%s: cannot open (HDF5)", src_file);
    if (H5Lexists(f->id, dst_path, H5P_DEFAULT) > 0) H5Ldelete(f->id, dst_path, H5P_DEFAULT);
    herr_t r = H5Ocopy(src, src_path, f->id, dst_path, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(src);
    return r < 0 ? status_fail(st, ERR_IO, "%s: copying %s from %s failed", f->final_path, src_path, src_file) : 0;
}

int h5w_unlink(H5File *f, const char *path, Status *st)
{
    if (H5Lexists(f->id, path, H5P_DEFAULT) > 0 && H5Ldelete(f->id, path, H5P_DEFAULT) < 0)
        return H5_FAIL(st, "removing", path);
    return 0;
}

int h5w_commit(H5File *f, Status *st)
{
    int ok = H5Fflush(f->id, H5F_SCOPE_GLOBAL) >= 0;
    ok &= H5Fclose(f->id) >= 0;
    int fd = ok ? open(f->tmp_path, O_RDONLY) : -1;
    if (fd >= 0) {
        ok &= fsync(fd) == 0;
        close(fd);
    } else {
        ok = 0;
    }
    if (ok && rename(f->tmp_path, f->final_path) != 0) ok = 0;
    int r = ok ? 0 : status_fail(st, ERR_IO, "%s: could not be written (flush, fsync or rename failed)", f->final_path);
    if (!ok) unlink(f->tmp_path);
    free(f);
    return r;
}

void h5w_abort(H5File *f)
{
    if (!f) return;
    H5Fclose(f->id);
    unlink(f->tmp_path);
    free(f);
}

H5File *h5r_open(const char *path, Status *st)
{
    quiet();
    if (access(path, R_OK) != 0) {
        status_fail(st, ERR_IO, "%s: no such file", path);
        return NULL;
    }
    hid_t id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) {
        status_fail(st, ERR_FORMAT, "%s: not a readable HDF5 file", path);
        return NULL;
    }
    H5File *f = calloc(1, sizeof *f);
    ENG_CHECK_ALLOC(f);
    f->id = id;
    snprintf(f->final_path, sizeof f->final_path, "%s", path);
    return f;
}

void h5r_close(H5File *f)
{
    if (!f) return;
    H5Fclose(f->id);
    free(f);
}

int h5r_exists(H5File *f, const char *path)
{
    /* every component must exist for H5Lexists not to fail */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (H5Lexists(f->id, buf, H5P_DEFAULT) <= 0) return 0;
            *p = '/';
        }
    return H5Lexists(f->id, path, H5P_DEFAULT) > 0;
}

int h5r_shape(H5File *f, const char *path, int *ndim, int64_t *dims)
{
    if (!h5r_exists(f, path)) return -1;
    hid_t d = H5Dopen2(f->id, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t hd[8];
    int nd = H5Sget_simple_extent_dims(sp, hd, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    if (nd < 0 || nd > 8) return -1;
    *ndim = nd;
    for (int i = 0; i < nd; i++) dims[i] = (int64_t)hd[i];
    return 0;
}

static int read_data(H5File *f, const char *path, hid_t type, void *out, int64_t expect, Status *st)
{
    int nd;
    int64_t dims[8], n = 1;
    if (h5r_shape(f, path, &nd, dims) != 0)
        return status_fail(st, ERR_FORMAT, "%s: no dataset '%s'", f->final_path, path);
    for (int i = 0; i < nd; i++) n *= dims[i];
    if (expect >= 0 && n != expect)
        return status_fail(st, ERR_FORMAT, "%s: '%s' holds %lld values, expected %lld", f->final_path, path,
                           (long long)n, (long long)expect);
    hid_t d = H5Dopen2(f->id, path, H5P_DEFAULT);
    herr_t r = d >= 0 ? H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) : -1;
    if (d >= 0) H5Dclose(d);
    return r < 0 ? H5_FAIL(st, "reading", path) : 0;
}

int h5r_floats(H5File *f, const char *path, float *out, int64_t expect_numel, Status *st)
{
    return read_data(f, path, H5T_NATIVE_FLOAT, out, expect_numel, st);
}

int h5r_doubles(H5File *f, const char *path, double *out, int64_t expect_numel, Status *st)
{
    return read_data(f, path, H5T_NATIVE_DOUBLE, out, expect_numel, st);
}

int h5r_ints(H5File *f, const char *path, int64_t *out, int64_t expect_numel, Status *st)
{
    return read_data(f, path, H5T_NATIVE_INT64, out, expect_numel, st);
}

static hid_t open_existing(H5File *f, const char *obj)
{
    if (!obj || !*obj || strcmp(obj, "/") == 0) return H5Oopen(f->id, "/", H5P_DEFAULT);
    if (!h5r_exists(f, obj)) return -1;
    return H5Oopen(f->id, obj, H5P_DEFAULT);
}

int h5r_attr_str(H5File *f, const char *obj, const char *name, char *buf, size_t len)
{
    hid_t o = open_existing(f, obj);
    if (o < 0) return 0;
    int ok = 0;
    if (H5Aexists(o, name) > 0) {
        hid_t a = H5Aopen(o, name, H5P_DEFAULT), ft = H5Aget_type(a);
        size_t sz = H5Tget_size(ft);
        char *tmp = calloc(1, sz + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && H5Aread(a, mt, tmp) >= 0) {
            snprintf(buf, len, "%s", tmp);
            ok = 1;
        }
        free(tmp);
        H5Tclose(mt);
        H5Tclose(ft);
        H5Aclose(a);
    }
    H5Oclose(o);
    return ok;
}

static int read_attr(H5File *f, const char *obj, const char *name, hid_t type, void *out)
{
    hid_t o = open_existing(f, obj);
    if (o < 0) return 0;
    int ok = 0;
    if (H5Aexists(o, name) > 0) {
        hid_t a = H5Aopen(o, name, H5P_DEFAULT);
        ok = H5Aread(a, type, out) >= 0;
        H5Aclose(a);
    }
    H5Oclose(o);
    return ok;
}

int h5r_attr_double(H5File *f, const char *obj, const char *name, double *out)
{
    return read_attr(f, obj, name, H5T_NATIVE_DOUBLE, out);
}

int h5r_attr_int(H5File *f, const char *obj, const char *name, int64_t *out)
{
    return read_attr(f, obj, name, H5T_NATIVE_INT64, out);
}

typedef struct {
    char (*names)[128];
    int n, max;
} Members;

static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)g;
    (void)info;
    Members *m = op;
    if (m->n < m->max) snprintf(m->names[m->n++], 128, "%s", name);
    return 0;
}

int h5r_members(H5File *f, const char *group, char (*names)[128], int max)
{
    if (!h5r_exists(f, group) && strcmp(group, "/") != 0) return 0;
    hid_t g = H5Gopen2(f->id, group, H5P_DEFAULT);
    if (g < 0) return 0;
    Members m = {names, 0, max};
    hsize_t idx = 0;
    if (H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect, &m) < 0) {
        m.n = 0;
        idx = 0;
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &m);
    }
    H5Gclose(g);
    return m.n;
}
