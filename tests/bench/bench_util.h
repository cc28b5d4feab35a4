/* Helpers shared by the benchmark programs: the median of a set of repetitions (sorted in
 * place), and running a PyTorch peer script whose stdout is one JSON object. Times come from
 * the engine's monotonic clock (core/clock.h). */
#ifndef OCD_BENCH_UTIL_H
#define OCD_BENCH_UTIL_H

#include "core/clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static inline int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* the peer's Python: OCD_PEER_PYTHON, else python3 */
static inline const char *bench_peer_python(void)
{
    const char *py = getenv("OCD_PEER_PYTHON");
    return py && *py ? py : "python3";
}

/* Runs a peer's command line; its output parsed as JSON, or NULL when it failed or printed no
 * JSON. *version gets the output's "torch" field ("?" without one). */
static inline cJSON *bench_run_peer(const char *cmd, char *version, size_t vlen)
{
    snprintf(version, vlen, "?");
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
    }
    const int rc = pclose(f);
    if (!buf) return NULL;
    buf[len] = 0;
    cJSON *out = rc == 0 ? cJSON_Parse(buf) : NULL;
    free(buf);
    const cJSON *v = out ? cJSON_GetObjectItem(out, "torch") : NULL;
    if (v && cJSON_IsString(v)) snprintf(version, vlen, "%s", v->valuestring);
    return out;
}

#endif
