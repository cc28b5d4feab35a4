/* The op-test table and its dispatcher; see op_cases.h. Sizes are small and mostly odd so
 * that edge handling is exercised; a few cases are sized to reach the CPU backend's other
 * code paths (grouped convolution with partial-sum lanes). */
#include "op_cases.h"

#include "core/check.h"
#include "core/philox.h"
#include "ops/ops.h"

#include <string.h>


const OpCase OP_CASES[] = {
    /* linear layers */
    {"linear_bias", "linear", 3, {2, 2, 1}, {{5, 7}, {3, 7}, {3}}, {0}, {0}, {1, 1, 1}, {0}, {0}},
    {"linear_nobias", "linear", 2, {2, 2}, {{4, 6}, {5, 6}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"linear_3d", "linear", 3, {3, 2, 1}, {{2, 3, 7}, {4, 7}, {4}}, {0}, {0}, {1, 1, 1}, {0}, {0}},
    {"linear_per_sample", "linear_per_sample", 3, {2, 3, 2}, {{3, 5}, {3, 4, 5}, {3, 4}}, {0}, {0}, {1, 1, 1}, {0}, {0}},
    {"linear_per_sample_rows", "linear_per_sample", 2, {3, 3}, {{2, 3, 5}, {2, 4, 5}}, {0}, {0}, {1, 1}, {0}, {0}},
    /* convolution */
    {"conv_3x3_s1_p1", "conv2d", 3, {4, 4, 1}, {{2, 3, 7, 7}, {4, 3, 3, 3}, {4}}, {0}, {0}, {1, 1, 1}, {1, 1}, {0}},
    {"conv_3x3_s2_p0_odd", "conv2d", 3, {4, 4, 1}, {{2, 2, 9, 8}, {3, 2, 3, 3}, {3}}, {0}, {0}, {1, 1, 1}, {2, 0}, {0}},
    {"conv_1x1", "conv2d", 3, {4, 4, 1}, {{3, 4, 5, 5}, {5, 4, 1, 1}, {5}}, {0}, {0}, {1, 1, 1}, {1, 0}, {0}},
    {"conv_5x5_p2_nobias", "conv2d", 2, {4, 4}, {{2, 1, 6, 6}, {2, 1, 5, 5}}, {0}, {0}, {1, 1}, {1, 2}, {0}},
    {"conv_grouped_lanes", "conv2d", 3, {4, 4, 1}, {{300, 2, 3, 3}, {3, 2, 2, 2}, {3}}, {0}, {0}, {1, 1, 1}, {1, 0}, {0}},
    /* pooling and resampling */
    {"maxpool_k2_s2", "maxpool2d", 1, {4}, {{2, 3, 6, 6}}, {IN_DISTINCT}, {0}, {1}, {2, 2, 0}, {0}},
    {"maxpool_k3_s2_p1", "maxpool2d", 1, {4}, {{1, 2, 7, 7}}, {IN_DISTINCT}, {0}, {1}, {3, 2, 1}, {0}},
    {"maxpool_k3_s1_p1", "maxpool2d", 1, {4}, {{2, 2, 5, 5}}, {IN_DISTINCT}, {0}, {1}, {3, 1, 1}, {0}},
    {"avgpool_k2_s2", "avgpool2d", 1, {4}, {{2, 3, 6, 6}}, {0}, {0}, {1}, {2, 2, 0}, {0}},
    {"avgpool_k3_s2_p1", "avgpool2d", 1, {4}, {{1, 2, 7, 7}}, {0}, {0}, {1}, {3, 2, 1}, {0}},
    {"upsample_x2", "upsample", 1, {4}, {{2, 3, 3, 4}}, {0}, {0}, {1}, {2}, {0}},
    /* activations */
    {"relu", "relu", 1, {3}, {{3, 5, 7}}, {IN_AWAY0}, {0}, {1}, {0}, {0}},
    {"silu", "silu", 1, {3}, {{3, 5, 7}}, {0}, {0}, {1}, {0}, {0}},
    {"gelu", "gelu", 1, {3}, {{3, 5, 7}}, {0}, {0}, {1}, {0}, {0}},
    {"tanh", "tanh", 1, {3}, {{3, 5, 7}}, {0}, {0}, {1}, {0}, {0}},
    {"sigmoid", "sigmoid", 1, {3}, {{3, 5, 7}}, {0}, {0}, {1}, {0}, {0}},
    /* broadcasting arithmetic */
    {"add_channel_bcast", "add", 2, {4, 3}, {{2, 3, 4, 5}, {3, 1, 1}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"sub_row_bcast", "sub", 2, {2, 1}, {{4, 5}, {5}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"mul_mid_bcast", "mul", 2, {3, 3}, {{2, 3, 4}, {2, 1, 4}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"mul_same", "mul", 2, {2, 2}, {{3, 7}, {3, 7}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"add_scalar", "add", 2, {2, 1}, {{4, 3}, {1}}, {0}, {0}, {1, 1}, {0}, {0}},
    /* sized to reach the GPU's multi-chunk reductions (more than 8192 terms per output) */
    {"add_channel_bcast_large", "add", 2, {4, 3}, {{4, 3, 64, 64}, {3, 1, 1}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"sub_rows_large", "sub", 2, {2, 1}, {{10000, 4}, {4}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"add_row_bcast", "add", 2, {3, 3}, {{3, 5, 16}, {3, 5, 1}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"scale", "scale", 1, {2}, {{3, 4}}, {0}, {0}, {1}, {0}, {2.5f}},
    {"div_bcast", "div", 2, {3, 2}, {{3, 4, 5}, {4, 1}}, {0, IN_VAR}, {0}, {1, 1}, {0}, {0}},
    {"sum_dim_middle", "sum_dim", 1, {3}, {{3, 4, 5}}, {0}, {0}, {1}, {1}, {0}},
    {"sum_dim_last", "sum_dim", 1, {2}, {{6, 7}}, {0}, {0}, {1}, {1}, {0}},
    /* shape */
    {"permute_4d", "permute", 1, {4}, {{2, 3, 4, 5}}, {0}, {0}, {1}, {0, 2, 3, 1}, {0}},
    {"permute_3d", "permute", 1, {3}, {{3, 4, 5}}, {0}, {0}, {1}, {2, 0, 1}, {0}},
    {"concat_axis1", "concat", 2, {3, 3}, {{2, 3, 4}, {2, 2, 4}}, {0}, {0}, {1, 1}, {1}, {0}},
    {"concat_axis0_three", "concat", 3, {2, 2, 2}, {{1, 3}, {2, 3}, {3, 3}}, {0}, {0}, {1, 1, 1}, {0}, {0}},
    {"pad_3d", "pad", 1, {3}, {{2, 3, 4}}, {0}, {0}, {1}, {0, 1, 2, 1, 0, 3}, {0}},
    {"slice_3d", "slice", 1, {3}, {{3, 5, 6}}, {0}, {0}, {1}, {1, 0, 2, 2, 4, 3}, {0}},
    {"reshape_view", "reshape_mul", 2, {3, 1}, {{2, 3, 4}, {4}}, {0}, {0}, {1, 1}, {2, 6, 4}, {0}},
    /* reductions, softmax, losses */
    {"sum", "sum", 1, {3}, {{3, 4, 5}}, {0}, {0}, {1}, {0}, {0}},
    {"mean", "mean", 1, {2}, {{7, 3}}, {0}, {0}, {1}, {0}, {0}},
    {"softmax", "softmax", 1, {2}, {{4, 7}}, {0}, {0}, {1}, {0}, {0}},
    {"softmax_wide", "softmax", 1, {2}, {{3, 37}}, {0}, {0}, {1}, {0}, {0}},
    {"log_softmax", "log_softmax", 1, {3}, {{3, 2, 5}}, {0}, {0}, {1}, {0}, {0}},
    {"cross_entropy", "cross_entropy", 2, {2, 1}, {{6, 5}, {6}}, {0, IN_LABELS}, {0, 5}, {1, 0}, {0}, {0}},
    {"cross_entropy_mean", "cross_entropy_mean", 2, {2, 1}, {{6, 5}, {6}}, {0, IN_LABELS}, {0, 5}, {1, 0}, {0}, {0}},
    {"mse", "mse", 2, {3, 3}, {{4, 3, 2}, {4, 3, 2}}, {0}, {0}, {1, 1}, {0}, {0}},
    {"mse_mean", "mse_mean", 2, {2, 2}, {{5, 3}, {5, 3}}, {0}, {0}, {1, 1}, {0}, {0}},
    /* normalisation */
    {"group_norm_4d", "group_norm", 3, {4, 1, 1}, {{2, 6, 3, 3}, {6}, {6}}, {0}, {0}, {1, 1, 1}, {3}, {1e-5f}},
    {"group_norm_3d", "group_norm", 3, {3, 1, 1}, {{3, 4, 5}, {4}, {4}}, {0}, {0}, {1, 1, 1}, {2}, {1e-5f}},
    {"group_norm_large", "group_norm", 3, {4, 1, 1}, {{2, 8, 64, 64}, {8}, {8}}, {0}, {0}, {1, 1, 1}, {2}, {1e-6f}},
    /* GroupNorm + SiLU in one op: positions shorter than a vector (the tail path) and longer */
    {"group_norm_silu_4d", "group_norm_silu", 3, {4, 1, 1}, {{2, 6, 3, 3}, {6}, {6}}, {0}, {0}, {1, 1, 1}, {3}, {1e-5f}},
    {"group_norm_silu_wide", "group_norm_silu", 3, {3, 1, 1}, {{2, 8, 37}, {8}, {8}}, {0}, {0}, {1, 1, 1}, {2}, {1e-6f}},
    {"layer_norm", "layer_norm", 3, {2, 1, 1}, {{4, 7}, {7}, {7}}, {0}, {0}, {1, 1, 1}, {0}, {1e-5f}},
    {"layer_norm_3d", "layer_norm", 3, {3, 1, 1}, {{2, 3, 6}, {6}, {6}}, {0}, {0}, {1, 1, 1}, {0}, {1e-5f}},
    {"batch_norm_train", "batch_norm", 5, {4, 1, 1, 1, 1}, {{4, 3, 2, 2}, {3}, {3}, {3}, {3}},
     {0, 0, 0, 0, IN_VAR}, {0}, {1, 1, 1, 0, 0}, {1}, {0.1f, 1e-5f}},
    {"batch_norm_eval", "batch_norm", 5, {4, 1, 1, 1, 1}, {{4, 3, 2, 2}, {3}, {3}, {3}, {3}},
     {0, 0, 0, 0, IN_VAR}, {0}, {1, 1, 1, 0, 0}, {0}, {0.1f, 1e-5f}},
    /* attention */
    {"attention", "attention", 3, {3, 3, 3}, {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, {0}, {0}, {1, 1, 1}, {0}, {0.5f}},
    /* more query rows than one of the CPU's 64-row blocks, keys not a multiple of a vector */
    {"attention_blocks", "attention", 3, {3, 3, 3}, {{2, 70, 4}, {2, 37, 4}, {2, 37, 3}}, {0}, {0}, {1, 1, 1}, {0},
     {0.5f}},
    {"spatial_attention", "spatial_attention", 5, {4, 2, 1, 2, 1}, {{2, 4, 3, 3}, {12, 4}, {12}, {4, 4}, {4}},
     {0, IN_SMALL, 0, IN_SMALL, 0}, {0}, {1, 1, 1, 1, 1}, {2}, {0}},
    /* NeRF: volume rendering of (R*S, 4) raw outputs at sorted depths (R, S); white and not */
    {"nerf_composite", "nerf_composite", 2, {2, 2}, {{5 * 8, 4}, {5, 8}}, {IN_AWAY0, IN_DEPTHS}, {0}, {1, 0}, {0}, {0}},
    {"nerf_composite_white", "nerf_composite", 2, {2, 2}, {{4 * 6, 4}, {4, 6}}, {IN_AWAY0, IN_DEPTHS}, {0}, {1, 0},
     {1}, {0}},
    {"nerf_encode", "nerf_encode", 1, {2}, {{7, 6}}, {0}, {0}, {0}, {5, 3}, {2.0f, 6.0f}},
    /* randomness, embeddings */
    {"dropout", "dropout", 1, {2}, {{4, 5}}, {0}, {0}, {1}, {0}, {0.3f}},
    {"timestep_embedding", "timestep_embedding", 1, {1}, {{5}}, {IN_TIMES}, {1000}, {0}, {16}, {0}},
};
const int OP_CASES_COUNT = (int)(sizeof OP_CASES / sizeof OP_CASES[0]);

int64_t op_case_numel(const OpCase *oc, int i) { return shape_numel(oc->ndim[i], oc->shape[i]); }

void op_case_draw(const OpCase *oc, uint64_t seed, float **host)
{
    for (int i = 0; i < oc->nin; i++) {
        const int64_t n = op_case_numel(oc, i);
        float *h = host[i];
        const uint64_t base = (uint64_t)i << 32; /* each input its own counter range */
        for (int64_t k = 0; k < n; k += 4) {
            float z[4];
            philox_normal4(seed, base + (uint64_t)(k / 4), z);
            for (int j = 0; j < 4 && k + j < n; j++) h[k + j] = z[j];
        }
        switch (oc->kind[i]) {
        case IN_NORMAL: break;
        case IN_SMALL:
            for (int64_t k = 0; k < n; k++) h[k] *= 0.5f;
            break;
        case IN_AWAY0:
            for (int64_t k = 0; k < n; k++) h[k] += h[k] >= 0.0f ? 0.1f : -0.1f;
            break;
        case IN_DISTINCT: /* ramp, then a Fisher-Yates shuffle driven by Philox */
            for (int64_t k = 0; k < n; k++) h[k] = 0.05f * (float)(k - n / 2);
            for (int64_t k = n - 1; k > 0; k--) {
                PhiloxOut r = philox4x32(seed ^ 0x5eedu, base + (uint64_t)k);
                int64_t j = (int64_t)(r.v[0] % (uint32_t)(k + 1));
                float t = h[k];
                h[k] = h[j];
                h[j] = t;
            }
            break;
        case IN_LABELS:
        case IN_TIMES:
            for (int64_t k = 0; k < n; k++)
                h[k] = (float)(int)philox_uniform_at(seed, base + 7777, k, 0.0f, (float)oc->kparam[i]);
            break;
        case IN_VAR:
            for (int64_t k = 0; k < n; k++) h[k] = philox_uniform_at(seed, base + 9999, k, 0.5f, 1.5f);
            break;
        case IN_DEPTHS: { /* rows of the last dimension: 2 + cumulative positive steps */
            const int S = oc->shape[i][oc->ndim[i] - 1];
            for (int64_t k = 0; k < n; k++) {
                float step = philox_uniform_at(seed, base + 4242, k, 0.05f, 0.25f);
                h[k] = (k % S == 0 ? 2.0f : h[k - 1]) + step;
            }
            break;
        }
        }
    }
}

static int streq(const char *a, const char *b) { return strcmp(a, b) == 0; }

Tensor *op_case_apply(Ctx *c, const char *op, Tensor **in, int nin, const int *ip, const float *fp)
{
    Tensor *third = nin > 2 ? in[2] : NULL;
    if (streq(op, "linear")) return op_linear(c, in[0], in[1], third);
    if (streq(op, "linear_per_sample")) return op_linear_per_sample(c, in[0], in[1], third);
    if (streq(op, "conv2d")) return op_conv2d(c, in[0], in[1], third, ip[0], ip[1]);
    if (streq(op, "maxpool2d")) return op_maxpool2d(c, in[0], ip[0], ip[1], ip[2]);
    if (streq(op, "avgpool2d")) return op_avgpool2d(c, in[0], ip[0], ip[1], ip[2]);
    if (streq(op, "upsample")) return op_upsample_nearest(c, in[0], ip[0]);
    if (streq(op, "relu")) return op_relu(c, in[0]);
    if (streq(op, "silu")) return op_silu(c, in[0]);
    if (streq(op, "gelu")) return op_gelu(c, in[0]);
    if (streq(op, "tanh")) return op_tanh(c, in[0]);
    if (streq(op, "sigmoid")) return op_sigmoid(c, in[0]);
    if (streq(op, "add")) return op_add(c, in[0], in[1]);
    if (streq(op, "sub")) return op_sub(c, in[0], in[1]);
    if (streq(op, "mul")) return op_mul(c, in[0], in[1]);
    if (streq(op, "div")) return op_div(c, in[0], in[1]);
    if (streq(op, "sum_dim")) return op_sum_dim(c, in[0], ip[0]);
    if (streq(op, "nerf_composite")) return op_nerf_composite(c, in[0], in[1], ip[0], NULL);
    if (streq(op, "nerf_encode")) { /* ip: samples, frequencies; fp: near, far; the depths come too */
        Tensor *z;
        Tensor *enc = op_nerf_encode(c, in[0], ip[0], ip[1], fp[0], fp[1], &z);
        Tensor *pair[2] = {op_reshape(c, enc, SHAPE((int)enc->numel)), op_reshape(c, z, SHAPE((int)z->numel))};
        return op_concat(c, pair, 2, 0);
    }
    if (streq(op, "scale")) return op_scale(c, in[0], fp[0]);
    if (streq(op, "permute")) return op_permute(c, in[0], ip);
    if (streq(op, "concat")) return op_concat(c, in, nin, ip[0]);
    if (streq(op, "pad")) return op_pad(c, in[0], ip, ip + in[0]->ndim);
    if (streq(op, "slice")) return op_slice(c, in[0], ip, ip + in[0]->ndim);
    if (streq(op, "reshape_mul")) return op_mul(c, op_reshape(c, in[0], ip[0], ip + 1), in[1]);
    if (streq(op, "sum")) return op_sum(c, in[0]);
    if (streq(op, "mean")) return op_mean(c, in[0]);
    if (streq(op, "softmax")) return op_softmax(c, in[0]);
    if (streq(op, "log_softmax")) return op_log_softmax(c, in[0]);
    if (streq(op, "cross_entropy")) return op_cross_entropy(c, in[0], in[1]);
    if (streq(op, "cross_entropy_mean")) return op_cross_entropy_mean(c, in[0], in[1]);
    if (streq(op, "mse")) return op_mse(c, in[0], in[1]);
    if (streq(op, "mse_mean")) return op_mse_mean(c, in[0], in[1]);
    if (streq(op, "group_norm")) return op_group_norm(c, in[0], in[1], in[2], ip[0], fp[0]);
    if (streq(op, "group_norm_silu")) return op_group_norm_silu(c, in[0], in[1], in[2], ip[0], fp[0]);
    if (streq(op, "layer_norm")) return op_layer_norm(c, in[0], in[1], in[2], fp[0]);
    if (streq(op, "batch_norm")) {
        int was = c->training;
        ctx_set_training(c, ip[0]);
        Tensor *y = op_batch_norm(c, in[0], in[1], in[2], in[3], in[4], fp[0], fp[1]);
        ctx_set_training(c, was);
        return y;
    }
    if (streq(op, "attention")) return op_attention(c, in[0], in[1], in[2], fp[0]);
    if (streq(op, "spatial_attention")) return op_spatial_attention(c, in[0], in[1], in[2], in[3], in[4], ip[0]);
    if (streq(op, "dropout")) return op_dropout(c, in[0], fp[0]);
    if (streq(op, "timestep_embedding")) return op_timestep_embedding(c, in[0], ip[0]);
    ENG_FATAL("op_case_apply: unknown op '%s'", op);
}
