/* See jobs.h. One mutex guards both queues; the worker sleeps on a condition variable, the
 * UI in poll() on the pipe. */
#include "jobs.h"

#include "figures.h"
#include "sessview.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { QMAX = 64 };

struct Jobs {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    JobReq q[QMAX];
    int nq;
    JobResult *done[QMAX];
    int ndone;
    int running, quit;
    char running_what[128];
    int progress_done, progress_total;
    char dir[512], asset_dir[512];
    uint64_t gen, probe_gen;
    int threads;
    Probe *probe;
    int fds[2];
};

static void wake(Jobs *j)
{
    char one = 1;
    ssize_t w = write(j->fds[1], &one, 1);
    (void)w;
}

static void post(Jobs *j, JobResult *r)
{
    pthread_mutex_lock(&j->mu);
    if (j->ndone < QMAX && r->gen == j->gen) {
        j->done[j->ndone++] = r;
        r = NULL;
    }
    pthread_mutex_unlock(&j->mu);
    if (r) { /* stale or no room: nobody wants it */
        jobs_result_free(r);
        free(r);
    }
    wake(j);
}

static int on_progress(void *user, int done, int total)
{
    Jobs *j = user;
    pthread_mutex_lock(&j->mu);
    j->progress_done = done;
    j->progress_total = total;
    const int stale = j->probe_gen != j->gen || j->quit;
    pthread_mutex_unlock(&j->mu);
    wake(j);
    return stale;
}

static void describe(const JobReq *r, char *buf, size_t len)
{
    switch (r->kind) {
    case JOB_OPEN: snprintf(buf, len, "opening the session's models"); break;
    case JOB_TRAJ:
        snprintf(buf, len, "denoising %s sample %d (%s)", PROBE_SOURCE_NAMES[r->c], r->a, r->b ? "ancestral" : "session sampler");
        break;
    case JOB_GAIN: snprintf(buf, len, "what-if: overfit on test, layer #%d, %d samples", r->a, r->b); break;
    case JOB_RHO: snprintf(buf, len, "rho predicted on %d test samples", r->a); break;
    case JOB_RENDER: snprintf(buf, len, "rendering view %d", r->a); break;
    case JOB_MISCLASS: snprintf(buf, len, "looking for a misclassified sample from %d", r->a); break;
    case JOB_EXPORT: snprintf(buf, len, "writing %.100s", r->path); break;
    case JOB_RENDER_STEP: snprintf(buf, len, "rendering view %d at denoising step %d", r->a, r->c + 1); break;
    }
}

/* opens the probe for the current session when needed; posts what it found */
static int ensure_probe(Jobs *j, uint64_t gen, JobResult *err_out)
{
    char dir[512];
    pthread_mutex_lock(&j->mu);
    snprintf(dir, sizeof dir, "%s", j->dir);
    const int fresh = j->probe && j->probe_gen == gen;
    pthread_mutex_unlock(&j->mu);
    if (fresh) return 0;
    probe_close(j->probe);
    j->probe = NULL;
    Status st;
    status_clear(&st);
    j->probe = probe_open(dir, j->asset_dir, j->threads, &st);
    JobResult *r = calloc(1, sizeof *r);
    r->kind = JOB_OPEN;
    r->gen = gen;
    if (!j->probe) {
        snprintf(err_out->err, sizeof err_out->err, "%s", st.msg);
        snprintf(r->err, sizeof r->err, "%s", st.msg);
        post(j, r);
        return -1;
    }
    j->probe_gen = gen;
    Probe *p = j->probe;
    const char *lname = "";
    r->ok = 1;
    r->task = probe_task(p);
    r->classes = probe_classes(p);
    r->ntest = probe_test_count(p);
    r->steps = probe_sample_steps(p);
    r->ocd = r->steps > 0;
    for (int s = 0; s < PROBE_SRC_COUNT; s++) r->nsource[s] = r->ocd ? probe_source_count(p, (ProbeSource)s) : 0;
    probe_layer(p, &r->rows, &r->cols, &lname);
    snprintf(r->layer, sizeof r->layer, "%s", lname);
    if (probe_view_size(p, &r->view_h, &r->view_w)) r->view_h = r->view_w = 0;
    const char *names[JOB_MAX_LAYERS];
    r->nlayers = probe_layers(p, names, JOB_MAX_LAYERS);
    for (int i = 0; i < r->nlayers; i++) snprintf(r->layers[i], sizeof r->layers[i], "%s", names[i]);
    post(j, r);
    return 0;
}

static void run_job(Jobs *j, const JobReq *q)
{
    JobResult *r = calloc(1, sizeof *r);
    r->kind = q->kind;
    r->a = q->a;
    r->b = q->b;
    r->c = q->c;
    r->gen = q->gen;
    if (ensure_probe(j, q->gen, r)) {
        if (q->kind != JOB_OPEN) post(j, r);
        else free(r);
        return;
    }
    if (q->kind == JOB_OPEN) {
        free(r);
        return;
    }
    Probe *p = j->probe;
    Status st;
    status_clear(&st);
    int rc = 0;
    switch (q->kind) {
    case JOB_TRAJ:
        rc = probe_trajectory_from(p, (ProbeSource)q->c, q->a, 0, q->b, probe_task(p) != 2, 1, &r->tr, &st);
        r->target = r->tr.target;
        break;
    case JOB_GAIN:
        rc = probe_layer_gain(p, q->a, q->b, &r->loss_base, &r->loss_overfit, on_progress, j, &st);
        break;
    case JOB_RHO:
        r->n = q->a < probe_test_count(p) ? q->a : probe_test_count(p);
        r->rho = calloc((size_t)(r->n > 0 ? r->n : 1), sizeof(double));
        rc = probe_rho_test(p, r->n, r->rho, &st);
        break;
    case JOB_RENDER:
    case JOB_RENDER_STEP:
        if (probe_view_size(p, &r->h, &r->w)) {
            rc = status_fail(&st, ERR_CONFIG, "renders are for NeRF sessions");
            break;
        }
        r->img = calloc((size_t)(r->h * r->w * 3), sizeof(float));
        rc = q->kind == JOB_RENDER ? probe_render(p, q->a, (ProbeView)q->b, r->img, &st)
                                   : probe_render_step(p, q->a, q->b, q->c, r->img, &st);
        break;
    case JOB_MISCLASS: {
        const int n = probe_test_count(p), K = probe_classes(p);
        r->a = -1;
        if (K <= 0) {
            rc = status_fail(&st, ERR_CONFIG, "misclassified samples exist for classification sessions only");
            break;
        }
        float pred[1024];
        for (int k = 0; k < n && rc == 0; k++) {
            const int i = (q->a + k) % n;
            rc = probe_base_predict(p, i, pred, &st);
            int best = 0;
            for (int c = 1; c < K; c++)
                if (pred[c] > pred[best]) best = c;
            if (rc == 0 && best != (int)probe_test_target(p, i)) {
                r->a = i;
                break;
            }
        }
        if (rc == 0 && r->a < 0) rc = status_fail(&st, ERR_STATE, "the base model gets every test sample right");
        break;
    }
    case JOB_EXPORT: {
        /* the same code as `ocd report` (figures.h), on the session as committed now */
        SessView v;
        snprintf(r->path, sizeof r->path, "%s", q->path);
        rc = sessview_load(j->dir, &v, &st);
        if (rc == 0) {
            rc = figure_write((FigureKind)q->a, &v, p, q->b, q->path, 0, 0, &st);
            sessview_free(&v);
        }
        break;
    }
    default: break;
    }
    r->ok = rc == 0;
    if (rc) snprintf(r->err, sizeof r->err, "%s", st.msg);
    post(j, r);
}

static void *worker(void *arg)
{
    Jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!j->quit) {
        if (j->nq == 0) {
            pthread_cond_wait(&j->cv, &j->mu);
            continue;
        }
        JobReq q = j->q[0];
        memmove(j->q, j->q + 1, sizeof(JobReq) * (size_t)(--j->nq));
        j->running = 1;
        j->progress_done = j->progress_total = 0;
        describe(&q, j->running_what, sizeof j->running_what);
        pthread_mutex_unlock(&j->mu);
        run_job(j, &q);
        pthread_mutex_lock(&j->mu);
        j->running = 0;
        j->running_what[0] = 0;
    }
    pthread_mutex_unlock(&j->mu);
    probe_close(j->probe);
    j->probe = NULL;
    return NULL;
}

Jobs *jobs_start(const char *asset_dir, int threads)
{
    Jobs *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pipe(j->fds)) {
        free(j);
        return NULL;
    }
    fcntl(j->fds[0], F_SETFL, O_NONBLOCK);
    fcntl(j->fds[1], F_SETFL, O_NONBLOCK);
    snprintf(j->asset_dir, sizeof j->asset_dir, "%s", asset_dir);
    j->threads = threads;
    /* the terminal's signals are the UI thread's */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    const int rc = pthread_create(&j->thread, NULL, worker, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        close(j->fds[0]);
        close(j->fds[1]);
        free(j);
        return NULL;
    }
    return j;
}

void jobs_stop(Jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->quit = 1;
    j->gen++; /* a layer-gain job in progress sees itself stale and stops */
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    for (int i = 0; i < j->ndone; i++) {
        jobs_result_free(j->done[i]);
        free(j->done[i]);
    }
    close(j->fds[0]);
    close(j->fds[1]);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

void jobs_set_session(Jobs *j, const char *dir, uint64_t gen)
{
    pthread_mutex_lock(&j->mu);
    snprintf(j->dir, sizeof j->dir, "%s", dir);
    j->gen = gen;
    j->nq = 0;
    pthread_mutex_unlock(&j->mu);
}

void jobs_submit(Jobs *j, const JobReq *r)
{
    pthread_mutex_lock(&j->mu);
    /* a newer request of the same kind replaces a queued one (stepping through samples fast) */
    int k = 0;
    const int replaceable = r->kind == JOB_TRAJ || r->kind == JOB_MISCLASS || r->kind == JOB_RHO || r->kind == JOB_RENDER_STEP;
    while (k < j->nq && !(replaceable && j->q[k].kind == r->kind)) k++;
    if (k < j->nq) j->q[k] = *r;
    else if (j->nq < QMAX) j->q[j->nq++] = *r;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

int jobs_take(Jobs *j, JobResult *out)
{
    char sink[64];
    while (read(j->fds[0], sink, sizeof sink) > 0) {
    }
    pthread_mutex_lock(&j->mu);
    JobResult *r = NULL;
    if (j->ndone > 0) {
        r = j->done[0];
        memmove(j->done, j->done + 1, sizeof(JobResult *) * (size_t)(--j->ndone));
    }
    const int more = j->ndone > 0;
    pthread_mutex_unlock(&j->mu);
    if (more) wake(j);
    if (!r) return 0;
    *out = *r;
    free(r);
    return 1;
}

void jobs_result_free(JobResult *r)
{
    probe_trajectory_free(&r->tr);
    free(r->rho);
    free(r->img);
    r->rho = NULL;
    r->img = NULL;
}

int jobs_fd(const Jobs *j) { return j->fds[0]; }

int jobs_busy(Jobs *j)
{
    pthread_mutex_lock(&j->mu);
    const int b = j->running || j->nq > 0 || j->ndone > 0; /* results not taken yet count too */
    pthread_mutex_unlock(&j->mu);
    return b;
}

void jobs_describe(Jobs *j, char *buf, size_t len)
{
    pthread_mutex_lock(&j->mu);
    if (!j->running) buf[0] = 0;
    else if (j->progress_total > 0)
        snprintf(buf, len, "%s (%d/%d)", j->running_what, j->progress_done, j->progress_total);
    else
        snprintf(buf, len, "%s", j->running_what);
    pthread_mutex_unlock(&j->mu);
}
