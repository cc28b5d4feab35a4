/* Running the real `ocd` binary from a test: argv lists, exit status, captured output. */
#ifndef OCD_TEST_RUN_UTIL_H
#define OCD_TEST_RUN_UTIL_H

#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts `argv` with stdout+stderr into out_path; returns the pid. */
/* the binary under test (ctest sets OCD_BIN); the test is skipped without it */
static inline const char *run_ocd_bin(void)
{
    const char *b = getenv("OCD_BIN");
    if (!b) harness_skip("OCD_BIN is not set (run through ctest)");
    return b;
}

/* one temporary folder per test program (/tmp/ocd-<tag>-XXXXXX), removed at exit */
static char run_g_root[64];

static inline void run_remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", run_g_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", run_g_root);
}

static inline const char *run_temp_root(const char *tag)
{
    if (!run_g_root[0]) {
        snprintf(run_g_root, sizeof run_g_root, "/tmp/ocd-%s-XXXXXX", tag);
        if (!mkdtemp(run_g_root)) harness_skip("mkdtemp failed");
        atexit(run_remove_root);
    }
    return run_g_root;
}

static inline int run_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

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
