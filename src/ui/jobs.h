/* Background probe jobs for the workbench: one worker thread owns a Probe on the session
 * shown and runs what the panes ask for (a denoising trajectory, a "what if" layer gain, the
 * predicted rho on test, NeRF renders, the next misclassified sample), so the UI thread never
 * computes. Results come back through a queue and a wake fd the UI polls beside stdin. */
#ifndef OCD_UI_JOBS_H
#define OCD_UI_JOBS_H

#include "probe.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { JOB_OPEN, JOB_TRAJ, JOB_GAIN, JOB_RHO, JOB_RENDER, JOB_MISCLASS, JOB_EXPORT, JOB_RENDER_STEP } JobKind;

typedef struct {
    JobKind kind;
    int a, b;     /* TRAJ: sample, sampler (1 ancestral), c = ProbeSource; GAIN: layer index, samples; RHO: samples;
                     RENDER: view, ProbeView; MISCLASS: first sample to look at;
                     EXPORT: FigureKind, its argument (sample or view, -1 default);
                     RENDER_STEP: view, sampler, and c = the denoising step */
    int c;
    char path[512]; /* EXPORT: the PNG to write */
    uint64_t gen; /* the session generation it was asked for (stale results are dropped) */
} JobReq;

enum { JOB_MAX_LAYERS = 32 };

typedef struct {
    JobKind kind;
    int a, b, c;
    uint64_t gen;
    int ok;
    char err[512];
    /* JOB_OPEN: what the probe found */
    int task, classes, ntest, rows, cols, steps, view_h, view_w, ocd, nlayers;
    int nsource[PROBE_SRC_COUNT]; /* samples of each trajectory source (0 before the OCD stages) */
    char layer[48], layers[JOB_MAX_LAYERS][48];
    /* JOB_TRAJ */
    ProbeTrajectory tr;
    double target; /* label or target value (of the test or collected training sample) */
    /* JOB_GAIN: mean loss of the base model and after overfitting the layer */
    double loss_base, loss_overfit;
    /* JOB_RHO: n values; JOB_RENDER: h x w x 3 */
    double *rho;
    int n;
    float *img;
    int h, w;
    /* JOB_MISCLASS: the sample found (a), or -1; JOB_EXPORT: the file written */
    char path[512];
} JobResult;

typedef struct Jobs Jobs;

Jobs *jobs_start(const char *asset_dir, int threads);
void jobs_stop(Jobs *j);
/* a new session (or the same one, changed): the probe is reopened at the next job, and
 * queued jobs are dropped */
void jobs_set_session(Jobs *j, const char *dir, uint64_t gen);
void jobs_submit(Jobs *j, const JobReq *r);
int jobs_take(Jobs *j, JobResult *out); /* 1 when a result was taken; the caller frees it */
void jobs_result_free(JobResult *r);
int jobs_fd(const Jobs *j);
int jobs_busy(Jobs *j); /* queued, running, or a result not taken yet */
void jobs_describe(Jobs *j, char *buf, size_t len); /* "trajectory of sample 12 (40%)" or "" */

#endif
