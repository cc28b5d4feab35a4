/* Configure-time probe: prints the OPENBLAS_CORETYPE the front ends would choose here
 * (the same rule as src/engine/cpu/cpu_blas_core.c), or nothing. */
#include "../../src/engine/cpu/cpu_blas_core.c"

#include <stdio.h>

int main(void)
{
    const char *core = cpu_blas_core_advice();
    if (core) printf("%s", core);
    return 0;
}
