/* Chunked bump allocator; see arena.h. */
#include "core/arena.h"

#include "core/check.h"

#include <string.h>

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

void arena_init(Arena *a, const char *name, ArenaAllocFn alloc, ArenaReleaseFn release, void *user,
                size_t min_chunk)
{
    memset(a, 0, sizeof *a);
    a->alloc = alloc;
    a->release = release;
    a->user = user;
    a->name = name;
    a->min_chunk = min_chunk ? min_chunk : (size_t)1 << 20;
}

static void arena_add_chunk(Arena *a, size_t need)
{
    ENG_ASSERT(a->nchunks < ARENA_MAX_CHUNKS, "arena %s: more than %d chunks in one step (%zu bytes in use)",
               a->name, ARENA_MAX_CHUNKS, a->in_use);
    size_t cap = need > a->min_chunk ? need : a->min_chunk;
    /* Grow geometrically so that a step never needs many chunks; when memory is short
     * (a GPU near its limit), settle for exactly what is needed. */
    if (a->nchunks > 0 && cap < 2 * a->chunks[a->nchunks - 1].cap) cap = 2 * a->chunks[a->nchunks - 1].cap;
    void *p = a->alloc(a->user, cap);
    if (!p && cap > need) p = a->alloc(a->user, cap = need);
    ENG_ASSERT(p != NULL, "arena %s: could not obtain %zu bytes (%zu in use)", a->name, cap, a->in_use);
    a->chunks[a->nchunks++] = (ArenaChunk){.base = p, .cap = cap, .used = 0};
    a->grows++;
}

void *arena_alloc(Arena *a, size_t bytes)
{
    size_t n = align_up(bytes ? bytes : 1);
    if (a->nchunks == 0 || a->chunks[a->nchunks - 1].used + n > a->chunks[a->nchunks - 1].cap)
        arena_add_chunk(a, n);
    ArenaChunk *c = &a->chunks[a->nchunks - 1];
    void *p = c->base + c->used;
    c->used += n;
    a->in_use += n;
    if (a->in_use > a->peak) a->peak = a->in_use;
    return p;
}

void arena_reset(Arena *a)
{
    if (a->nchunks > 1) {
        /* one chunk that holds the busiest step so far */
        for (int i = 0; i < a->nchunks; i++) a->release(a->user, a->chunks[i].base);
        a->nchunks = 0;
        size_t total = (a->peak + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
        if (total < a->min_chunk) total = a->min_chunk;
        arena_add_chunk(a, total);
    }
    if (a->nchunks == 1) a->chunks[0].used = 0;
    a->in_use = 0;
}

void arena_destroy(Arena *a)
{
    for (int i = 0; i < a->nchunks; i++) a->release(a->user, a->chunks[i].base);
    a->nchunks = 0;
    a->in_use = 0;
}
