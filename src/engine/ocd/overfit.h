/* Per-sample overfitting (OCD-SPEC §2.3): starting from the base weights, K optimiser steps
 * on one layer, on one sample's loss alone. Batched: B samples at once, each with its own
 * copy of the layer through the per-sample linear op, so one forward/backward serves B
 * independent fits (Adam is elementwise, so one Adam over the B copies is B Adams). The
 * authors' choice is the default: Adam, the weight only (not the bias). Also the
 * all-layers variant (one sample at a time) and predictions with per-sample weights. */
#ifndef OCD_OVERFIT_H
#define OCD_OVERFIT_H

#include "ocd/task.h"

typedef struct {
    int layer;
    int steps;
    float lr;
    int adam;     /* 1: Adam (the authors), 0: plain gradient descent (the paper) */
    int64_t rays; /* NeRF: rays of the view per step (a fresh draw each step); ignored otherwise */
} OverfitCfg;

/* delta (B x out x in): the overfit weights minus the base; loss0/loss1 (B): each sample's loss
 * with the base weights and with its overfit weights (NeRF: on the last step's rays). Any of
 * loss0/loss1 may be NULL. key: NeRF ray draws (step k draws with key + k). */
int overfit_batch(Task *t, const OverfitCfg *oc, SplitId s, const int64_t *idx, int B, uint64_t key, float *delta,
                  float *loss0, float *loss1);
/* The same toward other targets: labels (B, class indices or standardised targets; not for
 * NeRF) replace the split's. The eval stage's "predicted label" row fits each test sample
 * toward the base model's own argmax: what a perfect label-free generator would reproduce. */
int overfit_batch_to(Task *t, const OverfitCfg *oc, SplitId s, const int64_t *idx, int B, const float *labels,
                     uint64_t key, float *delta, float *loss0, float *loss1);

/* Predictions of B samples with layer weights W + scale_b * delta_b (delta NULL: the base
 * model; scale NULL: 1). Classification: logits (B x K); regression: (B); NeRF: every ray
 * of each view (B x P x 3), rendered in chunks of model.nerf_chunk rays. */
int task_predict(Task *t, int layer, SplitId s, const int64_t *idx, int B, const float *delta, const float *scale,
                 float *pred);
/* floats of one sample's prediction */
int64_t task_pred_floats(const Task *t);

/* "Overfit on test, all layers": every parameter of the model, `steps` Adam steps (or GD) on
 * one sample, then its prediction; the weights are restored afterwards. */
int overfit_all_predict(Task *t, const OverfitCfg *oc, SplitId s, int64_t idx, uint64_t key, float *pred);

#endif
