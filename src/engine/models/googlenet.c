/* GoogLeNet for CIFAR-10 (kuangliu/pytorch-cifar); see googlenet.h. Each conv is followed by
 * BatchNorm and ReLU, and the pair shares one name prefix ("a3.b2.conv1", "a3.b2.bn1");
 * tests/ref/make_googlenet_ref.py maps kuangliu's Sequential indices onto these names.
 * Letters: B batch, S side (32, 16, 8), F = 1024/width_div pooled features, K classes. */
#include "models/googlenet.h"

#include "core/check.h"
#include "nn/init.h"
#include "ops/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_BLOCKS = 9, STEM_CH = 192, FEATURES = 1024, SIDE = 32 };
/* PyTorch's BatchNorm2d defaults, which kuangliu keeps */
static const float BN_MOMENTUM = 0.1f, BN_EPS = 1e-5f;

/* kuangliu's Inception(in_planes, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes) */
typedef struct {
    const char *name;
    int ch[7];
} BlockSpec;

static const BlockSpec BLOCKS[N_BLOCKS] = {
    {"a3", {192, 64, 96, 128, 16, 32, 32}},     {"b3", {256, 128, 128, 192, 32, 96, 64}},
    {"a4", {480, 192, 96, 208, 16, 48, 64}},    {"b4", {512, 160, 112, 224, 24, 64, 64}},
    {"c4", {512, 128, 128, 256, 24, 64, 64}},   {"d4", {512, 112, 144, 288, 32, 64, 64}},
    {"e4", {528, 256, 160, 320, 32, 128, 128}}, {"a5", {832, 256, 160, 320, 32, 128, 128}},
    {"b5", {832, 384, 192, 384, 48, 128, 128}},
};
/* the stride-2 max-pools (32 -> 16 -> 8) come before these blocks */
static int pool_before(int block) { return block == 2 || block == 7; }

/* conv -> BatchNorm -> ReLU */
typedef struct {
    Tensor *w, *b;        /* conv (O, C, k, k), (O) */
    Tensor *gamma, *beta; /* (O), trainable */
    Tensor *rmean, *rvar; /* (O), in the buffers */
    int pad;              /* k / 2: every conv keeps the side */
    int layer;            /* its index in Model.layers */
} ConvBN;

typedef struct {
    ConvBN b1;    /* 1x1 */
    ConvBN b2[2]; /* 1x1 reduce, 3x3 */
    ConvBN b3[3]; /* 1x1 reduce, 3x3, 3x3 (kuangliu's stand-in for the 5x5) */
    ConvBN b4;    /* after a 3x3 stride-1 max-pool: 1x1 */
} Inception;

typedef struct {
    int features; /* F */
    ConvBN pre;
    Inception blocks[N_BLOCKS];
    Tensor *lin_w, *lin_b; /* (K, F), (K) */
    int lin_layer;
} GoogLeNet;

static void convbn_build(Model *m, ConvBN *u, const char *prefix, const char *conv, const char *bn, int cin, int cout,
                         int k)
{
    char n[64];
    snprintf(n, sizeof n, "%s.%s.weight", prefix, conv);
    u->w = params_add(m->ps, n, SHAPE(cout, cin, k, k));
    snprintf(n, sizeof n, "%s.%s.bias", prefix, conv);
    u->b = params_add(m->ps, n, SHAPE(cout));
    snprintf(n, sizeof n, "%s.%s.weight", prefix, bn);
    u->gamma = params_add(m->ps, n, SHAPE(cout));
    snprintf(n, sizeof n, "%s.%s.bias", prefix, bn);
    u->beta = params_add(m->ps, n, SHAPE(cout));
    snprintf(n, sizeof n, "%s.%s.running_mean", prefix, bn);
    u->rmean = params_add(m->buffers, n, SHAPE(cout));
    snprintf(n, sizeof n, "%s.%s.running_var", prefix, bn);
    u->rvar = params_add(m->buffers, n, SHAPE(cout));
    u->pad = k / 2;
    snprintf(n, sizeof n, "%s.%s", prefix, conv);
    u->layer = m->nlayers;
    model_add_layer(m, n, u->w, u->b, 0);
}

/* ch: the block's BlockSpec counts, already divided by width_div */
static void inception_build(Model *m, Inception *p, const char *name, const int *ch)
{
    char pre[32];
    snprintf(pre, sizeof pre, "%s.b1", name);
    convbn_build(m, &p->b1, pre, "conv", "bn", ch[0], ch[1], 1);
    snprintf(pre, sizeof pre, "%s.b2", name);
    convbn_build(m, &p->b2[0], pre, "conv1", "bn1", ch[0], ch[2], 1);
    convbn_build(m, &p->b2[1], pre, "conv2", "bn2", ch[2], ch[3], 3);
    snprintf(pre, sizeof pre, "%s.b3", name);
    convbn_build(m, &p->b3[0], pre, "conv1", "bn1", ch[0], ch[4], 1);
    convbn_build(m, &p->b3[1], pre, "conv2", "bn2", ch[4], ch[5], 3);
    convbn_build(m, &p->b3[2], pre, "conv3", "bn3", ch[5], ch[5], 3);
    snprintf(pre, sizeof pre, "%s.b4", name);
    convbn_build(m, &p->b4, pre, "conv", "bn", ch[0], ch[6], 1);
}

static void convbn_init(Ctx *c, const ConvBN *u)
{
    init_torch_default(c, u->w, u->b);
    init_constant(c, u->gamma, 1.0f);
    init_constant(c, u->beta, 0.0f);
    init_constant(c, u->rmean, 0.0f);
    init_constant(c, u->rvar, 1.0f);
}

static void inception_init(Ctx *c, const Inception *p)
{
    convbn_init(c, &p->b1);
    for (int i = 0; i < 2; i++)
        convbn_init(c, &p->b2[i]);
    for (int i = 0; i < 3; i++)
        convbn_init(c, &p->b3[i]);
    convbn_init(c, &p->b4);
}

static void googlenet_destroy(Model *m)
{
    params_destroy(m->ps);
    params_destroy(m->buffers);
    free(m->impl);
    free(m);
}

static int div_or_die(int ch, int width_div)
{
    ENG_ASSERT(ch % width_div == 0, "googlenet: width_div %d does not divide the channel count %d (use 1, 2, 4 or 8)",
               width_div, ch);
    return ch / width_div;
}

static Tensor *googlenet_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap);

Model *googlenet_create(Ctx *c, int n_classes, int width_div)
{
    ENG_ASSERT(n_classes >= 1, "googlenet: %d classes", n_classes);
    ENG_ASSERT(width_div >= 1, "googlenet: width_div %d (1 is the real network)", width_div);
    Model *m = calloc(1, sizeof *m);
    GoogLeNet *g = calloc(1, sizeof *g);
    ENG_CHECK_ALLOC(m);
    ENG_CHECK_ALLOC(g);
    snprintf(m->kind, sizeof m->kind, "googlenet");
    m->impl = g;
    m->forward = googlenet_forward;
    m->destroy = googlenet_destroy;
    m->ps = params_create(c);
    m->buffers = params_create(c);
    g->features = div_or_die(FEATURES, width_div);

    const int stem = div_or_die(STEM_CH, width_div);
    convbn_build(m, &g->pre, "pre", "conv", "bn", 3, stem, 3);
    for (int i = 0; i < N_BLOCKS; i++) {
        int ch[7];
        for (int k = 0; k < 7; k++)
            ch[k] = div_or_die(BLOCKS[i].ch[k], width_div);
        /* the table's in_planes must be what the previous block concatenates */
        const int *next = i + 1 < N_BLOCKS ? BLOCKS[i + 1].ch : NULL;
        const int out = BLOCKS[i].ch[1] + BLOCKS[i].ch[3] + BLOCKS[i].ch[5] + BLOCKS[i].ch[6];
        ENG_ASSERT(out == (next ? next[0] : FEATURES), "googlenet: block %s gives %d channels", BLOCKS[i].name, out);
        inception_build(m, &g->blocks[i], BLOCKS[i].name, ch);
    }
    g->lin_w = params_add(m->ps, "linear.weight", SHAPE(n_classes, g->features));
    g->lin_b = params_add(m->ps, "linear.bias", SHAPE(n_classes));
    g->lin_layer = m->nlayers;
    model_add_layer(m, "linear", g->lin_w, g->lin_b, 1);
    params_finalize(m->ps);
    params_finalize(m->buffers);
    /* running statistics are updated by the forward, never by an optimiser */
    params_set_trainable(m->buffers, 0);

    /* initialisation, in the order the parameters were made */
    convbn_init(c, &g->pre);
    for (int i = 0; i < N_BLOCKS; i++)
        inception_init(c, &g->blocks[i]);
    init_torch_default(c, g->lin_w, g->lin_b);
    return m;
}

/* Records the layer's input and activation when the tap is on it. */
static void tap_capture(ModelTap *tap, int layer, Tensor *input, Tensor *activation)
{
    if (tap && tap->layer == layer) {
        tap->input = input;
        tap->activation = activation;
    }
}

/* x (B, C, S, S) -> (B, O, S, S) */
static Tensor *convbn_forward(Ctx *c, const ConvBN *u, Tensor *x, ModelTap *tap)
{
    Tensor *h = op_conv2d(c, x, u->w, u->b, 1, u->pad);
    h = op_relu(c, op_batch_norm(c, h, u->gamma, u->beta, u->rmean, u->rvar, BN_MOMENTUM, BN_EPS));
    tap_capture(tap, u->layer, x, h);
    return h;
}

static Tensor *inception_forward(Ctx *c, const Inception *p, Tensor *x, ModelTap *tap)
{
    Tensor *y[4];
    y[0] = convbn_forward(c, &p->b1, x, tap);
    y[1] = convbn_forward(c, &p->b2[1], convbn_forward(c, &p->b2[0], x, tap), tap);
    Tensor *h = x;
    for (int i = 0; i < 3; i++)
        h = convbn_forward(c, &p->b3[i], h, tap);
    y[2] = h;
    y[3] = convbn_forward(c, &p->b4, op_maxpool2d(c, x, 3, 1, 1), tap);
    return op_concat(c, y, 4, 1);
}

/* f (B, F) -> logits (B, K): the shared weights, or the tap's per-sample ones (B, K, F) and
 * bias (B, K); whichever of the two the tap leaves NULL is the shared one */
static Tensor *linear_forward(Ctx *c, const GoogLeNet *g, Tensor *f, ModelTap *tap)
{
    Tensor *y;
    if (!tap || (!tap->ps_weight && !tap->ps_bias))
        y = op_linear(c, f, g->lin_w, g->lin_b);
    else if (!tap->ps_weight)
        y = op_add(c, op_linear(c, f, g->lin_w, NULL), tap->ps_bias);
    else if (tap->ps_bias)
        y = op_linear_per_sample(c, f, tap->ps_weight, tap->ps_bias);
    else /* (B, K) + (K) broadcasts the shared bias over the samples */
        y = op_add(c, op_linear_per_sample(c, f, tap->ps_weight, NULL), g->lin_b);
    tap_capture(tap, g->lin_layer, f, y);
    return y;
}

/* x (B, 3, 32, 32) -> logits (B, K) */
static Tensor *googlenet_forward(Ctx *c, Model *m, Tensor *x, ModelTap *tap)
{
    GoogLeNet *g = m->impl;
    ShapeStr sx;
    ENG_ASSERT(x->ndim == 4 && x->shape[1] == 3 && x->shape[2] == SIDE && x->shape[3] == SIDE,
               "googlenet: x %s, expected (B, 3, %d, %d)", tensor_shape_str(x, &sx), SIDE, SIDE);
    if (tap) {
        ENG_ASSERT(tap->layer >= -1 && tap->layer < m->nlayers, "googlenet: tap on layer %d of %d", tap->layer,
                   m->nlayers);
        if ((tap->ps_weight || tap->ps_bias) && tap->layer != g->lin_layer)
            ENG_FATAL("googlenet: per-sample weights can replace only the final linear (layer %d, \"linear\"), "
                      "not layer %d (%s)",
                      g->lin_layer, tap->layer, tap->layer >= 0 ? m->layers[tap->layer].name : "none");
        /* nothing stale from an earlier step survives this forward */
        tap->input = tap->activation = NULL;
    }
    const int B = x->shape[0];
    Tensor *h = convbn_forward(c, &g->pre, x, tap);
    for (int i = 0; i < N_BLOCKS; i++) {
        if (pool_before(i)) h = op_maxpool2d(c, h, 3, 2, 1);
        h = inception_forward(c, &g->blocks[i], h, tap);
    }
    h = op_avgpool2d(c, h, SIDE / 4, 1, 0); /* (B, F, 1, 1) */
    Tensor *f = op_reshape(c, h, SHAPE(B, g->features));
    return linear_forward(c, g, f, tap && tap->layer == g->lin_layer ? tap : NULL);
}
