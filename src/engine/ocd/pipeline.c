/* The OCD training stages between select and eval: overfit (collect the selected layer's
 * per-sample shifts), diffusion (train the weight-diffusion network), scale (train rho), and
 * alt (all three on the runner-up layer, for the "alternative layer" ablation). Each reads
 * what earlier stages committed, works in its own work file and commits its group. */
#include "ocd/pipeline.h"

#include "ocd/collect.h"
#include "h5io.h"
#include "ocd/diffusion.h"
#include "ocd/scale.h"
#include "ocd/select.h"

#include <stdio.h>
#include <string.h>

int stage_overfit(StageEnv *env)
{
    int layer, runner;
    if (select_load(env, &layer, &runner)) return -1;
    Task t;
    task_init(&t, env);
    char work[600];
    session_work_path(env->s, "overfit", work, sizeof work);
    int rc = collect_run(env, &t, layer, work, "overfit", "overfit");
    task_free(&t);
    return rc ? -1 : session_commit_stage(env->s, "overfit", env->st);
}

int stage_diffusion(StageEnv *env)
{
    Collected k;
    if (collect_load(env, env->s->path, "overfit", &k)) return -1;
    Task t;
    task_init(&t, env);
    char work[600];
    session_work_path(env->s, "diffusion", work, sizeof work);
    int rc = diffusion_train(env, &t, &k, work, "diffusion", "diffusion", cfg_int(env->cfg, "diffusion.steps"));
    task_free(&t);
    collect_free(&k);
    return rc ? -1 : session_commit_stage(env->s, "diffusion", env->st);
}

int stage_scale(StageEnv *env)
{
    Collected k;
    if (collect_load(env, env->s->path, "overfit", &k)) return -1;
    char work[600];
    session_work_path(env->s, "scale", work, sizeof work);
    int rc = scale_train(env, &k, work, "scale", "scale");
    collect_free(&k);
    return rc ? -1 : session_commit_stage(env->s, "scale", env->st);
}

static int alt_skip(StageEnv *env, const char *why)
{
    char work[600];
    session_work_path(env->s, "alt", work, sizeof work);
    H5File *f = h5w_begin(work, NULL, env->st);
    if (!f) return -1;
    int rc = h5w_attr_str(f, "alt", "skipped", why, env->st);
    if (rc) {
        h5w_abort(f);
        return -1;
    }
    bus_log(env->bus, "alt", "skipped: %s", why);
    return h5w_commit(f, env->st) ? -1 : session_commit_stage(env->s, "alt", env->st);
}

int stage_alt(StageEnv *env)
{
    int layer, runner;
    if (select_load(env, &layer, &runner)) return -1;
    if (!cfg_bool(env->cfg, "alt.enabled")) return alt_skip(env, "alt.enabled = false");
    if (runner < 0) return alt_skip(env, "the model has no second layer that can take per-sample weights");
    bus_log(env->bus, "alt", "the whole pipeline again on the runner-up layer %s", env->model->layers[runner].name);
    Task t;
    task_init(&t, env);
    char work[600];
    session_work_path(env->s, "alt", work, sizeof work);
    int rc = collect_run(env, &t, runner, work, "alt/overfit", "alt");
    Collected k;
    memset(&k, 0, sizeof k);
    rc = rc ? rc : collect_load(env, work, "alt/overfit", &k);
    const int steps = cfg_int(env->cfg, "alt.diffusion_steps") > 0 ? cfg_int(env->cfg, "alt.diffusion_steps")
                                                                   : cfg_int(env->cfg, "diffusion.steps");
    rc = rc ? rc : diffusion_train(env, &t, &k, work, "alt/diffusion", "alt", steps);
    rc = rc ? rc : scale_train(env, &k, work, "alt/scale", "alt");
    if (rc == 0) { /* mark the group as a completed run (not skipped) */
        H5File *f = h5w_begin(work, work, env->st);
        rc = f ? h5w_attr_str(f, "alt", "skipped", "no", env->st) : -1;
        if (f && rc) h5w_abort(f);
        if (f && rc == 0) rc = h5w_commit(f, env->st);
    }
    task_free(&t);
    collect_free(&k);
    return rc ? -1 : session_commit_stage(env->s, "alt", env->st);
}
