/* The log sink (a named global, DESIGN.md §3) and the fatal-error path. */
#include "core/check.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sink_stderr(void *user, LogLevel level, const char *msg)
{
    (void)user;
    static const char *names[] = {"debug", "info", "warn", "error"};
    fprintf(stderr, "[%s] %s\n", names[level], msg);
    fflush(stderr);
}

static LogSink g_sink = sink_stderr;
static void *g_sink_user = NULL;

void eng_set_log_sink(LogSink sink, void *user)
{
    g_sink = sink ? sink : sink_stderr;
    g_sink_user = sink ? user : NULL;
}

void eng_log(LogLevel level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_sink(g_sink_user, level, buf);
}

_Noreturn void eng_fatal_at(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    const char *base = strrchr(file, '/');
    int n = snprintf(msg, sizeof msg, "%s:%d: ", base ? base + 1 : file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    g_sink(g_sink_user, LOG_ERROR, msg);

    /* The call site: a backtrace of function names (the binary is linked with -rdynamic). */
    void *frames[24];
    int nf = backtrace(frames, 24);
    char **syms = backtrace_symbols(frames, nf);
    if (syms) {
        char bt[2048];
        size_t used = (size_t)snprintf(bt, sizeof bt, "backtrace:");
        for (int i = 1; i < nf && used < sizeof bt - 2; i++)
            used += (size_t)snprintf(bt + used, sizeof bt - used, "\n  %s", syms[i]);
        g_sink(g_sink_user, LOG_ERROR, bt);
        free(syms);
    }
    abort();
}
