/* The engine thread; see engine.h. */
#include "engine.h"

#include "core/check.h"
#include "core/clock.h"
#include "core/ctx.h"
#include "data/dataset.h"
#include "models/googlenet.h"
#include "models/lenet5.h"
#include "models/mlp.h"
#include "ocd/eval.h"
#include "ocd/pipeline.h"
#include "ocd/select.h"
#include "ocd/stage.h"
#include "h5io.h"
#include "session.h"
#include "setup.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Engine {
    pthread_t thread;
    RunRequest rq;
    Bus *bus;
    Status st;
};

static const char *const STAGES[] = {"base", "select", "overfit", "diffusion", "scale", "alt", "eval"};

const char *const *engine_stage_names(int *n)
{
    *n = (int)(sizeof STAGES / sizeof STAGES[0]);
    return STAGES;
}

int engine_parse_stages(const char *list, RunRequest *rq, Status *st)
{
    int n;
    const char *const *known = engine_stage_names(&n);
    rq->nstages = 0;
    if (!list) {
        for (int i = 0; i < n && i < ENGINE_MAX_STAGES; i++) snprintf(rq->stages[rq->nstages++], sizeof rq->stages[0], "%s", known[i]);
        return 0;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
        int ok = 0;
        for (int i = 0; i < n; i++) ok |= !strcmp(tok, known[i]);
        if (!ok) {
            char names[256] = "";
            for (int i = 0; i < n; i++) snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", known[i]);
            return status_fail(st, ERR_CONFIG, "unknown stage '%s' (stages: %s)", tok, names);
        }
        if (rq->nstages == ENGINE_MAX_STAGES) return status_fail(st, ERR_CONFIG, "too many stages in '%s'", list);
        snprintf(rq->stages[rq->nstages++], sizeof rq->stages[0], "%s", tok);
    }
    return rq->nstages ? 0 : status_fail(st, ERR_CONFIG, "no stage named");
}

/* --from: the leading stages of another session that were made with the same settings; with
 * an explicit --stages list, only the stages before the first one named (those are re-run) */
static int stage_requested(const RunRequest *rq, const char *name)
{
    for (int i = 0; i < rq->nstages; i++)
        if (!strcmp(rq->stages[i], name)) return 1;
    return 0;
}

static void take_stages(Engine *e, Session *s, const char *from)
{
    Status *st = &e->st;
    Session src;
    if (session_load(from, &src, st)) return;
    int n;
    const char *const *names = engine_stage_names(&n);
    for (int i = 0; i < n && status_ok(st); i++) {
        if (session_stage_complete(s, names[i])) continue;
        if (!session_stage_complete(&src, names[i])) break;
        if (e->rq.from_rerun && stage_requested(&e->rq, names[i])) break;
        char diff[1024];
        if (config_diff_upto(&src.cfg, &e->rq.cfg, i, diff, sizeof diff) > 0) {
            bus_log(e->bus, "", "--from %s: stage %s not taken (settings differ: %s)", from, names[i], diff);
            break;
        }
        if (session_copy_stage(s, src.path, names[i], st) == 0)
            bus_log(e->bus, "", "--from %s: stage %s taken", from, names[i]);
    }
    session_end(&src);
}

/* The RNG counter a stage starts from: where the stage before it ended (recorded at its
 * commit), so that loading or taking earlier stages does not change what later stages draw.
 * Sessions made before the counter was recorded leave the counter as it is. */
static void stage_rng_start(Session *s, Ctx *c, const char *stage)
{
    int n;
    const char *const *names = engine_stage_names(&n);
    int k = 0;
    while (k < n && strcmp(names[k], stage)) k++;
    if (k == 0 || k == n) return; /* base: a fresh run starts at 0, a resumed one at its checkpoint */
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(s->path, &st);
    if (!f) return;
    int64_t off = 0;
    if (h5r_attr_int(f, names[k - 1], "rng_offset_end", &off) && off >= 0) c->rng_offset = (uint64_t)off;
    h5r_close(f);
}

static void *engine_main(void *arg)
{
    Engine *e = arg;
    const RunRequest *rq = &e->rq;
    Status *st = &e->st;
    /* the front end's thread handles the terminal's signals */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    Dataset ds;
    memset(&ds, 0, sizeof ds);
    Ctx *c = NULL;
    Model *model = NULL;
    Session s;
    int have_session = 0;
    const Backend *be = engine_pick_device(&rq->cfg, e->bus, st);
    if (be) {
        c = ctx_create(be, cfg_int(&rq->cfg, "run.threads"), (uint64_t)cfg_int(&rq->cfg, "run.seed"));
        if (!c) status_fail(st, ERR_DEVICE, "could not start the %s backend", be->name);
    }
    if (c && engine_load_data(&rq->cfg, rq->asset_dir, &ds, st) == 0) {
        bus_log(e->bus, "", "data: %s, %d train / %d val / %d test", ds.name,
                ds.task == TASK_NERF ? ds.views_train.n : ds.train.n, ds.val.n,
                ds.task == TASK_NERF ? ds.views_test.n : ds.test.n);
        model = engine_make_model(c, &rq->cfg, &ds, st);
    }
    if (model && session_begin(rq->session_dir, &rq->cfg, &s, st) == 0) {
        have_session = 1;
        int64_t nparams = 0; /* the parameters' own sizes (ps->total includes alignment padding) */
        for (int i = 0; i < model->ps->count; i++) nparams += model->ps->params[i]->numel;
        bus_log(e->bus, "", "model: %s, %lld parameters; session %s", model->kind, (long long)nparams, rq->session_dir);
        StageEnv env = {.c = c, .cfg = &rq->cfg, .s = &s, .bus = e->bus, .ds = &ds, .model = model, .st = st};
        if (rq->from_dir[0]) take_stages(e, &s, rq->from_dir);
        /* every later stage works on the committed base weights, whether or not base is among
         * the stages asked for (`--stages eval` on a finished session) */
        if (status_ok(st) && session_stage_complete(&s, "base")) stage_base_load(&env);
        for (int i = 0; i < rq->nstages && status_ok(st); i++) {
            const char *stage = rq->stages[i];
            Event ev = {.kind = EV_STAGE_BEGIN};
            snprintf(ev.stage, sizeof ev.stage, "%s", stage);
            if (session_stage_complete(&s, stage)) {
                snprintf(ev.text, sizeof ev.text, "complete already: kept as it is");
                bus_push(e->bus, &ev);
                continue;
            }
            /* a stage reads what every earlier stage committed */
            int n_all;
            const char *const *names = engine_stage_names(&n_all);
            for (int k = 0; k < n_all && strcmp(names[k], stage); k++)
                if (!session_stage_complete(&s, names[k])) {
                    status_fail(st, ERR_STATE, "stage %s needs stage %s to be complete first (ocd run ... --stages %s,...)",
                                stage, names[k], names[k]);
                    break;
                }
            if (!status_ok(st)) break;
            bus_push(e->bus, &ev);
            session_log(&s, "stage %s started", stage);
            s.stage_t0 = clock_now();
            s.rng_now = &c->rng_offset;
            stage_rng_start(&s, c, stage);
            int r = 0;
            if (!strcmp(stage, "base")) r = stage_base(&env);
            else if (!strcmp(stage, "select")) r = stage_select(&env);
            else if (!strcmp(stage, "overfit")) r = stage_overfit(&env);
            else if (!strcmp(stage, "diffusion")) r = stage_diffusion(&env);
            else if (!strcmp(stage, "scale")) r = stage_scale(&env);
            else if (!strcmp(stage, "alt")) r = stage_alt(&env);
            else if (!strcmp(stage, "eval")) r = stage_eval(&env);
            Event end = {.kind = EV_STAGE_END, .code = r ? st->code : ERR_NONE};
            snprintf(end.stage, sizeof end.stage, "%s", stage);
            snprintf(end.text, sizeof end.text, "%s", r ? st->msg : "complete");
            bus_push(e->bus, &end);
            if (r) session_log(&s, "stage %s stopped: %s", stage, st->msg);
        }
    }
    if (!status_ok(st)) {
        Event err = {.kind = EV_ERROR, .code = st->code};
        snprintf(err.text, sizeof err.text, "%s", st->msg);
        bus_push(e->bus, &err);
    }
    Event done = {.kind = EV_DONE, .code = st->code};
    bus_push(e->bus, &done);
    if (have_session) session_end(&s);
    if (model) model_destroy(model);
    dataset_free(&ds);
    ctx_destroy(c);
    return NULL;
}

Engine *engine_start(const RunRequest *rq, Bus *bus)
{
    Engine *e = calloc(1, sizeof *e);
    ENG_CHECK_ALLOC(e);
    e->rq = *rq;
    config_copy(&e->rq.cfg, &rq->cfg); /* a private copy of the values */
    e->bus = bus;
    status_clear(&e->st);
    ENG_ASSERT(pthread_create(&e->thread, NULL, engine_main, e) == 0, "engine: pthread_create failed");
    return e;
}

int engine_wait(Engine *e, Status *out)
{
    pthread_join(e->thread, NULL);
    *out = e->st;
    int r = status_ok(&e->st) ? 0 : -1;
    config_free(&e->rq.cfg);
    free(e);
    return r;
}
