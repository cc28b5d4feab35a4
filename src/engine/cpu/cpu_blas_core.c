/* Which OpenBLAS kernels run. OpenBLAS picks its kernels when it is loaded, from the CPU it
 * recognises; releases older than the CPU (Debian 12 ships 0.3.21, which predates AMD Zen 4
 * and 5) fall back to their AVX2 "Haswell" kernels on CPUs that have AVX-512, at about half
 * the speed. The only supported way to choose is the OPENBLAS_CORETYPE variable, read at
 * load time, so a front end that wants the faster kernels sets it and restarts itself
 * (cpu_blas_core_advice says when and with what); the engine never does so itself. */
#include "cpu/cpu_blas_core.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static int cpu_has_avx512(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512cd");
#else
    return 0;
#endif
}

const char *cpu_blas_core_name(void) { return openblas_get_corename(); }

const char *cpu_blas_core_advice(void)
{
    if (getenv("OPENBLAS_CORETYPE")) return NULL; /* the user chose */
    const char *core = openblas_get_corename();
    if (!core || !cpu_has_avx512()) return NULL;
    /* AVX2-only kernel sets that 0.3.21 falls back to on newer AVX-512 CPUs */
    static const char *fallbacks[] = {"Haswell", "Zen", "zen", "haswell"};
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++)
        if (strcmp(core, fallbacks[i]) == 0) return "SkylakeX";
    return NULL;
}
