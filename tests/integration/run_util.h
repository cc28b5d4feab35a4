/* Running the real `ocd` binary from a test: argv lists, exit status, captured output. */
#ifndef OCD_TEST_RUN_UTIL_H
#define OCD_TEST_RUN_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts `argv` with stdout+stderr into out_path; returns the pid. */
static inline pid_t run_start(char *const *argv, const char *out_path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits; returns the exit status, or 128 + signal. */
static inline int run_wait(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs to the end; the output (at most len-1 bytes) in out. */
static inline int run_capture(char *const *argv, char *out, size_t len)
{
    char path[] = "/tmp/ocd-run-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    int rc = run_wait(run_start(argv, path));
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, len - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    unlink(path);
    return rc;
}

#endif
