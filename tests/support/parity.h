/* Comparing a device with the CPU reference, for the CUDA parity tests (with tolerances)
 * and the cpu-guard tests (bit for bit, since cpu-guard runs the CPU's own kernels):
 *   - every case of the op-test table: the output and every input gradient;
 *   - every numeric dataset of two session files, by path. */
#ifndef OCD_TEST_PARITY_H
#define OCD_TEST_PARITY_H

#include "core/ctx.h"

/* The device under test: OCD_PARITY_DEVICE, default cpu-guard. The test program is skipped
 * (exit 77) when that device is not compiled in or cannot start here. */
const char *parity_device(void);
/* 1 on cpu-guard, which runs the CPU's own kernels: everything must be bit for bit */
int parity_exact(void);

/* |dev - cpu| <= atol + rtol |cpu|; convolutions get their own pair (cuDNN's algorithms
 * transform their inputs). All zero: bit for bit. */
typedef struct {
    double atol, rtol;
    double conv_atol, conv_rtol;
} ParityTol;

/* Runs every op case on both contexts, CHECKs each output and input gradient; returns how
 * many cases were compared. */
int parity_op_cases(Ctx *dev, Ctx *cpu, const ParityTol *tol);

/* How to compare the dataset at `path` (e.g. "/base/curves/train_loss"): return 0 to skip
 * it, 1 to compare with *atol / *rtol (both preset to 0). */
typedef int (*ParityRule)(const char *path, double *atol, double *rtol);

/* Every numeric dataset of session file `ref` must exist in `got` with the same shape and
 * agree under `rule` (NULL: everything bit for bit). Returns the number of datasets
 * compared; CHECK failures name the path and the worst element. */
int parity_session_datasets(const char *got_h5, const char *ref_h5, ParityRule rule);

#endif
