/* Error reporting for the engine. Programming mistakes (a shape mismatch inside an op, a
 * tensor on the wrong device, backward called twice) abort with the op, the shapes and a
 * backtrace; everything goes through the log sink, never straight to the terminal. */
#ifndef OCD_CHECK_H
#define OCD_CHECK_H

#include <stdarg.h>

#ifdef __cplusplus
#define ENG_NORETURN [[noreturn]]
#else
#define ENG_NORETURN _Noreturn
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } LogLevel;

/* The log sink is one of the few globals (DESIGN.md §3): the front end installs it; until
 * then messages go to stderr so that a failing test still says why. */
typedef void (*LogSink)(void *user, LogLevel level, const char *msg);
void eng_set_log_sink(LogSink sink, void *user);

void eng_log(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs "file:line: message", a backtrace, and aborts. */
ENG_NORETURN void eng_fatal_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ENG_FATAL(...) eng_fatal_at(__FILE__, __LINE__, __VA_ARGS__)
#define ENG_ASSERT(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) eng_fatal_at(__FILE__, __LINE__, __VA_ARGS__);                                \
    } while (0)

/* For allocations that must not fail (host metadata). */
#define ENG_CHECK_ALLOC(p)                                                                         \
    do {                                                                                           \
        if (!(p)) eng_fatal_at(__FILE__, __LINE__, "out of host memory (%s)", #p);                 \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
