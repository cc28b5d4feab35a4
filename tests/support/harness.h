/* A small test harness: TEST() registers a function, CHECK() records a failure with its
 * file and line and carries on, main() runs every test (or those named on the command
 * line) and exits non-zero when any check failed. */
#ifndef OCD_TEST_HARNESS_H
#define OCD_TEST_HARNESS_H

#include <stdio.h>

typedef void (*TestFn)(void);
void harness_register(const char *name, TestFn fn);
void harness_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int harness_failures(void);
/* Ends the program with exit code 77 (ctest's SKIP_RETURN_CODE), saying why. */
_Noreturn void harness_skip(const char *why);

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void register_##name(void) { harness_register(#name, name); } \
    static void name(void)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) harness_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, atol, rtol, what)                                                        \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        double d_ = a_ > b_ ? a_ - b_ : b_ - a_, m_ = b_ < 0 ? -b_ : b_;                           \
        if (!(d_ <= (atol) + (rtol) * m_))                                                         \
            harness_fail(__FILE__, __LINE__, "%s: %.9g vs %.9g (diff %.3g > %.3g)", what, a_, b_, d_, \
                         (double)(atol) + (rtol) * m_);                                            \
    } while (0)

/* Compares n floats; reports the worst element. Returns 1 when all are close. */
int check_arrays_close(const char *file, int line, const char *what, const float *got, const float *want, long n,
                       double atol, double rtol);
#define CHECK_ARRAYS(got, want, n, atol, rtol, what)                                               \
    check_arrays_close(__FILE__, __LINE__, what, got, want, (long)(n), atol, rtol)

#endif
