/* See setup.h. */
#include "setup.h"

#include "models/googlenet.h"
#include "models/lenet5.h"
#include "models/mlp.h"

#include <stdio.h>
#include <string.h>

Model *tinynerf_from_config(Ctx *c, const Config *cfg, const Dataset *ds);

const Backend *engine_pick_device(const Config *cfg, Bus *bus, Status *st)
{
    return engine_pick_device_named(cfg_str(cfg, "run.device"), bus, st);
}

const Backend *engine_pick_device_named(const char *want, Bus *bus, Status *st)
{
    if (!strcmp(want, "cpu-guard")) {
        bus_log(bus, "", "device: cpu-guard (the CPU backend, device memory walled off from the host)");
        return backend_cpu_guard();
    }
    const Backend *cuda = backend_cuda();
    const int gpu = backend_usable(cuda);
    if (!strcmp(want, "cuda") && !gpu) {
        status_fail(st, ERR_DEVICE, "--device cuda: %s", cuda ? "no CUDA device is usable on this machine"
                                                                : "this build has no CUDA backend (the toolkit was not "
                                                                  "found at configure time)");
        return NULL;
    }
    if (strcmp(want, "cpu") && strcmp(want, "cuda") && strcmp(want, "auto")) {
        status_fail(st, ERR_CONFIG, "device '%s': expected cpu, cuda, auto or cpu-guard", want);
        return NULL;
    }
    if (!strcmp(want, "cpu") || !gpu) {
        if (!strcmp(want, "auto")) bus_log(bus, "", "device: cpu (auto: %s)", cuda ? "no CUDA device found" : "built without CUDA");
        return backend_cpu();
    }
    bus_log(bus, "", "device: cuda%s", !strcmp(want, "auto") ? " (auto: a CUDA device is present)" : "");
    return cuda;
}

static void data_path(const Config *cfg, const char *asset_dir, char *buf, size_t len)
{
    const char *p = cfg_str(cfg, "data.path");
    if (p[0] == '/')
        snprintf(buf, len, "%s", p);
    else
        snprintf(buf, len, "%s/%s", asset_dir, p);
}

int engine_load_data(const Config *cfg, const char *asset_dir, Dataset *ds, Status *st)
{
    char path[1024];
    data_path(cfg, asset_dir, path, sizeof path);
    const char *kind = cfg_str(cfg, "data.dataset");
    int r;
    if (!strcmp(kind, "mnist"))
        r = dataset_load_mnist(path, cfg_int(cfg, "data.train_limit"), cfg_int(cfg, "data.test_limit"), ds, st);
    else if (!strcmp(kind, "california"))
        r = dataset_load_california(path, (uint64_t)cfg_int(cfg, "data.split_seed"), ds, st);
    else if (!strcmp(kind, "nerf"))
        r = dataset_load_nerf(path, ds, st);
    else if (!strcmp(kind, "synthetic"))
        r = dataset_make_synthetic(cfg_int(cfg, "data.train_limit") > 0 ? cfg_int(cfg, "data.train_limit") : 2000,
                                   cfg_int(cfg, "data.test_limit") > 0 ? cfg_int(cfg, "data.test_limit") : 500,
                                   (uint64_t)cfg_int(cfg, "data.split_seed"), ds, st);
    else
        r = dataset_load_cifar10(path, ds, st);
    if (r == 0 && dataset_hold_out_val(ds, cfg_int(cfg, "data.val_count"), st)) {
        dataset_free(ds);
        return -1;
    }
    return r;
}

Model *engine_make_model(Ctx *c, const Config *cfg, const Dataset *ds, Status *st)
{
    const char *arch = cfg_str(cfg, "model.arch");
    const int want_task = !strcmp(arch, "mlp") ? TASK_REGRESSION : !strcmp(arch, "tinynerf") ? TASK_NERF
                                                                                             : TASK_CLASSIFICATION;
    if ((int)ds->task != want_task) {
        status_fail(st, ERR_CONFIG, "model.arch = %s does not fit data.dataset = %s", arch, ds->name);
        return NULL;
    }
    if (!strcmp(arch, "lenet5")) {
        if (ds->train.ndim != 3 || ds->train.dims[0] != 1 || ds->train.dims[1] != 28) {
            status_fail(st, ERR_CONFIG, "model.arch = lenet5 needs 1x28x28 images; %s has other inputs", ds->name);
            return NULL;
        }
        return lenet5_create(c);
    }
    if (!strcmp(arch, "mlp"))
        return mlp_create(c, ds->nfeat, cfg_int(cfg, "model.hidden"), 1, (float)cfg_float(cfg, "model.dropout"));
    if (!strcmp(arch, "tinynerf")) return tinynerf_from_config(c, cfg, ds);
    if (ds->train.ndim != 3 || ds->train.dims[0] != 3 || ds->train.dims[1] != 32) {
        status_fail(st, ERR_CONFIG, "model.arch = googlenet needs 3x32x32 images; %s has other inputs", ds->name);
        return NULL;
    }
    return googlenet_create(c, ds->n_classes, cfg_int(cfg, "model.width_div"));
}

