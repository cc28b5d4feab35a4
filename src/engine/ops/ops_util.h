/* Helpers shared by the op files: shape checks with readable messages, 4-D shape/stride
 * padding for the backend's strided entries. */
#ifndef OCD_OPS_UTIL_H
#define OCD_OPS_UTIL_H

#include "core/check.h"
#include "ops/ops.h"

#include <string.h>

/* Abort naming the op and up to three shapes. */
#define OP_FAIL(op, a, b, d, fmt, ...)                                                             \
    do {                                                                                           \
        ShapeStr sa_, sb_, sd_;                                                                    \
        ENG_FATAL("%s: " fmt " (shapes %s %s %s)", op, ##__VA_ARGS__, tensor_shape_str(a, &sa_),    \
                  tensor_shape_str(b, &sb_), tensor_shape_str(d, &sd_));                           \
    } while (0)

#define OP_REQUIRE(cond, op, a, b, d, fmt, ...)                                                    \
    do {                                                                                           \
        if (!(cond)) OP_FAIL(op, a, b, d, fmt, ##__VA_ARGS__);                                     \
    } while (0)

/* shape right-aligned into 4 dims (leading 1s) and its contiguous strides */
static inline void shape4(const Tensor *t, int s[4])
{
    for (int d = 0; d < 4; d++) s[d] = 1;
    for (int d = 0; d < t->ndim; d++) s[4 - t->ndim + d] = t->shape[d];
}

static inline void strides4(const int s[4], int64_t st[4])
{
    st[3] = 1;
    for (int d = 2; d >= 0; d--) st[d] = st[d + 1] * s[d + 1];
}

#endif
