/* The bus between the engine and a front end: events come out in order and wake the
 * reader's fd; pause holds the engine at its next progress point until resumed; a stop
 * wakes a paused engine; a probe's NULL bus swallows events. */
#include "harness.h"

#include "bus.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

TEST(events_come_out_in_order_and_wake_the_reader)
{
    Bus *b = bus_create();
    struct pollfd p = {.fd = bus_wake_fd(b), .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 0, "the wake fd is readable with no event");
    bus_log(b, "base", "first %d", 1);
    bus_progress(b, "base", 3, 10, "loss", 0.5, NULL, 0);
    CHECK(poll(&p, 1, 0) == 1, "the wake fd is not readable with events pending");
    Event e;
    CHECK(bus_pop(b, &e) && e.kind == EV_LOG && !strcmp(e.text, "first 1") && !strcmp(e.stage, "base"), "first event");
    CHECK(poll(&p, 1, 0) == 1, "the wake fd went quiet while an event remains");
    CHECK(bus_pop(b, &e) && e.kind == EV_PROGRESS && e.step == 3 && e.total == 10 && e.metrics[0] == 0.5 &&
              !strcmp(e.names[0], "loss"),
          "progress event");
    CHECK(!bus_pop(b, &e), "a third event appeared");
    bus_destroy(b);
}

typedef struct {
    Bus *b;
    atomic_int steps;
    atomic_int done;
} Worker;

static void *engine_like(void *arg)
{
    Worker *w = arg;
    for (int i = 0; i < 1000000 && !bus_stop_requested(w->b); i++) {
        bus_progress(w->b, "x", i, 1000000, NULL, 0, NULL, 0);
        atomic_fetch_add(&w->steps, 1);
        Event e;
        while (bus_pop(w->b, &e)) { /* the front end's side, kept short here */
        }
        usleep(100);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

/* waits (up to `seconds`) until the worker has made more than `than` steps; the waits poll
 * instead of sleeping a fixed time, so a loaded machine cannot make the test fail */
static int steps_exceed(Worker *w, int than, double seconds)
{
    for (int i = 0; i < (int)(seconds * 1000) && atomic_load(&w->steps) <= than; i++) usleep(1000);
    return atomic_load(&w->steps) > than;
}

TEST(pause_holds_progress_until_resumed_and_stop_wakes_a_paused_engine)
{
    Worker w = {.b = bus_create()};
    pthread_t t;
    pthread_create(&t, NULL, engine_like, &w);
    CHECK(steps_exceed(&w, 0, 10), "the worker made no progress");
    bus_set_paused(w.b, 1);
    CHECK(bus_paused(w.b) == 1, "not paused");
    /* a step already past its progress call when the flag was set may still finish: one, never two */
    const int held = atomic_load(&w.steps);
    usleep(200000);
    CHECK(atomic_load(&w.steps) <= held + 1, "steps went on while paused: %d -> %d", held, atomic_load(&w.steps));
    const int paused_at = atomic_load(&w.steps);
    bus_set_paused(w.b, 0);
    CHECK(steps_exceed(&w, paused_at + 1, 10), "resume did not let the worker go on");
    bus_set_paused(w.b, 1);
    usleep(50000); /* lets the worker reach its pause (on a loaded machine it may see the stop first) */
    bus_request_stop(w.b);
    for (int i = 0; i < 10000 && !atomic_load(&w.done); i++) usleep(1000);
    CHECK(atomic_load(&w.done), "a stop did not wake the paused worker");
    pthread_join(t, NULL);
    bus_destroy(w.b);
}

TEST(a_null_bus_swallows_events)
{
    bus_log(NULL, "x", "nobody listens");
    bus_progress(NULL, "x", 1, 2, NULL, 0, NULL, 0);
    CHECK(bus_stop_requested(NULL) == 0, "a NULL bus asks to stop");
}
