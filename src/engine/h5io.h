/* HDF5 helpers for sessions: a writer that builds a whole file under a temporary name and
 * renames it into place only when complete (so a file is either the old one or the new one,
 * whatever moment the process is killed), and a reader. Paths inside the file create their
 * groups as needed ("base/weights/fc1.weight"). Every HDF5 call is checked; failures come
 * back as ERR_IO with the call, the file and the object named. */
#ifndef OCD_H5IO_H
#define OCD_H5IO_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct H5File H5File;

/* Writing: a new file at final_path + ".tmp" (or a copy of `base` when not NULL, to add to). */
H5File *h5w_begin(const char *final_path, const char *base, Status *st);
int h5w_floats(H5File *f, const char *path, const float *data, int ndim, const int64_t *dims, Status *st);
int h5w_doubles(H5File *f, const char *path, const double *data, int ndim, const int64_t *dims, Status *st);
int h5w_ints(H5File *f, const char *path, const int64_t *data, int ndim, const int64_t *dims, Status *st);
int h5w_attr_str(H5File *f, const char *obj, const char *name, const char *value, Status *st);
int h5w_attr_double(H5File *f, const char *obj, const char *name, double value, Status *st);
int h5w_attr_int(H5File *f, const char *obj, const char *name, int64_t value, Status *st);
/* copies object src_path of another file (a whole group) to dst_path */
int h5w_copy_from(H5File *f, const char *src_file, const char *src_path, const char *dst_path, Status *st);
/* removes a link (a stage group being replaced) if present */
int h5w_unlink(H5File *f, const char *path, Status *st);
/* flush, close, fsync, rename into place */
int h5w_commit(H5File *f, Status *st);
void h5w_abort(H5File *f);

/* Reading. */
H5File *h5r_open(const char *path, Status *st);
void h5r_close(H5File *f);
int h5r_exists(H5File *f, const char *path);
/* a dataset's shape (rank through *ndim, dims up to 8); -1 if absent */
int h5r_shape(H5File *f, const char *path, int *ndim, int64_t *dims);
/* reads into caller memory of the dataset's full size */
int h5r_floats(H5File *f, const char *path, float *out, int64_t expect_numel, Status *st);
int h5r_doubles(H5File *f, const char *path, double *out, int64_t expect_numel, Status *st);
int h5r_ints(H5File *f, const char *path, int64_t *out, int64_t expect_numel, Status *st);
int h5r_attr_str(H5File *f, const char *obj, const char *name, char *buf, size_t len);  /* 0 if absent */
int h5r_attr_double(H5File *f, const char *obj, const char *name, double *out);          /* 0 if absent */
int h5r_attr_int(H5File *f, const char *obj, const char *name, int64_t *out);            /* 0 if absent */
/* names of the members of a group, in creation order; returns the count (at most max) */
int h5r_members(H5File *f, const char *group, char (*names)[128], int max);

#ifdef __cplusplus
}
#endif

#endif
