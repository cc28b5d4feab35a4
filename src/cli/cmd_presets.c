/* `ocd presets [--keys]`: the bundled presets with their descriptions, and every key a
 * preset may set with its default, range and meaning. */
#include "cli.h"

#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int cmd_presets(int argc, char **argv)
{
    if (argc == 1 && !strcmp(argv[0], "--keys")) {
        int n;
        const CfgKey *k = config_schema(&n);
        for (int i = 0; i < n; i++) {
            char range[96] = "";
            if (k[i].type == CFG_INT || k[i].type == CFG_FLOAT) snprintf(range, sizeof range, " [%g, %g]", k[i].lo, k[i].hi);
            if (k[i].type == CFG_ENUM) snprintf(range, sizeof range, " {%s}", k[i].choices);
            if (k[i].type == CFG_BOOL) snprintf(range, sizeof range, " {true|false}");
            printf("%-26s = %-10s%s\n    %s\n", k[i].key, k[i].def[0] ? k[i].def : "\"\"", range, k[i].doc);
        }
        return 0;
    }
    if (argc != 0) {
        fprintf(stderr, "usage: ocd presets [--keys]\n");
        return 2;
    }
    char dir[600];
    snprintf(dir, sizeof dir, "%s/presets", cli_asset_dir());
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "ocd: %s: cannot read the presets folder\n", dir);
        return 2;
    }
    char names[64][128];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 64) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".ini")) snprintf(names[count++], 128, "%.*s", (int)(n - 4), e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], by_name);
    for (int i = 0; i < count; i++) {
        Config cfg;
        Status st;
        status_clear(&st);
        config_init(&cfg);
        char path[1024];
        snprintf(path, sizeof path, "%.600s/%.127s.ini", dir, names[i]);
        if (config_load(&cfg, path, &st) == 0)
            printf("%-20s %s%s\n", names[i], cfg_str(&cfg, "preset.description"),
                   !strcmp(names[i], "mnist-lenet5") ? "  [default]" : "");
        else
            printf("%-20s (invalid: %s)\n", names[i], st.msg);
        config_free(&cfg);
    }
    return 0;
}
