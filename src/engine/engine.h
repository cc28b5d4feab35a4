/* The engine thread: runs a request (a configuration, a session folder, the stages to run)
 * on its own thread and reports through the bus; the caller (CLI or UI) only reads events
 * and may ask it to stop. Nothing is written to the session before the data has loaded. */
#ifndef OCD_ENGINE_H
#define OCD_ENGINE_H

#include "bus.h"
#include "config.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { ENGINE_MAX_STAGES = 8 };

typedef struct {
    Config cfg; /* resolved; the request keeps its own copy */
    char session_dir[512];
    char asset_dir[512]; /* where data.path is looked up when relative */
    char stages[ENGINE_MAX_STAGES][16];
    int nstages;
    char from_dir[512]; /* "" or a session whose complete stages are taken where their settings agree */
    int from_rerun;     /* 1: --stages was named, so its stages are run here, not taken from from_dir */
} RunRequest;

/* The stages the engine knows, in pipeline order. */
const char *const *engine_stage_names(int *n);
/* rq->stages from a list of stage names separated by commas or spaces ("base,select"), or
 * every stage for NULL; ERR_CONFIG names an unknown stage and lists the known ones */
int engine_parse_stages(const char *list, RunRequest *rq, Status *st);

typedef struct Engine Engine;

Engine *engine_start(const RunRequest *rq, Bus *bus);
/* Joins the thread; returns 0 or -1 with the run's error in *out. */
int engine_wait(Engine *e, Status *out);

#ifdef __cplusplus
}
#endif

#endif
