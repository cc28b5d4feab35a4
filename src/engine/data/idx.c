/* MNIST from the IDX files (big-endian header, then u8 pixels or labels), read through zlib
 * so the .gz and the plain file take the same path. Every header field and the data length
 * are checked against what the header declares, with the byte offset of any problem. */
#include "data/data_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IDX_IMAGES_MAGIC = 2051, IDX_LABELS_MAGIC = 2049, MNIST_SIDE = 28, MNIST_PIXELS = 28 * 28 };
/* The pixels are read in pieces of this many images, so the raw bytes never sit beside the
 * floats in full. */
enum { IDX_CHUNK_IMAGES = 1024 };

typedef struct {
    gzFile f;
    char path[4096];
    long offset; /* bytes consumed so far */
} IdxFile;

/* Opens dir/name.gz, or dir/name when there is no .gz. */
static int idx_open(IdxFile *idx, const char *dir, const char *name, Status *st)
{
    snprintf(idx->path, sizeof idx->path, "%s/%s.gz", dir, name);
    idx->offset = 0;
    errno = 0;
    idx->f = gzopen(idx->path, "rb");
    if (idx->f) return 0;
    if (errno != ENOENT) return status_fail(st, ERR_IO, "%s: cannot open: %s", idx->path, strerror(errno));
    snprintf(idx->path, sizeof idx->path, "%s/%s", dir, name);
    errno = 0;
    idx->f = gzopen(idx->path, "rb");
    if (idx->f) return 0;
    return status_fail(st, ERR_IO, "%s: cannot open (nor %s.gz): %s", idx->path, idx->path,
                       errno ? strerror(errno) : "zlib could not allocate");
}

/* Reads exactly `len` bytes; fewer means the file is shorter than its header says
 * (expected_total: the file size the header declares; -1 while reading the header). */
static int idx_read(IdxFile *idx, void *buf, size_t len, long expected_total, Status *st)
{
    long got = data_gzread(idx->f, idx->path, idx->offset, buf, len, st);
    if (got < 0) return -1;
    idx->offset += got;
    if ((size_t)got < len && expected_total < 0)
        return status_fail(st, ERR_FORMAT, "%s: truncated: %ld bytes, too short for the %zu-byte IDX header",
                           idx->path, idx->offset, len);
    if ((size_t)got < len)
        return status_fail(st, ERR_FORMAT,
                           "%s: truncated: the data ends at byte offset %ld (%ld bytes), the header declares %ld bytes",
                           idx->path, idx->offset, idx->offset, expected_total);
    return 0;
}

static uint32_t idx_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads and checks the header: magic at offset 0, count at 4, and for images rows and cols
 * at 8 and 12. */
static int idx_header(IdxFile *idx, uint32_t magic, uint32_t *count, Status *st)
{
    unsigned char h[16];
    size_t hlen = magic == IDX_IMAGES_MAGIC ? 16 : 8;
    if (idx_read(idx, h, hlen, -1, st) != 0) return -1;
    uint32_t m = idx_be32(h);
    if (m != magic)
        return status_fail(st, ERR_FORMAT, "%s: magic number %u (0x%08x) at byte offset 0, expected %u (IDX %s)",
                           idx->path, m, m, magic, magic == IDX_IMAGES_MAGIC ? "images" : "labels");
    *count = idx_be32(h + 4);
    /* the count must leave n * 784 floats addressable by an int index */
    if (*count == 0 || *count > (uint32_t)(INT32_MAX / MNIST_PIXELS))
        return status_fail(st, ERR_FORMAT, "%s: implausible sample count %u at byte offset 4", idx->path, *count);
    if (magic == IDX_IMAGES_MAGIC) {
        uint32_t rows = idx_be32(h + 8), cols = idx_be32(h + 12);
        if (rows != MNIST_SIDE || cols != MNIST_SIDE)
            return status_fail(st, ERR_FORMAT, "%s: images are %ux%u (byte offsets 8 and 12), expected %dx%d",
                               idx->path, rows, cols, MNIST_SIDE, MNIST_SIDE);
    }
    return 0;
}

/* After the declared data there must be nothing: extra bytes mean the header's count is
 * wrong. */
static int idx_expect_end(IdxFile *idx, Status *st)
{
    unsigned char extra;
    long got = data_gzread(idx->f, idx->path, idx->offset, &extra, 1, st);
    if (got < 0) return -1;
    if (got > 0)
        return status_fail(st, ERR_FORMAT, "%s: data continues past byte offset %ld, where the header says it ends",
                           idx->path, idx->offset);
    return 0;
}

static int idx_close(IdxFile *idx, Status *st)
{
    gzFile f = idx->f;
    idx->f = NULL;
    return f ? data_gzclose(f, idx->path, st) : 0;
}

/* Reads one images/labels pair into a split holding the first `max` samples (0: all). */
static int idx_load_pair(const char *dir, const char *images, const char *labels, int max, Split *s, Status *st)
{
    IdxFile im = {0}, lb = {0};
    unsigned char *chunk = NULL;
    uint32_t n_im = 0, n_lb = 0;
    if (idx_open(&im, dir, images, st) != 0 || idx_header(&im, IDX_IMAGES_MAGIC, &n_im, st) != 0) goto fail;
    if (idx_open(&lb, dir, labels, st) != 0 || idx_header(&lb, IDX_LABELS_MAGIC, &n_lb, st) != 0) goto fail;
    if (n_im != n_lb) {
        status_fail(st, ERR_FORMAT, "%s declares %u images (byte offset 4) but %s declares %u labels", im.path, n_im,
                    lb.path, n_lb);
        goto fail;
    }
    int keep = max > 0 && (uint32_t)max < n_im ? max : (int)n_im;
    const int dims[3] = {1, MNIST_SIDE, MNIST_SIDE};
    if (split_alloc(s, keep, 3, dims, im.path, st) != 0) goto fail;

    /* Labels: all of them are read and checked, also those beyond `keep`. */
    long lb_total = 8 + (long)n_lb;
    chunk = data_alloc((size_t)IDX_CHUNK_IMAGES * MNIST_PIXELS, im.path, st);
    if (!chunk) goto fail;
    for (uint32_t done = 0; done < n_lb;) {
        uint32_t k = n_lb - done < IDX_CHUNK_IMAGES ? n_lb - done : IDX_CHUNK_IMAGES;
        if (idx_read(&lb, chunk, k, lb_total, st) != 0) goto fail;
        for (uint32_t i = 0; i < k; i++) {
            if (chunk[i] > 9) {
                status_fail(st, ERR_FORMAT, "%s: label %u at byte offset %ld is not a digit 0-9", lb.path, chunk[i],
                            8L + (long)(done + i));
                goto fail;
            }
            if (done + i < (uint32_t)keep) s->y[done + i] = (float)chunk[i];
        }
        done += k;
    }
    if (idx_expect_end(&lb, st) != 0) goto fail;

    /* Images: the whole file is read so that a truncated one is caught even when only the
     * first few samples are kept. */
    long im_total = 16 + (long)n_im * MNIST_PIXELS;
    for (uint32_t done = 0; done < n_im;) {
        uint32_t k = n_im - done < IDX_CHUNK_IMAGES ? n_im - done : IDX_CHUNK_IMAGES;
        if (idx_read(&im, chunk, (size_t)k * MNIST_PIXELS, im_total, st) != 0) goto fail;
        uint32_t use = done >= (uint32_t)keep ? 0 : ((uint32_t)keep - done < k ? (uint32_t)keep - done : k);
        float *x = s->x + (size_t)done * MNIST_PIXELS;
        /* a division, not a multiply by 1/255: the same floats as PyTorch's ToTensor */
        for (size_t i = 0; i < (size_t)use * MNIST_PIXELS; i++) x[i] = (float)chunk[i] / 255.0f;
        done += k;
    }
    if (idx_expect_end(&im, st) != 0) goto fail;

    free(chunk);
    int rc_im = idx_close(&im, st), rc_lb = idx_close(&lb, st);
    if (rc_im != 0 || rc_lb != 0) {
        split_free(s);
        return -1;
    }
    return 0;
fail:
    free(chunk);
    if (im.f) gzclose_r(im.f); /* already failing: the close's own result adds nothing */
    if (lb.f) gzclose_r(lb.f);
    split_free(s);
    return -1;
}

int dataset_load_mnist(const char *dir, int max_train, int max_test, Dataset *ds, Status *st)
{
    memset(ds, 0, sizeof *ds);
    if (idx_load_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", max_train, &ds->train, st) != 0 ||
        idx_load_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", max_test, &ds->test, st) != 0) {
        dataset_free(ds);
        return -1;
    }
    ds->task = TASK_CLASSIFICATION;
    snprintf(ds->name, sizeof ds->name, "mnist");
    ds->n_classes = 10;
    return 0;
}
