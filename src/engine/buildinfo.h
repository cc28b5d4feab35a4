/* What made a session's digits: the program's version and git commit, the CPU, the vector
 * instructions our own CPU kernels were compiled to and the OpenBLAS kernels loaded. Sessions
 * record them in /meta (session.c), `ocd inspect` and the report's header show them: two
 * sessions that differ in their last digits can be told apart by these. */
#ifndef OCD_BUILDINFO_H
#define OCD_BUILDINFO_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char version[32];      /* the project's version (CMake) */
    char git[64];          /* `git describe --always --dirty` at build time; "unknown" outside git */
    char cpu_model[128];   /* /proc/cpuinfo "model name"; "unknown" where there is none */
    char kernel_path[32];  /* our CPU kernels' instructions: AVX-512, AVX2 or baseline (no AVX2) */
    char blas_core[32];    /* OpenBLAS's kernel set (openblas_get_corename, OPENBLAS_CORETYPE) */
    char blas_config[160]; /* OpenBLAS's version and build options (openblas_get_config) */
} BuildInfo;

/* The /meta attribute names, in BuildInfo's order, and each field by index. */
enum { BUILDINFO_FIELDS = 6 };
extern const char *const BUILDINFO_ATTRS[BUILDINFO_FIELDS];
const char *buildinfo_field(const BuildInfo *b, int i);

void buildinfo_get(BuildInfo *b);

/* the build's git description (generated at build time: src/engine/git_describe.cmake) */
const char *buildinfo_git(void);

#ifdef __cplusplus
}
#endif

#endif
