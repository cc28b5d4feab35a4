/* The backend registry and the completeness check. backend_cuda() comes from cuda/ when
 * CUDA is compiled in, and from backend_nocuda.c otherwise. */
#include "backend.h"

#include "core/check.h"

#include <stddef.h>
#include <string.h>

/* Every function entry of Backend, in declaration order. backend_entry_count() lets a test
 * check that this list covers the whole struct. */
#define BACKEND_ENTRIES(X)                                                                         \
    X(create) X(destroy) X(set_threads) X(set_math) X(alloc) X(release) X(zero) X(upload) X(download) X(copy)  \
    X(sync) X(rng_uniform) X(rng_normal) X(dropout_mask) X(gemm) X(gemm_batched) X(conv2d_fwd)     \
    X(conv2d_up2_fwd)                                                                              \
    X(conv2d_bwd_data) X(conv2d_bwd_filter) X(maxpool_fwd) X(maxpool_bwd) X(avgpool_fwd)           \
    X(avgpool_bwd) X(upsample_fwd) X(upsample_bwd) X(groupnorm_fwd) X(groupnorm_silu_fwd) X(groupnorm_bwd)         \
    X(batchnorm_fwd) X(batchnorm_bwd) X(unary_fwd) X(unary_bwd) X(binary_fwd) X(reduce_to)         \
    X(copy_strided) X(fill) X(axpby) X(sum) X(sumsq) X(all_finite) X(softmax_fwd) X(softmax_bwd)   \
    X(attention_fwd)                                                                               \
    X(xent_fwd) X(xent_bwd) X(mse_fwd) X(mse_bwd) X(timestep_embed) X(nerf_encode) X(nerf_composite_fwd) X(nerf_composite_bwd) X(adam_step) X(sgd_step)      \
    X(ema_update)

void backend_check_complete(const Backend *be)
{
#define CHECK_ENTRY(e) ENG_ASSERT(be->e != NULL, "backend %s does not implement %s", be->name, #e);
    BACKEND_ENTRIES(CHECK_ENTRY)
#undef CHECK_ENTRY
}

int backend_entry_count(void);
int backend_entry_count(void)
{
#define COUNT_ENTRY(e) +1
    return 0 BACKEND_ENTRIES(COUNT_ENTRY);
#undef COUNT_ENTRY
}

const Backend *backend_find(const char *name)
{
    if (!name || strcmp(name, "cpu") == 0) return backend_cpu();
    if (strcmp(name, "cuda") == 0) return backend_cuda();
    if (strcmp(name, "cpu-guard") == 0) return backend_cpu_guard();
    return NULL;
}

int backend_usable(const Backend *be)
{
    BackendCtx *bc = be ? be->create(1) : NULL;
    if (bc) be->destroy(bc);
    return bc != NULL;
}

const char *device_name(DeviceKind d)
{
    switch (d) {
    case DEV_CPU: return "cpu";
    case DEV_CUDA: return "cuda";
    case DEV_GUARD: return "cpu-guard";
    default: return "?";
    }
}
