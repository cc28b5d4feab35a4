/* Layer selection (select.c). */
#ifndef OCD_SELECT_H
#define OCD_SELECT_H

#include "ocd/stage.h"

int stage_select(StageEnv *env);
/* the committed choice: layer indices (runner_up -1 when there is none) */
int select_load(StageEnv *env, int *chosen, int *runner_up);

#endif
