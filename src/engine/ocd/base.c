/* The base stage: train the base model on the training split (classification with
 * cross-entropy, regression with MSE), with checkpoints that resume bit for bit: the epoch
 * order comes from Philox by epoch, and a checkpoint holds the weights, the optimiser's state,
 * the context's random-stream offset and the epoch's running sums. NeRF has its own loop
 * (nerf_base.c). */
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

Tensor *split_batch(Ctx *c, const Split *s, int64_t i0, int B);
int stage_base_nerf(StageEnv *env);

enum { MAX_EPOCHS_KEPT = 100000 };

typedef struct {
    int64_t step, total, spe; /* steps done, total steps, steps per epoch */
    int epochs;
    double loss_sum, hits, seen; /* the current epoch's running sums */
    double elapsed;              /* seconds of training before this run */
    int n_curve;
    double *train_loss, *train_acc, *eval_loss, *eval_acc; /* per completed epoch */
} BaseState;


/* the order of epoch e: Fisher-Yates driven by Philox (key = seed, counters by epoch) */
static void epoch_order(uint64_t seed, int epoch, int64_t n, int64_t *idx)
{
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    const uint64_t base = ((uint64_t)epoch + 1) << 36;
    for (int64_t i = n - 1; i > 0; i--) {
        PhiloxOut r = philox4x32(seed ^ 0x0bad5eedull, base + (uint64_t)i);
        uint64_t v = ((uint64_t)r.v[0] << 32) | r.v[1];
        int64_t j = (int64_t)(v % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

static OptConfig base_optimizer(const Config *cfg)
{
    const char *name = cfg_str(cfg, "base.optimizer");
    OptKind k = !strcmp(name, "sgd") ? OPT_SGD : !strcmp(name, "adamw") ? OPT_ADAMW : OPT_ADAM;
    OptConfig o = optim_defaults(k, (float)cfg_float(cfg, "base.lr"));
    o.momentum = (float)cfg_float(cfg, "base.momentum");
    o.weight_decay = (float)cfg_float(cfg, "base.weight_decay");
    return o;
}

static int write_checkpoint(StageEnv *env, Optimizer *opt, BaseState *bs, int final, const SplitMetrics *test,
                            const SplitMetrics *train_eval, double train_time)
{
    char path[600];
    session_work_path(env->s, "base", path, sizeof path);
    Status *st = env->st;
    H5File *f = h5w_begin(path, NULL, st);
    if (!f) return -1;
    int r = model_save(f, "base", env->model, st);
    r = r ? r : optimizer_save(f, "base/checkpoint/optimizer", env->c, opt, st);
    r = r ? r : h5w_attr_int(f, "base/checkpoint", "step", bs->step, st);
    r = r ? r : h5w_attr_int(f, "base/checkpoint", "rng_offset", (int64_t)env->c->rng_offset, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "epoch_loss_sum", bs->loss_sum, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "epoch_hits", bs->hits, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "epoch_seen", bs->seen, st);
    r = r ? r : h5w_attr_double(f, "base/checkpoint", "train_seconds", train_time, st);
    r = r ? r : h5w_attr_int(f, "base", "total_steps", bs->total, st);
    r = r ? r : h5w_attr_int(f, "base", "steps_per_epoch", bs->spe, st);
    r = r ? r : h5w_attr_str(f, "base", "status", final ? "finishing" : "running", st);
    if (r == 0 && env->ds->task == TASK_REGRESSION) { /* what a later stage needs to standardise new inputs */
        const Dataset *ds = env->ds;
        const int64_t nf = ds->nfeat;
        double mean[DATASET_MAX_FEATURES], sd[DATASET_MAX_FEATURES];
        for (int i = 0; i < ds->nfeat; i++) {
            mean[i] = ds->feat_mean[i];
            sd[i] = ds->feat_std[i];
        }
        r = h5w_doubles(f, "base/standardisation/feature_mean", mean, 1, &nf, st);
        r = r ? r : h5w_doubles(f, "base/standardisation/feature_std", sd, 1, &nf, st);
        r = r ? r : h5w_attr_double(f, "base/standardisation", "target_mean", ds->y_mean, st);
        r = r ? r : h5w_attr_double(f, "base/standardisation", "target_std", ds->y_std, st);
        r = r ? r : h5w_attr_str(f, "base/standardisation", "note",
                                 "training-split statistics: x_std = (x - mean) / std; target likewise", st);
    }
    const int64_t ne = bs->n_curve;
    if (r == 0 && ne > 0) {
        const int classify = env->ds->task == TASK_CLASSIFICATION;
        const char *eval_name = env->ds->val.n ? "val" : "test";
        char p1[96], p2[96];
        r = h5w_doubles(f, "base/curves/train_loss", bs->train_loss, 1, &ne, st);
        snprintf(p1, sizeof p1, "base/curves/%s_loss", eval_name);
        r = r ? r : h5w_doubles(f, p1, bs->eval_loss, 1, &ne, st);
        if (classify && r == 0) {
            r = h5w_doubles(f, "base/curves/train_accuracy", bs->train_acc, 1, &ne, st);
            snprintf(p2, sizeof p2, "base/curves/%s_accuracy", eval_name);
            r = r ? r : h5w_doubles(f, p2, bs->eval_acc, 1, &ne, st);
        }
        r = r ? r : h5w_attr_str(f, "base/curves", "x", "epoch (1-based); losses: mean CE or standardised MSE", st);
    }
    if (r == 0 && final) {
        const int classify = env->ds->task == TASK_CLASSIFICATION;
        r = h5w_attr_double(f, "base/metrics", "test_loss", test->loss, st);
        r = r ? r : h5w_attr_int(f, "base/metrics", "test_samples", test->n, st);
        r = r ? r : h5w_attr_double(f, "base/metrics", "train_loss", train_eval->loss, st);
        r = r ? r : h5w_attr_double(f, "base/metrics", "train_seconds", train_time, st);
        r = r ? r : h5w_attr_str(f, "base/metrics", "device", env->c->be->name, st);
        r = r ? r : h5w_attr_int(f, "base/metrics", "threads", env->c->threads, st);
        if (classify) {
            r = r ? r : h5w_attr_double(f, "base/metrics", "test_accuracy", test->accuracy, st);
            r = r ? r : h5w_attr_double(f, "base/metrics", "train_accuracy", train_eval->accuracy, st);
        } else {
            r = r ? r : h5w_attr_double(f, "base/metrics", "test_rmse", test->rmse, st);
            r = r ? r : h5w_attr_double(f, "base/metrics", "test_mse_target_units", test->rmse * test->rmse, st);
            r = r ? r : h5w_attr_str(f, "base/metrics", "units",
                                     "test_loss: MSE of the standardised target; test_rmse, test_mse_target_units: "
                                     "in the target's units (x 100k USD)", st);
        }
    }
    if (r) {
        h5w_abort(f);
        return -1;
    }
    return h5w_commit(f, st);
}

/* resume from the work file when one exists; 1 resumed, 0 fresh, -1 error */
static int resume(StageEnv *env, Optimizer *opt, BaseState *bs)
{
    char path[600];
    session_work_path(env->s, "base", path, sizeof path);
    if (access(path, F_OK) != 0) return 0;
    Status *st = env->st;
    H5File *f = h5r_open(path, st);
    if (!f) return -1;
    int64_t step = 0, off = 0, total = 0;
    int ok = h5r_attr_int(f, "base/checkpoint", "step", &step) && h5r_attr_int(f, "base/checkpoint", "rng_offset", &off) &&
             h5r_attr_int(f, "base", "total_steps", &total);
    if (!ok || total != bs->total) {
        h5r_close(f);
        return status_fail(st, ERR_STATE, "%s: not a checkpoint of this run (total steps %lld, expected %lld)", path,
                           (long long)total, (long long)bs->total);
    }
    int r = model_load(f, "base", env->model, st);
    r = r ? r : optimizer_load(f, "base/checkpoint/optimizer", env->c, opt, st);
    h5r_attr_double(f, "base/checkpoint", "epoch_loss_sum", &bs->loss_sum);
    h5r_attr_double(f, "base/checkpoint", "epoch_hits", &bs->hits);
    h5r_attr_double(f, "base/checkpoint", "epoch_seen", &bs->seen);
    h5r_attr_double(f, "base/checkpoint", "train_seconds", &bs->elapsed);
    int nd;
    int64_t dims[8];
    if (r == 0 && h5r_shape(f, "base/curves/train_loss", &nd, dims) == 0) {
        bs->n_curve = (int)dims[0];
        const char *eval_name = env->ds->val.n ? "val" : "test";
        char p[96];
        r = h5r_doubles(f, "base/curves/train_loss", bs->train_loss, dims[0], st);
        snprintf(p, sizeof p, "base/curves/%s_loss", eval_name);
        r = r ? r : h5r_doubles(f, p, bs->eval_loss, dims[0], st);
        if (env->ds->task == TASK_CLASSIFICATION && r == 0) {
            r = h5r_doubles(f, "base/curves/train_accuracy", bs->train_acc, dims[0], st);
            snprintf(p, sizeof p, "base/curves/%s_accuracy", eval_name);
            r = r ? r : h5r_doubles(f, p, bs->eval_acc, dims[0], st);
        }
    }
    h5r_close(f);
    if (r) return -1;
    bs->step = step;
    env->c->rng_offset = (uint64_t)off;
    session_log(env->s, "base: resumed from the checkpoint at step %lld of %lld", (long long)step, (long long)bs->total);
    bus_log(env->bus, "base", "resuming from the checkpoint at step %lld of %lld", (long long)step, (long long)bs->total);
    return 1;
}

float base_train_step(Ctx *c, Model *m, Optimizer *opt, const Split *tr, const float *xb, const float *yb, int B,
                      int classify, int *hits)
{
    int shape[4] = {B, 0, 0, 0};
    for (int i = 0; i < tr->ndim; i++) shape[1 + i] = tr->dims[i];
    Tensor *x = tensor_from_host(c, tr->ndim + 1, shape, xb), *y = tensor_from_host(c, SHAPE(B), yb);
    Tensor *pred = m->forward(c, m, x, NULL);
    Tensor *loss = classify ? op_cross_entropy_mean(c, pred, y)
                            : op_mse_mean(c, op_reshape(c, pred, SHAPE(B, 1)), op_reshape(c, y, SHAPE(B, 1)));
    const float lv = tensor_item(c, loss);
    *hits = 0;
    if (isfinite(lv)) {
        if (classify) { /* training accuracy from this batch's logits */
            const int K = pred->shape[1];
            float *lg = malloc(sizeof(float) * (size_t)B * K);
            tensor_download(c, pred, lg);
            for (int b = 0; b < B; b++) {
                int best = 0;
                for (int k = 1; k < K; k++)
                    if (lg[b * K + k] > lg[b * K + best]) best = k;
                *hits += best == (int)yb[b];
            }
            free(lg);
        }
        params_zero_grad(m->ps);
        ag_backward(c, loss);
        optim_step(opt);
    }
    ctx_step_end(c);
    return lv;
}

int stage_base(StageEnv *env)
{
    if (env->ds->task == TASK_NERF) return stage_base_nerf(env);
    Ctx *c = env->c;
    const Config *cfg = env->cfg;
    const Split *tr = &env->ds->train;
    const int classify = env->ds->task == TASK_CLASSIFICATION;
    const int batch = cfg_int(cfg, "base.batch");
    BaseState bs = {0};
    bs.epochs = cfg_int(cfg, "base.epochs");
    bs.spe = (tr->n + batch - 1) / batch;
    bs.total = bs.spe * bs.epochs;
    const int64_t every = cfg_int(cfg, "base.checkpoint_every") > 0 ? cfg_int(cfg, "base.checkpoint_every") : bs.spe;
    bs.train_loss = calloc((size_t)bs.epochs, sizeof(double));
    bs.train_acc = calloc((size_t)bs.epochs, sizeof(double));
    bs.eval_loss = calloc((size_t)bs.epochs, sizeof(double));
    bs.eval_acc = calloc((size_t)bs.epochs, sizeof(double));
    Optimizer *opt = optim_create(env->model->ps, base_optimizer(cfg));
    int64_t *order = malloc(sizeof(int64_t) * (size_t)tr->n);
    int64_t per = 1;
    for (int i = 0; i < tr->ndim; i++) per *= tr->dims[i];
    float *xb = malloc(sizeof(float) * (size_t)(batch * per)), *yb = malloc(sizeof(float) * (size_t)batch);
    int rc = resume(env, opt, &bs);
    const double t_start = clock_now();
    int order_epoch = -1;
    ctx_set_training(c, 1);
    while (rc >= 0 && bs.step < bs.total) {
        const int epoch = (int)(bs.step / bs.spe);
        const int64_t in_epoch = bs.step % bs.spe;
        if (order_epoch != epoch) {
            epoch_order((uint64_t)cfg_int(cfg, "run.seed"), epoch, tr->n, order);
            order_epoch = epoch;
        }
        const int64_t i0 = in_epoch * batch;
        const int B = (int)(tr->n - i0 < batch ? tr->n - i0 : batch);
        for (int b = 0; b < B; b++) {
            memcpy(xb + b * per, tr->x + order[i0 + b] * per, sizeof(float) * (size_t)per);
            yb[b] = tr->y[order[i0 + b]];
        }
        int hits = 0;
        const float lv = base_train_step(c, env->model, opt, tr, xb, yb, B, classify, &hits);
        if (!isfinite(lv)) {
            rc = status_fail(env->st, ERR_NUMERIC,
                             "base: the loss became %g at step %lld (epoch %d); the last checkpoint is kept. "
                             "A lower base.lr may help",
                             (double)lv, (long long)bs.step, epoch + 1);
            break;
        }
        bs.hits += hits;
        bs.loss_sum += (double)lv * B;
        bs.seen += B;
        bs.step++;
        if (bs.step % 20 == 0 || bs.step == bs.total)
            bus_progress(env->bus, "base", bs.step, bs.total, "loss", bs.loss_sum / bs.seen, classify ? "acc" : NULL,
                         classify ? bs.hits / bs.seen : 0.0);
        const int epoch_done = bs.step % bs.spe == 0;
        if (epoch_done) { /* the epoch's curves */
            SplitMetrics ev;
            const Split *es = env->ds->val.n ? &env->ds->val : &env->ds->test;
            if (eval_split(env, es, &ev)) {
                rc = -1;
                break;
            }
            ctx_set_training(c, 1);
            bs.train_loss[bs.n_curve] = bs.loss_sum / bs.seen;
            bs.train_acc[bs.n_curve] = classify ? bs.hits / bs.seen : 0.0;
            bs.eval_loss[bs.n_curve] = ev.loss;
            bs.eval_acc[bs.n_curve] = ev.accuracy;
            bs.n_curve++;
            if (classify)
                bus_log(env->bus, "base", "epoch %d/%d: train loss %.4f acc %.2f%%, %s loss %.4f acc %.2f%%", epoch + 1,
                        bs.epochs, bs.train_loss[bs.n_curve - 1], 100 * bs.train_acc[bs.n_curve - 1],
                        env->ds->val.n ? "val" : "test", ev.loss, 100 * ev.accuracy);
            else
                bus_log(env->bus, "base", "epoch %d/%d: train MSE %.4f, %s MSE %.4f (RMSE %.4f in target units)",
                        epoch + 1, bs.epochs, bs.train_loss[bs.n_curve - 1], env->ds->val.n ? "val" : "test", ev.loss,
                        ev.rmse);
            session_log(env->s, "base: epoch %d train loss %.5f %s loss %.5f", epoch + 1,
                        bs.train_loss[bs.n_curve - 1], env->ds->val.n ? "val" : "test", ev.loss);
            bs.loss_sum = bs.hits = bs.seen = 0.0;
        }
        const int stop = bus_stop_requested(env->bus);
        if ((bs.step % every == 0 || epoch_done || stop) && bs.step < bs.total) {
            if (write_checkpoint(env, opt, &bs, 0, NULL, NULL, bs.elapsed + clock_now() - t_start)) {
                rc = -1;
                break;
            }
        }
        if (stop) {
            rc = status_fail(env->st, ERR_STATE, "base: stopped at step %lld of %lld (checkpoint written)",
                             (long long)bs.step, (long long)bs.total);
            break;
        }
    }
    if (rc >= 0) { /* final metrics, then the stage is committed */
        SplitMetrics test, train_eval;
        const double train_time = bs.elapsed + clock_now() - t_start;
        rc = eval_split(env, &env->ds->test, &test);
        rc = rc ? rc : eval_split(env, tr, &train_eval);
        rc = rc ? rc : write_checkpoint(env, opt, &bs, 1, &test, &train_eval, train_time);
        rc = rc ? rc : session_commit_stage(env->s, "base", env->st);
        if (rc == 0) {
            if (classify)
                bus_log(env->bus, "base", "done: test accuracy %.2f%%, test CE %.4f (%.1f s of training)",
                        100 * test.accuracy, test.loss, train_time);
            else
                bus_log(env->bus, "base", "done: test MSE %.4f (standardised), RMSE %.4f in target units (%.1f s)",
                        test.loss, test.rmse, train_time);
        }
    }
    free(order);
    free(xb);
    free(yb);
    free(bs.train_loss);
    free(bs.train_acc);
    free(bs.eval_loss);
    free(bs.eval_acc);
    optim_destroy(opt);
    return rc < 0 ? -1 : 0;
}

int stage_base_load(StageEnv *env)
{
    H5File *f = h5r_open(env->s->path, env->st);
    if (!f) return -1;
    int r = model_load(f, "base", env->model, env->st);
    h5r_close(f);
    return r;
}
