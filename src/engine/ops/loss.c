/* Losses: softmax cross-entropy against class indices (fused, keeps the probabilities) and
 * mean squared error, per sample and averaged. */
#include "ops/ops_util.h"

static void xent_backward(Ctx *c, const TapeRec *r)
{
    Tensor *x = r->in[0];
    float *dx = ag_grad(c, x);
    if (dx) c->be->xent_bwd(c->bc, x->shape[0], x->shape[1], r->saved[0]->data, r->in[1]->data, r->out->grad, dx);
}

Tensor *op_cross_entropy(Ctx *c, Tensor *logits, Tensor *labels)
{
    static const char *op = "op_cross_entropy";
    ctx_check_device(c, op, logits, labels, NULL);
    OP_REQUIRE(logits->ndim == 2, op, logits, labels, NULL, "logits must be (N, K)");
    OP_REQUIRE(labels->numel == logits->shape[0], op, logits, labels, NULL, "one label per row expected");
    OP_REQUIRE(!labels->requires_grad, op, logits, labels, NULL, "labels cannot require a gradient");
    const int N = logits->shape[0], K = logits->shape[1];
    Tensor *loss = tensor_new(c, SHAPE(N));
    Tensor *prob = tensor_new(c, SHAPE(N, K));
    c->be->xent_fwd(c->bc, N, K, logits->data, labels->data, loss->data, prob->data);
    TapeRec *r = ag_record(c, "cross_entropy", xent_backward, loss, (Tensor *[]){logits, labels}, 2);
    if (r) r->saved[0] = prob;
    return loss;
}

Tensor *op_cross_entropy_mean(Ctx *c, Tensor *logits, Tensor *labels)
{
    return op_mean(c, op_cross_entropy(c, logits, labels));
}

static void mse_backward(Ctx *c, const TapeRec *r)
{
    Tensor *a = r->in[0], *b = r->in[1];
    float *da = ag_grad(c, a), *db = ag_grad(c, b);
    const int N = a->shape[0];
    if (da || db) c->be->mse_bwd(c->bc, N, (int)(a->numel / N), a->data, b->data, r->out->grad, da, db);
}

Tensor *op_mse(Ctx *c, Tensor *a, Tensor *b)
{
    static const char *op = "op_mse";
    ctx_check_device(c, op, a, b, NULL);
    OP_REQUIRE(tensor_same_shape(a, b), op, a, b, NULL, "prediction and target differ in shape");
    const int N = a->shape[0];
    Tensor *loss = tensor_new(c, SHAPE(N));
    c->be->mse_fwd(c->bc, N, (int)(a->numel / N), a->data, b->data, loss->data);
    ag_record(c, "mse", mse_backward, loss, (Tensor *[]){a, b}, 2);
    return loss;
}

Tensor *op_mse_mean(Ctx *c, Tensor *a, Tensor *b) { return op_mean(c, op_mse(c, a, b)); }
