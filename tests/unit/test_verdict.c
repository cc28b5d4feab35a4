/* The words every front end prints about a session's verdict (sessview.h): whether the
 * generator learned (sessview_fit_verdict: its thresholds, the trained-on fallback of older
 * sessions, the other-sample baseline) and the "why" line (sessview_why_line: which opening
 * the OCD verdict gives, the fit's cosine, and each ceiling's relation to the base with its
 * interval), on hand-made views whose every number is known. */
#include "harness.h"

#include "sessview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SvFit fit_of(double held, double other)
{
    SvFit f;
    memset(&f, 0, sizeof f);
    f.have = 1;
    f.n_held = 256;
    f.held_cos_mean = held;
    f.train_cos_mean = held + 0.01;
    f.other_cos_mean = other;
    f.held_ratio_median = f.train_ratio_median = NAN;
    f.rho_rel_held = f.rho_rel_train = f.rho_logcorr_held = NAN;
    for (int i = 0; i < 3; i++) f.held_cos_q[i] = f.train_cos_q[i] = held;
    snprintf(f.target, sizeof f.target, "x0");
    return f;
}

TEST(the_fit_verdict_follows_its_thresholds_against_the_other_sample_baseline)
{
    SvFit f = fit_of(0.58, 0.05);
    CHECK(!strcmp(sessview_fit_verdict(&f), "learned"), "0.58 vs 0.05: %s", sessview_fit_verdict(&f));
    f = fit_of(0.49, 0.0);
    CHECK(!strcmp(sessview_fit_verdict(&f), "partly learned"), "0.49 (under 0.5): %s", sessview_fit_verdict(&f));
    f = fit_of(0.6, 0.45); /* high, but barely above what another sample's direction scores */
    CHECK(!strcmp(sessview_fit_verdict(&f), "partly learned"), "0.6 vs 0.45: %s", sessview_fit_verdict(&f));
    f = fit_of(0.13, 0.10);
    CHECK(!strcmp(sessview_fit_verdict(&f), "not learned"), "0.13 vs 0.10: %s", sessview_fit_verdict(&f));
    /* an older session: no held-out set, the trained-on mean decides */
    f = fit_of(NAN, NAN);
    f.n_held = 0;
    f.train_cos_mean = 0.7;
    CHECK(!strcmp(sessview_fit_verdict(&f), "learned"), "trained-on 0.7: %s", sessview_fit_verdict(&f));
    f.have = 0;
    CHECK(sessview_fit_verdict(&f) == NULL, "no fit: a verdict anyway");
    char line[512];
    sessview_fit_line(&f, line, sizeof line);
    CHECK(!strcmp(line, "generator fit: not measured"), "no fit: '%s'", line);
}

static SvRow row(const char *key, const char *verdict, double d, double lo, double hi)
{
    SvRow r;
    memset(&r, 0, sizeof r);
    snprintf(r.key, sizeof r.key, "%s", key);
    r.has_diff = verdict != NULL;
    if (verdict) snprintf(r.verdict[0], sizeof r.verdict[0], "%s", verdict);
    r.diff[0] = d;
    r.lo[0] = lo;
    r.hi[0] = hi;
    return r;
}

TEST(the_why_line_puts_the_fit_beside_both_ceilings_with_their_intervals)
{
    static SessView v; /* large: static, zeroed */
    memset(&v, 0, sizeof v);
    snprintf(v.metrics[0], sizeof v.metrics[0], "ce");
    v.rows[v.nrows++] = row("base", NULL, 0, 0, 0);
    v.rows[v.nrows++] = row("ocd", "no difference", 0.0001, -0.0002, 0.0004);
    v.rows[v.nrows++] = row("overfit_test_predicted", "no difference", -0.003, -0.01, 0.002);
    v.rows[v.nrows++] = row("overfit_test", "better", -0.0125, -0.0150, -0.0100);
    v.fit = fit_of(0.412, 0.05);
    char line[1024];
    sessview_why_line(&v, line, sizeof line);
    const char *want = "Why OCD does not beat the base model here: the generator partly learned its target (held-out "
                       "cosine 0.412); a perfect label-free generator (overfit toward the base model's own prediction) "
                       "is no different from the base model on ce (-0.00300 [-0.01000, +0.00200]); overfitting with the "
                       "true label (the bound that needs the label) is better than the base model (-0.01250 [-0.01500, "
                       "-0.01000]).";
    CHECK(!strcmp(line, want), "why line:\n%s\nwant\n%s", line, want);
    /* OCD better: the opening says so; a worse ceiling says "worse than" */
    v.rows[1] = row("ocd", "better", -0.002, -0.003, -0.001);
    v.rows[2] = row("overfit_test_predicted", "worse", 0.002, 0.001, 0.003);
    sessview_why_line(&v, line, sizeof line);
    CHECK(!strncmp(line, "Why OCD beats the base model here: ", 35) && strstr(line, "is worse than the base model on ce"),
          "OCD better, ceiling worse: %s", line);
    /* regression: no predicted-label row, only the fit and the true-target bound */
    snprintf(v.task, sizeof v.task, "regression");
    v.nrows = 2;
    v.rows[v.nrows++] = row("overfit_test", "better", -0.1, -0.12, -0.08);
    v.fit = fit_of(0.004, 0.003);
    sessview_why_line(&v, line, sizeof line);
    CHECK(strstr(line, "did not learn its target (held-out cosine 0.004)") && !strstr(line, "label-free") &&
              strstr(line, "; overfitting with the true target (the bound that needs the target)"),
          "regression: %s", line);
    /* neither a verdict nor a fit: nothing to say */
    v.nrows = 1;
    v.fit.have = 0;
    sessview_why_line(&v, line, sizeof line);
    CHECK(line[0] == 0, "nothing known, yet: '%s'", line);
}
