/* See buildinfo.h. */
#include "buildinfo.h"

#include "cpu/cpu_simd.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

const char *const BUILDINFO_ATTRS[BUILDINFO_FIELDS] = {"version",     "git_commit", "cpu_model",
                                                       "kernel_path", "blas_core",  "blas_config"};

const char *buildinfo_field(const BuildInfo *b, int i)
{
    const char *f[BUILDINFO_FIELDS] = {b->version, b->git, b->cpu_model, b->kernel_path, b->blas_core, b->blas_config};
    return i >= 0 && i < BUILDINFO_FIELDS ? f[i] : "";
}

/* the first "model name" line of /proc/cpuinfo, or "unknown" */
static void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strcspn(v, "\n");
        if (n) snprintf(out, len, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

static void copy_or_unknown(char *out, size_t len, const char *s) { snprintf(out, len, "%s", s && *s ? s : "unknown"); }

void buildinfo_get(BuildInfo *b)
{
    memset(b, 0, sizeof *b);
    copy_or_unknown(b->version, sizeof b->version, OCD_VERSION);
    copy_or_unknown(b->git, sizeof b->git, buildinfo_git());
    cpu_model(b->cpu_model, sizeof b->cpu_model);
    copy_or_unknown(b->kernel_path, sizeof b->kernel_path, CPU_SIMD_PATH);
    copy_or_unknown(b->blas_core, sizeof b->blas_core, openblas_get_corename());
    /* the configuration string ends with a space in some releases */
    copy_or_unknown(b->blas_config, sizeof b->blas_config, openblas_get_config());
    size_t n = strlen(b->blas_config);
    while (n && b->blas_config[n - 1] == ' ') b->blas_config[--n] = 0;
}
