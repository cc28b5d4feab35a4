/* The base stage for NeRF: each step renders base.batch random rays of one random training
 * view (both drawn from Philox by step, so a resumed run draws the same ones) and fits their
 * colours with MSE, as the authors' TinyNeRF training (one view per step, Adam). Checkpoints
 * resume bit for bit, like the classification stage. At the end every test view is rendered
 * whole (in chunks, without gradients): test MSE and PSNR, and the renders are kept. */
#include "ocd/stage.h"

#include "core/philox.h"
#include "h5io.h"
#include "ops/ops.h"
#include "optim.h"

#include "core/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* rays of every view of a set: (n, H*W, 6) [origin, direction] */
float *nerf_view_rays(const ViewSet *v);
float *nerf_view_rays(const ViewSet *v)
{
    const int64_t P = (int64_t)v->H * v->W;
    float *rays = malloc(sizeof(float) * (size_t)(v->n * P * 6));
    float *o = malloc(sizeof(float) * (size_t)P * 3), *d = malloc(sizeof(float) * (size_t)P * 3);
    for (int i = 0; i < v->n; i++) {
        nerf_rays(v->poses + i * 16, v->H, v->W, v->focal, o, d);
        for (int64_t p = 0; p < P; p++)
            for (int k = 0; k < 3; k++) {
                rays[((int64_t)i * P + p) * 6 + k] = o[p * 3 + k];
                rays[((int64_t)i * P + p) * 6 + 3 + k] = d[p * 3 + k];
            }
    }
    free(o);
    free(d);
    return rays;
}

/* renders one view (P rays) in chunks without gradients into out (P*3) */
int nerf_render_view(StageEnv *env, const float *rays, int64_t P, float *out);
int nerf_render_view(StageEnv *env, const float *rays, int64_t P, float *out)
{
    Ctx *c = env->c;
    const int chunk = cfg_int(env->cfg, "model.nerf_chunk");
    ctx_no_grad_begin(c);
    for (int64_t p0 = 0; p0 < P; p0 += chunk) {
        const int R = (int)(P - p0 < chunk ? P - p0 : chunk);
        Tensor *x = tensor_from_host(c, SHAPE(1, R, 6), rays + p0 * 6);
        Tensor *rgb = env->model->forward(c, env->model, x, NULL);
        tensor_download(c, rgb, out + p0 * 3);
        ctx_step_end(c);
    }
    ctx_no_grad_end(c);
    return 0;
}

typedef struct {
    int64_t step, total, every;
    double loss_sum, seen, elapsed;
    int n_curve;
    double *curve; /* mean training MSE of each interval of `every` steps */
} NerfState;

static int nerf_checkpoint(StageEnv *env, Optimizer *opt, NerfState *ns)
{
    char path[600];
    session_work_path(env->s, "base", path, sizeof path);
    Status *st = env->st;
    H5File *f = h5w_begin(path, NULL, st);
    if (!f) return -1;
    int r = model_save(f, "base", env->model, st);
    r = r ? r : optimizer_save(f, "base/checkpoint/optimizer", env->c, opt, st);
    r = r ? r : h5w_attr_int(f, "base/checkpoint", "step", ns->step, st);
    r = r ? r : h5w_attr_int(f, "base/checkpoint", "rng_offset", (int64_t)env->c->rng_offset, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "interval_loss_sum", ns->loss_sum, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "interval_seen", ns->seen, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "train_seconds", ns->elapsed, st);
    r = r ? r : h5w_attr_int(f, "base", "total_steps", ns->total, st);
    r = r ? r : h5w_attr_str(f, "base", "status", "running", st);
    const int64_t nc = ns->n_curve;
    if (r == 0 && nc > 0) {
        r = h5w_doubles(f, "base/curves/train_loss", ns->curve, 1, &nc, st);
        r = r ? r : h5w_attr_int(f, "base/curves", "steps_per_point", ns->every, st);
        r = r ? r : h5w_attr_str(f, "base/curves", "x", "interval of steps_per_point steps; loss: MSE of colours", st);
    }
    if (r) {
        h5w_abort(f);
        return -1;
    }
    return h5w_commit(f, st);
}

static int nerf_resume(StageEnv *env, Optimizer *opt, NerfState *ns)
{
    char path[600];
    session_work_path(env->s, "base", path, sizeof path);
    if (access(path, F_OK) != 0) return 0;
    H5File *f = h5r_open(path, env->st);
    if (!f) return -1;
    int64_t step = 0, off = 0, total = 0;
    if (!h5r_attr_int(f, "base/checkpoint", "step", &step) || !h5r_attr_int(f, "base/checkpoint", "rng_offset", &off) ||
        !h5r_attr_int(f, "base", "total_steps", &total) || total != ns->total) {
        h5r_close(f);
        return status_fail(env->st, ERR_STATE, "%s: not a checkpoint of this run", path);
    }
    int r = model_load(f, "base", env->model, env->st);
    r = r ? r : optimizer_load(f, "base/checkpoint/optimizer", env->c, opt, env->st);
    h5r_attr_double(f, "base/checkpoint", "interval_loss_sum", &ns->loss_sum);
    h5r_attr_double(f, "base/checkpoint", "interval_seen", &ns->seen);
    h5r_attr_double(f, "base/checkpoint", "train_seconds", &ns->elapsed);
    int nd;
    int64_t dims[8];
    if (r == 0 && h5r_shape(f, "base/curves/train_loss", &nd, dims) == 0) {
        ns->n_curve = (int)dims[0];
        r = h5r_doubles(f, "base/curves/train_loss", ns->curve, dims[0], env->st);
    }
    h5r_close(f);
    if (r) return -1;
    ns->step = step;
    env->c->rng_offset = (uint64_t)off;
    bus_log(env->bus, "base", "resuming from the checkpoint at step %lld of %lld", (long long)step, (long long)ns->total);
    session_log(env->s, "base: resumed at step %lld", (long long)step);
    return 1;
}

static int nerf_finish(StageEnv *env, Optimizer *opt, NerfState *ns, const float *test_rays)
{
    const ViewSet *tv = &env->ds->views_test;
    const int64_t P = (int64_t)tv->H * tv->W;
    float *renders = malloc(sizeof(float) * (size_t)(tv->n * P * 3));
    double *mse = malloc(sizeof(double) * (size_t)tv->n), total = 0.0;
    for (int i = 0; i < tv->n; i++) {
        nerf_render_view(env, test_rays + (int64_t)i * P * 6, P, renders + (int64_t)i * P * 3);
        double s = 0.0;
        for (int64_t k = 0; k < P * 3; k++) {
            double d = (double)renders[(int64_t)i * P * 3 + k] - tv->images[(int64_t)i * P * 3 + k];
            s += d * d;
        }
        mse[i] = s / (double)(P * 3);
        total += mse[i];
    }
    const double mean_mse = total / tv->n, psnr = -10.0 * log10(mean_mse);
    char path[600];
    session_work_path(env->s, "base", path, sizeof path);
    Status *st = env->st;
    int r = nerf_checkpoint(env, opt, ns);
    H5File *f = r ? NULL : h5w_begin(path, path, st);
    if (!f) r = -1;
    const int64_t dims[4] = {tv->n, tv->H, tv->W, 3}, nv = tv->n;
    r = r ? r : h5w_floats(f, "base/test_renders", renders, 4, dims, st);
    r = r ? r : h5w_doubles(f, "base/metrics/test_mse_per_view", mse, 1, &nv, st);
    r = r ? r : h5w_attr_double(f, "base/metrics", "test_mse", mean_mse, st);
    r = r ? r : h5w_attr_double(f, "base/metrics", "test_psnr", psnr, st);
    r = r ? r : h5w_attr_int(f, "base/metrics", "test_views", tv->n, st);
    r = r ? r : h5w_attr_double(f, "base/metrics", "train_seconds", ns->elapsed, st);
    r = r ? r : h5w_attr_str(f, "base/metrics", "device", env->c->be->name, st);
    r = r ? r : h5w_attr_int(f, "base/metrics", "threads", env->c->threads, st);
    r = r ? r : h5w_attr_str(f, "base/metrics", "units",
                             "MSE of RGB in [0,1] over every pixel of every test view (jittered samples); "
                             "PSNR = -10 log10(MSE)", st);
    r = r ? r : h5w_attr_str(f, "base", "status", "finishing", st);
    if (f) {
        if (r)
            h5w_abort(f);
        else
            r = h5w_commit(f, st);
    }
    if (r == 0) r = session_commit_stage(env->s, "base", st);
    if (r == 0)
        bus_log(env->bus, "base", "done: test MSE %.5f, PSNR %.2f dB over %d views (%.1f s of training)", mean_mse, psnr,
                tv->n, ns->elapsed);
    free(renders);
    free(mse);
    return r;
}

int stage_base_nerf(StageEnv *env);
int stage_base_nerf(StageEnv *env)
{
    Ctx *c = env->c;
    const Config *cfg = env->cfg;
    const ViewSet *v = &env->ds->views_train;
    const int64_t P = (int64_t)v->H * v->W;
    int R = cfg_int(cfg, "base.batch");
    if (R > P) R = (int)P;
    NerfState ns = {0};
    ns.total = cfg_int(cfg, "base.iters") > 0 ? cfg_int(cfg, "base.iters") : (int64_t)cfg_int(cfg, "base.epochs") * v->n;
    ns.every = cfg_int(cfg, "base.checkpoint_every") > 0 ? cfg_int(cfg, "base.checkpoint_every") : 100;
    ns.curve = calloc((size_t)(ns.total / ns.every + 2), sizeof(double));
    const char *oname = cfg_str(cfg, "base.optimizer");
    OptConfig oc = optim_defaults(!strcmp(oname, "sgd") ? OPT_SGD : !strcmp(oname, "adamw") ? OPT_ADAMW : OPT_ADAM,
                                  (float)cfg_float(cfg, "base.lr"));
    oc.momentum = (float)cfg_float(cfg, "base.momentum");
    oc.weight_decay = (float)cfg_float(cfg, "base.weight_decay");
    Optimizer *opt = optim_create(env->model->ps, oc);
    float *rays = nerf_view_rays(v), *test_rays = nerf_view_rays(&env->ds->views_test);
    float *xb = malloc(sizeof(float) * (size_t)R * 6), *yb = malloc(sizeof(float) * (size_t)R * 3);
    const uint64_t seed = (uint64_t)cfg_int(cfg, "run.seed");
    int rc = nerf_resume(env, opt, &ns);
    double t0 = clock_now();
    ctx_set_training(c, 1);
    while (rc >= 0 && ns.step < ns.total) {
        /* the view and the rays of this step, from Philox by step */
        const PhiloxOut pv = philox4x32(seed ^ 0x7e57ull, (uint64_t)ns.step << 20);
        const int view = (int)(pv.v[0] % (uint32_t)v->n);
        for (int k = 0; k < R; k++) {
            int64_t p = R == P ? k : (int64_t)(philox4x32(seed ^ 0x7e57ull, ((uint64_t)ns.step << 20) + 1 + (uint64_t)k).v[0] %
                                                (uint32_t)P);
            memcpy(xb + k * 6, rays + ((int64_t)view * P + p) * 6, sizeof(float) * 6);
            memcpy(yb + k * 3, v->images + ((int64_t)view * P + p) * 3, sizeof(float) * 3);
        }
        Tensor *pred = env->model->forward(c, env->model, tensor_from_host(c, SHAPE(1, R, 6), xb), NULL);
        Tensor *loss = op_mse_mean(c, op_reshape(c, pred, SHAPE(R, 3)), tensor_from_host(c, SHAPE(R, 3), yb));
        const float lv = tensor_item(c, loss);
        if (!isfinite(lv)) {
            rc = status_fail(env->st, ERR_NUMERIC, "base: the loss became %g at step %lld; the last checkpoint is kept",
                             (double)lv, (long long)ns.step);
            break;
        }
        params_zero_grad(env->model->ps);
        ag_backward(c, loss);
        optim_step(opt);
        ctx_step_end(c);
        ns.loss_sum += lv;
        ns.seen += 1;
        ns.step++;
        if (ns.step % 10 == 0 || ns.step == ns.total)
            bus_progress(env->bus, "base", ns.step, ns.total, "mse", ns.loss_sum / ns.seen, "psnr",
                         -10.0 * log10(ns.loss_sum / ns.seen));
        const int stop = bus_stop_requested(env->bus);
        if (ns.step % ns.every == 0) {
            ns.curve[ns.n_curve++] = ns.loss_sum / ns.seen;
            bus_log(env->bus, "base", "step %lld/%lld: train MSE %.5f (PSNR %.2f)", (long long)ns.step,
                    (long long)ns.total, ns.loss_sum / ns.seen, -10.0 * log10(ns.loss_sum / ns.seen));
            ns.loss_sum = ns.seen = 0.0;
        }
        if ((ns.step % ns.every == 0 || stop) && ns.step < ns.total) {
            ns.elapsed += clock_now() - t0;
            t0 = clock_now();
            if (nerf_checkpoint(env, opt, &ns)) {
                rc = -1;
                break;
            }
        }
        if (stop) {
            rc = status_fail(env->st, ERR_STATE, "base: stopped at step %lld of %lld (checkpoint written)",
                             (long long)ns.step, (long long)ns.total);
            break;
        }
    }
    if (rc >= 0) {
        ns.elapsed += clock_now() - t0;
        rc = nerf_finish(env, opt, &ns, test_rays);
    }
    free(rays);
    free(test_rays);
    free(xb);
    free(yb);
    free(ns.curve);
    optim_destroy(opt);
    return rc < 0 ? -1 : 0;
}
