/* `ocd inspect DIR`: what a session holds, read from its files (not from a running engine):
 * the configuration, each stage's state (complete with its metrics, running with its last
 * checkpoint, or not started) and the files. */
#include "cli.h"
#include "buildinfo.h"

#include "config.h"
#include "engine.h"
#include "h5io.h"
#include "session.h"
#include "sessview.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void print_metrics(H5File *f, const char *stage)
{
    char group[64];
    snprintf(group, sizeof group, "%s/metrics", stage);
    static const char *keys[] = {"test_accuracy", "test_loss", "test_rmse", "test_mse_target_units", "test_mse",
                                 "test_psnr", "train_accuracy", "train_loss", "train_seconds"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v;
        if (h5r_attr_double(f, group, keys[i], &v)) {
            if (strstr(keys[i], "accuracy"))
                printf("    %-22s %.2f%%\n", keys[i], 100 * v);
            else
                printf("    %-22s %.5g\n", keys[i], v);
        }
    }
    char s[256];
    if (h5r_attr_str(f, group, "device", s, sizeof s)) printf("    %-22s %s\n", "device", s);
    if (h5r_attr_str(f, group, "units", s, sizeof s)) printf("    %-22s %s\n", "units", s);
}

/* the generator's fit after the stages that train one (diffusion; alt on the runner-up) */
static void print_fit(H5File *f, const char *stage)
{
    const int alt = !strcmp(stage, "alt");
    if (strcmp(stage, "diffusion") && !(alt && h5r_exists(f, "alt/diffusion"))) return;
    SvFit fit;
    sessview_read_fit(f, alt ? "alt/diffusion" : "diffusion", alt ? "alt/scale" : "scale", &fit);
    char line[512];
    sessview_fit_line(&fit, line, sizeof line);
    printf("    %-22s %s\n", "generator fit", line);
    if (fit.rc_maps || strcmp(fit.target, "eps"))
        printf("    %-22s target %s, %lld learned row/column maps%s\n", "generator", fit.target, (long long)fit.rc_maps,
               fit.rc_product ? " and their products" : "");
}

int cmd_inspect(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: ocd inspect DIR\n");
        return 2;
    }
    Status st;
    status_clear(&st);
    Session s;
    if (session_load(argv[0], &s, &st)) {
        fprintf(stderr, "ocd: %s\n", st.msg);
        return cli_exit_code(st.code);
    }
    H5File *f = h5r_open(s.path, &st);
    char created[64] = "?";
    h5r_attr_str(f, "meta", "created", created, sizeof created);
    printf("session %s (created %s)\n", s.dir, created);
    printf("preset  %s\n", s.cfg.source[0] ? s.cfg.source : "(defaults)");
    /* what made the digits (sessions older than this record show nothing) */
    for (int i = 0; i < BUILDINFO_FIELDS; i++) {
        char val[256];
        if (h5r_attr_str(f, "meta", BUILDINFO_ATTRS[i], val, sizeof val)) printf("%-12s %s\n", BUILDINFO_ATTRS[i], val);
    }
    int n;
    const CfgKey *schema = config_schema(&n);
    printf("configuration (keys that differ from their defaults):\n");
    for (int i = 0; i < n; i++)
        if (strcmp(s.cfg.value[i], schema[i].def) != 0) printf("    %-24s %s\n", schema[i].key, s.cfg.value[i]);
    int ns;
    const char *const *stages = engine_stage_names(&ns);
    printf("stages:\n");
    for (int i = 0; i < ns; i++) {
        char work[700];
        session_work_path(&s, stages[i], work, sizeof work);
        if (session_stage_complete(&s, stages[i])) {
            char when[64] = "";
            h5r_attr_str(f, stages[i], "completed", when, sizeof when);
            printf("  %-10s complete (%s)\n", stages[i], when);
            print_metrics(f, stages[i]);
            print_fit(f, stages[i]);
        } else if (access(work, F_OK) == 0) {
            Status ws;
            status_clear(&ws);
            H5File *w = h5r_open(work, &ws);
            int64_t step = 0, total = 0;
            char ck[80];
            snprintf(ck, sizeof ck, "%s/checkpoint", stages[i]);
            if (w && h5r_attr_int(w, ck, "step", &step) && h5r_attr_int(w, stages[i], "total_steps", &total))
                printf("  %-10s running or stopped: checkpoint at step %lld of %lld (%s)\n", stages[i], (long long)step,
                       (long long)total, work);
            else
                printf("  %-10s running or stopped: %s (%s)\n", stages[i], w ? "no checkpoint yet" : ws.msg, work);
            h5r_close(w);
        } else {
            printf("  %-10s not started\n", stages[i]);
        }
    }
    h5r_close(f);
    printf("files: %s/session.h5 (h5dump shows it all), %s/session.log\n", s.dir, s.dir);
    session_end(&s);
    return 0;
}
