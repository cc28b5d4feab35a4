/* Several sessions side by side: `ocd results DIR1 DIR2 ... [--all DIR]`. The first session
 * that loads with an eval table is the reference; every other session's methods are compared
 * with the reference's same method, per metric, with a 95% bootstrap interval: paired over the
 * test samples both evaluated where the sessions share their test set (no data.* setting
 * differs but the training and validation sizes and the test count; a row on a prefix of the
 * split is paired on the common prefix), unpaired (and said
 * so) where they do not. A session that does not load, or has no eval table, is listed with
 * the reason and never stops the others. */
#ifndef OCD_RESULTS_MULTI_H
#define OCD_RESULTS_MULTI_H

#include "ocd/bootstrap.h"
#include "sessview.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { MULTI_MAX = 64 };

typedef struct {
    int n, ref;                   /* sessions; the reference's index (-1: none loaded) */
    char dir[MULTI_MAX][512];
    SessView *v[MULTI_MAX];       /* NULL where the session did not load or has no table */
    char err[MULTI_MAX][512];     /* why not */
    char differs[MULTI_MAX][1024]; /* "key (value vs reference's), ..." ("" for the reference) */
    int same_tests[MULTI_MAX];    /* 1: the same test set as the reference */
} MultiView;

/* Loads every session (each failure recorded in err). ERR_STATE when none has a table. */
int multi_load(MultiView *mv, char **dirs, int n, Status *st);
void multi_free(MultiView *mv);
/* The session folders directly under root (folders that hold a session.h5), sorted by
 * name, into dirs (at most max); returns how many, -1 when root cannot be read. */
int multi_find_sessions(const char *root, char (*dirs)[512], int max);

/* session s's method `key` against the reference's, on metric m */
typedef struct {
    int have;           /* both sessions have the row and their per-sample values */
    int paired, n;      /* paired over n test samples; or unpaired (n = s's samples) */
    BootInterval iv;
    const char *verdict;
    char why[256];      /* when !have */
} MultiDiff;
int multi_diff(const MultiView *mv, int s, const char *key, int m, MultiDiff *out);

void multi_write_md(const MultiView *mv, FILE *f);
void multi_write_csv(const MultiView *mv, FILE *f);
int multi_write_json(const MultiView *mv, FILE *f); /* -1: out of memory */

#ifdef __cplusplus
}
#endif

#endif
