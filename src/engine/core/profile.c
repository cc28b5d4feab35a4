/* Per-op timing rows; see profile.h. */
#include "core/profile.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double profile_now(void)
{
    return clock_now();
}

void profile_add(Profile *p, const char *op, int backward, double seconds)
{
    int i = 0;
    while (i < p->n && strcmp(p->rows[i].op, op) != 0) i++;
    if (i == p->n) {
        if (p->n == PROFILE_ROWS) return;
        p->rows[p->n++] = (ProfileRow){.op = op};
    }
    if (backward) {
        p->rows[i].bwd_s += seconds;
        p->rows[i].bwd_n++;
    } else {
        p->rows[i].fwd_s += seconds;
        p->rows[i].fwd_n++;
    }
}

static int by_total(const void *a, const void *b)
{
    const ProfileRow *x = a, *y = b;
    double tx = x->fwd_s + x->bwd_s, ty = y->fwd_s + y->bwd_s;
    return tx < ty ? 1 : tx > ty ? -1 : 0;
}

void profile_sort(Profile *p) { qsort(p->rows, (size_t)p->n, sizeof p->rows[0], by_total); }
