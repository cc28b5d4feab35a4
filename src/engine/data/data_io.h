/* Helpers shared by the dataset loaders (private to src/engine/data/): opening and reading
 * files through zlib (which reads .gz and plain files alike), allocating splits, and the
 * messages every loader gives for the same I/O problems. */
#ifndef OCD_DATA_IO_H
#define OCD_DATA_IO_H

#include "data/dataset.h"

#include <stddef.h>
#include <zlib.h>

/* Opens `path` for reading with gzopen; on failure reports ERR_IO naming the path and the
 * system's reason, and returns NULL. */
gzFile data_gzopen(const char *path, Status *st);

/* Reads up to `len` bytes; returns how many were read (short only at the end of the data),
 * or -1 after reporting a read error or a damaged compressed stream at byte `offset` of the
 * uncompressed data. */
long data_gzread(gzFile f, const char *path, long offset, void *buf, size_t len, Status *st);

/* Closes a file opened for reading; a damaged compressed stream shows up here too. */
int data_gzclose(gzFile f, const char *path, Status *st);

/* The whole (uncompressed) contents of `path`, with a NUL after the last byte so that text
 * can be parsed in place. On failure nothing is left allocated. */
int data_read_all(const char *path, unsigned char **buf, size_t *len, Status *st);

/* malloc that reports ERR_IO, naming what the memory was for, instead of returning NULL
 * silently: the sizes come from the files, so a failure is about the data, not a bug. */
void *data_alloc(size_t bytes, const char *what, Status *st);

/* Allocates x (n * prod(dims)) and y (n) of a split and records its shape. */
int split_alloc(Split *s, int n, int ndim, const int dims[3], const char *what, Status *st);
void split_free(Split *s);

/* Decodes the PNG at `path` into out (H, W, 3) floats in [0, 1]: RGB as is, RGBA composited
 * over white, grey or palette images expanded. A size other than W x H is ERR_FORMAT naming
 * both sizes and `size_from` (where the expected size was declared). */
int data_png_read_rgb(const char *path, int W, int H, const char *size_from, float *out, Status *st);

/* Base name of a path (the part after the last '/'). */
const char *data_basename(const char *path);

#endif
