/* Session folders and their HDF5 files; see session.h. */
#include "session.h"

#include "buildinfo.h"

#include "core/clock.h"
#include "h5io.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int session_mkdir_p(const char *dir)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

void session_utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int read_config(H5File *f, Config *cfg)
{
    int n;
    const CfgKey *schema = config_schema(&n);
    config_init(cfg);
    for (int i = 0; i < n; i++) {
        char v[CFG_VALUE_LEN];
        if (h5r_attr_str(f, "config", schema[i].key, v, sizeof v)) snprintf(cfg->value[i], CFG_VALUE_LEN, "%s", v);
    }
    char src[256];
    if (h5r_attr_str(f, "meta", "preset_file", src, sizeof src)) snprintf(cfg->source, sizeof cfg->source, "%s", src);
    return 0;
}

static int write_new(Session *s, const Config *cfg, Status *st)
{
    H5File *f = h5w_begin(s->path, NULL, st);
    if (!f) return -1;
    int n;
    const CfgKey *schema = config_schema(&n);
    char when[64];
    session_utc_now(when, sizeof when);
    int r = h5w_attr_str(f, "meta", "created", when, st);
    r |= h5w_attr_str(f, "meta", "program", "ocd workbench " OCD_VERSION, st);
    r |= h5w_attr_str(f, "meta", "preset_file", cfg->source, st);
    BuildInfo b;
    buildinfo_get(&b);
    for (int i = 0; i < BUILDINFO_FIELDS; i++) r |= h5w_attr_str(f, "meta", BUILDINFO_ATTRS[i], buildinfo_field(&b, i), st);
    for (int i = 0; i < n && r == 0; i++) r |= h5w_attr_str(f, "config", schema[i].key, cfg->value[i], st);
    if (r) {
        h5w_abort(f);
        return -1;
    }
    return h5w_commit(f, st);
}

static int open_log(Session *s, Status *st)
{
    char path[600];
    snprintf(path, sizeof path, "%s/session.log", s->dir);
    s->log = fopen(path, "a");
    return s->log ? 0 : status_fail(st, ERR_IO, "%s: cannot open for appending", path);
}

int session_begin(const char *dir, const Config *cfg, Session *s, Status *st)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->path, sizeof s->path, "%s/session.h5", dir);
    if (session_mkdir_p(dir) != 0) return status_fail(st, ERR_IO, "%s: cannot create the session folder (%s)", dir, strerror(errno));
    if (access(s->path, F_OK) != 0) {
        if (write_new(s, cfg, st)) return -1;
        config_copy(&s->cfg, cfg);
        if (open_log(s, st)) return -1;
        session_log(s, "session created from %s", cfg->source[0] ? cfg->source : "(defaults)");
        return 0;
    }
    H5File *f = h5r_open(s->path, st);
    if (!f) return -1;
    read_config(f, &s->cfg);
    h5r_close(f);
    char diff[1024];
    if (config_diff(&s->cfg, cfg, diff, sizeof diff) > 0) {
        config_free(&s->cfg);
        return status_fail(st, ERR_STATE,
                           "%s was made with other settings: %s. Use another --session folder for a different run",
                           dir, diff);
    }
    if (open_log(s, st)) {
        config_free(&s->cfg);
        return -1;
    }
    session_log(s, "session reopened");
    return 0;
}

int session_load(const char *dir, Session *s, Status *st)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->path, sizeof s->path, "%s/session.h5", dir);
    H5File *f = h5r_open(s->path, st);
    if (!f) return -1;
    read_config(f, &s->cfg);
    h5r_close(f);
    return 0;
}

void session_end(Session *s)
{
    if (s->log) fclose(s->log);
    s->log = NULL;
    config_free(&s->cfg);
}

int session_stage_complete(const Session *s, const char *stage)
{
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(s->path, &st);
    if (!f) return 0;
    char v[32] = "";
    int done = h5r_attr_str(f, stage, "status", v, sizeof v) && strcmp(v, "complete") == 0;
    h5r_close(f);
    return done;
}

void session_work_path(const Session *s, const char *stage, char *buf, size_t len)
{
    snprintf(buf, len, "%s/work-%s.h5", s->dir, stage);
}

int session_commit_stage(Session *s, const char *stage, Status *st)
{
    char work[600], when[64];
    session_work_path(s, stage, work, sizeof work);
    if (session_stage_complete(s, stage))
        return status_fail(st, ERR_STATE, "%s: stage %s is complete already and is never rewritten", s->dir, stage);
    H5File *f = h5w_begin(s->path, s->path, st);
    if (!f) return -1;
    session_utc_now(when, sizeof when);
    char path[64];
    snprintf(path, sizeof path, "/%s", stage);
    if (h5w_unlink(f, path, st) || h5w_copy_from(f, work, path, path, st) ||
        h5w_attr_str(f, stage, "status", "complete", st) || h5w_attr_str(f, stage, "completed", when, st) ||
        (s->stage_t0 > 0 && h5w_attr_double(f, stage, "wall_seconds", clock_now() - s->stage_t0, st)) ||
        (s->rng_now && h5w_attr_int(f, stage, "rng_offset_end", (int64_t)*s->rng_now, st))) {
        h5w_abort(f);
        return -1;
    }
    if (h5w_commit(f, st)) return -1;
    unlink(work);
    session_log(s, "stage %s complete", stage);
    return 0;
}

int session_copy_stage(Session *s, const char *src_session_h5, const char *stage, Status *st)
{
    if (session_stage_complete(s, stage))
        return status_fail(st, ERR_STATE, "%s: stage %s is complete already and is never rewritten", s->dir, stage);
    H5File *f = h5w_begin(s->path, s->path, st);
    if (!f) return -1;
    char path[64];
    snprintf(path, sizeof path, "/%s", stage);
    if (h5w_unlink(f, path, st) || h5w_copy_from(f, src_session_h5, path, path, st) ||
        h5w_attr_str(f, stage, "taken_from", src_session_h5, st)) {
        h5w_abort(f);
        return -1;
    }
    if (h5w_commit(f, st)) return -1;
    session_log(s, "stage %s taken from %s", stage, src_session_h5);
    return 0;
}

void session_log(Session *s, const char *fmt, ...)
{
    if (!s->log) return;
    char when[64];
    session_utc_now(when, sizeof when);
    fprintf(s->log, "%s ", when);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->log, fmt, ap);
    va_end(ap);
    fputc('\n', s->log);
    fflush(s->log);
}
