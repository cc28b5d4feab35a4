/* `ocd sweep PRESET --set KEY=V1,V2,... [--set KEY2=...] [--jobs N] [--sessions DIR]
 *             [--threads N] [--seed N] [--device D]`: the grid of settings as sessions named
 * by them (`<sessions>/<preset>+KEY=V+KEY2=W`, as the workbench's `:set` names them). Each
 * point is an `ocd run` of its own (a child process) that takes every complete stage it agrees
 * on from the finished point it shares the most stages with (`--from`), so a stage the grid's
 * settings do not reach runs once. A point waits for that sibling; a failed point is reported
 * and the rest go on (from another sibling, or from scratch). With --jobs N up to N points run
 * at once, each with --threads 1 unless --threads says otherwise (two OpenMP pools spinning on
 * the same cores slow both down many times over). */
#include "cli.h"

#include "config.h"
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SWEEP_MAX_KEYS = 8, SWEEP_MAX_VALUES = 32, SWEEP_MAX_POINTS = 256 };

typedef struct {
    char key[64];
    char values[SWEEP_MAX_VALUES][128];
    int n;
} Axis;

typedef struct {
    char sets[SWEEP_MAX_KEYS][200]; /* "key=value" */
    char dir[700];
    Config cfg;
    int source;  /* the point it takes stages from (-1: none) */
    int shared;  /* stages it shares with that point (0..7) */
    int state;   /* 0 waiting, 1 running, 2 done, 3 failed */
    int code;
    pid_t pid;
    double t0, secs;
} Point;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: ocd sweep PRESET --set KEY=V1,V2,... [--set KEY2=...] [--jobs N] [--sessions DIR]\n"
                    "                [--threads N] [--seed N] [--device cpu|cuda|auto|cpu-guard]\n");
    return 2;
}

/* stages (in pipeline order) whose settings agree between a and b: 0..7 */
static int shared_stages(const Config *a, const Config *b)
{
    int n = 0;
    engine_stage_names(&n);
    char buf[8];
    int k = 0;
    while (k < n && config_diff_upto(a, b, k, buf, sizeof buf) == 0) k++;
    return k;
}

/* the finished point (done, not failed) before i that shares the most stages with it */
static void pick_source(Point *p, int i, int only_done)
{
    p[i].source = -1;
    p[i].shared = 0;
    for (int j = 0; j < i; j++) {
        if (only_done && p[j].state != 2) continue;
        if (p[j].state == 3) continue;
        const int s = shared_stages(&p[i].cfg, &p[j].cfg);
        if (s > p[i].shared) {
            p[i].shared = s;
            p[i].source = j;
        }
    }
}

static int mkdirs(const char *path)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *c = tmp + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *c = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

static pid_t launch(const Point *p, const char *preset, char **extra, int nextra, const Point *src)
{
    char log[760];
    snprintf(log, sizeof log, "%s/sweep.log", p->dir);
    const pid_t pid = fork();
    if (pid != 0) return pid;
    const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    char *argv[64];
    int k = 0;
    argv[k++] = "ocd";
    argv[k++] = "run";
    argv[k++] = (char *)preset;
    for (int i = 0; i < SWEEP_MAX_KEYS && p->sets[i][0]; i++) {
        argv[k++] = "--set";
        argv[k++] = (char *)p->sets[i];
    }
    argv[k++] = "--session";
    argv[k++] = (char *)p->dir;
    if (src) {
        argv[k++] = "--from";
        argv[k++] = (char *)src->dir;
    }
    for (int i = 0; i < nextra && k < 62; i++) argv[k++] = extra[i];
    argv[k] = NULL;
    execv("/proc/self/exe", argv);
    fprintf(stderr, "ocd sweep: cannot start ocd run: %s\n", strerror(errno));
    _exit(127);
}

int cmd_sweep(int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-') return usage();
    const char *preset = argv[0], *sessions = "sessions";
    static Axis axes[SWEEP_MAX_KEYS];
    int naxes = 0, jobs = 1, threads_given = 0;
    char *extra[16];
    int nextra = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(a, "--set")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || naxes == SWEEP_MAX_KEYS) return usage();
            Axis *ax = &axes[naxes++];
            snprintf(ax->key, sizeof ax->key, "%.*s", (int)(eq - v), v);
            char list[4096];
            snprintf(list, sizeof list, "%s", eq + 1);
            char *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t && ax->n < SWEEP_MAX_VALUES; t = strtok_r(NULL, ",", &save))
                snprintf(ax->values[ax->n++], sizeof ax->values[0], "%s", t);
            if (ax->n == 0) return usage();
        } else if (!strcmp(a, "--jobs")) {
            jobs = atoi(v);
            if (jobs < 1 || jobs > 64) return usage();
        } else if (!strcmp(a, "--sessions")) {
            sessions = v;
        } else if (!strcmp(a, "--threads") || !strcmp(a, "--seed") || !strcmp(a, "--device")) {
            threads_given |= !strcmp(a, "--threads");
            if (nextra > 12) return usage();
            extra[nextra++] = (char *)a;
            extra[nextra++] = (char *)v;
        } else {
            return usage();
        }
        i++;
    }
    if (naxes == 0) return usage();
    if (jobs > 1 && !threads_given) {
        extra[nextra++] = "--threads";
        extra[nextra++] = "1";
    }
    /* the grid, the last --set varying fastest */
    int np = 1;
    for (int a = 0; a < naxes; a++) np *= axes[a].n;
    if (np > SWEEP_MAX_POINTS) {
        fprintf(stderr, "ocd sweep: %d points; at most %d\n", np, SWEEP_MAX_POINTS);
        return 2;
    }
    Point *p = calloc((size_t)np, sizeof *p);
    if (!p) return 1;
    Config base;
    config_init(&base);
    char ppath[600];
    config_preset_path(preset, cli_asset_dir(), ppath, sizeof ppath);
    Status st;
    status_clear(&st);
    int rc = config_load(&base, ppath, &st);
    const char *pname = rc ? "" : cfg_str(&base, "preset.name");
    for (int i = 0; i < np && rc == 0; i++) {
        config_copy(&p[i].cfg, &base); /* allocates p[i].cfg itself */
        int rest = i, at = 0;
        char name[600];
        at = snprintf(name, sizeof name, "%s/%s", sessions, pname[0] ? pname : "sweep");
        for (int a = naxes - 1; a >= 0; a--) {
            const int k = rest % axes[a].n;
            rest /= axes[a].n;
            snprintf(p[i].sets[a], sizeof p[i].sets[a], "%s=%s", axes[a].key, axes[a].values[k]);
        }
        for (int a = 0; a < naxes && rc == 0; a++) {
            at += snprintf(name + at, at < (int)sizeof name ? sizeof name - (size_t)at : 0, "+%s", p[i].sets[a]);
            rc = config_set(&p[i].cfg, p[i].sets[a], &st);
        }
        snprintf(p[i].dir, sizeof p[i].dir, "%s", name);
    }
    if (rc) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        for (int i = 0; i < np; i++) config_free(&p[i].cfg);
        config_free(&base);
        free(p);
        return cli_exit_code(st.code);
    }
    for (int i = 0; i < np; i++) pick_source(p, i, 0);
    printf("ocd sweep %s: %d points, %d at a time\n", ppath, np, jobs);
    int running = 0, left = np, first_fail = 0;
    const double t_start = now();
    while (left > 0) {
        /* start what can start: a waiting point whose chosen sibling has ended */
        for (int i = 0; i < np && running < jobs; i++) {
            if (p[i].state != 0) continue;
            const int s = p[i].source;
            if (s >= 0 && p[s].state < 2) continue;
            if (s >= 0 && p[s].state == 3) pick_source(p, i, 1); /* its sibling failed: another, or none */
            if (mkdirs(p[i].dir)) {
                fprintf(stderr, "ocd sweep: cannot make %s: %s\n", p[i].dir, strerror(errno));
                p[i].state = 3;
                p[i].code = 2;
                left--;
                continue;
            }
            const Point *src = p[i].source >= 0 ? &p[p[i].source] : NULL;
            p[i].pid = launch(&p[i], preset, extra, nextra, src);
            p[i].t0 = now();
            p[i].state = 1;
            running++;
            printf("[%d/%d] %s: started%s%s (%d stage%s taken)\n", i + 1, np, p[i].dir, src ? " from " : "",
                   src ? src->dir : "", src ? p[i].shared : 0, src && p[i].shared == 1 ? "" : "s");
            fflush(stdout);
        }
        int status = 0;
        const pid_t w = wait(&status);
        if (w < 0) break;
        for (int i = 0; i < np; i++) {
            if (p[i].state != 1 || p[i].pid != w) continue;
            p[i].secs = now() - p[i].t0;
            p[i].code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            p[i].state = p[i].code == 0 ? 2 : 3;
            if (p[i].code && !first_fail) first_fail = p[i].code;
            running--;
            left--;
            if (p[i].code)
                printf("[%d/%d] %s: FAILED with exit status %d after %.1f s (its sweep.log says why); the rest go on\n",
                       i + 1, np, p[i].dir, p[i].code, p[i].secs);
            else
                printf("[%d/%d] %s: done (%.1f s)\n", i + 1, np, p[i].dir, p[i].secs);
            fflush(stdout);
        }
    }
    int ndone = 0;
    for (int i = 0; i < np; i++) ndone += p[i].state == 2;
    printf("\nsweep: %d of %d points done in %.1f s\n", ndone, np, now() - t_start);
    printf("| point | session | took stages from | exit | seconds |\n|---:|---|---|---:|---:|\n");
    for (int i = 0; i < np; i++)
        printf("| %d | `%s` | %s | %d | %.1f |\n", i + 1, p[i].dir, p[i].source >= 0 ? p[p[i].source].dir : "-", p[i].code,
               p[i].secs);
    printf("\ncompare them: ocd results");
    for (int i = 0; i < np; i++)
        if (p[i].state == 2) printf(" '%s'", p[i].dir);
    printf("\n");
    for (int i = 0; i < np; i++) config_free(&p[i].cfg);
    config_free(&base);
    free(p);
    return first_fail;
}
