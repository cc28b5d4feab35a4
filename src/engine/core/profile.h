/* Per-op timing: when a context profiles, every recorded op's forward (the time since the
 * previous op finished, the device synchronised) and every backward record are added to a
 * row per op name. It slows the run (a sync per op) and is meant for finding hot spots. */
#ifndef OCD_PROFILE_H
#define OCD_PROFILE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PROFILE_ROWS = 64 };

typedef struct {
    const char *op;
    double fwd_s, bwd_s;
    int64_t fwd_n, bwd_n;
} ProfileRow;

typedef struct Profile {
    ProfileRow rows[PROFILE_ROWS];
    int n;
    double mark; /* when the last op finished */
} Profile;

double profile_now(void);
void profile_add(Profile *p, const char *op, int backward, double seconds);
/* rows sorted by total time, largest first */
void profile_sort(Profile *p);

#ifdef __cplusplus
}
#endif

#endif
