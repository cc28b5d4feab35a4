/* CIFAR-10 in the official binary record layout (1 label byte, then 1024 R, 1024 G and 1024 B
 * bytes, each plane 32x32 row-major): the bundled subsets, or the official batches where
 * they are present. Read through zlib, so a gzip-compressed copy reads the same. */
#include "data/data_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CIFAR_SIDE = 32, CIFAR_PIXELS = 3 * 32 * 32, CIFAR_RECORD = 1 + CIFAR_PIXELS, CIFAR_CLASSES = 10 };

/* The official file's name if it is there, else the bundled subset's. */
static void cifar_pick(const char *dir, const char *official, const char *subset, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, official);
    if (access(path, F_OK) != 0) snprintf(path, cap, "%s/%s", dir, subset);
}

static int cifar_load_file(const char *path, Split *s, Status *st)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    if (data_read_all(path, &buf, &len, st) != 0) return -1;
    size_t n = len / CIFAR_RECORD;
    if (len == 0 || len % CIFAR_RECORD != 0) {
        status_fail(st, ERR_FORMAT,
                    "%s: %zu bytes is not a whole number of %d-byte records: record %zu, at byte offset %zu, is cut "
                    "off",
                    path, len, CIFAR_RECORD, n, n * CIFAR_RECORD);
        goto fail;
    }
    if (n > (size_t)(INT32_MAX / CIFAR_PIXELS)) {
        status_fail(st, ERR_FORMAT, "%s: %zu records, more than this loader can index", path, n);
        goto fail;
    }
    const int dims[3] = {3, CIFAR_SIDE, CIFAR_SIDE};
    if (split_alloc(s, (int)n, 3, dims, path, st) != 0) goto fail;
    for (size_t k = 0; k < n; k++) {
        const unsigned char *rec = buf + k * CIFAR_RECORD;
        if (rec[0] >= CIFAR_CLASSES) {
            status_fail(st, ERR_FORMAT, "%s: record %zu has label %u at byte offset %zu, expected 0-9", path, k,
                        rec[0], k * CIFAR_RECORD);
            goto fail;
        }
        s->y[k] = (float)rec[0];
        /* the record's R, G, B planes are already the (3, 32, 32) layout; a division, not a
         * multiply by 1/255, gives the same floats as PyTorch's ToTensor */
        float *x = s->x + k * CIFAR_PIXELS;
        for (int i = 0; i < CIFAR_PIXELS; i++) x[i] = (float)rec[1 + i] / 255.0f;
    }
    free(buf);
    return 0;
fail:
    free(buf);
    split_free(s);
    return -1;
}

int dataset_load_cifar10(const char *dir, Dataset *ds, Status *st)
{
    char train[4096], test[4096];
    memset(ds, 0, sizeof *ds);
    cifar_pick(dir, "data_batch_1.bin", "data_batch_1_first2000.bin", train, sizeof train);
    cifar_pick(dir, "test_batch.bin", "test_batch_first1000.bin", test, sizeof test);
    if (cifar_load_file(train, &ds->train, st) != 0 || cifar_load_file(test, &ds->test, st) != 0) {
        dataset_free(ds);
        return -1;
    }
    ds->task = TASK_CLASSIFICATION;
    snprintf(ds->name, sizeof ds->name, "cifar10");
    ds->n_classes = CIFAR_CLASSES;
    return 0;
}
