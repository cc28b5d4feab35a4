/* The bus: the only bridge between the engine thread and a front end (the headless CLI now,
 * the terminal workbench later). The engine pushes events (a stage began, progress, a log
 * line, an error, done); the front end pops them, sleeping in poll() on the wake fd when
 * nothing happens. A front end asks the engine to stop through an atomic flag that stages
 * check between steps, and pause through a flag the engine waits on at its progress points. Progress events are dropped when the ring is full (a later one
 * supersedes them); every other event waits for room. */
#ifndef OCD_BUS_H
#define OCD_BUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { EV_LOG, EV_STAGE_BEGIN, EV_PROGRESS, EV_STAGE_END, EV_ERROR, EV_DONE } EventKind;

enum { EVENT_METRICS = 4 };

typedef struct {
    EventKind kind;
    char stage[16];
    int64_t step, total;              /* progress: steps done of total */
    double metrics[EVENT_METRICS];    /* progress: e.g. loss, accuracy */
    char names[EVENT_METRICS][16];    /* what each metric is ("" = unused) */
    int code;                         /* EV_ERROR / EV_DONE: an ErrCode */
    char text[1024];                  /* log line, error message, stage summary */
    double time;                      /* seconds since the bus was made */
} Event;

typedef struct Bus Bus;

Bus *bus_create(void);
void bus_destroy(Bus *b);
void bus_push(Bus *b, const Event *e);
int bus_pop(Bus *b, Event *out); /* 1 when an event was taken */
int bus_wake_fd(const Bus *b);   /* readable while events are pending */
void bus_request_stop(Bus *b);
/* pause: the engine blocks at its next progress point until resumed (or stopped) */
void bus_set_paused(Bus *b, int paused);
int bus_paused(Bus *b);
int bus_stop_requested(const Bus *b);
double bus_elapsed(const Bus *b);

/* Helpers for the engine side. */
void bus_log(Bus *b, const char *stage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bus_progress(Bus *b, const char *stage, int64_t step, int64_t total, const char *n0, double m0, const char *n1,
                  double m1);

#ifdef __cplusplus
}
#endif

#endif
