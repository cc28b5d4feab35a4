/* `ocd ui [PRESET|DIR]` (and `ocd` alone): the terminal workbench (src/ui). */
#include "cli.h"

#ifdef OCD_HAVE_UI
#include "ui.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_ui(int argc, char **argv)
{
#ifndef OCD_HAVE_UI
    (void)argc;
    (void)argv;
    fprintf(stderr, "ocd: this build has no terminal workbench (configured with -DOCD_WITH_UI=OFF)\n");
    return 2;
#else
    UiOptions o = {.target = "mnist-lenet5", .asset_dir = cli_asset_dir(), .sessions_root = "sessions"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--headless")) o.headless = 1;
        else if (!strcmp(a, "--ascii")) o.ascii = 1;
        else if (!strcmp(a, "--mono")) o.mono = 1;
        else if (!strcmp(a, "--run")) o.autorun = 1;
        else if (v && !strcmp(a, "--session")) o.session = v, i++;
        else if (v && !strcmp(a, "--script")) o.script = v, i++;
        else if (v && !strcmp(a, "--history")) o.history = v, i++;
        else if (v && !strcmp(a, "--sessions")) o.sessions_root = v, i++;
        else if (v && !strcmp(a, "--threads")) o.threads = atoi(v), i++;
        else if (v && !strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &o.rows, &o.cols) != 2 || o.rows < 1 || o.cols < 1) {
                fprintf(stderr, "ocd ui: --size ROWSxCOLS, e.g. 40x120 (got %s)\n", v);
                return 2;
            }
            i++;
        } else if (a[0] != '-') o.target = a;
        else {
            fprintf(stderr, "ocd ui: unknown option '%s' (see ocd --help)\n", a);
            return 2;
        }
    }
    if (o.headless && (!o.rows || !o.script)) {
        fprintf(stderr, "ocd ui: --headless needs --size ROWSxCOLS and --script FILE\n");
        return 2;
    }
    if (!o.headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
        fprintf(stderr, "ocd ui: the workbench needs a terminal (use `ocd run` for scripts, or --headless)\n");
        return 2;
    }
    return ui_main(&o);
#endif
}
