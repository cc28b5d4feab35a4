/* A session: one folder, sessions/<name>/, holding session.h5 (the resolved configuration
 * and every completed stage, one group each with status "complete"), work-<stage>.h5 (the
 * checkpoint of a stage in progress) and session.log.
 *
 * Crash safety: both files are only ever replaced whole (written under a temporary name,
 * fsynced, renamed), so killing the process at any moment leaves session.h5 with every
 * completed stage intact and the work file at its last complete checkpoint. A completed
 * stage is never rewritten: committing a stage copies session.h5, adds the stage's group
 * from its work file, and renames the copy into place. */
#ifndef OCD_SESSION_H
#define OCD_SESSION_H

#include "config.h"
#include "core/status.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Session {
    char dir[512];
    char path[600]; /* dir/session.h5 */
    Config cfg;     /* as stored in /config */
    FILE *log;      /* dir/session.log, appended to */
    double stage_t0; /* monotonic start of the stage now running (engine), 0: unknown */
    const uint64_t *rng_now; /* the compute context's RNG counter (engine), NULL: not recorded */
} Session;

/* Opens the session in `dir`, creating it with `cfg` when absent. An existing session must
 * have been made with the same configuration: otherwise ERR_STATE names the keys that
 * differ (a different run needs a different folder). */
int session_begin(const char *dir, const Config *cfg, Session *s, Status *st);
/* Opens an existing session to read it (inspect, results): ERR_IO when there is none. */
int session_load(const char *dir, Session *s, Status *st);
void session_end(Session *s);

/* 1 when session.h5 holds the stage with status "complete" */
int session_stage_complete(const Session *s, const char *stage);
void session_work_path(const Session *s, const char *stage, char *buf, size_t len);
/* Makes the work file's group /<stage> the session's, marked complete, atomically; then
 * removes the work file. With stage_t0 set, the group gets `wall_seconds` (this run's time
 * in the stage; a resumed stage counts only its last run). With rng_now set, it also gets
 * `rng_offset_end`, the RNG counter when the stage ended: the next stage starts from it, so a
 * stage draws the same numbers whether the stages before it ran in this process, were loaded,
 * or were taken from another session. */
int session_commit_stage(Session *s, const char *stage, Status *st);

/* Takes stage `stage` (complete) from another session's file into this one, atomically, as a
 * commit does; the stage's group keeps its attributes and gains `taken_from`. */
int session_copy_stage(Session *s, const char *src_session_h5, const char *stage, Status *st);

/* mkdir -p: dir and its parents (0, or -1 with errno set); the report's folder uses it too */
int session_mkdir_p(const char *dir);
/* the UTC time now as sessions stamp it ("2026-11-23T16:16:09Z") */
void session_utc_now(char *buf, size_t len);

/* A line in session.log, with the time. */
void session_log(Session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
