/* A report file written whole or not at all: it is written as PATH.tmp and renamed into place
 * when complete; on any error the .tmp is removed and a file already at PATH is left as it
 * was. The manifest, report.md and every PNG go through it. */
#ifndef OCD_ATOMIC_FILE_H
#define OCD_ATOMIC_FILE_H

#include "core/status.h"

#include <stdio.h>

typedef struct {
    FILE *f;
    const char *path;
    char tmp[1100];
} AtomicFile;

/* opens PATH.tmp with fopen mode `mode` ("w", "wb"); ERR_IO naming it */
int atomic_begin(AtomicFile *a, const char *path, const char *mode, Status *st);
/* closes the file; ok: rename it into place (ERR_IO when the write, close or rename fails),
 * otherwise remove it. Returns 0 only when PATH now holds the new file. */
int atomic_end(AtomicFile *a, int ok, Status *st);

#endif
