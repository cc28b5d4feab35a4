/* `ocd results DIR [--format md|csv|json]`: the eval stage's table, read from the session
 * file: every method with each metric's mean and SD over the repeats (and n), its paired
 * difference to the base model with a 95% bootstrap interval and verdict, the notes, and a
 * line saying from OCD's interval whether it beat the base model. The formatting is
 * src/report/results_table.c's, which `ocd report` shares. */
#include "cli.h"

#include "results_table.h"
#include "sessview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_results(int argc, char **argv)
{
    const char *dir = NULL, *format = "md";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: ocd results DIR [--format md|csv|json]\n");
            return 2;
        }
    }
    if (!dir || (strcmp(format, "md") && strcmp(format, "csv") && strcmp(format, "json"))) {
        fprintf(stderr, "usage: ocd results DIR [--format md|csv|json]\n");
        return 2;
    }
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
