/* User-facing errors: a missing file, corrupt data, a bad preset value, a NaN loss. They are
 * reported (never printed by the engine) through a Status the caller owns, and returned up to
 * the CLI or the UI, which shows the message and exits non-zero or keeps running. Programming
 * mistakes abort instead (core/check.h). */
#ifndef OCD_STATUS_H
#define OCD_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ERR_NONE = 0,
    ERR_IO,      /* a file is missing, unreadable or unwritable */
    ERR_FORMAT,  /* a file's contents are wrong: magic, size, a field, a value */
    ERR_CONFIG,  /* a preset key or value, a command-line option */
    ERR_NUMERIC, /* a non-finite loss or weight */
    ERR_DEVICE,  /* the requested device is not available */
    ERR_STATE,   /* a session in a state that does not allow the request */
} ErrCode;

typedef struct Status {
    ErrCode code;
    char msg[1024];
} Status;

/* Records the error (the first one wins: later calls keep it) and returns -1, so that
 * `return status_fail(st, ERR_IO, "%s: cannot open", path);` reads naturally. */
int status_fail(Status *st, ErrCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void status_clear(Status *st)
{
    st->code = ERR_NONE;
    st->msg[0] = 0;
}
static inline int status_ok(const Status *st) { return st->code == ERR_NONE; }
const char *status_code_name(ErrCode code);

#ifdef __cplusplus
}
#endif

#endif
