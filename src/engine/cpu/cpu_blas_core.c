/* Which OpenBLAS kernels run. OpenBLAS picks its kernels when it is loaded, from the CPU it
 * recognises; releases older than the CPU (Debian 12 ships 0.3.21, which predates AMD Zen 4
 * and 5) fall back to their AVX2 "Haswell" kernels on CPUs that have AVX-512, at about half
 * the speed, and on Intel models they do not know at all (0.3.21 on a 5th-generation Xeon,
 * family 6 model 207) to the SSE3 "Prescott" kernels, at a quarter of it. The only supported
 * way to choose is the OPENBLAS_CORETYPE variable, read at load time, so a front end that
 * wants the faster kernels sets it and restarts itself (cpu_blas_core_advice says when and
 * with what); the engine never does so itself. */
#include "cpu/cpu_blas_core.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cpu_has_avx2(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

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

static int name_in(const char *core, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(core, names[i]) == 0) return 1;
    return 0;
}

const char *cpu_blas_core_advice(void)
{
    if (getenv("OPENBLAS_CORETYPE")) return NULL; /* the user chose */
    const char *core = openblas_get_corename();
    if (!core) return NULL;
    /* kernel sets that use AVX-512, and those that use at least AVX2 + FMA */
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    static const char *const avx2[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
    if (cpu_has_avx512()) return name_in(core, avx512, sizeof avx512 / sizeof avx512[0]) ? NULL : "SkylakeX";
    if (cpu_has_avx2()) return name_in(core, avx2, sizeof avx2 / sizeof avx2[0]) ? NULL : "Haswell";
    return NULL;
}
