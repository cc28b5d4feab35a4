/* The scale model rho(I(x)) (OCD-SPEC §2.5): the authors' Model_Scale, an MLP on the layer's
 * activation and one on its input (Linear+SiLU, ch -> 2ch -> 4ch each), concatenated, then
 * 8ch -> 4ch -> ch -> 1 and a sigmoid. Loss: scale.loss = code (the authors' relative error
 * in dB, 10 log10((p - rho)^2 / (rho^2 + 1e-12) + 1e-8)), paper (10 log10((p - rho)^2 / rho)),
 * logmse ((ln p - ln rho)^2), or mse ((p - rho)^2 / mean(rho)^2; not in the paper or the code:
 * the conditional mean of rho, which is what a shift's size should be). Trained after the diffusion network, on the same
 * collection (the authors train both in one loop; the result is the same kind of model).
 * The last bias starts at logit(mean rho), so training starts from the mean (a choice). */
#ifndef OCD_SCALE_H
#define OCD_SCALE_H

#include "ocd/collect.h"

typedef struct ScaleNet ScaleNet;

typedef enum { LOSS_CODE, LOSS_PAPER, LOSS_LOGMSE, LOSS_MSE } ScaleLoss;
/* the loss of one prediction p of rho r, and d(loss)/dp (LOSS_MSE: (p - r)^2, the caller
 * divides p and r by the collection's mean rho first) */
double scale_loss(ScaleLoss kind, double p, double r, double *dp);

ScaleNet *scalenet_create(Ctx *c, int dact, int din, int ch);
void scalenet_destroy(ScaleNet *s);
ParamSet *scalenet_params(ScaleNet *s);
/* predicted rho (B) to the host, for host conditioning arrays */
void scalenet_predict(Ctx *c, ScaleNet *s, const float *cact, const float *cin, int B, float *rho);

int scale_train(StageEnv *env, const Collected *k, const char *work, const char *grp, const char *stage);
int scale_load(StageEnv *env, const Collected *k, const char *path, const char *grp, ScaleNet **out);

#endif
