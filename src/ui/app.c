/* The workbench's session and engine side (app.h): opening presets and sessions, starting and
 * following engine runs through the bus, and asking the probe worker for what the panes show. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void app_log(App *a, const char *fmt, ...)
{
    char line[sizeof a->log[0]];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (a->log_n == LOG_LINES) {
        memmove(a->log[0], a->log[1], sizeof a->log[0] * (LOG_LINES - 1));
        a->log_n--;
    }
    snprintf(a->log[a->log_n++], sizeof a->log[0], "%s", line);
    a->dirty = 1;
}

void app_msg(App *a, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    a->msg_error = error;
    app_log(a, "%s%s", error ? "error: " : "", a->msg);
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void clear_probe_results(App *a)
{
    free(a->rho_test);
    a->rho_test = NULL;
    a->n_rho_test = a->rho_state = 0;
    jobs_result_free(&a->traj);
    memset(&a->traj, 0, sizeof a->traj);
    a->traj_state = 0;
    free(a->step_img);
    a->step_img = NULL;
    a->step_img_state = 0;
    for (int i = 0; i < 4; i++) {
        free(a->img[i]);
        a->img[i] = NULL;
        a->img_state[i] = 0;
    }
    memset(a->gain_state, 0, sizeof a->gain_state);
    jobs_result_free(&a->info);
    memset(&a->info, 0, sizeof a->info);
}

void app_reload(App *a)
{
    Status st;
    status_clear(&st);
    /* what the probe results were computed from: the session and its complete stages */
    int was[SV_MAX_STAGES] = {0};
    const int had = a->have_view && !strcmp(a->view.dir, a->session);
    if (had) memcpy(was, a->view.complete, sizeof was);
    if (a->have_view) sessview_free(&a->view);
    a->have_view = 0;
    char path[700];
    snprintf(path, sizeof path, "%s/session.h5", a->session);
    if (access(path, R_OK) == 0) {
        if (sessview_load(a->session, &a->view, &st) == 0)
            a->have_view = 1;
        else
            app_msg(a, 1, "%s", st.msg);
    }
    a->dirty = 1;
    if (a->have_view && a->view.chosen >= 0 && (a->sel_layer < 0 || a->sel_layer >= a->view.nlayers)) a->sel_layer = a->view.chosen;
    /* a stage that ended without committing (stopped, failed) or a run that only confirmed
     * what was there changes nothing the probe knows: keep its results and its loaded models */
    if (had && a->have_view && !memcmp(was, a->view.complete, sizeof was)) return;
    a->gen++;
    clear_probe_results(a);
    jobs_set_session(a->jobs, a->session, a->gen);
    if (a->have_view && sessview_stage_complete(&a->view, "base")) {
        JobReq r = {.kind = JOB_OPEN, .gen = a->gen};
        jobs_submit(a->jobs, &r);
    }
}

int app_open(App *a, const char *what)
{
    if (a->running) {
        app_msg(a, 1, "a run is in progress: stop it first (:stop)");
        return -1;
    }
    Status st;
    status_clear(&st);
    char session[512] = "";
    Config cfg;
    config_init(&cfg);
    char sess_h5[700];
    snprintf(sess_h5, sizeof sess_h5, "%s/session.h5", what);
    if (is_dir(what) && access(sess_h5, R_OK) == 0) {
        /* a session folder: its own configuration */
        SessView v;
        if (sessview_load(what, &v, &st)) {
            config_free(&cfg);
            app_msg(a, 1, "%s", st.msg);
            return -1;
        }
        config_free(&cfg);
        config_copy(&cfg, &v.cfg);
        snprintf(a->preset, sizeof a->preset, "%s", v.cfg.source);
        snprintf(session, sizeof session, "%s", what);
        sessview_free(&v);
    } else {
        char path[512];
        config_preset_path(what, a->opt.asset_dir, path, sizeof path);
        if (config_load(&cfg, path, &st)) {
            config_free(&cfg);
            app_msg(a, 1, "%s", st.msg);
            return -1;
        }
        snprintf(a->preset, sizeof a->preset, "%s", path);
        if (a->opt.threads > 0) {
            char t[16];
            snprintf(t, sizeof t, "%d", a->opt.threads);
            config_set_kv(&cfg, "run.threads", t, "--threads", &st);
        }
        const char *name = cfg_str(&cfg, "preset.name");
        if (a->opt.session && !a->session[0])
            snprintf(session, sizeof session, "%s", a->opt.session);
        else
            snprintf(session, sizeof session, "%s/%s", a->opt.sessions_root, name[0] ? name : "default");
        /* a session made earlier with this preset: show it with the settings it was made with */
        snprintf(sess_h5, sizeof sess_h5, "%s/session.h5", session);
        SessView v;
        if (access(sess_h5, R_OK) == 0 && sessview_load(session, &v, &st) == 0) {
            config_free(&cfg);
            config_copy(&cfg, &v.cfg);
            sessview_free(&v);
        }
    }
    config_free(&a->cfg);
    a->cfg = cfg;
    snprintf(a->session, sizeof a->session, "%s", session);
    a->sel_layer = -1;
    for (int i = 0; i < LIVE_SERIES; i++) a->live[i].n = 0;
    app_reload(a);
    app_msg(a, 0, "opened %s (session %s)%s", what, a->session,
            a->have_view ? "" : ": no stage yet; r runs the method");
    return 0;
}

int app_run(App *a, const char *stages, const char *from)
{
    if (a->running) {
        app_msg(a, 1, "a run is in progress (:pause, :resume, :stop)");
        return -1;
    }
    RunRequest rq;
    memset(&rq, 0, sizeof rq);
    config_copy(&rq.cfg, &a->cfg);
    snprintf(rq.cfg.source, sizeof rq.cfg.source, "%.*s", (int)sizeof rq.cfg.source - 1, a->preset);
    snprintf(rq.session_dir, sizeof rq.session_dir, "%s", a->session);
    snprintf(rq.asset_dir, sizeof rq.asset_dir, "%s", a->opt.asset_dir);
    if (from) snprintf(rq.from_dir, sizeof rq.from_dir, "%s", from);
    rq.from_rerun = stages != NULL; /* named stages are run again, not taken from `from` */
    Status st;
    status_clear(&st);
    if (engine_parse_stages(stages, &rq, &st)) {
        config_free(&rq.cfg);
        app_msg(a, 1, "%s", st.msg);
        return -1;
    }
    a->bus = bus_create();
    a->engine = engine_start(&rq, a->bus);
    config_free(&rq.cfg);
    a->running = 1;
    a->paused = 0;
    a->step = a->total = 0;
    a->run_stage[0] = 0;
    app_msg(a, 0, "running %s on %s", stages ? stages : "every stage", a->session);
    return 0;
}

void app_stop(App *a)
{
    if (!a->running) {
        app_msg(a, 1, "nothing is running");
        return;
    }
    bus_request_stop(a->bus);
    app_msg(a, 0, "stopping at the next checkpoint (every complete stage is kept)");
}

void app_pause(App *a, int paused)
{
    if (!a->running) {
        app_msg(a, 1, "nothing is running");
        return;
    }
    bus_set_paused(a->bus, paused);
    a->paused = paused;
    app_msg(a, 0, "%s", paused ? "paused (p or :resume goes on)" : "resumed");
}

/* a probe needs a trained base model */
static int ready(const App *a) { return a->have_view && sessview_stage_complete(&a->view, "base"); }

void app_request_traj(App *a)
{
    if (!ready(a) || !sessview_stage_complete(&a->view, "scale")) return;
    JobReq r = {.kind = JOB_TRAJ, .a = a->sample, .b = a->ancestral, .c = (int)a->source, .gen = a->gen};
    jobs_submit(a->jobs, &r);
    a->traj_state = 1;
    a->step_img_state = 0;
    a->playing = 0;
    a->dirty = 1;
}

int app_source_count(const App *a)
{
    if (!a->info.ok) return 1 << 30;
    return a->source == PROBE_SRC_TEST ? a->info.ntest : a->info.nsource[a->source];
}

int app_set_source(App *a, ProbeSource src)
{
    if (src != PROBE_SRC_TEST && a->info.ok && a->info.nsource[src] <= 0) {
        app_msg(a, 1, "no %s samples in this session (diffusion.holdout = 0, or the OCD stages are not complete)",
                PROBE_SOURCE_NAMES[src]);
        return -1;
    }
    a->source = src;
    a->sample = 0;
    a->dstep = 0;
    app_request_traj(a);
    return 0;
}

void app_request_rho(App *a)
{
    if (!ready(a) || !sessview_stage_complete(&a->view, "scale") || a->rho_state) return;
    JobReq r = {.kind = JOB_RHO, .a = 500, .gen = a->gen};
    jobs_submit(a->jobs, &r);
    a->rho_state = 1;
}

void app_request_views(App *a)
{
    if (!ready(a) || strcmp(a->view.task, "nerf")) return;
    const int ocd = sessview_stage_complete(&a->view, "scale");
    for (int k = 0; k < 4; k++) {
        if (a->img_state[k] || (k >= 2 && !ocd)) continue;
        JobReq r = {.kind = JOB_RENDER, .a = a->view_index, .b = k, .gen = a->gen};
        jobs_submit(a->jobs, &r);
        a->img_state[k] = 1;
    }
}

void app_request_gain(App *a, int layer)
{
    if (!ready(a) || layer < 0 || layer >= a->view.nlayers) return;
    /* the select stage's layer names index the model's layers in the same order */
    JobReq r = {.kind = JOB_GAIN, .a = layer, .b = strcmp(a->view.task, "nerf") ? 64 : 2, .gen = a->gen};
    jobs_submit(a->jobs, &r);
    a->gain_state[layer] = 1;
    app_msg(a, 0, "what if: overfitting %s on %d test samples in the background", a->view.layer[layer], r.b);
}

void app_request_misclassified(App *a)
{
    if (!ready(a)) return;
    /* test samples only: from another source the search starts at test sample 0 */
    JobReq r = {.kind = JOB_MISCLASS, .a = a->source == PROBE_SRC_TEST ? a->sample + 1 : 0, .gen = a->gen};
    jobs_submit(a->jobs, &r);
}

void app_request_step_render(App *a)
{
    if (a->traj_state != 2 || strcmp(a->view.task, "nerf")) return;
    if (a->step_img_state == 1 || (a->step_img_state == 2 && a->step_img_k == a->dstep)) return;
    if (a->source != PROBE_SRC_TEST) return; /* renders are of test views */
    JobReq r = {.kind = JOB_RENDER_STEP, .a = a->sample, .b = a->ancestral, .c = a->dstep, .gen = a->gen};
    jobs_submit(a->jobs, &r);
    a->step_img_state = 1;
    a->step_img_k = a->dstep;
}
