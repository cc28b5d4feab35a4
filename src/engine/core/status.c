/* User-facing error records; see status.h. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

int status_fail(Status *st, ErrCode code, const char *fmt, ...)
{
    if (st && st->code == ERR_NONE) {
        st->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof st->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *status_code_name(ErrCode code)
{
    static const char *names[] = {"ok", "i/o", "format", "config", "numeric", "device", "state"};
    return code >= ERR_NONE && code <= ERR_STATE ? names[code] : "?";
}
