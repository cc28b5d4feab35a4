/* Presets, sessions and their HDF5 files (config.h, session.h, h5io.h): every bundled preset
 * loads; a bad preset names the file, the line and the valid choices; a session is created
 * once, refuses other settings, commits a stage atomically and never rewrites it; h5io
 * round-trips what it writes and leaves nothing behind when a write is abandoned. */
#include "harness.h"

#include "config.h"
#include "h5io.h"
#include "session.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tmp_path(const char *name)
{
    static char buf[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ocd-test-config-XXXXXX");
        if (!mkdtemp(tmpdir)) abort();
        atexit(remove_tmpdir);
    }
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

TEST(every_bundled_preset_loads_and_names_itself)
{
    DIR *d = opendir(OCD_SOURCE_DIR "/assets/presets");
    CHECK(d != NULL, "no assets/presets folder");
    if (!d) return;
    int seen = 0, has_default = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".ini")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/assets/presets/%s", OCD_SOURCE_DIR, e->d_name);
        Config cfg;
        Status st;
        status_clear(&st);
        config_init(&cfg);
        CHECK(config_load(&cfg, path, &st) == 0, "%s: %s", e->d_name, st.msg);
        /* the preset's name is its file's name: sessions/<name> and `ocd run <name>` agree */
        CHECK(strncmp(cfg_str(&cfg, "preset.name"), e->d_name, n - 4) == 0 && strlen(cfg_str(&cfg, "preset.name")) == n - 4,
              "%s names itself '%s'", e->d_name, cfg_str(&cfg, "preset.name"));
        if (!strcmp(e->d_name, "mnist-lenet5.ini")) has_default = 1;
        config_free(&cfg);
        seen++;
    }
    closedir(d);
    CHECK(seen >= 4, "only %d presets", seen);
    CHECK(has_default, "the default preset mnist-lenet5 is missing");
}

TEST(defaults_cover_every_key_and_are_valid)
{
    int n;
    const CfgKey *schema = config_schema(&n);
    CHECK(n > 20, "schema has %d keys", n);
    Config cfg, check;
    config_init(&cfg);
    config_init(&check);
    for (int i = 0; i < n; i++) {
        Status st;
        status_clear(&st);
        /* every default passes its own validation */
        CHECK(config_set_kv(&check, schema[i].key, schema[i].def, "default", &st) == 0, "%s: %s", schema[i].key, st.msg);
        CHECK(strchr(schema[i].key, '.') != NULL, "key %s has no section", schema[i].key);
        CHECK(schema[i].doc && schema[i].doc[0], "key %s has no doc", schema[i].key);
    }
    char diff[256];
    CHECK(config_diff(&cfg, &check, diff, sizeof diff) == 0, "defaults differ after re-setting: %s", diff);
    config_free(&cfg);
    config_free(&check);
}

TEST(a_bad_preset_names_file_line_and_choices)
{
    struct {
        const char *text, *want1, *want2;
        ErrCode code;
    } cases[] = {
        {"[base]\nepochs = 3\nepoch = 4\n", "line 3", "unknown key 'base.epoch'", ERR_CONFIG},
        {"[base]\nepochs = 3\nepoch = 4\n", "epochs", "valid keys in [base]", ERR_CONFIG},
        {"[base]\nlr = fast\n", "line 2", "base.lr = 'fast' is not a number", ERR_CONFIG},
        {"[base]\nepochs = -1\n", "line 2", "not an integer in", ERR_CONFIG},
        {"[base]\nepochs = 2.5\n", "line 2", "not an integer", ERR_CONFIG},
        {"[base]\nlr = nan\n", "line 2", "not a number", ERR_CONFIG},
        {"[run]\ndevice = tpu\n", "line 2", "is not one of", ERR_CONFIG},
        {"[run]\ndevice = tpu\n", "cuda", "cpu", ERR_CONFIG},
        {"[run]\nseed = 1\nthis line is wrong\n", "line 3", "not a 'key = value' line", ERR_CONFIG},
        {"[nosuch]\nx = 1\n", "line 2", "sections: [preset], [run]", ERR_CONFIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tmp_path("bad.ini");
        write_text(path, cases[i].text);
        Config cfg;
        Status st;
        status_clear(&st);
        config_init(&cfg);
        const int r = config_load(&cfg, path, &st);
        CHECK(r != 0 && st.code == cases[i].code, "case %zu: r=%d code %s", i, r, status_code_name(st.code));
        CHECK(strstr(st.msg, path) != NULL, "case %zu: message does not name the file: %s", i, st.msg);
        CHECK(strstr(st.msg, cases[i].want1) && strstr(st.msg, cases[i].want2), "case %zu: '%s' lacks '%s' / '%s'", i,
              st.msg, cases[i].want1, cases[i].want2);
        config_free(&cfg);
    }
    Config cfg;
    Status st;
    status_clear(&st);
    config_init(&cfg);
    CHECK(config_load(&cfg, tmp_path("absent.ini"), &st) != 0 && st.code == ERR_IO, "a missing preset: %s", st.msg);
    config_free(&cfg);
}

TEST(set_overrides_validate_and_normalise)
{
    Config cfg;
    config_init(&cfg);
    Status st;
    status_clear(&st);
    CHECK(config_set(&cfg, "base.epochs=3", &st) == 0 && cfg_int(&cfg, "base.epochs") == 3, "epochs: %s", st.msg);
    CHECK(config_set(&cfg, "base.lr=2.5e-4", &st) == 0 && cfg_float(&cfg, "base.lr") == 2.5e-4, "lr: %s", st.msg);
    status_clear(&st);
    CHECK(config_set(&cfg, "base.epochs", &st) != 0 && strstr(st.msg, "expected section.key=value"), "no '=': %s", st.msg);
    status_clear(&st);
    CHECK(config_set(&cfg, "=3", &st) != 0 && st.code == ERR_CONFIG, "empty key: %s", st.msg);
    status_clear(&st);
    CHECK(config_set(&cfg, "base.epochs=", &st) != 0 && strstr(st.msg, "--set base.epochs="), "empty value: %s", st.msg);
    CHECK(cfg_int(&cfg, "base.epochs") == 3, "a rejected value changed the configuration");
    /* the first error wins: a second failure does not overwrite the message */
    char first[1024];
    snprintf(first, sizeof first, "%s", st.msg);
    config_set(&cfg, "base.nosuch=1", &st);
    CHECK(strcmp(first, st.msg) == 0, "first error replaced: %s", st.msg);
    config_free(&cfg);
}

TEST(h5io_roundtrips_and_abandoned_writes_leave_nothing)
{
    const char *path = tmp_path("rt.h5");
    char final[512];
    snprintf(final, sizeof final, "%s", path);
    Status st;
    status_clear(&st);
    H5File *f = h5w_begin(final, NULL, &st);
    CHECK(f != NULL, "begin: %s", st.msg);
    if (!f) return;
    const float fl[6] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
    const double db[3] = {0.1, 0.2, 1e300};
    const int64_t in[4] = {-1, 0, 1, (int64_t)1 << 40};
    const int64_t d23[2] = {2, 3}, d3[1] = {3}, d4[1] = {4};
    CHECK(h5w_floats(f, "a/b/floats", fl, 2, d23, &st) == 0, "floats: %s", st.msg);
    CHECK(h5w_doubles(f, "a/doubles", db, 1, d3, &st) == 0, "doubles: %s", st.msg);
    CHECK(h5w_ints(f, "ints", in, 1, d4, &st) == 0, "ints: %s", st.msg);
    CHECK(h5w_attr_str(f, "a", "status", "complete", &st) == 0, "attr: %s", st.msg);
    CHECK(h5w_attr_double(f, "a/b", "loss", 0.125, &st) == 0, "attr: %s", st.msg);
    CHECK(h5w_attr_int(f, "a/b", "step", 42, &st) == 0, "attr: %s", st.msg);
    CHECK(!file_exists(final), "the file appeared before its commit");
    CHECK(h5w_commit(f, &st) == 0, "commit: %s", st.msg);
    CHECK(file_exists(final), "no file after commit");

    H5File *r = h5r_open(final, &st);
    CHECK(r != NULL, "open: %s", st.msg);
    if (!r) return;
    int nd = 0;
    int64_t dims[8];
    CHECK(h5r_shape(r, "a/b/floats", &nd, dims) == 0 && nd == 2 && dims[0] == 2 && dims[1] == 3, "shape %d", nd);
    float fo[6];
    double dbo[3];
    int64_t ino[4];
    CHECK(h5r_floats(r, "a/b/floats", fo, 6, &st) == 0 && memcmp(fo, fl, sizeof fl) == 0, "floats differ");
    CHECK(h5r_doubles(r, "a/doubles", dbo, 3, &st) == 0 && memcmp(dbo, db, sizeof db) == 0, "doubles differ");
    CHECK(h5r_ints(r, "ints", ino, 4, &st) == 0 && memcmp(ino, in, sizeof in) == 0, "ints differ");
    status_clear(&st);
    CHECK(h5r_floats(r, "a/b/floats", fo, 5, &st) != 0 && st.code == ERR_FORMAT, "a size mismatch was not caught: %s",
          status_code_name(st.code));
    char s[64];
    double dv = 0;
    int64_t iv = 0;
    CHECK(h5r_attr_str(r, "a", "status", s, sizeof s) && !strcmp(s, "complete"), "attr str");
    CHECK(h5r_attr_double(r, "a/b", "loss", &dv) && dv == 0.125, "attr double");
    CHECK(h5r_attr_int(r, "a/b", "step", &iv) && iv == 42, "attr int");
    CHECK(!h5r_attr_str(r, "a", "absent", s, sizeof s), "an absent attribute was found");
    CHECK(h5r_exists(r, "a/b") && !h5r_exists(r, "a/c"), "exists");
    char names[8][128];
    const int m = h5r_members(r, "a", names, 8);
    CHECK(m == 2 && !strcmp(names[0], "b") && !strcmp(names[1], "doubles"), "members: %d", m);
    h5r_close(r);

    /* an abandoned rewrite leaves the old file and no temporary */
    status_clear(&st);
    f = h5w_begin(final, final, &st);
    CHECK(f != NULL, "begin over: %s", st.msg);
    if (f) {
        h5w_unlink(f, "ints", &st);
        h5w_abort(f);
    }
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", final);
    CHECK(!file_exists(tmp), "the temporary file was left behind");
    r = h5r_open(final, &st);
    CHECK(r && h5r_exists(r, "ints"), "the abandoned rewrite changed the file");
    if (r) h5r_close(r);

    /* a corrupt file is an error that names it, not a crash */
    const char *bad = tmp_path("corrupt.h5");
    write_text(bad, "this is not HDF5\n");
    status_clear(&st);
    CHECK(h5r_open(bad, &st) == NULL && st.code == ERR_FORMAT && strstr(st.msg, bad), "corrupt: %s %s", status_code_name(st.code), st.msg);
}

/* a stage's work file, as a stage writes it */
static void write_work(Session *s, const char *stage, float value)
{
    char work[600], grp[64];
    session_work_path(s, stage, work, sizeof work);
    snprintf(grp, sizeof grp, "%s/result", stage);
    Status st;
    status_clear(&st);
    H5File *f = h5w_begin(work, NULL, &st);
    const int64_t d1[1] = {1};
    CHECK(f && h5w_floats(f, grp, &value, 1, d1, &st) == 0 && h5w_commit(f, &st) == 0, "work: %s", st.msg);
}

static float read_result(const char *path, const char *stage)
{
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(path, &st);
    float v = -1;
    char grp[64];
    snprintf(grp, sizeof grp, "%s/result", stage);
    if (f) {
        h5r_floats(f, grp, &v, 1, &st);
        h5r_close(f);
    }
    return v;
}

TEST(sessions_commit_once_and_refuse_other_settings)
{
    const char *dir = tmp_path("sessions/s1");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    Config cfg;
    config_init(&cfg);
    Status st;
    status_clear(&st);
    config_set(&cfg, "base.epochs=2", &st);
    Session s;
    CHECK(session_begin(dirbuf, &cfg, &s, &st) == 0, "begin: %s", st.msg);
    CHECK(!session_stage_complete(&s, "base"), "a new session has a complete stage");
    write_work(&s, "base", 1.0f);
    CHECK(session_commit_stage(&s, "base", &st) == 0, "commit: %s", st.msg);
    CHECK(session_stage_complete(&s, "base"), "the committed stage is not complete");
    char work[600];
    session_work_path(&s, "base", work, sizeof work);
    CHECK(!file_exists(work), "the work file was left after the commit");
    /* a second commit of the same stage is refused and the stored stage stays */
    write_work(&s, "base", 2.0f);
    status_clear(&st);
    CHECK(session_commit_stage(&s, "base", &st) != 0 && st.code == ERR_STATE && strstr(st.msg, "never rewritten"),
          "recommit: %s", st.msg);
    CHECK(read_result(s.path, "base") == 1.0f, "the complete stage was rewritten");
    /* another stage is added beside it */
    write_work(&s, "select", 3.0f);
    status_clear(&st);
    CHECK(session_commit_stage(&s, "select", &st) == 0, "commit select: %s", st.msg);
    CHECK(read_result(s.path, "base") == 1.0f && read_result(s.path, "select") == 3.0f, "stages after two commits");
    session_end(&s);

    /* reopening with the same settings works, with other settings names the keys */
    status_clear(&st);
    CHECK(session_begin(dirbuf, &cfg, &s, &st) == 0, "reopen: %s", st.msg);
    session_end(&s);
    config_set(&cfg, "base.epochs=3", &st);
    config_set(&cfg, "run.seed=7", &st);
    status_clear(&st);
    CHECK(session_begin(dirbuf, &cfg, &s, &st) != 0 && st.code == ERR_STATE && strstr(st.msg, "base.epochs") &&
              strstr(st.msg, "run.seed"),
          "other settings: %s", st.msg);
    char h5[600];
    snprintf(h5, sizeof h5, "%s/session.h5", dirbuf);
    CHECK(read_result(h5, "base") == 1.0f, "a refused reopen touched the session");

    /* a leftover temporary file from a killed commit does not hide the committed file */
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/session.h5.tmp", dirbuf);
    write_text(tmp, "half-written");
    Session r;
    status_clear(&st);
    CHECK(session_load(dirbuf, &r, &st) == 0 && r.cfg.n > 0 && cfg_int(&r.cfg, "base.epochs") == 2, "load: %s", st.msg);
    CHECK(session_stage_complete(&r, "base") && session_stage_complete(&r, "select"), "stages after a leftover .tmp");
    session_end(&r);
    config_free(&cfg);

    status_clear(&st);
    CHECK(session_load(tmp_path("sessions/none"), &r, &st) != 0 && st.code == ERR_IO, "no session: %s", st.msg);
}
