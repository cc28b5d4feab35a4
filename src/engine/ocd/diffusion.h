/* Training the weight-diffusion network (OCD-SPEC §2.4, Alg. 1) and loading a trained one. */
#ifndef OCD_DIFFUSION_H
#define OCD_DIFFUSION_H

#include "ocd/collect.h"
#include "ocd/schedule.h"
#include "ocd/wnet.h"

/* the schedule of the configuration; ERR_CONFIG when its sizes do not fit */
int diffusion_schedule(const Config *cfg, Schedule *s, Status *st);

/* Trains (or resumes) the network for collection k into group grp of the work file;
 * `steps` optimiser steps. */
int diffusion_train(StageEnv *env, Task *t, const Collected *k, const char *work, const char *grp, const char *stage,
                    int steps);
/* Builds the network of collection k and loads its sampled (EMA) weights from grp of `path`. */
int diffusion_load(StageEnv *env, const Collected *k, const char *path, const char *grp, WNet *w);

#endif
