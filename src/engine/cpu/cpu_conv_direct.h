/* Direct stride-1 convolution (forward and backward-data) for the CPU backend; see
 * cpu_conv_direct.c. */
#ifndef OCD_CPU_CONV_DIRECT_H
#define OCD_CPU_CONV_DIRECT_H

#include "cpu/cpu_internal.h"

/* whether the direct kernel handles this shape well (stride 1, enough useful lanes) */
int cpu_conv_direct_suits(const ConvGeom *q);
void cpu_conv_direct_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y);
void cpu_conv_direct_bwd_data(BackendCtx *c, const ConvGeom *q, const float *dy, const float *w, float *dx);
/* conv3x3, stride 1, padding 1, of x (N, C, H/2, W/2) upsampled 2x (nearest): q is the
 * geometry on the upsampled image; four 2x2 convolutions of x, one per output phase */
int cpu_conv_direct_up2_suits(const ConvGeom *q);
void cpu_conv_direct_up2_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y);
/* backward-filter has its own kernels for 3x3 and 5x5 only */
int cpu_conv_direct_filter_suits(const ConvGeom *q);
void cpu_conv_direct_bwd_filter(BackendCtx *c, const ConvGeom *q, const float *dy, const float *x, float *dw);

#endif
