/* Small helpers the OCD stages share: Philox permutations, mean and
 * sample standard deviation, and reading a committed stage's arrays from the session. */
#ifndef OCD_UTIL_H
#define OCD_UTIL_H

#include "core/clock.h"
#include "core/status.h"
#include "h5io.h"

#include <stdint.h>

/* a permutation of 0..n-1 from Philox (seed, stream): Fisher-Yates, reproducible anywhere */
void ocd_permutation(uint64_t seed, uint64_t stream, int64_t n, int64_t *idx);
void ocd_mean_sd(const double *x, int n, double *mean, double *sd); /* sd with n-1; 0 for n < 2 */

/* reads a whole float/double/int dataset of a known size, allocating it; NULL on error (st set) */
float *h5_read_floats_alloc(H5File *f, const char *path, int64_t *numel, Status *st);
double *h5_read_doubles_alloc(H5File *f, const char *path, int64_t *numel, Status *st);
int64_t *h5_read_ints_alloc(H5File *f, const char *path, int64_t *numel, Status *st);

/* a stage's work file (session_work_path) opened for writing, keeping what it holds when it
 * exists; and opened for reading, NULL without a message when there is none yet */
H5File *ocd_work_begin(const char *work, Status *st);
H5File *ocd_work_open(const char *work);

/* the row of `rows` (n x d) nearest to q in L2 (the first of ties) */
int ocd_nearest(const float *rows, int n, int d, const float *q);

#endif
