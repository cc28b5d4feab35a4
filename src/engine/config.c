/* The configuration schema and its validation; see config.h. Later stages add their keys
 * to the table below (one line each, with the doc the presets and `ocd presets --keys` show). */
#include "config.h"

#include "core/check.h"

#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BIG 1e18

static const CfgKey SCHEMA[] = {
    {"preset.name", CFG_STRING, "", 0, 0, NULL, "short name of the preset"},
    {"preset.description", CFG_STRING, "", 0, 0, NULL, "one line: what this preset runs"},
    {"run.seed", CFG_INT, "1", 0, 2147483647, NULL, "seed of every random draw (init, order, dropout, noise)"},
    {"run.threads", CFG_INT, "2", 1, 256, NULL, "CPU threads"},
    {"run.device", CFG_ENUM, "auto", 0, 0, "cpu|cuda|auto|cpu-guard", "where to compute (auto: CUDA when a GPU is present; cpu-guard: the CPU with device memory walled off from the host, a check for GPU-only mistakes)"},
    {"data.dataset", CFG_ENUM, "mnist", 0, 0, "mnist|california|nerf|cifar10|synthetic", "which dataset (synthetic: generated, no files)"},
    {"data.path", CFG_STRING, "data/mnist", 0, 0, NULL, "dataset folder or file, relative to assets/ (or absolute)"},
    {"data.train_limit", CFG_INT, "0", 0, BIG, NULL, "use only the first N training samples (0: all)"},
    {"data.test_limit", CFG_INT, "0", 0, BIG, NULL, "use only the first N test samples (0: all)"},
    {"data.split_seed", CFG_INT, "0", 0, 2147483647, NULL, "seed of the train/val/test split (tabular data)"},
    {"data.val_count", CFG_INT, "0", 0, BIG, NULL, "hold the last N training samples out as the validation split (0: none; not for datasets with their own)"},
    {"model.arch", CFG_ENUM, "lenet5", 0, 0, "lenet5|mlp|tinynerf|googlenet", "the base model"},
    {"model.hidden", CFG_INT, "256", 1, 65536, NULL, "MLP: width of the two hidden layers"},
    {"model.dropout", CFG_FLOAT, "0", 0, 0.95, NULL, "MLP: dropout after each hidden layer"},
    {"model.width_div", CFG_INT, "1", 1, 64, NULL, "GoogLeNet: divide every channel count (1: the real network)"},
    {"model.nerf_freqs", CFG_INT, "10", 1, 16, NULL, "TinyNeRF: positional-encoding frequencies (authors 10; tutorial 6)"},
    {"model.nerf_samples", CFG_INT, "32", 2, 512, NULL, "TinyNeRF: samples per ray (authors 32; tutorial 64)"},
    {"model.nerf_white_bkgd", CFG_BOOL, "true", 0, 0, NULL, "TinyNeRF: composite over white (the bundled views are)"},
    {"model.nerf_chunk", CFG_INT, "16384", 64, 1 << 24, NULL, "TinyNeRF: rays rendered per chunk (memory bound)"},
    {"base.epochs", CFG_INT, "4", 1, 100000, NULL, "base training: passes over the training set"},
    {"base.iters", CFG_INT, "0", 0, 10000000, NULL, "base training: optimizer steps instead of epochs (NeRF), 0: use epochs"},
    {"base.batch", CFG_INT, "64", 1, 1 << 20, NULL, "base training: batch size (NeRF: rays per step)"},
    {"base.optimizer", CFG_ENUM, "adam", 0, 0, "sgd|adam|adamw", "base training: optimizer"},
    {"base.lr", CFG_FLOAT, "1e-3", 1e-9, 10, NULL, "base training: learning rate"},
    {"base.momentum", CFG_FLOAT, "0.9", 0, 0.999, NULL, "base training: SGD momentum"},
    {"base.weight_decay", CFG_FLOAT, "0", 0, 1, NULL, "base training: weight decay (L2; decoupled for adamw)"},
    {"base.checkpoint_every", CFG_INT, "0", 0, 10000000, NULL,
     "base training: optimizer steps between checkpoints (0: once per epoch)"},
    {"base.eval_batch", CFG_INT, "1000", 1, 1 << 20, NULL, "evaluation batch size (NeRF: rays per chunk)"},
    {"select.samples", CFG_INT, "256", 1, 1 << 24, NULL, "select: training samples (NeRF: views) whose losses are scored"},
    {"select.draws", CFG_INT, "64", 2, 100000, NULL, "select: Gaussian perturbations of each layer per sample"},
    {"select.noise", CFG_FLOAT, "0.1", 1e-6, 100, NULL, "select: perturbation std, relative to the std of the layer's weights"},
    {"select.rays", CFG_INT, "256", 1, 1 << 24, NULL, "select (NeRF): rays of each view in its loss"},
    {"select.layer", CFG_STRING, "", 0, 0, NULL, "use this layer instead of the highest-scoring one (\"\": automatic)"},
    {"overfit.samples", CFG_INT, "0", 0, 1 << 30, NULL, "overfit: training samples to collect (0: all)"},
    {"overfit.steps", CFG_INT, "3", 0, 10000, NULL, "overfit: optimiser steps per sample (authors: 3 MNIST, 10 NeRF)"},
    {"overfit.lr", CFG_FLOAT, "5e-4", 1e-9, 10, NULL, "overfit: learning rate (authors: 5e-4 MNIST, 5e-3 NeRF)"},
    {"overfit.optimizer", CFG_ENUM, "adam", 0, 0, "adam|gd", "overfit: Adam (the authors' code) or plain gradient descent (the paper)"},
    {"overfit.batch", CFG_INT, "256", 1, 1 << 20, NULL, "overfit: samples overfit at once, each with its own layer copy"},
    {"overfit.rays", CFG_INT, "2048", 1, 1 << 24, NULL, "overfit (NeRF): rays of the view per step (all: 10000)"},
    {"overfit.store_mb", CFG_FLOAT, "1024", 0, 1e7, NULL, "overfit: store the directions up to this size; above it they are remade on the fly"},
    {"overfit.checkpoint_seconds", CFG_FLOAT, "30", 0, 1e7, NULL, "overfit: seconds between checkpoints of a long collection"},
    {"diffusion.schedule", CFG_ENUM, "official", 0, 0, "official|paper", "official: T=1000, DDIM sampling; paper: T=10, ancestral (OCD-SPEC 3)"},
    {"diffusion.T", CFG_INT, "1000", 1, 10000, NULL, "diffusion: training timesteps (paper: 10)"},
    {"diffusion.beta_start", CFG_FLOAT, "1e-6", 1e-9, 0.5, NULL, "diffusion: first beta (official 1e-6, paper 1e-4)"},
    {"diffusion.beta_end", CFG_FLOAT, "1e-2", 1e-9, 0.999, NULL, "diffusion: last beta"},
    {"diffusion.sample_steps", CFG_INT, "10", 1, 1000, NULL, "diffusion: DDIM sampling steps (official schedule)"},
    {"diffusion.normalise", CFG_ENUM, "std", 0, 0, "std|l2", "divide the shift by the std of its entries (authors) or its L2 norm (paper)"},
    {"diffusion.ch", CFG_INT, "8", 1, 1024, NULL, "U-Net base channels (paper: 128)"},
    {"diffusion.ch_mult", CFG_STRING, "1,2,2", 0, 0, NULL, "U-Net channel multipliers per level (paper: 1,1,2,2,4,4)"},
    {"diffusion.res_blocks", CFG_INT, "1", 1, 3, NULL, "U-Net residual blocks per level (paper: 2)"},
    {"diffusion.attn_res", CFG_STRING, "", 0, 0, NULL, "U-Net: image sizes (larger side) with attention (paper: 16)"},
    {"diffusion.mid_attn", CFG_INT, "1", 0, 2, NULL, "U-Net: attention blocks in the middle (code 1, paper 2)"},
    {"diffusion.dropout", CFG_FLOAT, "0.1", 0, 0.95, NULL, "U-Net dropout while training (authors: 0.4 MNIST, 0.2 NeRF)"},
    {"diffusion.sample_dropout", CFG_BOOL, "false", 0, 0, NULL, "keep dropout on while sampling (the authors' code never sets eval mode)"},
    {"diffusion.pad", CFG_INT, "0", 0, 4096, NULL, "pad the weight matrix to an N x N image (authors 128); 0: the smallest that fits"},
    {"diffusion.cond_maps", CFG_BOOL, "false", 0, 0, NULL, "also feed the activation along rows and the input along columns as image channels (not in the paper)"},
    {"diffusion.rc_maps", CFG_INT, "0", 0, 64, NULL, "k learned row and column maps from the conditioning embedding as 2k more image channels (0: none; not in the paper)"},
    {"diffusion.rc_hidden", CFG_INT, "0", 0, 4096, NULL, "with rc_maps: a hidden SiLU layer of this width between the embedding and the maps (0: none)"},
    {"diffusion.rc_product", CFG_BOOL, "false", 0, 0, NULL, "with rc_maps: also the k products row x column (rank-k outer products) as k more channels"},
    {"diffusion.target", CFG_ENUM, "eps", 0, 0, "eps|x0", "what the network predicts: the noise (DDPM, the paper) or the clean direction Omega_0"},
    {"diffusion.holdout", CFG_INT, "256", 0, 1 << 20, NULL, "overfit samples held out of diffusion and scale training to measure the generator's fit (at most a quarter of them)"},
    {"diffusion.fit_samples", CFG_INT, "256", 0, 1 << 20, NULL, "training samples on which the fit is measured beside the held-out ones"},
    {"diffusion.steps", CFG_INT, "2000", 1, 100000000, NULL, "diffusion: optimiser steps"},
    {"diffusion.batch", CFG_INT, "8", 1, 65536, NULL, "diffusion: samples per micro-batch"},
    {"diffusion.accum", CFG_INT, "1", 1, 1024, NULL, "diffusion: micro-batches per optimiser step (authors: batch 1 x 8)"},
    {"diffusion.lr", CFG_FLOAT, "2e-4", 1e-9, 1, NULL, "diffusion: Adam learning rate (code 2e-4, paper 1e-4)"},
    {"diffusion.clip", CFG_FLOAT, "1.0", 0, 1e9, NULL, "diffusion: gradient-norm clipping (0: none)"},
    {"diffusion.ema", CFG_FLOAT, "0.9999", 0, 1, NULL, "diffusion: EMA decay of the weights that are sampled"},
    {"diffusion.ema_warmup", CFG_BOOL, "true", 0, 0, NULL, "diffusion: EMA decay min(ema, (1+n)/(10+n)) after n steps"},
    {"diffusion.checkpoint_every", CFG_INT, "500", 0, 100000000, NULL, "diffusion: optimiser steps between checkpoints"},
    {"diffusion.log_every", CFG_INT, "50", 1, 100000000, NULL, "diffusion: optimiser steps per point of the loss curve"},
    {"scale.ch", CFG_INT, "32", 1, 4096, NULL, "scale model width (authors: 128 MNIST, 32 NeRF)"},
    {"scale.loss", CFG_ENUM, "code", 0, 0, "code|paper|logmse|mse", "scale loss: the authors' relative error in dB, the paper's, MSE of log rho, or MSE of rho"},
    {"scale.lr", CFG_FLOAT, "1e-3", 1e-9, 1, NULL, "scale: Adam learning rate"},
    {"scale.steps", CFG_INT, "2000", 1, 100000000, NULL, "scale: optimiser steps"},
    {"scale.batch", CFG_INT, "32", 1, 65536, NULL, "scale: samples per step"},
    {"alt.enabled", CFG_BOOL, "true", 0, 0, NULL, "run the pipeline on the runner-up layer too (the alternative-layer ablation)"},
    {"alt.diffusion_steps", CFG_INT, "0", 0, 100000000, NULL, "alt: diffusion steps (0: as diffusion.steps)"},
    {"eval.test_limit", CFG_INT, "0", 0, 1 << 30, NULL, "eval: test samples (0: all)"},
    {"eval.repeats", CFG_INT, "3", 1, 1000, NULL, "eval: seeds of the sampled methods (mean and SD)"},
    {"eval.ensemble", CFG_INT, "5", 1, 64, NULL, "eval: draws of the ensemble and the mean network"},
    {"eval.batch", CFG_INT, "32", 1, 65536, NULL, "eval: test samples per batch"},
    {"eval.tent", CFG_BOOL, "true", 0, 0, NULL, "eval: the Tent baselines (classification)"},
    {"eval.tent_lr", CFG_FLOAT, "1e-3", 1e-9, 10, NULL, "eval: Tent's Adam learning rate"},
    {"eval.bootstrap", CFG_INT, "2000", 1000, 1000000, NULL, "eval: resamples of the paired bootstrap intervals (method minus base)"},
    {"eval.costly_limit", CFG_INT, "0", 0, 1 << 30, NULL, "eval: test samples of the costly methods (the generator's rows: E sampler runs per sample and repeat; overfit on test, all layers; 0: as every method)"},
};

enum { NKEYS = (int)(sizeof SCHEMA / sizeof SCHEMA[0]) };

const CfgKey *config_schema(int *n)
{
    *n = NKEYS;
    return SCHEMA;
}

static int key_index(const char *key)
{
    for (int i = 0; i < NKEYS; i++)
        if (strcmp(SCHEMA[i].key, key) == 0) return i;
    return -1;
}

int config_init(Config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n = NKEYS;
    cfg->value = calloc(NKEYS, sizeof *cfg->value);
    ENG_CHECK_ALLOC(cfg->value);
    for (int i = 0; i < NKEYS; i++) snprintf(cfg->value[i], CFG_VALUE_LEN, "%s", SCHEMA[i].def);
    return 0;
}

void config_copy(Config *dst, const Config *src)
{
    config_init(dst);
    memcpy(dst->value, src->value, sizeof *dst->value * (size_t)src->n);
    snprintf(dst->source, sizeof dst->source, "%s", src->source);
}

void config_preset_path(const char *arg, const char *asset_dir, char *buf, size_t len)
{
    const size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 4 && !strcmp(arg + n - 4, ".ini")))
        snprintf(buf, len, "%s", arg);
    else
        snprintf(buf, len, "%s/presets/%s.ini", asset_dir, arg);
}

void config_free(Config *cfg)
{
    free(cfg->value);
    cfg->value = NULL;
    cfg->n = 0;
}

/* the valid keys of a section, for an error message */
static void section_keys(const char *section, char *buf, size_t len)
{
    size_t used = 0, sl = strlen(section);
    buf[0] = 0;
    for (int i = 0; i < NKEYS && used + 2 < len; i++)
        if (strncmp(SCHEMA[i].key, section, sl) == 0 && SCHEMA[i].key[sl] == '.')
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", SCHEMA[i].key + sl + 1);
    if (!used) {
        for (int i = 0; i < NKEYS && used + 2 < len; i++) {
            const char *dot = strchr(SCHEMA[i].key, '.');
            int seen = 0;
            for (int j = 0; j < i; j++) seen |= strncmp(SCHEMA[j].key, SCHEMA[i].key, (size_t)(dot - SCHEMA[i].key) + 1) == 0;
            if (!seen)
                used += (size_t)snprintf(buf + used, len - used, "%s[%.*s]", used ? ", " : "sections: ",
                                         (int)(dot - SCHEMA[i].key), SCHEMA[i].key);
        }
    }
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) *out = 1;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0")) *out = 0;
    else return -1;
    return 0;
}

int config_set_kv(Config *cfg, const char *key, const char *value, const char *where, Status *st)
{
    const int i = key_index(key);
    if (i < 0) {
        char section[64], keys[1024];
        const char *dot = strchr(key, '.');
        snprintf(section, sizeof section, "%.*s", dot ? (int)(dot - key) : (int)strlen(key), key);
        section_keys(section, keys, sizeof keys);
        return status_fail(st, ERR_CONFIG, "%s: unknown key '%s'; valid keys in [%s]: %s", where, key, section,
                           keys[0] ? keys : "(none)");
    }
    const CfgKey *k = &SCHEMA[i];
    char *end = NULL;
    switch (k->type) {
    case CFG_INT: {
        long long v = strtoll(value, &end, 10);
        if (!*value || *end || (double)v < k->lo || (double)v > k->hi)
            return status_fail(st, ERR_CONFIG, "%s: %s = '%s' is not an integer in [%.0f, %.0f] (%s)", where, key, value,
                               k->lo, k->hi, k->doc);
        break;
    }
    case CFG_FLOAT: {
        double v = strtod(value, &end);
        if (!*value || *end || !isfinite(v) || v < k->lo || v > k->hi)
            return status_fail(st, ERR_CONFIG, "%s: %s = '%s' is not a number in [%g, %g] (%s)", where, key, value,
                               k->lo, k->hi, k->doc);
        break;
    }
    case CFG_ENUM: {
        char opts[256];
        snprintf(opts, sizeof opts, "|%s|", k->choices);
        char probe[CFG_VALUE_LEN + 2];
        snprintf(probe, sizeof probe, "|%s|", value);
        if (!*value || strstr(opts, probe) == NULL)
            return status_fail(st, ERR_CONFIG, "%s: %s = '%s' is not one of %s", where, key, value, k->choices);
        break;
    }
    case CFG_BOOL: {
        int b;
        if (parse_bool(value, &b))
            return status_fail(st, ERR_CONFIG, "%s: %s = '%s' is not true or false", where, key, value);
        value = b ? "true" : "false";
        break;
    }
    case CFG_STRING: break;
    }
    if (strlen(value) >= CFG_VALUE_LEN)
        return status_fail(st, ERR_CONFIG, "%s: %s: value longer than %d characters", where, key, CFG_VALUE_LEN - 1);
    snprintf(cfg->value[i], CFG_VALUE_LEN, "%s", value);
    return 0;
}

typedef struct {
    Config *cfg;
    Status *st;
    const char *path;
} IniCtx;

static int preset_line(void *user, const char *section, const char *name, const char *value)
{
    IniCtx *ic = user;
    char key[160];
    snprintf(key, sizeof key, "%s.%s", section, name);
    /* the line is unknown here: ini_parse returns it, and the caller adds it */
    return config_set_kv(ic->cfg, key, value, ic->path, ic->st) == 0;
}

int config_load(Config *cfg, const char *path, Status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) return status_fail(st, ERR_IO, "%s: cannot open the preset", path);
    IniCtx ic = {cfg, st, path};
    Status inner;
    status_clear(&inner);
    ic.st = &inner;
    int line = ini_parse_file(f, preset_line, &ic);
    fclose(f);
    if (line != 0) {
        if (inner.code != ERR_NONE) /* prefix the message's "path:" with "path, line N:" */
            return status_fail(st, inner.code, "%s, line %d%s", path, line, inner.msg + strlen(path));
        return status_fail(st, ERR_CONFIG, "%s, line %d: not a 'key = value' line or [section]", path, line);
    }
    snprintf(cfg->source, sizeof cfg->source, "%s", path);
    return 0;
}

int config_set(Config *cfg, const char *assignment, Status *st)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return status_fail(st, ERR_CONFIG, "--set %s: expected section.key=value", assignment);
    char key[160];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    char where[200];
    snprintf(where, sizeof where, "--set %s", assignment);
    return config_set_kv(cfg, key, eq + 1, where, st);
}

static int must_index(const char *key)
{
    int i = key_index(key);
    ENG_ASSERT(i >= 0, "config: no key '%s' in the schema", key);
    return i;
}

int cfg_int(const Config *cfg, const char *key) { return (int)strtoll(cfg->value[must_index(key)], NULL, 10); }
double cfg_float(const Config *cfg, const char *key) { return strtod(cfg->value[must_index(key)], NULL); }
const char *cfg_str(const Config *cfg, const char *key) { return cfg->value[must_index(key)]; }

int cfg_bool(const Config *cfg, const char *key)
{
    int b = 0;
    parse_bool(cfg->value[must_index(key)], &b);
    return b;
}

/* the first stage whose result a key decides: base 0, select 1, overfit 2, diffusion 3,
 * scale 4, alt 5, eval 6; -1 for keys that decide none */
static int key_stage(const char *key)
{
    static const struct {
        const char *prefix;
        int stage;
    } map[] = {{"preset.", -1}, {"run.threads", -1}, {"run.device", -1}, {"run.", 0},     {"data.", 0},
               {"model.", 0},   {"base.", 0},         {"select.", 1},     {"overfit.", 2}, {"diffusion.normalise", 2},
               {"diffusion.", 3}, {"scale.", 4},      {"alt.", 5},        {"eval.", 6}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(key, map[i].prefix, strlen(map[i].prefix))) return map[i].stage;
    return 0;
}

int config_diff_upto(const Config *a, const Config *b, int upto, char *buf, size_t len)
{
    int n = 0;
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < NKEYS; i++) {
        const int ks = key_stage(SCHEMA[i].key);
        /* alt re-runs overfit, diffusion and scale on another layer: their keys decide it too */
        if (ks < 0 || ks > upto) continue;
        if (strcmp(a->value[i], b->value[i]) != 0) {
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", n ? ", " : "", SCHEMA[i].key);
            n++;
        }
    }
    return n;
}

int config_diff(const Config *a, const Config *b, char *buf, size_t len)
{
    int n = 0;
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < NKEYS; i++)
        if (strcmp(a->value[i], b->value[i]) != 0) {
            if (used + 2 < len)
                used += (size_t)snprintf(buf + used, len - used, "%s%s (%s vs %s)", n ? ", " : "", SCHEMA[i].key,
                                         a->value[i], b->value[i]);
            n++;
        }
    return n;
}
