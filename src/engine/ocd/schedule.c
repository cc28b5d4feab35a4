/* Noise schedules; see schedule.h. Everything in double: the coefficients are computed once
 * and the recursions (alpha-bar products) are long. */
#include "ocd/schedule.h"

#include <math.h>
#include <string.h>

static void linear_betas(Schedule *s, double lo, double hi)
{
    for (int i = 0; i < s->T; i++) s->beta[i] = s->T == 1 ? lo : lo + (hi - lo) * (double)i / (double)(s->T - 1);
    double ab = 1.0;
    for (int i = 0; i < s->T; i++) {
        ab *= 1.0 - s->beta[i];
        s->alpha_bar[i] = ab;
    }
}

double schedule_alpha_bar(const Schedule *s, int t)
{
    const int i = t - s->t_lo;
    if (i < 0) return 1.0;
    if (i >= s->T) return s->alpha_bar[s->T - 1];
    return s->alpha_bar[i];
}

int schedule_make(Schedule *s, SchedKind kind, int T, double beta_start, double beta_end, int sample_steps)
{
    if (T < 1 || T > SCHED_MAX_T || !(beta_start > 0) || !(beta_end < 1) || beta_start > beta_end) return -1;
    if (kind == SCHED_OFFICIAL && (sample_steps < 1 || sample_steps > SCHED_MAX_STEPS || T % sample_steps)) return -1;
    if (kind == SCHED_PAPER && T > SCHED_MAX_STEPS) return -1;
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->T = T;
    s->t_lo = kind == SCHED_OFFICIAL ? 0 : 1;
    linear_betas(s, beta_start, beta_end);
    if (kind == SCHED_OFFICIAL) {
        /* DDIM, eta = 0 (ermongroup/ddim generalized_steps): seq = 0, skip, ..., run backwards;
         * x0 = (x - sqrt(1-ab) e) / sqrt(ab); x_next = sqrt(ab_n) x0 + sqrt(1-ab_n) e */
        const int skip = T / sample_steps;
        s->nsteps = sample_steps;
        for (int i = 0; i < sample_steps; i++) {
            const int t = (sample_steps - 1 - i) * skip, tn = t - skip;
            const double ab = schedule_alpha_bar(s, t), abn = tn < 0 ? 1.0 : schedule_alpha_bar(s, tn);
            s->t_model[i] = t;
            s->a[i] = sqrt(abn) / sqrt(ab);
            s->b[i] = sqrt(1.0 - abn) - sqrt(abn) * sqrt(1.0 - ab) / sqrt(ab);
            s->c[i] = 0.0;
        }
    } else {
        /* ancestral DDPM: x_{t-1} = (x_t - beta_t / sqrt(1-ab_t) e) / sqrt(alpha_t) + [t>1] sqrt(bt~) z */
        s->nsteps = T;
        for (int i = 0; i < T; i++) {
            const int t = T - i; /* T .. 1 */
            const double beta = s->beta[t - 1], alpha = 1.0 - beta;
            const double ab = schedule_alpha_bar(s, t), abp = schedule_alpha_bar(s, t - 1);
            s->t_model[i] = t;
            s->a[i] = 1.0 / sqrt(alpha);
            s->b[i] = -beta / (sqrt(1.0 - ab) * sqrt(alpha));
            s->c[i] = t > 1 ? sqrt((1.0 - abp) / (1.0 - ab) * beta) : 0.0;
        }
    }
    return 0;
}

int schedule_ancestral(Schedule *s)
{
    if (s->T > SCHED_MAX_STEPS) return -1;
    /* the paper branch above, written over timestep indices k = T-1 .. 0 so that it serves
     * either kind (model timestep t_lo + k) */
    s->nsteps = s->T;
    for (int i = 0; i < s->T; i++) {
        const int k = s->T - 1 - i;
        const double beta = s->beta[k], alpha = 1.0 - beta;
        const double ab = s->alpha_bar[k], abp = k > 0 ? s->alpha_bar[k - 1] : 1.0;
        s->t_model[i] = s->t_lo + k;
        s->a[i] = 1.0 / sqrt(alpha);
        s->b[i] = -beta / (sqrt(1.0 - ab) * sqrt(alpha));
        s->c[i] = k > 0 ? sqrt((1.0 - abp) / (1.0 - ab) * beta) : 0.0;
    }
    return 0;
}

int schedule_draw_t(const Schedule *s, double u)
{
    int i = (int)(u * s->T);
    if (i >= s->T) i = s->T - 1;
    if (i < 0) i = 0;
    return s->t_lo + i;
}

void schedule_x0_coef(const Schedule *s, int t, double *cx, double *ceps)
{
    const double ab = schedule_alpha_bar(s, t);
    *cx = 1.0 / sqrt(ab);
    *ceps = -sqrt(1.0 - ab) / sqrt(ab);
}
