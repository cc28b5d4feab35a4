/* The workbench's loop (ui.h): poll() on the keyboard, the bus's wake fd and the probe
 * jobs' fd; drain what is ready into the App; redraw at most ~30 times a second and only
 * when something changed. ':' switches to command mode, where the bytes go to readline's
 * callback interface (keypad off, so readline sees the raw escape sequences it binds);
 * Enter or C-g goes back to normal mode, where keys go through the key table. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "app.h"
#include "keys.h"

#include "chart.h"
#include "core/clock.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* readline's callbacks take no user pointer: the one App they serve (DESIGN §5) */
static App *g_app;
static int g_rl_byte, g_rl_has, g_cmd_active;
static volatile sig_atomic_t g_interrupted;
static char g_history[600];

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

/* ---- readline glue ---- */
static int rl_getc_cb(FILE *f)
{
    (void)f;
    g_rl_has = 0;
    return g_rl_byte;
}
static int rl_avail_cb(void) { return g_rl_has; }
static void rl_redisplay_cb(void) { g_app->dirty = 1; }

static void cmd_leave(void)
{
    rl_callback_handler_remove();
    g_cmd_active = 0;
    screen_keypad(1);
    g_app->dirty = 1;
}

static void on_line(char *line)
{
    App *a = g_app;
    cmd_leave();
    if (!line) return; /* C-d on an empty line */
    if (*line) {
        add_history(line);
        if (g_history[0]) append_history(1, g_history);
        const int r = command_run(a, line);
        if (r & REACT_QUIT) a->quit = 1;
        if (r & REACT_RELAYOUT) a->lay.too_small = -1;
    }
    free(line);
}

static char *complete_gen(const char *text, int state)
{
    static int i;
    if (!state) i = 0;
    const char *c = command_complete(g_app, rl_line_buffer, text, i++);
    return c ? strdup(c) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1; /* no file names */
    return rl_completion_matches(text, complete_gen);
}

/* matches are shown on the status line, not printed over the screen */
static void show_matches(char **matches, int n, int maxlen)
{
    (void)maxlen;
    char buf[sizeof g_app->msg] = "";
    for (int i = 1; i <= n && strlen(buf) < sizeof buf - 64; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i > 1 ? "  " : "", matches[i]);
    snprintf(g_app->msg, sizeof g_app->msg, "%s", buf);
    g_app->msg_error = 0;
    g_app->dirty = 1;
}

static void cmd_enter(void)
{
    g_cmd_active = 1;
    screen_keypad(0);
    rl_callback_handler_install(":", on_line);
    g_app->dirty = 1;
}

static void cmd_feed(int byte)
{
    if (byte == 7) { /* C-g: cancel */
        rl_replace_line("", 0);
        cmd_leave();
        return;
    }
    g_rl_byte = byte;
    g_rl_has = 1;
    rl_callback_read_char();
}

static void readline_setup(App *a)
{
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_getc_function = rl_getc_cb;
    rl_input_available_hook = rl_avail_cb;
    rl_redisplay_function = rl_redisplay_cb;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    rl_outstream = devnull;
    rl_readline_name = "ocd";
    using_history();
    g_history[0] = 0;
    if (a->opt.history) snprintf(g_history, sizeof g_history, "%s", a->opt.history);
    else if (getenv("HOME")) snprintf(g_history, sizeof g_history, "%s/.ocd_history", getenv("HOME"));
    if (g_history[0]) {
        read_history(g_history);
        if (access(g_history, F_OK) != 0) {
            FILE *f = fopen(g_history, "a"); /* append_history needs the file to exist */
            if (f) fclose(f);
        }
    }
}

/* ---- events from the engine and the jobs ---- */
static LiveCurve *live_for(App *a, const char *stage, const char *name)
{
    for (int i = 0; i < LIVE_SERIES; i++)
        if (a->live[i].n > 0 && !strcmp(a->live[i].stage, stage)) return &a->live[i];
    for (int i = 0; i < LIVE_SERIES; i++)
        if (a->live[i].n == 0) {
            LiveCurve *c = &a->live[i];
            snprintf(c->stage, sizeof c->stage, "%s", stage);
            snprintf(c->name, sizeof c->name, "%s", name);
            if (!c->x) {
                c->x = malloc(sizeof(double) * LIVE_MAX);
                c->y = malloc(sizeof(double) * LIVE_MAX);
            }
            return c;
        }
    return NULL;
}

static void on_event(App *a, const Event *e)
{
    switch (e->kind) {
    case EV_LOG: app_log(a, "%s%s%s%s", e->stage[0] ? "[" : "", e->stage, e->stage[0] ? "] " : "", e->text); break;
    case EV_STAGE_BEGIN:
        snprintf(a->run_stage, sizeof a->run_stage, "%s", e->stage);
        a->step = a->total = 0;
        app_log(a, "[%s] %s", e->stage, e->text[0] ? e->text : "started");
        break;
    case EV_PROGRESS: {
        a->step = e->step;
        a->total = e->total;
        for (int k = 0; k < 2; k++) {
            a->metric[k] = e->metrics[k];
            snprintf(a->metric_name[k], sizeof a->metric_name[k], "%s", e->names[k]);
        }
        /* the loss pane's live curves: the first metric of each training stage */
        if (e->names[0][0] && strcmp(e->stage, "eval") && strcmp(e->stage, "select")) {
            LiveCurve *c = live_for(a, e->stage, e->names[0]);
            if (c && c->n < LIVE_MAX && isfinite(e->metrics[0])) {
                c->x[c->n] = (double)e->step;
                c->y[c->n] = e->metrics[0];
                c->n++;
            }
        }
        break;
    }
    case EV_STAGE_END:
        app_log(a, "[%s] %s (%.1f s)", e->stage, e->code ? e->text : "complete", e->time);
        app_reload(a);
        break;
    case EV_ERROR: app_msg(a, 1, "%s", e->text); break;
    case EV_DONE: {
        Status st;
        engine_wait(a->engine, &st);
        bus_destroy(a->bus);
        a->engine = NULL;
        a->bus = NULL;
        a->running = a->paused = 0;
        a->run_stage[0] = 0;
        if (status_ok(&st)) app_msg(a, 0, "run finished: %s", a->session);
        app_reload(a);
        break;
    }
    }
    a->dirty = 1;
}

static void on_job(App *a, JobResult *r)
{
    if (r->gen != a->gen) {
        jobs_result_free(r);
        return;
    }
    switch (r->kind) {
    case JOB_OPEN:
        jobs_result_free(&a->info);
        a->info = *r;
        if (!r->ok) app_msg(a, 1, "probe: %s", r->err);
        if (r->ok && r->task == 2 && r->ocd) app_request_views(a);
        if (r->ok && r->ocd) app_request_rho(a);
        return;
    case JOB_TRAJ:
        if (r->a != a->sample || r->b != a->ancestral || r->c != (int)a->source) break; /* an older request */
        jobs_result_free(&a->traj);
        a->traj = *r;
        a->traj_state = r->ok ? 2 : 3;
        if (r->ok) {
            if (a->dstep >= r->tr.steps || a->dstep < 0) a->dstep = r->tr.steps - 1;
        } else {
            app_msg(a, 1, "denoise: %s", r->err);
        }
        a->dirty = 1;
        return;
    case JOB_GAIN:
        if (r->a >= 0 && r->a < SV_MAX_LAYERS) {
            a->gain_state[r->a] = r->ok ? 2 : 3;
            a->gain_base[r->a] = r->loss_base;
            a->gain_over[r->a] = r->loss_overfit;
        }
        if (r->ok)
            app_msg(a, 0, "what if %s: overfit on test lowers the loss %.4g -> %.4g (%+.1f%%)",
                    r->a < a->view.nlayers ? a->view.layer[r->a] : "?", r->loss_base, r->loss_overfit,
                    100 * (r->loss_overfit - r->loss_base) / r->loss_base);
        else
            app_msg(a, 1, "what if: %s", r->err);
        break;
    case JOB_RHO:
        free(a->rho_test);
        a->rho_test = r->rho;
        a->n_rho_test = r->n;
        r->rho = NULL;
        a->rho_state = r->ok ? 2 : 3;
        if (!r->ok) app_msg(a, 1, "rho: %s", r->err);
        break;
    case JOB_RENDER:
        if (r->a == a->view_index && r->b >= 0 && r->b < 4) {
            free(a->img[r->b]);
            a->img[r->b] = r->img;
            r->img = NULL;
            a->img_h = r->h;
            a->img_w = r->w;
            a->img_state[r->b] = r->ok ? 2 : 3;
        }
        if (!r->ok) app_msg(a, 1, "render: %s", r->err);
        break;
    case JOB_EXPORT:
        if (r->ok) app_msg(a, 0, "figure written: %s", r->path);
        else app_msg(a, 1, "export png: %s", r->err);
        break;
    case JOB_RENDER_STEP:
        if (r->a == a->sample && r->b == a->ancestral && r->ok) {
            free(a->step_img);
            a->step_img = r->img;
            r->img = NULL;
            a->img_h = r->h;
            a->img_w = r->w;
            a->step_img_k = r->c;
            a->step_img_state = 2;
        } else {
            a->step_img_state = r->ok ? 0 : 3;
            if (!r->ok) app_msg(a, 1, "render: %s", r->err);
        }
        break;
    case JOB_MISCLASS:
        if (r->ok && r->a >= 0) {
            a->source = PROBE_SRC_TEST; /* the search is over test samples */
            a->sample = r->a;
            app_msg(a, 0, "sample %d: the base model gets it wrong", r->a);
            app_request_traj(a);
        } else {
            app_msg(a, 1, "%s", r->err);
        }
        break;
    }
    jobs_result_free(r);
    a->dirty = 1;
}

/* ---- drawing ---- */
static void draw_header(App *a, Rect r)
{
    const Style title = {a->scr.colors ? 231 : -1, a->scr.colors ? 24 : -1, ATTR_BOLD | (a->scr.colors ? 0 : ATTR_REVERSE)};
    canvas_fill(a->cv, r, ' ', title);
    char buf[600];
    int x = r.x + canvas_textf(a->cv, r.y, r.x, r.w, title, " OCD Workbench  %s  ",
                               a->have_view ? a->view.preset : cfg_str(&a->cfg, "preset.name"));
    if (a->have_view)
        for (int i = 0; i < a->view.nstages; i++) {
            const int done = a->view.complete[i], now = a->running && !strcmp(a->run_stage, a->view.stage[i]);
            const Style s = {a->scr.colors ? (now ? 226 : done ? 120 : 250) : -1, title.bg,
                             (uint16_t)(title.attr | (now ? ATTR_UNDERLINE : 0) | (done ? 0 : ATTR_DIM))};
            snprintf(buf, sizeof buf, "%s%s ", a->view.stage[i], done ? (a->cv->ascii ? "+" : "✓") : "");
            x += canvas_text(a->cv, r.y, x, r.x + r.w - x, buf, s);
        }
    if (a->running) {
        const double frac = a->total > 0 ? (double)a->step / (double)a->total : 0.0;
        snprintf(buf, sizeof buf, " %s %s %3.0f%% %s %.4g ", a->paused ? "PAUSED" : "running", a->run_stage, 100 * frac,
                 a->metric_name[0], a->metric[0]);
        x += canvas_text(a->cv, r.y, x, r.x + r.w - x, buf, (Style){title.fg, title.bg, ATTR_BOLD | ATTR_REVERSE});
    }
    char job[160];
    jobs_describe(a->jobs, job, sizeof job);
    if (job[0]) canvas_textf(a->cv, r.y, x + 1, r.x + r.w - x - 1, title, "· %s", job);
}

static void draw_frame(App *a)
{
    canvas_resize(a->cv, a->scr.rows, a->scr.cols);
    canvas_clear(a->cv);
    const int nerf = a->have_view && !strcmp(a->view.task, "nerf");
    a->lay = layout_compute(a->scr.rows, a->scr.cols, a->zoom, nerf);
    if (a->lay.too_small) {
        canvas_textf(a->cv, a->scr.rows / 2, 0, a->scr.cols, STYLE_DEFAULT, "terminal %dx%d is too small:",
                     a->scr.cols, a->scr.rows);
        canvas_textf(a->cv, a->scr.rows / 2 + 1, 0, a->scr.cols, STYLE_DEFAULT, "the workbench needs %dx%d (q quits)",
                     LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
        return;
    }
    if (!a->lay.visible[a->focus]) {
        for (int i = 0; i < PANE_COUNT; i++)
            if (a->lay.visible[i]) {
                a->focus = i;
                break;
            }
    }
    draw_header(a, a->lay.header);
    for (int i = 0; i < PANE_COUNT; i++) {
        if (!a->lay.visible[i]) continue;
        Rect in = canvas_box(a->cv, a->lay.pane[i], layout_pane_name((PaneId)i), i == a->focus, STYLE_DEFAULT);
        if (in.h > 0 && in.w > 0) pane_draw(a, (PaneId)i, in);
    }
    Rect cl = a->lay.cmdline;
    if (g_cmd_active) {
        canvas_text(a->cv, cl.y, cl.x, cl.w, ":", (Style){-1, -1, ATTR_BOLD});
        canvas_text(a->cv, cl.y, cl.x + 1, cl.w - 1, rl_line_buffer, STYLE_DEFAULT);
    } else {
        const Style s = a->msg_error ? (Style){a->scr.colors ? 196 : -1, -1, ATTR_BOLD} : STYLE_DEFAULT;
        canvas_text_fit(a->cv, cl.y, cl.x, cl.w, a->msg, s);
    }
    keys_draw_bar(a, a->lay.keybar);
    if (a->help) keys_draw_help(a);
}

static void present(App *a)
{
    draw_frame(a);
    screen_blit(a->cv, &a->scr);
    if (g_cmd_active && !a->lay.too_small) {
        /* the cursor column: the prompt plus the width of the text before the point */
        char before[1024];
        snprintf(before, sizeof before, "%.*s", rl_point, rl_line_buffer);
        screen_flush(a->lay.cmdline.y, a->lay.cmdline.x + 1 + utf8_width(before));
    } else {
        screen_flush(-1, 0);
    }
    a->dirty = 0;
}

static void handle_key(App *a, int key)
{
    if (key == KEY_RESIZE) {
        screen_size(&a->scr);
        a->dirty = 1;
        return;
    }
    if (g_cmd_active) {
        cmd_feed(key);
        return;
    }
    if (key == ':' && !a->confirm_quit && !a->help) {
        cmd_enter();
        return;
    }
    const int r = keys_dispatch(a, key);
    if (r & REACT_QUIT) a->quit = 1;
    if (r & REACT_RELAYOUT) screen_repaint();
    if (r) a->dirty = 1;
}

/* ---- headless scripts: keys, typed text, commands, waits and screen dumps ---- */
static int script_step(App *a)
{
    char line[1024];
    if (!fgets(line, sizeof line, a->script)) {
        a->quit = 1;
        return 0;
    }
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0] || line[0] == '#') return 1;
    if (line[0] == ':') {
        add_history(line + 1);
        const int r = command_run(a, line + 1);
        if (r & REACT_QUIT) a->quit = 1;
    } else if (!strncmp(line, "key ", 4)) {
        for (char *tok = strtok(line + 4, " "); tok; tok = strtok(NULL, " ")) {
            const int k = keys_parse(tok);
            if (k < 0) {
                app_msg(a, 1, "script: unknown key '%s'", tok);
                continue;
            }
            handle_key(a, k);
        }
    } else if (!strncmp(line, "type ", 5)) {
        for (const char *p = line + 5; *p; p++) handle_key(a, (unsigned char)*p);
    } else if (!strcmp(line, "wait")) {
        a->script_wait = 1;
    } else if (!strncmp(line, "sleep ", 6)) { /* milliseconds, while events keep coming in */
        a->script_wait = 3;
        a->script_until = clock_now() + atof(line + 6) / 1000.0;
    } else if (!strncmp(line, "resize ", 7)) {
        int r = 0, c = 0;
        if (sscanf(line + 7, "%dx%d", &r, &c) == 2) screen_resize(&a->scr, r, c);
    } else {
        app_msg(a, 1, "script: cannot read '%s'", line);
    }
    a->dirty = 1;
    return 1;
}

static int idle(App *a) { return !a->running && !jobs_busy(a->jobs); }

/* ---- the loop ---- */
int ui_main(const UiOptions *o)
{
    App *a = calloc(1, sizeof *a);
    a->opt = *o;
    a->zoom = -1;
    a->focus = PANE_ENTROPY;
    a->sel_layer = -1;
    a->smooth = 1;
    a->logy = 1;
    config_init(&a->cfg);
    g_app = a;
    if (o->script && !(a->script = fopen(o->script, "r"))) {
        fprintf(stderr, "ocd ui: cannot read the script %s\n", o->script);
        free(a);
        return 2;
    }
    a->jobs = jobs_start(o->asset_dir, o->threads > 0 ? o->threads : 1);
    if (!a->jobs) {
        fprintf(stderr, "ocd ui: cannot start the probe worker\n");
        free(a);
        return 1;
    }
    ScreenOpts so = {.headless = o->headless, .rows = o->rows, .cols = o->cols, .ascii = o->ascii, .mono = o->mono};
    char err[256];
    /* stderr would write over the screen: it goes to a log file while curses is active */
    char errlog[600];
    snprintf(errlog, sizeof errlog, "%s/workbench-stderr.log", o->sessions_root);
    const int saved_err = dup(STDERR_FILENO);
    const int logfd = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (screen_start(&so, &a->scr, err, sizeof err)) {
        fprintf(stderr, "ocd ui: %s\n", err);
        jobs_stop(a->jobs);
        free(a);
        return 1;
    }
    if (logfd >= 0) dup2(logfd, STDERR_FILENO);
    signal(SIGINT, on_sigint);
    a->cv = canvas_new(a->scr.rows, a->scr.cols, !a->scr.utf8);
    readline_setup(a);
    if (app_open(a, o->target) == 0 && o->autorun) app_run(a, NULL, NULL);
    double last_frame = 0.0;
    while (!a->quit) {
        if (g_interrupted) {
            g_interrupted = 0;
            handle_key(a, 'q');
        }
        if (a->dirty) {
            const double now = clock_now();
            if (a->scr.headless || now - last_frame >= 1.0 / 30) {
                present(a);
                last_frame = now;
            }
        }
        /* headless: the next script line once the screen shows everything so far */
        if (a->script && !a->dirty) {
            /* idle, and still idle after a fresh frame (drawing may ask for more jobs) */
            if (a->script_wait == 1 && idle(a)) {
                a->script_wait = 2;
                a->dirty = 1;
                continue;
            }
            if (a->script_wait == 2) a->script_wait = idle(a) ? 0 : 1;
            if (a->script_wait == 3 && clock_now() >= a->script_until) a->script_wait = 0;
            if (!a->script_wait) {
                script_step(a);
                continue;
            }
        }
        int timeout = -1; /* nothing to do: sleep until a key or an event */
        if (a->dirty) timeout = 33;
        else if (a->playing) timeout = 150;
        else if (a->running || jobs_busy(a->jobs)) timeout = 1000; /* the header's job/progress text */
        if (a->script_wait == 3) timeout = 20;
        struct pollfd pf[3] = {{.fd = a->scr.headless ? -1 : STDIN_FILENO, .events = POLLIN},
                               {.fd = a->bus ? bus_wake_fd(a->bus) : -1, .events = POLLIN},
                               {.fd = jobs_fd(a->jobs), .events = POLLIN}};
        const int pr = poll(pf, 3, timeout);
        if (pr < 0 && errno != EINTR) break;
        int key;
        /* also after a SIGWINCH interrupted poll: curses then reports KEY_RESIZE */
        while (!a->scr.headless && (key = screen_key()) != ERR) handle_key(a, key);
        Event e;
        while (a->bus && bus_pop(a->bus, &e)) on_event(a, &e);
        JobResult r;
        while (jobs_take(a->jobs, &r)) on_job(a, &r);
        if (a->playing && a->traj_state == 2) {
            const double now = clock_now();
            if (now - a->play_t >= 0.15) {
                a->play_t = now;
                if (a->dstep < a->traj.tr.steps - 1) a->dstep++;
                else a->playing = 0;
                a->dirty = 1;
            }
        }
        if (a->running || jobs_busy(a->jobs)) a->dirty |= pr == 0;
    }
    /* quitting while a stage runs: the engine stops at its next checkpoint; wait for it so
     * the session is left at a checkpoint, never half-written */
    if (a->running) {
        bus_request_stop(a->bus);
        Event e;
        while (a->running) {
            struct pollfd p = {.fd = bus_wake_fd(a->bus), .events = POLLIN};
            poll(&p, 1, 200);
            while (a->bus && bus_pop(a->bus, &e)) on_event(a, &e);
        }
    }
    rl_callback_handler_remove();
    screen_end();
    if (saved_err >= 0) {
        dup2(saved_err, STDERR_FILENO);
        close(saved_err);
    }
    if (logfd >= 0) close(logfd);
    jobs_stop(a->jobs);
    chart_release_fonts(); /* export png drew with cairo: a leak checker sees a clean exit */
    const int code = 0;
    if (a->script) fclose(a->script);
    if (a->have_view) sessview_free(&a->view);
    jobs_result_free(&a->traj);
    jobs_result_free(&a->info);
    free(a->rho_test);
    free(a->step_img);
    for (int i = 0; i < 4; i++) free(a->img[i]);
    for (int i = 0; i < LIVE_SERIES; i++) {
        free(a->live[i].x);
        free(a->live[i].y);
    }
    canvas_free(a->cv);
    config_free(&a->cfg);
    free(a);
    g_app = NULL;
    return code;
}
