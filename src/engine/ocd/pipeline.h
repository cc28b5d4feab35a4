/* The OCD training stages (pipeline.c). */
#ifndef OCD_PIPELINE_H
#define OCD_PIPELINE_H

#include "ocd/stage.h"

int stage_overfit(StageEnv *env);
int stage_diffusion(StageEnv *env);
int stage_scale(StageEnv *env);
int stage_alt(StageEnv *env);

#endif
