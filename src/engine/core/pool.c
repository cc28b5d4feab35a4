/* Size-class caching pool; see pool.h. */
#include "core/pool.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

/* class c covers sizes up to class_size(c): 4 steps per power of two from 256 bytes */
static size_t class_size(int c) { return (size_t)(4 + c % 4) << (6 + c / 4); }

static int class_of(size_t bytes)
{
    int c = 0;
    while (c < POOL_CLASSES - 1 && class_size(c) < bytes) c++;
    return c;
}

void pool_init(Pool *p, ArenaAllocFn alloc, ArenaReleaseFn release, void *user)
{
    memset(p, 0, sizeof *p);
    p->alloc = alloc;
    p->release = release;
    p->user = user;
}

static void stack_push(PoolStack *s, void *item)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->items = realloc(s->items, (size_t)s->cap * sizeof *s->items);
        ENG_CHECK_ALLOC(s->items);
    }
    s->items[s->n++] = item;
}

void *pool_get(Pool *p, size_t bytes)
{
    const int c = class_of(bytes ? bytes : 1);
    const size_t size = class_size(c);
    ENG_ASSERT(size >= bytes, "pool: a block of %zu bytes is beyond the largest class", bytes);
    void *b;
    if (p->free[c].n > 0) {
        b = p->free[c].items[--p->free[c].n];
    } else {
        b = p->alloc(p->user, size);
        if (!b) { /* memory is short: give the cached blocks back and try once more */
            for (int k = 0; k < POOL_CLASSES; k++) {
                for (int i = 0; i < p->free[k].n; i++) {
                    p->release(p->user, p->free[k].items[i]);
                    p->held -= class_size(k);
                }
                p->free[k].n = 0;
            }
            b = p->alloc(p->user, size);
        }
        ENG_ASSERT(b != NULL, "pool: could not obtain %zu bytes (%zu in use)", size, p->in_use);
        p->grows++;
        p->held += size;
    }
    if (p->nout == p->cap_out) {
        p->cap_out = p->cap_out ? 2 * p->cap_out : 64;
        p->out = realloc(p->out, (size_t)p->cap_out * sizeof *p->out);
        ENG_CHECK_ALLOC(p->out);
    }
    p->out[p->nout++] = (PoolLoan){b, c};
    p->in_use += size;
    if (p->in_use > p->peak) p->peak = p->in_use;
    return b;
}

void pool_put(Pool *p, void *block)
{
    for (int i = p->nout - 1; i >= 0; i--) /* recent loans are given back first */
        if (p->out[i].p == block) {
            const int c = p->out[i].cls;
            stack_push(&p->free[c], block);
            p->in_use -= class_size(c);
            p->out[i] = p->out[--p->nout];
            return;
        }
    ENG_FATAL("pool_put: %p was not lent by this pool", block);
}

void pool_reclaim(Pool *p)
{
    for (int i = 0; i < p->nout; i++) stack_push(&p->free[p->out[i].cls], p->out[i].p);
    p->nout = 0;
    p->in_use = 0;
}

void pool_destroy(Pool *p)
{
    pool_reclaim(p);
    for (int k = 0; k < POOL_CLASSES; k++) {
        for (int i = 0; i < p->free[k].n; i++) p->release(p->user, p->free[k].items[i]);
        free(p->free[k].items);
    }
    free(p->out);
    memset(p, 0, sizeof *p);
}
