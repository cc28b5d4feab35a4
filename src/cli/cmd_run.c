/* `ocd run`: resolves the configuration (preset, --set, shortcuts), starts the engine thread
 * and shows its events: a progress bar on a terminal, plain lines otherwise. Ctrl-C asks the
 * engine to write a checkpoint and stop; a second Ctrl-C ends the program at once. */
#include "cli.h"

#include "bus.h"
#include "config.h"
#include "engine.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Bus *g_bus; /* for the signal handler only */

static void on_interrupt(int sig)
{
    (void)sig;
    if (g_bus) bus_request_stop(g_bus);
    signal(SIGINT, SIG_DFL);
}

const char *cli_asset_dir(void)
{
    const char *env = getenv("OCD_ASSETS");
    return env && *env ? env : OCD_SOURCE_DIR "/assets";
}

int cli_exit_code(ErrCode code)
{
    switch (code) {
    case ERR_NONE: return 0;
    case ERR_IO:
    case ERR_FORMAT:
    case ERR_CONFIG: return 2;
    case ERR_NUMERIC: return 3;
    case ERR_DEVICE: return 4;
    case ERR_STATE: return 5;
    }
    return 1;
}

static int fail(const Status *st)
{
    fprintf(stderr, "ocd: %s\n", st->msg);
    return cli_exit_code(st->code);
}

/* ---- progress display ---- */
typedef struct {
    int tty;
    int bar_shown;
    int last_decile;
    double last_draw;
} Display;

static void clear_bar(Display *d)
{
    if (d->tty && d->bar_shown) {
        fputs("\r\033[K", stdout);
        d->bar_shown = 0;
    }
}

static void render(Display *d, const Event *e)
{
    char metrics[160] = "";
    for (int k = 0; k < EVENT_METRICS; k++)
        if (e->names[k][0]) {
            const int pct = !strcmp(e->names[k], "acc");
            snprintf(metrics + strlen(metrics), sizeof metrics - strlen(metrics), "  %s %.*f%s", e->names[k],
                     pct ? 2 : 4, pct ? 100 * e->metrics[k] : e->metrics[k], pct ? "%" : "");
        }
    const double frac = e->total ? (double)e->step / (double)e->total : 0.0;
    if (d->tty) {
        if (e->time - d->last_draw < 0.1 && e->step != e->total) return;
        d->last_draw = e->time;
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
        bar[30] = 0;
        printf("\r\033[K[%s] %s %3.0f%% %lld/%lld%s", e->stage, bar, 100 * frac, (long long)e->step,
               (long long)e->total, metrics);
        fflush(stdout);
        d->bar_shown = 1;
    } else {
        int dec = (int)(frac * 10);
        if (dec > d->last_decile) {
            d->last_decile = dec;
            printf("[%s] %3.0f%% step %lld/%lld%s\n", e->stage, 100 * frac, (long long)e->step, (long long)e->total,
                   metrics);
            fflush(stdout);
        }
    }
}

static int follow(Bus *bus, Display *d)
{
    int code = 0;
    for (;;) {
        struct pollfd p = {.fd = bus_wake_fd(bus), .events = POLLIN};
        poll(&p, 1, 500);
        Event e;
        while (bus_pop(bus, &e)) {
            switch (e.kind) {
            case EV_LOG:
                clear_bar(d);
                if (e.stage[0])
                    printf("[%s] %s\n", e.stage, e.text);
                else
                    printf("%s\n", e.text);
                break;
            case EV_STAGE_BEGIN:
                clear_bar(d);
                d->last_decile = 0;
                printf("[%s] %s\n", e.stage, e.text[0] ? e.text : "started");
                break;
            case EV_PROGRESS: render(d, &e); break;
            case EV_STAGE_END:
                clear_bar(d);
                printf("[%s] %s (%.1f s)\n", e.stage, e.code ? "stopped" : "complete", e.time);
                break;
            case EV_ERROR:
                clear_bar(d);
                fprintf(stderr, "ocd: %s\n", e.text);
                code = e.code;
                break;
            case EV_DONE: fflush(stdout); return code ? code : e.code;
            }
            fflush(stdout);
        }
    }
}

int cmd_run(int argc, char **argv)
{
    Status st;
    status_clear(&st);
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: ocd run PRESET [--set section.key=value]... [--stages LIST] [--session DIR]\n"
                        "               [--seed N] [--threads N] [--device cpu|cuda|auto|cpu-guard] [--from DIR]\n");
        return 2;
    }
    RunRequest rq;
    memset(&rq, 0, sizeof rq);
    config_init(&rq.cfg);
    char ppath[600];
    config_preset_path(argv[0], cli_asset_dir(), ppath, sizeof ppath);
    if (config_load(&rq.cfg, ppath, &st)) {
        config_free(&rq.cfg);
        return fail(&st);
    }
    snprintf(rq.asset_dir, sizeof rq.asset_dir, "%s", cli_asset_dir());
    const char *session = NULL, *stages = NULL; /* NULL: every stage */
    for (int i = 1; i < argc && status_ok(&st); i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v && strncmp(a, "--", 2) == 0) {
            status_fail(&st, ERR_CONFIG, "%s needs a value", a);
            break;
        }
        if (!strcmp(a, "--set")) config_set(&rq.cfg, v, &st);
        else if (!strcmp(a, "--stages")) stages = v, rq.from_rerun = 1;
        else if (!strcmp(a, "--session")) session = v;
        else if (!strcmp(a, "--from")) snprintf(rq.from_dir, sizeof rq.from_dir, "%s", v);
        else if (!strcmp(a, "--seed")) config_set_kv(&rq.cfg, "run.seed", v, "--seed", &st);
        else if (!strcmp(a, "--threads")) config_set_kv(&rq.cfg, "run.threads", v, "--threads", &st);
        else if (!strcmp(a, "--device")) config_set_kv(&rq.cfg, "run.device", v, "--device", &st);
        else {
            status_fail(&st, ERR_CONFIG, "unknown option '%s' (see ocd --help)", a);
            break;
        }
        i++;
    }
    if (status_ok(&st)) engine_parse_stages(stages, &rq, &st);
    if (!status_ok(&st)) {
        config_free(&rq.cfg);
        return fail(&st);
    }
    const char *name = cfg_str(&rq.cfg, "preset.name");
    if (session)
        snprintf(rq.session_dir, sizeof rq.session_dir, "%s", session);
    else
        snprintf(rq.session_dir, sizeof rq.session_dir, "sessions/%s", name[0] ? name : "default");
    char list[256] = "";
    for (int i = 0; i < rq.nstages; i++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", rq.stages[i]);
    printf("ocd run %s -> %s (stages: %s)\n", ppath, rq.session_dir, list);
    Bus *bus = bus_create();
    g_bus = bus;
    signal(SIGINT, on_interrupt);
    Display d = {.tty = isatty(STDOUT_FILENO)};
    Engine *e = engine_start(&rq, bus);
    follow(bus, &d);
    engine_wait(e, &st);
    g_bus = NULL;
    bus_destroy(bus);
    config_free(&rq.cfg);
    if (!status_ok(&st)) return cli_exit_code(st.code);
    printf("session: %s (ocd inspect %s)\n", rq.session_dir, rq.session_dir);
    return 0;
}
