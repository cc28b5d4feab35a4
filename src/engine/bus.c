/* The engine-to-front-end event ring; see bus.h. A mutex guards the ring; a pipe wakes the
 * reader. */
#include "bus.h"

#include "core/check.h"

#include "core/clock.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RING = 2048 };

struct Bus {
    pthread_mutex_t mu;
    pthread_cond_t room, resumed;
    int paused;
    Event ring[RING];
    int head, count;
    int pipe_r, pipe_w;
    atomic_int stop;
    double t0;
};


Bus *bus_create(void)
{
    Bus *b = calloc(1, sizeof *b);
    ENG_CHECK_ALLOC(b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->room, NULL);
    pthread_cond_init(&b->resumed, NULL);
    int fds[2];
    ENG_ASSERT(pipe(fds) == 0, "bus: pipe() failed");
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    b->pipe_r = fds[0];
    b->pipe_w = fds[1];
    b->t0 = clock_now();
    return b;
}

void bus_destroy(Bus *b)
{
    if (!b) return;
    close(b->pipe_r);
    close(b->pipe_w);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->room);
    pthread_cond_destroy(&b->resumed);
    free(b);
}

void bus_push(Bus *b, const Event *e)
{
    if (!b) return; /* no front end listening (a probe) */
    pthread_mutex_lock(&b->mu);
    if (b->count == RING) {
        if (e->kind == EV_PROGRESS) { /* a later progress event will say the same, newer */
            pthread_mutex_unlock(&b->mu);
            return;
        }
        while (b->count == RING) pthread_cond_wait(&b->room, &b->mu);
    }
    Event *slot = &b->ring[(b->head + b->count) % RING];
    *slot = *e;
    slot->time = clock_now() - b->t0;
    b->count++;
    pthread_mutex_unlock(&b->mu);
    char one = 1;
    ssize_t w = write(b->pipe_w, &one, 1); /* a full pipe already wakes the reader */
    (void)w;
}

int bus_pop(Bus *b, Event *out)
{
    char sink[64];
    while (read(b->pipe_r, sink, sizeof sink) > 0) {
    }
    pthread_mutex_lock(&b->mu);
    int got = b->count > 0;
    if (got) {
        *out = b->ring[b->head];
        b->head = (b->head + 1) % RING;
        b->count--;
        pthread_cond_signal(&b->room);
    }
    int more = b->count > 0;
    pthread_mutex_unlock(&b->mu);
    if (more) { /* keep the fd readable while events remain */
        char one = 1;
        ssize_t w = write(b->pipe_w, &one, 1);
        (void)w;
    }
    return got;
}

int bus_wake_fd(const Bus *b) { return b->pipe_r; }
void bus_request_stop(Bus *b)
{
    atomic_store(&b->stop, 1);
    bus_set_paused(b, 0); /* a paused engine must wake up to see the stop */
}

void bus_set_paused(Bus *b, int paused)
{
    pthread_mutex_lock(&b->mu);
    b->paused = paused;
    pthread_cond_broadcast(&b->resumed);
    pthread_mutex_unlock(&b->mu);
}

int bus_paused(Bus *b)
{
    pthread_mutex_lock(&b->mu);
    const int p = b->paused;
    pthread_mutex_unlock(&b->mu);
    return p;
}

/* the engine's side of pause: called at every progress point, so every stage pauses
 * between two of its steps without knowing about pausing */
static void wait_while_paused(Bus *b)
{
    pthread_mutex_lock(&b->mu);
    while (b->paused && !atomic_load(&b->stop)) pthread_cond_wait(&b->resumed, &b->mu);
    pthread_mutex_unlock(&b->mu);
}
int bus_stop_requested(const Bus *b) { return b && atomic_load(&((Bus *)b)->stop); }
double bus_elapsed(const Bus *b) { return clock_now() - b->t0; }

void bus_log(Bus *b, const char *stage, const char *fmt, ...)
{
    Event e = {.kind = EV_LOG};
    snprintf(e.stage, sizeof e.stage, "%s", stage ? stage : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.text, sizeof e.text, fmt, ap);
    va_end(ap);
    bus_push(b, &e);
}

void bus_progress(Bus *b, const char *stage, int64_t step, int64_t total, const char *n0, double m0, const char *n1,
                  double m1)
{
    if (!b) return;
    wait_while_paused(b);
    Event e = {.kind = EV_PROGRESS, .step = step, .total = total};
    snprintf(e.stage, sizeof e.stage, "%s", stage);
    if (n0) {
        snprintf(e.names[0], sizeof e.names[0], "%s", n0);
        e.metrics[0] = m0;
    }
    if (n1) {
        snprintf(e.names[1], sizeof e.names[1], "%s", n1);
        e.metrics[1] = m1;
    }
    bus_push(b, &e);
}
