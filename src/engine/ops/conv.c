/* 2-D convolution (cross-correlation, as PyTorch), pooling and nearest upsampling. */
#include "ops/ops_util.h"

static void conv_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0], *w = r->in[1], *b = r->in[2];
    const ConvGeom *q = r->haux;
    const float *dy = r->out->grad;
    float *dx = ag_grad(c, x), *dw = ag_grad(c, w), *db = ag_grad(c, b);
    if (dx) c->be->conv2d_bwd_data(c->bc, q, dy, w->data, dx);
    if (dw) c->be->conv2d_bwd_filter(c->bc, q, dy, x->data, dw);
    if (db) {
        const int shape[4] = {1, q->N, q->O, q->OH * q->OW};
        const int64_t sy[4] = {0, 0, 1, 0};
        c->be->reduce_to(c->bc, shape, dy, 1.0f, db, sy);
    }
}

Tensor *op_conv2d(Ctx *c, Tensor *x, Tensor *w, Tensor *b, int stride, int pad)
{
    static const char *op = "op_conv2d";
    ctx_check_device(c, op, x, w, b);
    OP_REQUIRE(x->ndim == 4 && w->ndim == 4, op, x, w, b, "x must be (N, C, H, W) and w (O, C, KH, KW)");
    OP_REQUIRE(x->shape[1] == w->shape[1], op, x, w, b, "x has %d channels, the weight expects %d", x->shape[1],
               w->shape[1]);
    OP_REQUIRE(!b || (b->ndim == 1 && b->shape[0] == w->shape[0]), op, x, w, b, "bias must be (%d)", w->shape[0]);
    OP_REQUIRE(stride >= 1 && pad >= 0, op, x, w, b, "stride %d, pad %d", stride, pad);
    ConvGeom q = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3], .O = w->shape[0],
                  .KH = w->shape[2], .KW = w->shape[3], .SH = stride, .SW = stride, .PH = pad, .PW = pad};
    q.OH = (q.H + 2 * pad - q.KH) / stride + 1;
    q.OW = (q.W + 2 * pad - q.KW) / stride + 1;
    OP_REQUIRE(q.H + 2 * pad >= q.KH && q.W + 2 * pad >= q.KW, op, x, w, b, "kernel larger than the padded input");
    Tensor *y = tensor_new(c, SHAPE(q.N, q.O, q.OH, q.OW));
    c->be->conv2d_fwd(c->bc, &q, x->data, w->data, b ? b->data : NULL, y->data);
    TapeRec *r = ag_record(c, "conv2d", conv_backward, y, (Tensor *[]){x, w, b}, 3);
    if (r) {
        ConvGeom *keep = ctx_host_scratch(c, sizeof *keep);
        *keep = q;
        r->haux = keep;
    }
    return y;
}

Tensor *op_upsample_conv2d(Ctx *c, Tensor *x, Tensor *w, Tensor *b, int pad)
{
    static const char *op = "op_upsample_conv2d";
    ctx_check_device(c, op, x, w, b);
    /* a backward needs the upsampled image: training keeps the two ops */
    if (ag_needs_grad(c, (Tensor *[]){x, w, b}, 3)) return op_conv2d(c, op_upsample_nearest(c, x, 2), w, b, 1, pad);
    OP_REQUIRE(x->ndim == 4 && w->ndim == 4, op, x, w, b, "x must be (N, C, H, W) and w (O, C, KH, KW)");
    OP_REQUIRE(x->shape[1] == w->shape[1], op, x, w, b, "x has %d channels, the weight expects %d", x->shape[1],
               w->shape[1]);
    OP_REQUIRE(!b || (b->ndim == 1 && b->shape[0] == w->shape[0]), op, x, w, b, "bias must be (%d)", w->shape[0]);
    ConvGeom q = {.N = x->shape[0], .C = x->shape[1], .H = 2 * x->shape[2], .W = 2 * x->shape[3], .O = w->shape[0],
                  .KH = w->shape[2], .KW = w->shape[3], .SH = 1, .SW = 1, .PH = pad, .PW = pad};
    OP_REQUIRE(pad >= 0 && q.H + 2 * pad >= q.KH && q.W + 2 * pad >= q.KW, op, x, w, b,
               "kernel larger than the padded input (pad %d)", pad);
    q.OH = q.H + 2 * pad - q.KH + 1;
    q.OW = q.W + 2 * pad - q.KW + 1;
    Tensor *y = tensor_new(c, SHAPE(q.N, q.O, q.OH, q.OW));
    c->be->conv2d_up2_fwd(c->bc, &q, x->data, w->data, b ? b->data : NULL, y->data);
    ag_record(c, "upsample_conv2d", NULL, y, (Tensor *[]){x, w, b}, 3); /* the profile's row; records nothing */
    return y;
}

static PoolGeom pool_geom(const char *op, const Tensor *x, int k, int stride, int pad)
{
    OP_REQUIRE(x->ndim == 4, op, x, NULL, NULL, "x must be (N, C, H, W)");
    OP_REQUIRE(k >= 1 && stride >= 1 && pad >= 0 && 2 * pad <= k, op, x, NULL, NULL,
               "kernel %d, stride %d, pad %d (pad at most half the kernel)", k, stride, pad);
    PoolGeom q = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3], .KH = k, .KW = k,
                  .SH = stride, .SW = stride, .PH = pad, .PW = pad, .count_pad = 1};
    OP_REQUIRE(q.H + 2 * pad >= k && q.W + 2 * pad >= k, op, x, NULL, NULL, "window %d larger than the input", k);
    q.OH = (q.H + 2 * pad - k) / stride + 1;
    q.OW = (q.W + 2 * pad - k) / stride + 1;
    return q;
}

static void maxpool_backward(Ctx *c, const TapeRec *r)
{
    float *dx = ag_grad(c, r->in[0]);
    if (dx) c->be->maxpool_bwd(c->bc, r->haux, r->out->grad, r->aux, dx);
}

Tensor *op_maxpool2d(Ctx *c, Tensor *x, int k, int stride, int pad)
{
    ctx_check_device(c, "op_maxpool2d", x, NULL, NULL);
    PoolGeom q = pool_geom("op_maxpool2d", x, k, stride, pad);
    Tensor *y = tensor_new(c, SHAPE(q.N, q.C, q.OH, q.OW));
    int32_t *argmax = ctx_scratch(c, sizeof(int32_t) * (size_t)y->numel);
    c->be->maxpool_fwd(c->bc, &q, x->data, y->data, argmax);
    TapeRec *r = ag_record(c, "maxpool2d", maxpool_backward, y, (Tensor *[]){x}, 1);
    if (r) {
        PoolGeom *keep = ctx_host_scratch(c, sizeof *keep);
        *keep = q;
        r->haux = keep;
        r->aux = argmax;
    }
    return y;
}

static void avgpool_backward(Ctx *c, const TapeRec *r)
{
    float *dx = ag_grad(c, r->in[0]);
    if (dx) c->be->avgpool_bwd(c->bc, r->haux, r->out->grad, dx);
}

Tensor *op_avgpool2d(Ctx *c, Tensor *x, int k, int stride, int pad)
{
    ctx_check_device(c, "op_avgpool2d", x, NULL, NULL);
    PoolGeom q = pool_geom("op_avgpool2d", x, k, stride, pad);
    Tensor *y = tensor_new(c, SHAPE(q.N, q.C, q.OH, q.OW));
    c->be->avgpool_fwd(c->bc, &q, x->data, y->data);
    TapeRec *r = ag_record(c, "avgpool2d", avgpool_backward, y, (Tensor *[]){x}, 1);
    if (r) {
        PoolGeom *keep = ctx_host_scratch(c, sizeof *keep);
        *keep = q;
        r->haux = keep;
    }
    return y;
}

static void upsample_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (dx)
        c->be->upsample_bwd(c->bc, x->shape[0], x->shape[1], x->shape[2], x->shape[3], (int)r->ip[0], r->out->grad,
                            dx);
}

Tensor *op_upsample_nearest(Ctx *c, Tensor *x, int factor)
{
    ctx_check_device(c, "op_upsample_nearest", x, NULL, NULL);
    OP_REQUIRE(x->ndim == 4 && factor >= 1, "op_upsample_nearest", x, NULL, NULL, "x must be (N, C, H, W), factor %d",
               factor);
    Tensor *y = tensor_new(c, SHAPE(x->shape[0], x->shape[1], x->shape[2] * factor, x->shape[3] * factor));
    c->be->upsample_fwd(c->bc, x->shape[0], x->shape[1], x->shape[2], x->shape[3], factor, x->data, y->data);
    TapeRec *r = ag_record(c, "upsample_nearest", upsample_backward, y, (Tensor *[]){x}, 1);
    if (r) r->ip[0] = factor;
    return y;
}
