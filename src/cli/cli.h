/* The `ocd` command's pieces: run (with its progress display), sweep, inspect, presets, results, report. */
#ifndef OCD_CLI_H
#define OCD_CLI_H

#include "core/status.h"

/* where presets and data live (OCD_ASSETS, else the source tree's assets/) */
const char *cli_asset_dir(void);
/* exit status for an error code: 2 for bad input (files, data, configuration) */
int cli_exit_code(ErrCode code);

int cmd_run(int argc, char **argv);
int cmd_ui(int argc, char **argv); /* the terminal workbench (cmd_ui.c) */
int cmd_inspect(int argc, char **argv);
int cmd_presets(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv); /* a grid of settings as sessions that share stages */

#endif
