/* A caching pool of device blocks in size classes (four per octave, so at most 25% waste).
 * Blocks are obtained from the backend on first need and kept: after the first steps of a
 * loop the pool never allocates again. The tape takes activation gradients and backward
 * temporaries from it and gives each back as soon as it is consumed, so a backward pass
 * holds only the gradients in flight, as PyTorch does, instead of all of them. */
#ifndef OCD_POOL_H
#define OCD_POOL_H

#include "core/arena.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { POOL_CLASSES = 4 * 48 };

typedef struct {
    void **items;
    int n, cap;
} PoolStack;

typedef struct {
    void *p;
    int cls;
} PoolLoan;

typedef struct Pool {
    ArenaAllocFn alloc;
    ArenaReleaseFn release;
    void *user;
    PoolStack free[POOL_CLASSES];
    PoolLoan *out; /* blocks handed out and not yet given back */
    int nout, cap_out;
    size_t in_use, peak, held; /* bytes */
    int64_t grows;             /* blocks obtained from the allocator, ever */
} Pool;

void pool_init(Pool *p, ArenaAllocFn alloc, ArenaReleaseFn release, void *user);
void *pool_get(Pool *p, size_t bytes); /* ARENA_ALIGN-aligned, never NULL */
void pool_put(Pool *p, void *block);
void pool_reclaim(Pool *p); /* every loan back to the free lists (end of a step) */
void pool_destroy(Pool *p);

#ifdef __cplusplus
}
#endif

#endif
