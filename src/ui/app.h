/* The workbench's state, owned by the UI thread: the session shown and its view, the engine
 * run in progress (through the bus), what the panes show, and the probe jobs. Panes draw from
 * it; key actions and commands change it and say what to redo (REACT_* flags). */
#ifndef OCD_UI_APP_H
#define OCD_UI_APP_H

#include "bus.h"
#include "canvas.h"
#include "config.h"
#include "engine.h"
#include "jobs.h"
#include "layout.h"
#include "screen.h"
#include "sessview.h"
#include "ui.h"

#include <stdio.h>

enum { REACT_NONE = 0, REACT_REDRAW = 1, REACT_RELAYOUT = 2, REACT_QUIT = 4 };

enum { LOG_LINES = 400, LIVE_MAX = 20000, LIVE_SERIES = 4 };

/* a live training curve from progress events (x = step, y = the first metric) */
typedef struct {
    char stage[16], name[16];
    int n;
    double *x, *y;
} LiveCurve;

typedef struct App {
    UiOptions opt;
    ScreenInfo scr;
    Canvas *cv;
    Layout lay;
    int focus, zoom, help, dirty, quit;
    int confirm_quit; /* asking "stop the running stage and quit?" */
    char msg[512];    /* the status line: the last result or error */
    int msg_error;

    /* the session */
    Config cfg;          /* the configuration runs use (preset + set) */
    char preset[512];    /* the preset it came from */
    char session[512];   /* the session folder */
    SessView view;
    int have_view;
    uint64_t gen;        /* bumps whenever the session (or its stages) change */

    /* the engine run */
    Bus *bus;
    Engine *engine;
    int running, paused;
    char run_stage[16];
    int64_t step, total;
    double metric[2];
    char metric_name[2][16];
    LiveCurve live[LIVE_SERIES];

    /* log pane */
    char log[LOG_LINES][200];
    int log_n, log_scroll;

    /* probe jobs and what they told */
    Jobs *jobs;
    JobResult info; /* JOB_OPEN: task, classes, layer, steps ... (ok = 0 until known) */

    /* entropy pane: the selected layer and "what if" results per layer */
    int sel_layer;
    double gain_base[SV_MAX_LAYERS], gain_over[SV_MAX_LAYERS];
    int gain_state[SV_MAX_LAYERS]; /* 0 none, 1 running, 2 done, 3 failed */

    /* loss pane */
    int logy, smooth, xrange; /* xrange: 0 all, 1 the last quarter */

    /* rho pane */
    double *rho_test;
    int n_rho_test, rho_state;

    /* compare pane: 0 the table, 1 mean ± SD bars, 2 the paired differences with their intervals */
    int compare_view;

    /* denoise pane */
    int sample, ancestral, dstep, playing, traj_state; /* traj_state: 0 none, 1 running, 2 ready, 3 failed */
    ProbeSource source; /* where the sample comes from: test, or the collection (held out / trained on) */
    JobResult traj;
    double play_t;
    float *step_img; /* NeRF: the view rendered at a denoising step */
    int step_img_k, step_img_state;

    /* NeRF views pane */
    int view_index;
    float *img[4];
    int img_h, img_w, img_state[4];

    /* headless script */
    FILE *script;
    int script_wait; /* 1, 2: waiting for the engine and jobs to be idle; 3: sleeping */
    double script_until;
} App;

void app_log(App *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_msg(App *a, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* the session: open a preset or a session folder; reload the view after a stage */
int app_open(App *a, const char *what);
void app_reload(App *a);
/* runs stages (NULL: all) of the session; from: take agreeing stages from that session */
int app_run(App *a, const char *stages, const char *from);
void app_stop(App *a);
void app_pause(App *a, int paused);

/* probe requests the panes make */
void app_request_traj(App *a);
/* the samples the denoise pane can step through: of the test split or a collection source */
int app_source_count(const App *a);
/* the denoise pane's sample source (resets the sample to 0; held-out and trained-on need
 * the OCD stages); 0, or -1 with a message */
int app_set_source(App *a, ProbeSource src);
void app_request_rho(App *a);
void app_request_views(App *a);
void app_request_gain(App *a, int layer);
void app_request_misclassified(App *a);
void app_request_step_render(App *a);

/* panes: draw into the canvas; key handlers return REACT_* (0: not handled) */
void pane_draw(App *a, PaneId id, Rect r);
int pane_key(App *a, PaneId id, int key);
/* which figure (report's FigureKind) a pane exports, -1 none */
int pane_figure(PaneId id);

/* commands typed on the command line (or in a headless script) */
int command_run(App *a, const char *line);
/* tab completion: the i-th candidate for the word being typed, NULL when done */
const char *command_complete(App *a, const char *line_so_far, const char *word, int i);
int app_export_png(App *a, const char *path);
int app_save_screen(App *a, const char *path);

#endif
