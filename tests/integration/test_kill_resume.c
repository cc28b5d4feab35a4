/* Crash safety of the base stage, with the real `ocd` binary: a run killed with SIGKILL in
 * the middle of the stage, started again with the same command, finishes, and its final
 * weights and curves are bit-identical to an uninterrupted run's; a completed stage is then
 * left untouched by a third run. The binary comes from $OCD_BIN (ctest sets it). */
#include "harness.h"
#include "run_util.h"

#include "core/status.h"
#include "h5io.h"

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

static const char *g_ocd;
static char g_root[64];

static void setup(void)
{
    g_ocd = getenv("OCD_BIN");
    if (!g_ocd) harness_skip("OCD_BIN is not set (run through ctest)");
    snprintf(g_root, sizeof g_root, "/tmp/ocd-kill-XXXXXX");
    if (!mkdtemp(g_root)) harness_skip("mkdtemp failed");
}

/* a small but not instant run: 2 epochs of 256 steps, a checkpoint every 8 steps */
static void args(char **v, const char *session)
{
    static char sess[256];
    snprintf(sess, sizeof sess, "%s", session);
    char *list[] = {(char *)g_ocd, "run", "mnist-lenet5", "--session", sess, "--stages", "base", "--threads", "1", "--set",
                    "data.train_limit=16384", "--set", "data.test_limit=1000", "--set", "base.epochs=2", "--set",
                    "base.checkpoint_every=8", "--set", "data.val_count=0", NULL};
    for (int i = 0; i < (int)(sizeof list / sizeof list[0]); i++) v[i] = list[i];
}

static int64_t checkpoint_step(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/work-base.h5", dir);
    Status st;
    status_clear(&st);
    if (access(path, F_OK) != 0) return -1;
    H5File *f = h5r_open(path, &st);
    int64_t step = -1;
    if (f) {
        h5r_attr_int(f, "base/checkpoint", "step", &step);
        h5r_close(f);
    }
    return step;
}

/* every weight and curve of two sessions, compared bit for bit; returns the differing count */
static int64_t compare_sessions(const char *a, const char *b)
{
    char pa[300], pb[300];
    snprintf(pa, sizeof pa, "%s/session.h5", a);
    snprintf(pb, sizeof pb, "%s/session.h5", b);
    Status st;
    status_clear(&st);
    H5File *fa = h5r_open(pa, &st), *fb = h5r_open(pb, &st);
    CHECK(fa && fb, "cannot open the sessions: %s", st.msg);
    if (!fa || !fb) return -1;
    char names[64][128];
    int64_t diff = 0, compared = 0;
    const char *groups[2] = {"base/weights", "base/curves"};
    for (int g = 0; g < 2; g++) {
        int n = h5r_members(fa, groups[g], names, 64);
        CHECK(n > 0, "%s has no %s", a, groups[g]);
        for (int i = 0; i < n; i++) {
            char path[300];
            snprintf(path, sizeof path, "%s/%.127s", groups[g], names[i]);
            int nd;
            int64_t dims[8], cnt = 1;
            h5r_shape(fa, path, &nd, dims);
            for (int k = 0; k < nd; k++) cnt *= dims[k];
            double *x = malloc(sizeof(double) * (size_t)cnt), *y = malloc(sizeof(double) * (size_t)cnt);
            CHECK(h5r_doubles(fa, path, x, cnt, &st) == 0 && h5r_doubles(fb, path, y, cnt, &st) == 0, "%s: %s", path, st.msg);
            for (int64_t k = 0; k < cnt; k++) diff += memcmp(&x[k], &y[k], sizeof(double)) != 0;
            compared += cnt;
            free(x);
            free(y);
        }
    }
    CHECK(compared > 60000, "only %lld values compared", (long long)compared);
    h5r_close(fa);
    h5r_close(fb);
    return diff;
}

TEST(a_killed_base_stage_resumes_to_the_same_weights)
{
    setup();
    char a[128], b[128], out[128];
    snprintf(a, sizeof a, "%s/uninterrupted", g_root);
    snprintf(b, sizeof b, "%s/killed", g_root);
    snprintf(out, sizeof out, "%s/log", g_root);
    char *v[24];
    args(v, a);
    CHECK(run_wait(run_start(v, out)) == 0, "the uninterrupted run failed");

    args(v, b);
    pid_t pid = run_start(v, out);
    int64_t seen = -1;
    for (int i = 0; i < 20000 && seen < 64; i++) { /* up to 100 s */
        seen = checkpoint_step(b);
        usleep(5000);
    }
    kill(pid, SIGKILL);
    int rc = run_wait(pid);
    CHECK(rc == 128 + SIGKILL, "the run ended by itself (status %d) before it could be killed at step >= 64", rc);
    CHECK(seen >= 64, "no checkpoint at step >= 64 appeared (last %lld)", (long long)seen);
    char done[300];
    snprintf(done, sizeof done, "%s/session.h5", b);
    Status st;
    status_clear(&st);
    H5File *f = h5r_open(done, &st);
    char status[32] = "";
    if (f) {
        h5r_attr_str(f, "base", "status", status, sizeof status);
        h5r_close(f);
    }
    CHECK(f != NULL, "the killed run left no readable session.h5: %s", st.msg);
    CHECK(strcmp(status, "complete") != 0, "the stage was complete before the kill: the test proves nothing");

    CHECK(run_wait(run_start(v, out)) == 0, "the resumed run failed (see %s)", out);
    int64_t diff = compare_sessions(a, b);
    CHECK(diff == 0, "%lld weights or curve points differ from the uninterrupted run", (long long)diff);

    /* a completed stage is never rewritten */
    struct stat s1, s2;
    stat(done, &s1);
    char text[4096];
    CHECK(run_capture(v, text, sizeof text) == 0, "a rerun of a complete session failed: %s", text);
    stat(done, &s2);
    CHECK(s1.st_mtime == s2.st_mtime && s1.st_size == s2.st_size && s1.st_ino == s2.st_ino,
          "session.h5 changed although its stage was complete");
    CHECK(strstr(text, "complete already") != NULL, "the rerun did not report the stage as complete: %s", text);
}
