/* Bump arenas. Memory comes from an allocator pair (the backend's, for device memory, or
 * malloc for host metadata) in chunks; a reset keeps the memory. When a step needed more
 * than one chunk, the reset trades them for a single chunk of the total, so after the first
 * steps of a training loop an arena never allocates again (`grows` stops changing). */
#ifndef OCD_ARENA_H
#define OCD_ARENA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { ARENA_MAX_CHUNKS = 64, ARENA_ALIGN = 64 };

/* must return ARENA_ALIGN-aligned memory */
typedef void *(*ArenaAllocFn)(void *user, size_t bytes);
typedef void (*ArenaReleaseFn)(void *user, void *p);

typedef struct {
    char *base;
    size_t cap, used;
} ArenaChunk;

typedef struct Arena {
    ArenaAllocFn alloc;
    ArenaReleaseFn release;
    void *user;
    const char *name;     /* for messages */
    ArenaChunk chunks[ARENA_MAX_CHUNKS];
    int nchunks;
    size_t min_chunk;     /* smallest chunk to ask for */
    size_t in_use;        /* bytes handed out since the last reset */
    size_t peak;          /* most bytes in use between two resets */
    int64_t grows;        /* chunks obtained from the allocator, ever */
} Arena;

void arena_init(Arena *a, const char *name, ArenaAllocFn alloc, ArenaReleaseFn release, void *user,
                size_t min_chunk);
void *arena_alloc(Arena *a, size_t bytes);   /* ARENA_ALIGN-aligned, never NULL */
void arena_reset(Arena *a);
void arena_destroy(Arena *a);

#ifdef __cplusplus
}
#endif

#endif
