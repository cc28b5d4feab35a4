/* See atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int atomic_begin(AtomicFile *a, const char *path, const char *mode, Status *st)
{
    a->path = path;
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp", path);
    a->f = fopen(a->tmp, mode);
    return a->f ? 0 : status_fail(st, ERR_IO, "%s: cannot create: %s", a->tmp, strerror(errno));
}

int atomic_end(AtomicFile *a, int ok, Status *st)
{
    int rc = ok ? 0 : -1;
    if ((ferror(a->f) | fclose(a->f)) && rc == 0) rc = status_fail(st, ERR_IO, "%s: write failed: %s", a->tmp, strerror(errno));
    a->f = NULL;
    if (rc == 0 && rename(a->tmp, a->path) != 0)
        rc = status_fail(st, ERR_IO, "%s: cannot rename %s into place: %s", a->path, a->tmp, strerror(errno));
    if (rc != 0) unlink(a->tmp);
    return rc;
}
