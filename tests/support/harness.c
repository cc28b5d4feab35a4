/* The harness's registry and main(); see harness.h. */
#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TESTS = 256 };
static struct {
    const char *name;
    TestFn fn;
} g_tests[MAX_TESTS];
static int g_ntests, g_failures, g_test_failures;

void harness_register(const char *name, TestFn fn)
{
    if (g_ntests < MAX_TESTS) {
        g_tests[g_ntests].name = name;
        g_tests[g_ntests++].fn = fn;
    }
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    fprintf(stderr, "    FAIL %s:%d: ", base ? base + 1 : file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    g_failures++;
    g_test_failures++;
}

int harness_failures(void) { return g_failures; }

_Noreturn void harness_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    fflush(stdout);
    exit(77);
}

int check_arrays_close(const char *file, int line, const char *what, const float *got, const float *want, long n,
                       double atol, double rtol)
{
    long worst = -1, bad = 0;
    double worst_excess = 0.0;
    for (long i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), tol = atol + rtol * fabs((double)want[i]);
        if (!(d <= tol)) { /* NaN fails too */
            bad++;
            double ex = isnan(d) ? INFINITY : d - tol;
            if (worst < 0 || ex > worst_excess) {
                worst = i;
                worst_excess = ex;
            }
        }
    }
    if (bad)
        harness_fail(file, line, "%s: %ld of %ld elements differ; worst [%ld] %.9g vs %.9g (atol %.2g, rtol %.2g)",
                     what, bad, n, worst, (double)got[worst], (double)want[worst], atol, rtol);
    return bad == 0;
}

int main(int argc, char **argv)
{
    int ran = 0;
    for (int i = 0; i < g_ntests; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], g_tests[i].name) == 0) selected = 1;
        if (!selected) continue;
        g_test_failures = 0;
        clock_t t0 = clock();
        g_tests[i].fn();
        double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC;
        printf("%s %s (%.0f ms cpu)\n", g_test_failures ? "FAIL" : "ok  ", g_tests[i].name, ms);
        fflush(stdout);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test matched\n");
        return 2;
    }
    printf("%d test(s), %d failed check(s)\n", ran, g_failures);
    return g_failures ? 1 : 0;
}
