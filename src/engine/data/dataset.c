/* dataset_free and the helpers every loader shares (data_io.h): zlib-backed reading that
 * treats plain and gzip files alike, allocation that reports instead of aborting, and the
 * split bookkeeping. */
#include "data/data_io.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* gzread takes an unsigned length and returns an int: larger reads go in pieces. */
enum { GZ_CHUNK = 1 << 30 };

gzFile data_gzopen(const char *path, Status *st)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        status_fail(st, ERR_IO, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib could not allocate");
    return f;
}

/* zlib's messages start with the path, which ours already name. */
static const char *gz_reason(const char *why, const char *path)
{
    size_t n = strlen(path);
    return strncmp(why, path, n) == 0 && strncmp(why + n, ": ", 2) == 0 ? why + n + 2 : why;
}

long data_gzread(gzFile f, const char *path, long offset, void *buf, size_t len, Status *st)
{
    size_t got = 0;
    while (got < len) {
        size_t want = len - got < (size_t)GZ_CHUNK ? len - got : (size_t)GZ_CHUNK;
        int n = gzread(f, (unsigned char *)buf + got, (unsigned)want);
        int errnum = Z_OK;
        const char *why = gz_reason(gzerror(f, &errnum), path);
        if (n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR)) {
            status_fail(st, errnum == Z_ERRNO ? ERR_IO : ERR_FORMAT, "%s: read error at byte offset %ld: %s", path,
                        offset + (long)got + (n > 0 ? n : 0), errnum == Z_ERRNO ? strerror(errno) : why);
            return -1;
        }
        /* Z_BUF_ERROR: the gzip stream stops in the middle, i.e. a cut-off .gz file. zlib
         * drops the bytes of the failing call, so only the range being read is known. */
        if (errnum == Z_BUF_ERROR) {
            status_fail(st, ERR_FORMAT, "%s: the compressed data is cut off (%s) within uncompressed bytes %ld-%ld",
                        path, why, offset + (long)got, offset + (long)(got + want) - 1);
            return -1;
        }
        got += (size_t)n;
        if ((size_t)n < want) break; /* end of the data */
    }
    return (long)got;
}

int data_gzclose(gzFile f, const char *path, Status *st)
{
    int rc = gzclose_r(f);
    if (rc == Z_OK) return 0;
    return status_fail(st, rc == Z_ERRNO ? ERR_IO : ERR_FORMAT, "%s: error on close (zlib code %d%s%s)", path, rc,
                       rc == Z_ERRNO ? ": " : "", rc == Z_ERRNO ? strerror(errno) : "");
}

int data_read_all(const char *path, unsigned char **buf, size_t *len, Status *st)
{
    *buf = NULL;
    *len = 0;
    gzFile f = data_gzopen(path, st);
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = data_alloc(cap + 1, path, st);
    if (!b) {
        gzclose_r(f); /* already failing: the close's own result adds nothing */
        return -1;
    }
    for (;;) {
        long got = data_gzread(f, path, (long)n, b + n, cap - n, st);
        if (got < 0) goto fail;
        n += (size_t)got;
        if (n < cap) break;
        if (cap > (size_t)LONG_MAX / 2) {
            status_fail(st, ERR_FORMAT, "%s: larger than %zu bytes", path, cap);
            goto fail;
        }
        unsigned char *nb = realloc(b, 2 * cap + 1);
        if (!nb) {
            status_fail(st, ERR_IO, "%s: cannot allocate %zu bytes to read it", path, 2 * cap + 1);
            goto fail;
        }
        b = nb;
        cap *= 2;
    }
    if (data_gzclose(f, path, st) != 0) {
        free(b);
        return -1;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
fail:
    gzclose_r(f);
    free(b);
    return -1;
}

void *data_alloc(size_t bytes, const char *what, Status *st)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) status_fail(st, ERR_IO, "%s: cannot allocate %zu bytes", what, bytes);
    return p;
}

int split_alloc(Split *s, int n, int ndim, const int dims[3], const char *what, Status *st)
{
    size_t per = 1;
    memset(s, 0, sizeof *s);
    for (int d = 0; d < ndim; d++) {
        s->dims[d] = dims[d];
        per *= (size_t)dims[d];
    }
    s->x = data_alloc((size_t)n * per * sizeof(float), what, st);
    s->y = s->x ? data_alloc((size_t)n * sizeof(float), what, st) : NULL;
    if (!s->y) {
        split_free(s);
        return -1;
    }
    s->n = n;
    s->ndim = ndim;
    return 0;
}

void split_free(Split *s)
{
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

const char *data_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void views_free(ViewSet *v)
{
    free(v->images);
    free(v->poses);
    free(v->names);
    memset(v, 0, sizeof *v);
}

int dataset_hold_out_val(Dataset *ds, int n, Status *st)
{
    if (n <= 0) return 0;
    if (ds->task == TASK_NERF || ds->val.n > 0)
        return status_fail(st, ERR_CONFIG, "data.val_count = %d: %s %s", n, ds->name,
                           ds->task == TASK_NERF ? "has no training images to hold out (NeRF views)"
                                                 : "has its own validation split already (set data.val_count = 0)");
    Split *tr = &ds->train;
    if (n >= tr->n)
        return status_fail(st, ERR_CONFIG, "data.val_count = %d leaves no training samples (%s has %d)", n, ds->name, tr->n);
    size_t per = 1;
    for (int d = 0; d < tr->ndim; d++) per *= (size_t)tr->dims[d];
    if (split_alloc(&ds->val, n, tr->ndim, tr->dims, "the validation split", st)) return -1;
    const int keep = tr->n - n;
    memcpy(ds->val.x, tr->x + (size_t)keep * per, sizeof(float) * per * (size_t)n);
    memcpy(ds->val.y, tr->y + keep, sizeof(float) * (size_t)n);
    /* the training split keeps its first `keep` samples; its buffers stay as they are */
    tr->n = keep;
    return 0;
}

void dataset_free(Dataset *ds)
{
    if (!ds) return;
    split_free(&ds->train);
    split_free(&ds->val);
    split_free(&ds->test);
    views_free(&ds->views_train);
    views_free(&ds->views_test);
    memset(ds, 0, sizeof *ds);
}
