/* Noise schedules and samplers of the weight diffusion (OCD-SPEC §3).
 *
 * "official" (the authors' code, the default): T = 1000 training steps, beta linear from
 * 1e-6 to 1e-2, model timesteps t = 0..999; sampling by DDIM (eta = 0) over `steps` evenly
 * spaced timesteps (10: t = 900, 800, ..., 0), the last step returning x0-hat exactly.
 * "paper" (Alg. 1/2 of the paper, typos resolved): T = 10, beta_t linear from 1e-4 to 1e-2
 * for t = 1..T, ancestral DDPM sampling over every t with the beta-tilde noise term.
 *
 * A sampling step is x_next = a x + b eps_hat + c z (z ~ N(0, I)); a, b, c and the model's
 * timestep are precomputed per step, in execution order, so a sampler on any device is three
 * axpbys per step and the UI can step through it. */
#ifndef OCD_SCHEDULE_H
#define OCD_SCHEDULE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SCHED_OFFICIAL, SCHED_PAPER } SchedKind;

enum { SCHED_MAX_T = 10000, SCHED_MAX_STEPS = 1000 };

typedef struct {
    SchedKind kind;
    int T;                         /* training timesteps */
    int t_lo;                      /* the smallest model timestep: 0 (official) or 1 (paper) */
    double beta[SCHED_MAX_T];      /* index t - t_lo */
    double alpha_bar[SCHED_MAX_T]; /* prod_{k <= t} (1 - beta_k) */
    int nsteps;                    /* sampling steps */
    int t_model[SCHED_MAX_STEPS];  /* the timestep given to the model at each step */
    double a[SCHED_MAX_STEPS], b[SCHED_MAX_STEPS], c[SCHED_MAX_STEPS];
} Schedule;

/* official: T = 1000 (beta 1e-6 .. 1e-2), DDIM over sample_steps (T must be a multiple);
 * paper: T (beta 1e-4 .. 1e-2), ancestral over all T (sample_steps is ignored). Returns -1
 * (with nothing set) for sizes out of range. */
int schedule_make(Schedule *s, SchedKind kind, int T, double beta_start, double beta_end, int sample_steps);

/* Replaces the sampling steps by ancestral DDPM over every training timestep (the paper's
 * sampler; for the official schedule, 1000 steps instead of DDIM's few): the workbench's
 * stepper offers both samplers on one trained network. -1 when T exceeds SCHED_MAX_STEPS. */
int schedule_ancestral(Schedule *s);

/* alpha-bar of a model timestep (t_lo .. t_lo + T - 1); 1 for t_lo - 1 (no noise) */
double schedule_alpha_bar(const Schedule *s, int t);

/* the model timestep of a uniform draw u in [0, 1) (training) */
int schedule_draw_t(const Schedule *s, double u);

/* x0-hat from x_t and the predicted noise at model timestep t (what the stepper shows):
 * x0 = x_t / sqrt(ab) - sqrt(1 - ab) / sqrt(ab) * eps; returns the two coefficients */
void schedule_x0_coef(const Schedule *s, int t, double *cx, double *ceps);

#ifdef __cplusplus
}
#endif

#endif
