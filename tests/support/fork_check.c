/* Child-process runner for misuse tests; see fork_check.h. */
#include "fork_check.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int run_expect_abort(ChildFn fn, void *arg, char *buf, size_t len)
{
    return run_expect_signal(fn, arg, SIGABRT, buf, len);
}

int run_expect_signal(ChildFn fn, void *arg, int sig, char *buf, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        /* the sanitizer build must not turn the expected signal into a report of its own */
        signal(sig, SIG_DFL);
        fn(arg);
        fflush(stderr);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, len - 1 - got)) > 0 && got + 1 < len) got += (size_t)n;
    buf[got] = 0;
    char sink[256];
    while (read(fds[0], sink, sizeof sink) > 0) {
    }
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0) return -1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == sig) return 1;
    if (WIFEXITED(status)) return 0;
    return -1;
}
