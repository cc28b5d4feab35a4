/* What a run needs before its stages: the device, the dataset and the base model, built from
 * a configuration. The engine thread uses them, and so does a probe (probe.h) that opens a
 * finished session. */
#ifndef OCD_SETUP_H
#define OCD_SETUP_H

#include "backend.h"
#include "bus.h"
#include "config.h"
#include "core/ctx.h"
#include "core/status.h"
#include "data/dataset.h"
#include "models/model.h"

/* run.device: cpu, cuda, auto (cuda when a device is usable) or cpu-guard; says which on
 * the bus */
const Backend *engine_pick_device(const Config *cfg, Bus *bus, Status *st);
/* the same for a device named outside a configuration */
const Backend *engine_pick_device_named(const char *want, Bus *bus, Status *st);
/* data.dataset from data.path (relative paths under asset_dir) */
int engine_load_data(const Config *cfg, const char *asset_dir, Dataset *ds, Status *st);
/* model.arch for the dataset; ERR_CONFIG when they do not fit */
Model *engine_make_model(Ctx *c, const Config *cfg, const Dataset *ds, Status *st);

#endif
