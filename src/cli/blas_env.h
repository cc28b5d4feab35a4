/* Front ends call this first thing in main(): when OpenBLAS loaded slower kernels than this
 * CPU supports, set OPENBLAS_CORETYPE and restart the program (OpenBLAS reads it only at
 * load time). Returns only when no restart was needed or it failed. */
#ifndef OCD_BLAS_ENV_H
#define OCD_BLAS_ENV_H

#include "cpu/cpu_blas_core.h"

#include <stdlib.h>
#include <unistd.h>

static inline void blas_env_select(char **argv)
{
    const char *core = cpu_blas_core_advice();
    if (!core || getenv("OCD_BLAS_REEXEC")) return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv("OCD_BLAS_REEXEC", "1", 1); /* never loop */
    execv("/proc/self/exe", argv);
}

#endif
