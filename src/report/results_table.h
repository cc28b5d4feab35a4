/* The eval stage's table as `ocd results` prints it (Markdown, CSV, JSON) and as `ocd report`
 * embeds it: one function per format, from a SessView, to any FILE*. */
#ifndef OCD_RESULTS_TABLE_H
#define OCD_RESULTS_TABLE_H

#include "sessview.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when the view has a table to print; otherwise ERR_STATE (no complete eval stage, saying
 * how to see where the session is) or ERR_FORMAT (an eval group without methods) */
int results_check(const SessView *v, Status *st);

/* the header line, the table, the units, the verdict, the inference time, the stage times */
void results_write_md(const SessView *v, FILE *f);
/* only the table (the header row, the alignment row and one row per method) */
void results_write_md_table(const SessView *v, FILE *f);
void results_write_csv(const SessView *v, FILE *f);
/* one object: the session, its settings and one object per method; 0, or -1 when cJSON
 * could not build it (out of memory) */
int results_write_json(const SessView *v, FILE *f);
/* prints a cJSON tree to f and deletes it (every JSON table's last step); -1: out of memory */
struct cJSON;
int results_json_print(struct cJSON *root, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
