/* Which OpenBLAS kernels run, and which would run faster here (see cpu_blas_core.c). */
#ifndef OCD_CPU_BLAS_CORE_H
#define OCD_CPU_BLAS_CORE_H

/* OpenBLAS's name for the kernels in use ("Haswell", "SkylakeX", ...). */
const char *cpu_blas_core_name(void);

/* The OPENBLAS_CORETYPE value that would select faster kernels on this CPU, or NULL when
 * the kernels in use are right (or the user set the variable). */
const char *cpu_blas_core_advice(void);

#endif
