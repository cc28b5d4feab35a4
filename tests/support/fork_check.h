/* Running a piece of code in a child process to check that it stops the program with a
 * message (misuse tests). */
#ifndef OCD_TEST_FORK_CHECK_H
#define OCD_TEST_FORK_CHECK_H

#include <stddef.h>

typedef void (*ChildFn)(void *arg);

/* Runs fn(arg) in a forked child with stderr captured into buf. Returns 1 when the child
 * was killed by SIGABRT, 0 when it exited normally, -1 on any other end. */
int run_expect_abort(ChildFn fn, void *arg, char *buf, size_t len);
/* The same for any signal: 1 when the child was killed by `sig` (its default action is
 * restored in the child, so a sanitizer's handler does not turn it into an exit). */
int run_expect_signal(ChildFn fn, void *arg, int sig, char *buf, size_t len);

#endif
