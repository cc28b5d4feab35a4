/* See paper.h. One pass of inih over the file collects the sections of the preset asked
 * for; a `numbers = OTHER` line makes a second pass collect OTHER's method rows. A line that
 * continues the value above it (inih calls the handler again with the same name) is
 * appended to it. */
#include "paper.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    PaperNumbers *p;
    const char *want; /* the preset whose sections are read */
    int rows_only;    /* second pass: method rows only */
    char numbers[64]; /* `numbers =` of the preset's section */
    char last_section[160], last_name[64];
    int found;
    const char *path;
    Status *st;
    int bad_line; /* the handler's own error (inih returns the line) */
} PaperParse;

/* a value, or (cont) the next line of the value above */
static void put(char *dst, size_t len, const char *value, int cont)
{
    if (!cont) dst[0] = 0;
    const size_t n = strlen(dst);
    snprintf(dst + n, len - n, "%s%s", n ? " " : "", value);
}

/* "0.080 ± 0.009", "99.2% ± 0.1", "0.4990 0.0030": mean and SD in our units */
static int parse_value(const char *s, double *mean, double *sd)
{
    char *end;
    errno = 0;
    *mean = strtod(s, &end);
    if (end == s || errno) return -1;
    double div = 1;
    if (*end == '%') div = 100, end++;
    while (*end == ' ')
        end++;
    if (!strncmp(end, "±", strlen("±")))
        end += strlen("±");
    else if (!strncmp(end, "+-", 2))
        end += 2;
    char *e2;
    *sd = strtod(end, &e2);
    if (e2 == end) return -1;
    while (*e2 == ' ')
        e2++;
    if (*e2) return -1;
    *mean /= div;
    *sd /= div;
    return 0;
}

static PaperRow *row_for(PaperNumbers *p, const char *method)
{
    for (int i = 0; i < p->nrows; i++)
        if (!strcmp(p->row[i].method, method)) return &p->row[i];
    if (p->nrows == PAPER_MAX_ROWS) return NULL;
    PaperRow *r = &p->row[p->nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    return r;
}

static int on_line(void *user, const char *section, const char *name, const char *value)
{
    PaperParse *pp = user;
    PaperNumbers *p = pp->p;
    const size_t wl = strlen(pp->want);
    const int cont = !strcmp(section, pp->last_section) && !strcmp(name, pp->last_name);
    snprintf(pp->last_section, sizeof pp->last_section, "%s", section);
    snprintf(pp->last_name, sizeof pp->last_name, "%s", name);
    if (strncmp(section, pp->want, wl) || (section[wl] != 0 && section[wl] != '/')) return 1;
    pp->found = 1;
    if (section[wl] == 0) { /* the preset's own section */
        if (pp->rows_only) return 1;
        if (!strcmp(name, "experiment"))
            put(p->experiment, sizeof p->experiment, value, cont);
        else if (!strcmp(name, "source"))
            put(p->source, sizeof p->source, value, cont);
        else if (!strcmp(name, "note"))
            put(p->note, sizeof p->note, value, cont);
        else if (!strcmp(name, "numbers"))
            snprintf(pp->numbers, sizeof pp->numbers, "%s", value);
        else if (!strncmp(name, "deviation", 9)) {
            if (!cont && p->ndeviations == PAPER_MAX_DEVIATIONS) return 1;
            if (!cont) p->ndeviations++;
            if (p->ndeviations > 0) put(p->deviation[p->ndeviations - 1], sizeof p->deviation[0], value, cont);
        } else {
            status_fail(pp->st, ERR_FORMAT,
                        "%s: [%s]: unknown key '%s' (experiment, source, note, numbers, deviationN)", pp->path, section,
                        name);
            return 0;
        }
        return 1;
    }
    PaperRow *r = row_for(p, section + wl + 1);
    if (!r) return 1;
    if (!strcmp(name, "note")) {
        put(r->note, sizeof r->note, value, cont);
        return 1;
    }
    if (r->nmetrics == PAPER_MAX_METRICS) {
        status_fail(pp->st, ERR_FORMAT, "%s: [%s]: more than %d metrics", pp->path, section, PAPER_MAX_METRICS);
        return 0;
    }
    const int m = r->nmetrics;
    if (parse_value(value, &r->mean[m], &r->sd[m])) {
        status_fail(pp->st, ERR_FORMAT, "%s: [%s] %s = '%s': expected MEAN ± SD (e.g. 0.080 ± 0.009 or 99.2%% ± 0.1)",
                    pp->path, section, name, value);
        return 0;
    }
    snprintf(r->metric[m], sizeof r->metric[m], "%s", name);
    snprintf(r->text[m], sizeof r->text[m], "%s", value);
    r->nmetrics++;
    return 1;
}

static int parse(const char *path, PaperParse *pp, Status *st)
{
    FILE *f = fopen(path, "r");
    if (!f) return status_fail(st, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    const int line = ini_parse_file(f, on_line, pp);
    fclose(f);
    if (line == 0) return 0;
    if (!status_ok(st)) { /* the handler's message; add the line */
        char msg[sizeof st->msg];
        snprintf(msg, sizeof msg, "%s", st->msg);
        status_clear(st);
        return status_fail(st, ERR_FORMAT, "%s (line %d)", msg, line);
    }
    return status_fail(st, ERR_FORMAT, "%s:%d: not an INI line (section, key = value, or a comment)", path, line);
}

int paper_load(const char *path, const char *preset, PaperNumbers *p, Status *st)
{
    memset(p, 0, sizeof *p);
    snprintf(p->preset, sizeof p->preset, "%s", preset);
    PaperParse pp = {.p = p, .want = preset, .path = path, .st = st};
    if (parse(path, &pp, st)) return -1;
    if (!pp.found) return 0;
    if (pp.numbers[0] && strcmp(pp.numbers, preset)) {
        PaperParse p2 = {.p = p, .want = pp.numbers, .rows_only = 1, .path = path, .st = st};
        if (parse(path, &p2, st)) return -1;
        if (!p2.found)
            return status_fail(st, ERR_FORMAT, "%s: [%s] numbers = %s: no such section", path, preset, pp.numbers);
    }
    return 1;
}

const PaperRow *paper_row(const PaperNumbers *p, const char *method)
{
    for (int i = 0; i < p->nrows; i++)
        if (!strcmp(p->row[i].method, method)) return &p->row[i];
    return NULL;
}

int paper_metric(const PaperRow *r, const char *metric)
{
    for (int i = 0; r && i < r->nmetrics; i++)
        if (!strcmp(r->metric[i], metric)) return i;
    return -1;
}
