/* Run configuration: a schema of every key a preset may set (type, default, range, what it
 * does), filled from a preset INI file (inih) and then from --set overrides. Every value is
 * validated against the schema; an unknown key or a bad value is an ERR_CONFIG that names
 * the file and line (or the override) and lists the valid keys or the valid range. The
 * resolved configuration is what a session stores in /config. */
#ifndef OCD_CONFIG_H
#define OCD_CONFIG_H

#include "core/status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CFG_INT, CFG_FLOAT, CFG_STRING, CFG_ENUM, CFG_BOOL } CfgType;

typedef struct {
    const char *key;     /* "section.name" */
    CfgType type;
    const char *def;     /* default, as text */
    double lo, hi;       /* numeric range (inclusive) */
    const char *choices; /* enum: "a|b|c" */
    const char *doc;     /* one line */
} CfgKey;

enum { CFG_VALUE_LEN = 256 };

typedef struct Config {
    int n;                      /* = the schema's size */
    char (*value)[CFG_VALUE_LEN]; /* resolved values, in schema order */
    char source[256];           /* the preset file */
} Config;

const CfgKey *config_schema(int *n);

/* Defaults for every key. */
int config_init(Config *cfg);
void config_free(Config *cfg);
/* a new Config (config_init'ed by this call) holding src's values and source */
void config_copy(Config *dst, const Config *src);
/* a preset argument as a file: a name is assets/presets/NAME.ini, a path (a '/' or .ini) as is */
void config_preset_path(const char *arg, const char *asset_dir, char *buf, size_t len);
/* Reads a preset file over the current values. */
int config_load(Config *cfg, const char *path, Status *st);
/* "section.name=value" */
int config_set(Config *cfg, const char *assignment, Status *st);
int config_set_kv(Config *cfg, const char *key, const char *value, const char *where, Status *st);

/* Typed getters; an unknown key is a programming error (abort). */
int cfg_int(const Config *cfg, const char *key);
double cfg_float(const Config *cfg, const char *key);
const char *cfg_str(const Config *cfg, const char *key);
int cfg_bool(const Config *cfg, const char *key);

/* Keys that decide the result of pipeline stage `upto` (0 base, 1 select, ... in the
 * engine's order) and every stage before it, whose values differ between a and b
 * (comma-separated into buf); returns their count. The preset's name and description, the
 * thread count and the device do not count. */
int config_diff_upto(const Config *a, const Config *b, int upto, char *buf, size_t len);

/* Keys whose values differ between two configurations, comma-separated, into buf. */
int config_diff(const Config *a, const Config *b, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
