/* The command line's commands (`:` in the workbench, or lines of a headless script), their
 * help, and tab completion of command names, presets, option keys, stages and layer names. */
#include "app.h"
#include "figures.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*CmdFn)(App *a, int argc, char **argv);

typedef struct {
    const char *name, *args, *help;
    CmdFn fn;
} Command;

static int c_help(App *a, int argc, char **argv);

static int c_open(App *a, int argc, char **argv)
{
    if (argc != 2) {
        app_msg(a, 1, "usage: open PRESET|SESSION_DIR");
        return REACT_REDRAW;
    }
    app_open(a, argv[1]);
    return REACT_RELAYOUT;
}

static int c_run(App *a, int argc, char **argv)
{
    char list[256] = "";
    for (int i = 1; i < argc; i++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i > 1 ? "," : "", argv[i]);
    app_run(a, argc > 1 ? list : NULL, NULL);
    return REACT_REDRAW;
}

static int c_stop(App *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    app_stop(a);
    return REACT_REDRAW;
}

static int c_pause(App *a, int argc, char **argv)
{
    (void)argc;
    app_pause(a, strcmp(argv[0], "resume") != 0);
    return REACT_REDRAW;
}

/* `set k=v ...`: a session made with other settings needs its own folder, so the change goes
 * to DIR+k=v, which takes every stage of this session that the change does not affect and
 * re-runs the rest (the engine's --from) */
static int c_set(App *a, int argc, char **argv)
{
    if (argc < 2) {
        app_msg(a, 1, "usage: set section.key=value ... (re-runs from the first stage the change affects)");
        return REACT_REDRAW;
    }
    if (a->running) {
        app_msg(a, 1, "a run is in progress: stop it first");
        return REACT_REDRAW;
    }
    Config next;
    config_copy(&next, &a->cfg);
    Status st;
    status_clear(&st);
    char suffix[256] = "";
    for (int i = 1; i < argc && status_ok(&st); i++) {
        config_set(&next, argv[i], &st);
        snprintf(suffix + strlen(suffix), sizeof suffix - strlen(suffix), "+%s", argv[i]);
    }
    if (!status_ok(&st)) {
        config_free(&next);
        app_msg(a, 1, "%s", st.msg);
        return REACT_REDRAW;
    }
    for (char *p = suffix; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("+=.-_", *p)) *p = '_';
    char from[512];
    snprintf(from, sizeof from, "%s", a->session);
    if (strlen(from) + strlen(suffix) >= sizeof a->session) {
        config_free(&next);
        app_msg(a, 1, "set: the new session's folder name would be too long");
        return REACT_REDRAW;
    }
    config_free(&a->cfg);
    a->cfg = next;
    memcpy(a->session + strlen(from), suffix, strlen(suffix) + 1);
    for (int i = 0; i < LIVE_SERIES; i++) a->live[i].n = 0;
    app_reload(a);
    app_msg(a, 0, "new settings go to %s; stages that agree are taken from %s", a->session, from);
    app_run(a, NULL, from);
    return REACT_RELAYOUT;
}

static int layer_by_name(App *a, const char *name)
{
    for (int i = 0; a->have_view && i < a->view.nlayers; i++)
        if (!strcmp(a->view.layer[i], name)) return i;
    return -1;
}

static int c_layer(App *a, int argc, char **argv)
{
    const int L = argc == 2 ? layer_by_name(a, argv[1]) : -1;
    if (L < 0) {
        app_msg(a, 1, "usage: layer NAME (a layer the select stage scored: Tab completes)");
        return REACT_REDRAW;
    }
    a->sel_layer = L;
    a->focus = PANE_ENTROPY;
    return REACT_REDRAW;
}

static int c_whatif(App *a, int argc, char **argv)
{
    const int full = argc >= 2 && !strcmp(argv[argc - 1], "--full");
    if (full) argc--;
    const int L = argc == 2 ? layer_by_name(a, argv[1]) : a->sel_layer;
    if (full && L >= 0) {
        /* the whole method on that layer: a session with select.layer pinned, taking base */
        char kv[96], *sargv[] = {"set", kv};
        snprintf(kv, sizeof kv, "select.layer=%s", a->view.layer[L]);
        return c_set(a, 2, sargv);
    }
    if (L < 0 || !a->have_view || !sessview_stage_complete(&a->view, "select")) {
        app_msg(a, 1, "what if needs a complete select stage and a layer (whatif NAME)");
        return REACT_REDRAW;
    }
    a->sel_layer = L;
    app_request_gain(a, L);
    if (a->view.chosen >= 0 && L != a->view.chosen && a->gain_state[a->view.chosen] == 0) app_request_gain(a, a->view.chosen);
    return REACT_REDRAW;
}

static int c_sample(App *a, int argc, char **argv)
{
    if (argc == 2 && !strncmp(argv[1], "mis", 3)) {
        app_request_misclassified(a);
        return REACT_REDRAW;
    }
    char *end = NULL;
    const long i = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (i < 0 || (end && *end) || i >= app_source_count(a)) {
        app_msg(a, 1, "usage: sample N (0..%d of the %s samples) | sample misclassified",
                a->info.ok ? app_source_count(a) - 1 : 0, PROBE_SOURCE_NAMES[a->source]);
        return REACT_REDRAW;
    }
    a->sample = (int)i;
    a->focus = PANE_DENOISE;
    app_request_traj(a);
    return REACT_REDRAW;
}

static int c_source(App *a, int argc, char **argv)
{
    for (int s = 0; argc == 2 && s < PROBE_SRC_COUNT; s++)
        if (!strcmp(argv[1], PROBE_SOURCE_NAMES[s])) {
            if (app_set_source(a, (ProbeSource)s) == 0) a->focus = PANE_DENOISE;
            return REACT_REDRAW;
        }
    app_msg(a, 1, "usage: source test|held-out|trained-on");
    return REACT_REDRAW;
}

static int c_step(App *a, int argc, char **argv)
{
    if (argc != 2 || a->traj_state != 2) {
        app_msg(a, 1, "usage: step K (0 .. steps-1), once a trajectory is shown");
        return REACT_REDRAW;
    }
    const int k = atoi(argv[1]);
    a->dstep = k < 0 ? 0 : k >= a->traj.tr.steps ? a->traj.tr.steps - 1 : k;
    return REACT_REDRAW;
}

static int c_play(App *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (a->traj_state == 2) {
        if (a->dstep >= a->traj.tr.steps - 1) a->dstep = 0;
        a->playing = 1;
    }
    return REACT_REDRAW;
}

static int c_sampler(App *a, int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "ddim") && strcmp(argv[1], "ancestral") && strcmp(argv[1], "session"))) {
        app_msg(a, 1, "usage: sampler session|ddim|ancestral");
        return REACT_REDRAW;
    }
    a->ancestral = !strcmp(argv[1], "ancestral");
    app_request_traj(a);
    return REACT_REDRAW;
}

static int c_view(App *a, int argc, char **argv)
{
    if (argc != 2 || strcmp(a->view.task, "nerf")) {
        app_msg(a, 1, "usage: view N (NeRF sessions)");
        return REACT_REDRAW;
    }
    a->view_index = atoi(argv[1]);
    for (int k = 0; k < 4; k++) a->img_state[k] = 0;
    app_request_views(a);
    return REACT_REDRAW;
}

static int pane_by_name(const char *s)
{
    for (int i = 0; i < PANE_COUNT; i++)
        if (!strcmp(layout_pane_name((PaneId)i), s)) return i;
    return -1;
}

static int c_focus(App *a, int argc, char **argv)
{
    const int p = argc == 2 ? pane_by_name(argv[1]) : -1;
    if (p < 0) {
        app_msg(a, 1, "usage: focus entropy|loss|rho|compare|denoise|views|log");
        return REACT_REDRAW;
    }
    a->focus = p;
    if (!strcmp(argv[0], "zoom")) a->zoom = p;
    return REACT_RELAYOUT;
}

static int c_unzoom(App *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    a->zoom = -1;
    return REACT_RELAYOUT;
}

int app_export_png(App *a, const char *path)
{
    const int fig = pane_figure((PaneId)a->focus);
    if (fig < 0 || !a->have_view) {
        app_msg(a, 1, "export png: the %s pane has no figure", layout_pane_name((PaneId)a->focus));
        return -1;
    }
    if (fig == FIG_TRAJECTORY && a->source != PROBE_SRC_TEST) {
        app_msg(a, 1, "export png: the trajectory figure is of test samples (t or :source test switches back)");
        return -1;
    }
    JobReq r = {.kind = JOB_EXPORT, .a = fig, .b = fig == FIG_TRAJECTORY ? a->sample : fig == FIG_VIEWS ? a->view_index : -1,
                .gen = a->gen};
    if (path)
        snprintf(r.path, sizeof r.path, "%s", path);
    else
        snprintf(r.path, sizeof r.path, "%.400s/fig-%s.png", a->session, figure_name((FigureKind)fig));
    jobs_submit(a->jobs, &r);
    app_msg(a, 0, "writing %s in the background", r.path);
    return 0;
}

int app_save_screen(App *a, const char *path)
{
    char *text = canvas_dump(a->cv);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(text);
        app_msg(a, 1, "save-screen: cannot write %s", path);
        return -1;
    }
    fputs(text, f);
    fclose(f);
    free(text);
    return 0;
}

static int c_export(App *a, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "png")) {
        app_export_png(a, argc >= 3 ? argv[2] : NULL);
    } else if (argc == 3 && !strcmp(argv[1], "screen")) {
        if (app_save_screen(a, argv[2]) == 0) app_msg(a, 0, "screen written to %s", argv[2]);
    } else {
        app_msg(a, 1, "usage: export png [PATH] | export screen PATH");
    }
    return REACT_REDRAW;
}

static int c_save_screen(App *a, int argc, char **argv)
{
    if (argc != 2) {
        app_msg(a, 1, "usage: save-screen PATH");
        return REACT_REDRAW;
    }
    app_save_screen(a, argv[1]);
    return REACT_NONE; /* the dump must be of the screen as it is, not a newer one */
}

static int c_quit(App *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (a->running && strcmp(argv[0], "quit!")) {
        a->confirm_quit = 1;
        app_msg(a, 0, "a stage is running: y stops it at its checkpoint and quits (or :quit!)");
        return REACT_REDRAW;
    }
    return REACT_QUIT;
}

static const Command CMDS[] = {
    {"help", "", "list the commands", c_help},
    {"open", "PRESET|DIR", "open a preset (its session folder) or a session", c_open},
    {"run", "[STAGE...]", "run the stages not complete yet, or the ones named (again)", c_run},
    {"stop", "", "stop the run at its next checkpoint", c_stop},
    {"pause", "", "pause the run", c_pause},
    {"resume", "", "resume the run", c_pause},
    {"set", "KEY=VALUE...", "change settings: a new session takes what agrees and re-runs the rest", c_set},
    {"layer", "NAME", "pick a layer in the entropy pane", c_layer},
    {"whatif", "[NAME] [--full]", "overfit-on-test gain of a layer beside the chosen one; --full: the whole method on it (a new session)", c_whatif},
    {"sample", "N|misclassified", "the sample the denoise pane steps through (of its source)", c_sample},
    {"source", "test|held-out|trained-on",
     "where the denoise pane's samples come from (held out from / trained on by the generator: the true Ω beside)", c_source},
    {"step", "K", "show denoising step K", c_step},
    {"play", "", "play the denoising steps", c_play},
    {"sampler", "session|ancestral", "the sampler the denoise pane uses", c_sampler},
    {"view", "N", "the NeRF test view shown", c_view},
    {"focus", "PANE", "focus a pane", c_focus},
    {"zoom", "PANE", "show one pane alone", c_focus},
    {"unzoom", "", "show every pane", c_unzoom},
    {"export", "png [PATH]|screen PATH", "the focused pane's figure (report code) or the screen as text", c_export},
    {"save-screen", "PATH", "the screen as UTF-8 text", c_save_screen},
    {"quit", "", "quit (asks while a stage runs; quit! does not)", c_quit},
    {"quit!", "", "quit now, stopping a run at its checkpoint", c_quit},
};

static int c_help(App *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        app_log(a, ":%s %s — %s", CMDS[i].name, CMDS[i].args, CMDS[i].help);
    app_msg(a, 0, "the commands are listed in the log pane (? shows the keys)");
    return REACT_REDRAW;
}

int command_run(App *a, const char *line)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", line);
    char *argv[32];
    int argc = 0;
    for (char *tok = strtok(buf, " \t"); tok && argc < 32; tok = strtok(NULL, " \t")) argv[argc++] = tok;
    if (argc == 0) return REACT_NONE;
    if (!strcmp(argv[0], "q")) argv[0] = "quit";
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (!strcmp(CMDS[i].name, argv[0])) return CMDS[i].fn(a, argc, argv);
    app_msg(a, 1, "unknown command '%s' (:help lists them; Tab completes)", argv[0]);
    return REACT_REDRAW;
}

/* ---- completion ---- */
static int presets_list(App *a, char names[][64], int max)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/presets", a->opt.asset_dir);
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        const size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".ini")) snprintf(names[n++], 64, "%.*s", (int)(len - 4), e->d_name);
    }
    closedir(d);
    return n;
}

const char *command_complete(App *a, const char *line, const char *word, int i)
{
    static char out[CFG_VALUE_LEN + 64];
    const size_t wl = strlen(word);
    /* the first word: a command */
    const char *sp = strchr(line, ' ');
    if (!sp || (size_t)(sp - line) >= strlen(line) - wl) {
        for (size_t k = 0; k < sizeof CMDS / sizeof CMDS[0]; k++)
            if (!strncmp(CMDS[k].name, word, wl) && i-- == 0) return CMDS[k].name;
        return NULL;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "%.*s", (int)(sp - line), line);
    if (!strcmp(cmd, "open")) {
        static char names[64][64];
        const int n = presets_list(a, names, 64);
        for (int k = 0; k < n; k++)
            if (!strncmp(names[k], word, wl) && i-- == 0) return names[k];
        return NULL;
    }
    if (!strcmp(cmd, "set")) {
        int n;
        const CfgKey *schema = config_schema(&n);
        for (int k = 0; k < n; k++)
            if (!strncmp(schema[k].key, word, wl) && i-- == 0) {
                snprintf(out, sizeof out, "%s=", schema[k].key);
                return out;
            }
        return NULL;
    }
    if (!strcmp(cmd, "run")) {
        int n;
        const char *const *names = engine_stage_names(&n);
        for (int k = 0; k < n; k++)
            if (!strncmp(names[k], word, wl) && i-- == 0) return names[k];
        return NULL;
    }
    if (!strcmp(cmd, "layer") || !strcmp(cmd, "whatif")) {
        for (int k = 0; a->have_view && k < a->view.nlayers; k++)
            if (!strncmp(a->view.layer[k], word, wl) && i-- == 0) return a->view.layer[k];
        return NULL;
    }
    if (!strcmp(cmd, "focus") || !strcmp(cmd, "zoom")) {
        for (int k = 0; k < PANE_COUNT; k++)
            if (!strncmp(layout_pane_name((PaneId)k), word, wl) && i-- == 0) return layout_pane_name((PaneId)k);
        return NULL;
    }
    if (!strcmp(cmd, "sampler")) {
        static const char *const S[] = {"session", "ancestral"};
        for (int k = 0; k < 2; k++)
            if (!strncmp(S[k], word, wl) && i-- == 0) return S[k];
    }
    if (!strcmp(cmd, "source")) {
        for (int k = 0; k < PROBE_SRC_COUNT; k++)
            if (!strncmp(PROBE_SOURCE_NAMES[k], word, wl) && i-- == 0) return PROBE_SOURCE_NAMES[k];
        return NULL;
    }
    if (!strcmp(cmd, "sample")) {
        if (!strncmp("misclassified", word, wl) && i == 0) return "misclassified";
    }
    return NULL;
}
