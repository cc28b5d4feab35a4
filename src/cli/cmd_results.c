/* `ocd results DIR [--format md|csv|json]`: the eval stage's table, read from the session
 * file: every method with each metric's mean and SD over the repeats (and n), its paired
 * difference to the base model with a 95% bootstrap interval and verdict, the notes, and a
 * line saying from OCD's interval whether it beat the base model. The formatting is
 * src/report/results_table.c's, which `ocd report` shares.
 * `ocd results DIR1 DIR2 ... [--all ROOT]`: the sessions side by side, each method's
 * difference to the reference session's with its interval (src/report/results_multi.c). */
#include "cli.h"

#include "results_multi.h"
#include "results_table.h"
#include "sessview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: ocd results DIR [DIR2 ...] [--all ROOT] [--format md|csv|json]\n");
    return 2;
}

/* several sessions: the reference (the first with a table) and every other against it */
static int results_multi(char **dirs, int n, const char *format)
{
    Status st;
    status_clear(&st);
    MultiView *mv = malloc(sizeof *mv);
    if (!mv) {
        fprintf(stderr, "ocd: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (multi_load(mv, dirs, n, &st)) {
        for (int i = 0; i < mv->n; i++) fprintf(stderr, "ocd: %s: %s\n", mv->dir[i], mv->err[i]);
        fprintf(stderr, "ocd: %s\n", st.msg);
        rc = cli_exit_code(st.code);
    } else if (!strcmp(format, "json")) {
        if (multi_write_json(mv, stdout)) {
            fprintf(stderr, "ocd: out of memory building the JSON table\n");
            rc = 1;
        }
    } else if (!strcmp(format, "csv")) {
        multi_write_csv(mv, stdout);
    } else {
        multi_write_md(mv, stdout);
    }
    multi_free(mv);
    free(mv);
    return rc;
}

int cmd_results(int argc, char **argv)
{
    const char *format = "md";
    static char found[MULTI_MAX][512];
    char *dirs[MULTI_MAX];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            format = argv[++i];
        } else if (!strcmp(argv[i], "--all") && i + 1 < argc) {
            const char *root = argv[++i];
            const int k = multi_find_sessions(root, found, MULTI_MAX);
            if (k < 0) {
                fprintf(stderr, "ocd: cannot read the folder %s\n", root);
                return 3;
            }
            if (k == 0) fprintf(stderr, "ocd: no sessions (folders with a session.h5) under %s\n", root);
            for (int j = 0; j < k && n < MULTI_MAX; j++) dirs[n++] = found[j];
        } else if (argv[i][0] != '-' && n < MULTI_MAX) {
            dirs[n++] = argv[i];
        } else {
            return usage();
        }
    }
    if (n == 0 || (strcmp(format, "md") && strcmp(format, "csv") && strcmp(format, "json"))) return usage();
    if (n > 1) return results_multi(dirs, n, format);
    const char *dir = dirs[0];
    Status st;
    status_clear(&st);
    SessView *v = malloc(sizeof *v);
    if (!v) {
        fprintf(stderr, "ocd: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (sessview_load(dir, v, &st)) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        free(v);
        return cli_exit_code(st.code);
    }
    if (results_check(v, &st)) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        rc = cli_exit_code(st.code);
    } else if (!strcmp(format, "json")) {
        if (results_write_json(v, stdout)) {
            fprintf(stderr, "ocd: out of memory building the JSON table\n");
            rc = 1;
        }
    } else if (!strcmp(format, "csv")) {
        results_write_csv(v, stdout);
    } else {
        results_write_md(v, stdout);
    }
    sessview_free(v);
    free(v);
    return rc;
}
