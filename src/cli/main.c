/* The `ocd` command: dispatches to run, inspect, presets and devices. */
#include "blas_env.h"
#include "cli.h"

#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ocd [COMMAND [options]]\n\n"
            "  (no command)       the terminal workbench on the default preset (as `ocd ui`)\n"
            "  ui [PRESET|DIR] [--session DIR] [--run] [--threads N] [--ascii] [--mono]\n"
            "     [--headless --size ROWSxCOLS --script FILE]\n"
            "        the terminal workbench on a preset (default mnist-lenet5) or a session folder;\n"
            "        --run starts the stages not complete yet; --headless renders into memory and\n"
            "        reads keys and commands from FILE (for tests; `save-screen PATH` dumps the screen)\n"
            "  run PRESET [--set section.key=value]... [--stages LIST] [--session DIR]\n"
            "             [--seed N] [--threads N] [--device cpu|cuda|auto|cpu-guard] [--from DIR]\n"
            "        run the stages of PRESET (a name from `ocd presets`, or an .ini file) into a session\n"
            "        (LIST: base,select,overfit,diffusion,scale,alt,eval, the default: all of them)\n"
            "        (default sessions/<preset>); a session that exists resumes where it stopped;\n"
            "        --from DIR takes the complete stages of session DIR whose settings agree\n"
            "  sweep PRESET --set KEY=V1,V2,... [--set KEY2=...] [--jobs N] [--sessions DIR]\n"
            "               [--threads N] [--seed N] [--device D]\n"
            "        the grid of settings as sessions <sessions>/<preset>+KEY=V..., each taking the stages\n"
            "        it agrees on from a finished sibling (--from), so shared stages run once\n"
            "  presets [--keys]   list the presets (--keys: every key a preset may set)\n"
            "  inspect DIR        what a session holds: configuration, stages, metrics, checkpoints\n"
            "  results DIR [DIR2 ...] [--all ROOT] [--format md|csv|json]\n"
            "                     the eval stage's table: every method, mean and SD over the repeats\n"
            "  report DIR [--out DIR2] [--no-probe] [--samples N] [--threads N]\n"
            "                     report.md and PNG figures of a session (into DIR, or DIR2); a partial\n"
            "                     session gets a report of its complete stages, the rest named\n"
            "  devices            the compute backends and whether they can run here\n"
            "  --help             this text\n\n"
            "exit status: 0 done, 2 bad input (a file, the data, the configuration), 3 a non-finite\n"
            "loss, 4 the device, 5 the session's state (e.g. stopped, or made with other settings)\n");
}

static int cmd_devices(void)
{
    const char *names[] = {"cpu", "cuda", "cpu-guard"};
    for (int i = 0; i < 3; i++) {
        const Backend *be = backend_find(names[i]);
        if (!be) {
            printf("%-9s not compiled in\n", names[i]);
            continue;
        }
        printf("%-9s %s%s\n", names[i], backend_usable(be) ? "available" : "compiled in, no device found",
               i == 2 ? " (a check, not a device: the CPU with device memory walled off from the host)" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    blas_env_select(argv);
    if (argc < 2) return cmd_ui(0, argv + 1); /* the README's first command opens the workbench */
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "ui")) return cmd_ui(argc - 2, argv + 2);
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 2, argv + 2);
    if (!strcmp(cmd, "results")) return cmd_results(argc - 2, argv + 2);
    if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(cmd, "report")) return cmd_report(argc - 2, argv + 2);
    if (!strcmp(cmd, "presets")) return cmd_presets(argc - 2, argv + 2);
    if (!strcmp(cmd, "devices")) return cmd_devices();
    fprintf(stderr, "ocd: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
