/* Golden files of the UI tests (tests/ui/golden/<name>.txt): a text is compared with its
 * golden, or the golden is rewritten under OCD_UPDATE_GOLDEN=1 (then look at it before
 * committing it). A mismatch prints both texts and the first line that differs. */
#ifndef OCD_TEST_UI_GOLDEN_H
#define OCD_TEST_UI_GOLDEN_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR OCD_SOURCE_DIR "/tests/ui/golden/"

/* a whole file as a string, or NULL when it cannot be read; the caller frees it */
static inline char *file_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) abort();
    s[n] = 0;
    fclose(f);
    return s;
}

/* Line number (1-based) and text of the first line where a and b differ. */
static inline int first_difference(const char *a, const char *b, char *la, char *lb, size_t n)
{
    int line = 1;
    for (;;) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        const size_t na = ea ? (size_t)(ea - a) : strlen(a), nb = eb ? (size_t)(eb - b) : strlen(b);
        if (na != nb || memcmp(a, b, na) != 0 || !ea != !eb) {
            snprintf(la, n, "%.*s", (int)na, a);
            snprintf(lb, n, "%.*s", (int)nb, b);
            return line;
        }
        if (!ea) return 0;
        a = ea + 1, b = eb + 1, line++;
    }
}

/* Compares a dump with tests/ui/golden/<name>.txt, or rewrites it under OCD_UPDATE_GOLDEN=1. */
static inline void golden_check(const char *name, const char *got)
{
    char path[1024];
    snprintf(path, sizeof path, GOLDEN_DIR "%s.txt", name);
    const char *update = getenv("OCD_UPDATE_GOLDEN");
    if (update && !strcmp(update, "1")) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL, "cannot write %s", path);
        if (!f) return;
        fputs(got, f);
        fclose(f);
        printf("    updated %s\n", path);
        return;
    }
    char *want = file_read(path);
    CHECK(want != NULL, "%s is missing: run with OCD_UPDATE_GOLDEN=1 to create it, then look at it", path);
    if (!want) return;
    if (strcmp(want, got) != 0) {
        char la[1024], lb[1024];
        const int line = first_difference(want, got, la, lb, sizeof la);
        fprintf(stderr, "--- expected (%s)\n%s--- actual\n%s---\n", path, want, got);
        CHECK(0, "%s differs from the golden at line %d:\n      expected: %s\n      actual:   %s", name, line, la, lb);
    }
    free(want);
}

#endif
