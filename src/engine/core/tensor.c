/* Tensor headers, step-arena allocation, host copies and views. */
#include "core/tensor.h"

#include "core/check.h"
#include "core/ctx.h"

#include <stdio.h>
#include <string.h>

int64_t shape_numel(int ndim, const int *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

const char *tensor_shape_str(const Tensor *t, ShapeStr *buf)
{
    if (!t) {
        snprintf(buf->s, sizeof buf->s, "(null)");
        return buf->s;
    }
    int n = snprintf(buf->s, sizeof buf->s, "[");
    for (int i = 0; i < t->ndim; i++)
        n += snprintf(buf->s + n, sizeof buf->s - (size_t)n, i ? ",%d" : "%d", t->shape[i]);
    snprintf(buf->s + n, sizeof buf->s - (size_t)n, "]");
    return buf->s;
}

int tensor_same_shape(const Tensor *a, const Tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static Tensor *tensor_header(Ctx *c, int ndim, const int *shape)
{
    ENG_ASSERT(ndim >= 1 && ndim <= MAX_DIMS, "tensor: %d dimensions (1..%d allowed)", ndim, MAX_DIMS);
    Tensor *t = arena_alloc(&c->meta, sizeof *t);
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        ENG_ASSERT(shape[i] > 0, "tensor: dimension %d has size %d", i, shape[i]);
        t->shape[i] = shape[i];
    }
    t->numel = shape_numel(ndim, shape);
    t->device = (uint8_t)c->be->device;
    return t;
}

Tensor *tensor_new(Ctx *c, int ndim, const int *shape)
{
    Tensor *t = tensor_header(c, ndim, shape);
    t->data = arena_alloc(&c->step, (size_t)t->numel * sizeof(float));
    return t;
}

Tensor *tensor_wrap(Ctx *c, int ndim, const int *shape, float *device_data)
{
    Tensor *t = tensor_header(c, ndim, shape);
    t->data = device_data;
    return t;
}

Tensor *tensor_zeros(Ctx *c, int ndim, const int *shape)
{
    Tensor *t = tensor_new(c, ndim, shape);
    c->be->zero(c->bc, t->data, (size_t)t->numel * sizeof(float));
    return t;
}

Tensor *tensor_from_host(Ctx *c, int ndim, const int *shape, const float *host)
{
    Tensor *t = tensor_new(c, ndim, shape);
    c->be->upload(c->bc, t->data, host, (size_t)t->numel * sizeof(float));
    return t;
}

Tensor *tensor_like(Ctx *c, const Tensor *t) { return tensor_new(c, t->ndim, t->shape); }

Tensor *tensor_scalar(Ctx *c, float v) { return tensor_from_host(c, SHAPE(1), &v); }

void tensor_upload(Ctx *c, Tensor *t, const float *host)
{
    c->be->upload(c->bc, t->data, host, (size_t)t->numel * sizeof(float));
}

void tensor_download(Ctx *c, const Tensor *t, float *host)
{
    c->be->download(c->bc, host, t->data, (size_t)t->numel * sizeof(float));
}

float tensor_item(Ctx *c, const Tensor *t)
{
    float v;
    c->be->download(c->bc, &v, t->data, sizeof v);
    return v;
}

static Tensor *tensor_root(Tensor *t) { return t->view_of ? t->view_of : t; }

static Tensor *view_make(Ctx *c, Tensor *base, int ndim, const int *shape, int64_t offset)
{
    Tensor *v = tensor_header(c, ndim, shape);
    Tensor *root = tensor_root(base);
    v->view_of = root;
    v->view_offset = (base->view_of ? base->view_offset : 0) + offset;
    v->data = root->data + v->view_offset;
    v->device = base->device;
    v->requires_grad = base->requires_grad;
    v->is_param = base->is_param;
    v->name = base->name;
    return v;
}

Tensor *tensor_view(Ctx *c, Tensor *base, int ndim, const int *shape)
{
    int64_t n = shape_numel(ndim, shape);
    if (n != base->numel) {
        ShapeStr a;
        ENG_FATAL("tensor_view: cannot view %s (%lld elements) as a shape of %lld elements",
                  tensor_shape_str(base, &a), (long long)base->numel, (long long)n);
    }
    return view_make(c, base, ndim, shape, 0);
}

Tensor *tensor_narrow0(Ctx *c, Tensor *base, int start, int count)
{
    ShapeStr a;
    ENG_ASSERT(start >= 0 && count > 0 && start + count <= base->shape[0],
               "tensor_narrow0: rows [%d, %d) outside %s", start, start + count, tensor_shape_str(base, &a));
    int shape[MAX_DIMS];
    memcpy(shape, base->shape, sizeof shape);
    shape[0] = count;
    int64_t row = base->numel / base->shape[0];
    return view_make(c, base, base->ndim, shape, (int64_t)start * row);
}

float *tensor_grad(Ctx *c, Tensor *t)
{
    if (t->view_of) return tensor_grad(c, t->view_of) + t->view_offset;
    if (!t->grad) {
        ENG_ASSERT(!t->is_param, "tensor_grad: parameter %s has no gradient buffer", t->name ? t->name : "?");
        t->grad = pool_get(&c->grads, (size_t)t->numel * sizeof(float));
        t->grad_pooled = 1;
        c->be->zero(c->bc, t->grad, (size_t)t->numel * sizeof(float));
    }
    return t->grad;
}
