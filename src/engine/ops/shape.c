/* Shape ops: reshape (a view), permute, concat, pad and slice, all through the backend's
 * strided copy. Shapes are right-aligned into 4 dims. */
#include "ops/ops_util.h"

Tensor *op_reshape(Ctx *c, Tensor *x, int ndim, const int *shape)
{
    ctx_check_device(c, "op_reshape", x, NULL, NULL);
    return tensor_view(c, x, ndim, shape);
}

/* ---- permute ---- */
static void permute_backward(Ctx *c, const TapeRec *r)
{
    float *dx = ag_grad(c, r->in[0]);
    if (!dx) return;
    const int *shape = (const int *)r->haux;
    const int64_t *sx = (const int64_t *)(shape + 4), *sy = sx + 4;
    c->be->copy_strided(c->bc, shape, r->out->grad, sy, dx, sx, 1);
}

Tensor *op_permute(Ctx *c, Tensor *x, const int *perm)
{
    static const char *op = "op_permute";
    ctx_check_device(c, op, x, NULL, NULL);
    const int nd = x->ndim;
    int seen[MAX_DIMS] = {0}, shape[MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        OP_REQUIRE(perm[d] >= 0 && perm[d] < nd && !seen[perm[d]], op, x, NULL, NULL, "perm is not a permutation");
        seen[perm[d]] = 1;
        shape[d] = x->shape[perm[d]];
    }
    Tensor *y = tensor_new(c, nd, shape);
    /* copy over y's index space, reading x at permuted strides */
    int xs4[4], ys4[4];
    shape4(x, xs4);
    shape4(y, ys4);
    int64_t xst[4], yst[4], sx[4] = {0, 0, 0, 0};
    strides4(xs4, xst);
    strides4(ys4, yst);
    for (int d = 0; d < nd; d++) sx[4 - nd + d] = xst[4 - nd + perm[d]];
    c->be->copy_strided(c->bc, ys4, x->data, sx, y->data, yst, 0);
    TapeRec *r = ag_record(c, "permute", permute_backward, y, (Tensor *[]){x}, 1);
    if (r) {
        int *keep = ctx_host_scratch(c, 4 * sizeof(int) + 8 * sizeof(int64_t));
        memcpy(keep, ys4, 4 * sizeof(int));
        memcpy(keep + 4, sx, 4 * sizeof(int64_t));
        memcpy((int64_t *)(keep + 4) + 4, yst, 4 * sizeof(int64_t));
        r->haux = keep;
    }
    return y;
}

/* ---- sub-blocks: y's strides restricted to a block at an offset ---- */
typedef struct {
    int shape[4];    /* the block's shape (4-D) */
    int64_t off;     /* offset of the block inside the big tensor */
    int64_t big[4];  /* the big tensor's strides */
    int64_t small[4];/* the block's contiguous strides */
} Block;

static Block block_in(const Tensor *big, const int *start, const int *size)
{
    Block b;
    int bs[4];
    shape4(big, bs);
    strides4(bs, b.big);
    for (int d = 0; d < 4; d++) b.shape[d] = 1;
    b.off = 0;
    const int nd = big->ndim;
    for (int d = 0; d < nd; d++) {
        b.shape[4 - nd + d] = size[d];
        b.off += (int64_t)start[d] * b.big[4 - nd + d];
    }
    strides4(b.shape, b.small);
    return b;
}

/* ---- concat ---- */
static void concat_backward(Ctx *c, const TapeRec *r)
{
    const Block *blocks = r->haux;
    for (int i = 0; i < (int)r->ip[0]; i++) {
        float *dx = ag_grad(c, r->in[i]);
        if (dx)
            c->be->copy_strided(c->bc, blocks[i].shape, r->out->grad + blocks[i].off, blocks[i].big, dx,
                                blocks[i].small, 1);
    }
}

Tensor *op_concat(Ctx *c, Tensor *const *xs, int n, int axis)
{
    static const char *op = "op_concat";
    OP_REQUIRE(n >= 1 && n <= TAPE_MAX_IN, op, xs[0], NULL, NULL, "%d inputs (1..%d)", n, TAPE_MAX_IN);
    const int nd = xs[0]->ndim;
    OP_REQUIRE(axis >= 0 && axis < nd, op, xs[0], NULL, NULL, "axis %d", axis);
    int shape[MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[axis] = 0;
    for (int i = 0; i < n; i++) {
        ctx_check_device(c, op, xs[i], NULL, NULL);
        OP_REQUIRE(xs[i]->ndim == nd, op, xs[0], xs[i], NULL, "input %d has another rank", i);
        for (int d = 0; d < nd; d++)
            OP_REQUIRE(d == axis || xs[i]->shape[d] == xs[0]->shape[d], op, xs[0], xs[i], NULL,
                       "input %d differs outside axis %d", i, axis);
        shape[axis] += xs[i]->shape[axis];
    }
    Tensor *y = tensor_new(c, nd, shape);
    Block *blocks = ctx_host_scratch(c, sizeof(Block) * (size_t)n);
    int start[MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        blocks[i] = block_in(y, start, xs[i]->shape);
        c->be->copy_strided(c->bc, blocks[i].shape, xs[i]->data, blocks[i].small, y->data + blocks[i].off,
                            blocks[i].big, 0);
        start[axis] += xs[i]->shape[axis];
    }
    TapeRec *r = ag_record(c, "concat", concat_backward, y, xs, n);
    if (r) {
        r->ip[0] = n;
        r->haux = blocks;
    }
    return y;
}

/* ---- pad and slice: one block copied in each direction ---- */
static void pad_backward(Ctx *c, const TapeRec *r)
{
    const Block *b = r->haux;
    float *dx = ag_grad(c, r->in[0]);
    if (dx) c->be->copy_strided(c->bc, b->shape, r->out->grad + b->off, b->big, dx, b->small, 1);
}

Tensor *op_pad(Ctx *c, Tensor *x, const int *before, const int *after)
{
    ctx_check_device(c, "op_pad", x, NULL, NULL);
    int shape[MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        OP_REQUIRE(before[d] >= 0 && after[d] >= 0, "op_pad", x, NULL, NULL, "negative padding on dim %d", d);
        shape[d] = x->shape[d] + before[d] + after[d];
    }
    Tensor *y = tensor_zeros(c, x->ndim, shape);
    Block *b = ctx_host_scratch(c, sizeof *b);
    *b = block_in(y, before, x->shape);
    c->be->copy_strided(c->bc, b->shape, x->data, b->small, y->data + b->off, b->big, 0);
    TapeRec *r = ag_record(c, "pad", pad_backward, y, (Tensor *[]){x}, 1);
    if (r) r->haux = b;
    return y;
}

static void slice_backward(Ctx *c, const TapeRec *r)
{
    const Block *b = r->haux;
    float *dx = ag_grad(c, r->in[0]);
    if (dx) c->be->copy_strided(c->bc, b->shape, r->out->grad, b->small, dx + b->off, b->big, 1);
}

Tensor *op_slice(Ctx *c, Tensor *x, const int *start, const int *size)
{
    ctx_check_device(c, "op_slice", x, NULL, NULL);
    for (int d = 0; d < x->ndim; d++)
        OP_REQUIRE(start[d] >= 0 && size[d] >= 1 && start[d] + size[d] <= x->shape[d], "op_slice", x, NULL, NULL,
                   "dim %d: [%d, %d) outside the tensor", d, start[d], start[d] + size[d]);
    Tensor *y = tensor_new(c, x->ndim, size);
    Block *b = ctx_host_scratch(c, sizeof *b);
    *b = block_in(x, start, size);
    c->be->copy_strided(c->bc, b->shape, x->data + b->off, b->big, y->data, b->small, 0);
    TapeRec *r = ag_record(c, "slice", slice_backward, y, (Tensor *[]){x}, 1);
    if (r) r->haux = b;
    return y;
}
