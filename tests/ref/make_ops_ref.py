#!/usr/bin/env python3
"""Writes the reference fixtures the C tests compare against (run once; the .h5 files are
committed, so the tests never need PyTorch):

  ops_ref.h5    one group per case: attributes op, ip, fp, grad; datasets in0.., out (the
                forward in float64), gout (a random upstream gradient) and gin<k> (the
                input gradients for gout), plus rm_after/rv_after for batch norm.
  optim_ref.h5  SGD / Adam / AdamW trajectories over three steps (float32, as PyTorch runs them).

The op names and the meaning of ip/fp follow tests/support/op_cases.h.

Usage: /usr/bin/python3 tests/ref/make_ops_ref.py   (Debian's python3-torch and python3-h5py)
"""
import math
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261123)


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def spatial_attention(x, wqkv, bqkv, wo, bo, heads):
    N, C, H, W = x.shape
    L, dh = H * W, C // heads
    rows = x.permute(0, 2, 3, 1).reshape(N * L, C)
    qkv = []
    for i in range(3):
        t = F.linear(rows, wqkv[i * C:(i + 1) * C], bqkv[i * C:(i + 1) * C])
        qkv.append(t.reshape(N, L, heads, dh).permute(0, 2, 1, 3).reshape(N * heads, L, dh))
    p = torch.softmax(qkv[0] @ qkv[1].transpose(1, 2) / math.sqrt(dh), dim=-1)
    att = (p @ qkv[2]).reshape(N, heads, L, dh).permute(0, 2, 1, 3).reshape(N * L, C)
    return F.linear(att, wo, bo).reshape(N, H, W, C).permute(0, 3, 1, 2)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float64) * -(math.log(10000.0) / (half - 1)))
    a = t[:, None] * freqs[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


def nerf_composite(raw, z, white):
    # the authors' TinyNeRF rendering (OCD-SPEC §7): last interval 1e10, exclusive cumprod
    R, S = z.shape
    raw = raw.reshape(R, S, 4)
    rgb, sigma = torch.sigmoid(raw[..., :3]), torch.relu(raw[..., 3])
    dists = torch.cat([z[:, 1:] - z[:, :-1], torch.full((R, 1), 1e10, dtype=z.dtype)], -1)
    alpha = 1.0 - torch.exp(-sigma * dists)
    T = torch.cumprod(torch.cat([torch.ones(R, 1, dtype=z.dtype), 1.0 - alpha + 1e-10], -1), -1)[:, :-1]
    w = alpha * T
    out = (w[..., None] * rgb).sum(1)
    return out + (1.0 - w.sum(1, keepdim=True)) if white else out


def apply(op, xs, ip, fp):
    if op == "linear":
        return F.linear(*xs)
    if op == "linear_per_sample":
        x, w = xs[0], xs[1]
        y = torch.einsum("boi,bi->bo", w, x) if x.dim() == 2 else torch.einsum("boi,bri->bro", w, x)
        if len(xs) == 3:
            y = y + (xs[2] if x.dim() == 2 else xs[2][:, None, :])
        return y
    if op == "conv2d":
        return F.conv2d(xs[0], xs[1], xs[2] if len(xs) == 3 else None, stride=ip[0], padding=ip[1])
    if op == "maxpool2d":
        return F.max_pool2d(xs[0], ip[0], ip[1], ip[2])
    if op == "avgpool2d":
        return F.avg_pool2d(xs[0], ip[0], ip[1], ip[2])
    if op == "upsample":
        return F.interpolate(xs[0], scale_factor=ip[0], mode="nearest")
    if op in ("relu", "silu", "gelu", "tanh", "sigmoid"):
        return {"relu": F.relu, "silu": F.silu, "gelu": F.gelu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[op](xs[0])
    if op == "add":
        return xs[0] + xs[1]
    if op == "sub":
        return xs[0] - xs[1]
    if op == "mul":
        return xs[0] * xs[1]
    if op == "div":
        return xs[0] / xs[1]
    if op == "sum_dim":
        return xs[0].sum(dim=ip[0])
    if op == "nerf_composite":
        return nerf_composite(xs[0], xs[1], ip[0])
    if op == "scale":
        return xs[0] * fp[0]
    if op == "permute":
        return xs[0].permute(*ip[: xs[0].dim()])
    if op == "concat":
        return torch.cat(xs, dim=ip[0])
    if op == "pad":
        nd = xs[0].dim()
        pads = []
        for d in reversed(range(nd)):
            pads += [ip[d], ip[nd + d]]
        return F.pad(xs[0], pads)
    if op == "slice":
        nd = xs[0].dim()
        return xs[0][tuple(slice(ip[d], ip[d] + ip[nd + d]) for d in range(nd))]
    if op == "reshape_mul":
        return xs[0].reshape(*ip[1: 1 + ip[0]]) * xs[1]
    if op == "sum":
        return xs[0].sum().reshape(1)
    if op == "mean":
        return xs[0].mean().reshape(1)
    if op == "softmax":
        return torch.softmax(xs[0], dim=-1)
    if op == "log_softmax":
        return torch.log_softmax(xs[0], dim=-1)
    if op == "cross_entropy":
        return F.cross_entropy(xs[0], xs[1].long(), reduction="none")
    if op == "cross_entropy_mean":
        return F.cross_entropy(xs[0], xs[1].long()).reshape(1)
    if op == "mse":
        return ((xs[0] - xs[1]) ** 2).reshape(xs[0].shape[0], -1).mean(dim=1)
    if op == "mse_mean":
        return F.mse_loss(xs[0], xs[1]).reshape(1)
    if op == "group_norm":
        return F.group_norm(xs[0], ip[0], xs[1], xs[2], fp[0])
    if op == "layer_norm":
        return F.layer_norm(xs[0], (xs[0].shape[-1],), xs[1], xs[2], fp[0])
    if op == "batch_norm":
        return F.batch_norm(xs[0], xs[3], xs[4], xs[1], xs[2], bool(ip[0]), fp[0], fp[1])
    if op == "attention":
        p = torch.softmax(xs[0] @ xs[1].transpose(1, 2) * fp[0], dim=-1)
        return p @ xs[2]
    if op == "spatial_attention":
        return spatial_attention(*xs, ip[0])
    if op == "timestep_embedding":
        return timestep_embedding(xs[0], ip[0])
    raise ValueError(op)


# name, op, inputs [(array, requires_grad)], ip, fp
def cases():
    var = lambda *s: rng.uniform(0.5, 1.5, s).astype(np.float32)
    labels = lambda n, k: rng.integers(0, k, n).astype(np.float32)
    distinct = lambda *s: (rng.permutation(int(np.prod(s))) * 0.05 - 1.0).astype(np.float32).reshape(s)
    yield "linear_bias", "linear", [(normal(5, 7), 1), (normal(3, 7), 1), (normal(3), 1)], [], []
    yield "linear_nobias_3d", "linear", [(normal(2, 3, 6), 1), (normal(5, 6), 1)], [], []
    yield "linear_per_sample", "linear_per_sample", [(normal(3, 5), 1), (normal(3, 4, 5), 1), (normal(3, 4), 1)], [], []
    yield "linear_per_sample_rows", "linear_per_sample", [(normal(2, 3, 5), 1), (normal(2, 4, 5), 1)], [], []
    yield "conv_3x3_s1_p1", "conv2d", [(normal(2, 3, 7, 7), 1), (normal(4, 3, 3, 3), 1), (normal(4), 1)], [1, 1], []
    yield "conv_3x3_s2_p0", "conv2d", [(normal(2, 2, 9, 8), 1), (normal(3, 2, 3, 3), 1), (normal(3), 1)], [2, 0], []
    yield "conv_1x1", "conv2d", [(normal(3, 4, 5, 5), 1), (normal(5, 4, 1, 1), 1), (normal(5), 1)], [1, 0], []
    yield "conv_lenet_c1", "conv2d", [(normal(4, 1, 28, 28), 1), (normal(6, 1, 5, 5), 1), (normal(6), 1)], [1, 2], []
    yield "conv_lenet_c3", "conv2d", [(normal(40, 16, 5, 5), 1), (normal(12, 16, 5, 5), 1), (normal(12), 1)], [1, 0], []
    yield "conv_grouped", "conv2d", [(normal(300, 2, 3, 3), 1), (normal(3, 2, 2, 2), 1), (normal(3), 1)], [1, 0], []
    yield "maxpool_k2_s2", "maxpool2d", [(distinct(2, 3, 6, 6), 1)], [2, 2, 0], []
    yield "maxpool_k3_s2_p1", "maxpool2d", [(distinct(1, 2, 7, 7), 1)], [3, 2, 1], []
    yield "avgpool_k2_s2", "avgpool2d", [(normal(2, 3, 6, 6), 1)], [2, 2, 0], []
    yield "avgpool_k3_s2_p1", "avgpool2d", [(normal(1, 2, 7, 7), 1)], [3, 2, 1], []
    yield "upsample_x2", "upsample", [(normal(2, 3, 3, 4), 1)], [2], []
    for op in ("relu", "silu", "gelu", "tanh", "sigmoid"):
        yield op, op, [(normal(3, 5, 7) * 2, 1)], [], []
    yield "add_channel_bcast", "add", [(normal(2, 3, 4, 5), 1), (normal(3, 1, 1), 1)], [], []
    yield "sub_row_bcast", "sub", [(normal(4, 5), 1), (normal(5), 1)], [], []
    yield "mul_mid_bcast", "mul", [(normal(2, 3, 4), 1), (normal(2, 1, 4), 1)], [], []
    yield "scale", "scale", [(normal(3, 4), 1)], [], [2.5]
    yield "div_bcast", "div", [(normal(3, 4, 5), 1), (var(4, 1), 1)], [], []
    yield "sum_dim_middle", "sum_dim", [(normal(3, 4, 5), 1)], [1], []
    depths = lambda r, s: (2.0 + np.cumsum(rng.uniform(0.05, 0.25, (r, s)), axis=1)).astype(np.float32)
    away = lambda *s: (lambda a: a + np.where(a >= 0, 0.1, -0.1).astype(np.float32))(normal(*s))
    yield "nerf_composite", "nerf_composite", [(away(40, 4), 1), (depths(5, 8), 0)], [0], []
    yield "nerf_composite_white", "nerf_composite", [(away(24, 4), 1), (depths(4, 6), 0)], [1], []
    yield "permute_4d", "permute", [(normal(2, 3, 4, 5), 1)], [0, 2, 3, 1], []
    yield "concat_axis1", "concat", [(normal(2, 3, 4), 1), (normal(2, 2, 4), 1)], [1], []
    yield "pad_3d", "pad", [(normal(2, 3, 4), 1)], [0, 1, 2, 1, 0, 3], []
    yield "slice_3d", "slice", [(normal(3, 5, 6), 1)], [1, 0, 2, 2, 4, 3], []
    yield "reshape_view", "reshape_mul", [(normal(2, 3, 4), 1), (normal(4), 1)], [2, 6, 4], []
    yield "sum", "sum", [(normal(3, 4, 5), 1)], [], []
    yield "mean", "mean", [(normal(7, 3), 1)], [], []
    yield "softmax", "softmax", [(normal(4, 7) * 3, 1)], [], []
    yield "log_softmax", "log_softmax", [(normal(3, 2, 5) * 3, 1)], [], []
    yield "cross_entropy", "cross_entropy", [(normal(6, 5) * 2, 1), (labels(6, 5), 0)], [], []
    yield "cross_entropy_mean", "cross_entropy_mean", [(normal(8, 10) * 2, 1), (labels(8, 10), 0)], [], []
    yield "mse", "mse", [(normal(4, 3, 2), 1), (normal(4, 3, 2), 1)], [], []
    yield "mse_mean", "mse_mean", [(normal(5, 3), 1), (normal(5, 3), 1)], [], []
    yield "group_norm_4d", "group_norm", [(normal(2, 6, 3, 3) * 2 + 1, 1), (normal(6), 1), (normal(6), 1)], [3], [1e-5]
    yield "group_norm_32", "group_norm", [(normal(2, 64, 4, 4), 1), (normal(64), 1), (normal(64), 1)], [32], [1e-6]
    yield "layer_norm", "layer_norm", [(normal(4, 7) * 2 + 1, 1), (normal(7), 1), (normal(7), 1)], [], [1e-5]
    yield "batch_norm_train", "batch_norm", [(normal(4, 3, 2, 2) + 0.5, 1), (normal(3), 1), (normal(3), 1),
                                             (normal(3), 0), (var(3), 0)], [1], [0.1, 1e-5]
    yield "batch_norm_eval", "batch_norm", [(normal(4, 3, 2, 2), 1), (normal(3), 1), (normal(3), 1),
                                            (normal(3), 0), (var(3), 0)], [0], [0.1, 1e-5]
    yield "attention", "attention", [(normal(2, 3, 4), 1), (normal(2, 5, 4), 1), (normal(2, 5, 3), 1)], [], [0.5]
    yield "spatial_attention", "spatial_attention", [(normal(2, 4, 3, 3), 1), (normal(12, 4) * 0.5, 1),
                                                     (normal(12), 1), (normal(4, 4) * 0.5, 1), (normal(4), 1)], [2], []
    yield "timestep_embedding", "timestep_embedding", [(np.array([0, 1, 17, 250, 999], np.float32), 0)], [16], []


def write_ops(path):
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["made_by"] = "tests/ref/make_ops_ref.py, torch " + torch.__version__
        for name, op, inputs, ip, fp in cases():
            g = f.create_group(name)
            g.attrs["op"] = op
            g.attrs["ip"] = np.array(ip if ip else [0], np.int32)
            g.attrs["fp"] = np.array(fp if fp else [0.0], np.float32)
            g.attrs["grad"] = np.array([rq for _, rq in inputs], np.int32)
            ts = []
            for i, (arr, rq) in enumerate(inputs):
                g.create_dataset(f"in{i}", data=arr)
                ts.append(torch.tensor(arr, dtype=torch.float64, requires_grad=bool(rq)))
            out = apply(op, ts, ip, fp)
            g.create_dataset("out", data=out.detach().numpy().astype(np.float32))
            if op == "batch_norm":
                g.create_dataset("rm_after", data=ts[3].detach().numpy().astype(np.float32))
                g.create_dataset("rv_after", data=ts[4].detach().numpy().astype(np.float32))
            want = [t for t in ts if t.requires_grad]
            if want:
                gout = normal(*out.shape)
                g.create_dataset("gout", data=gout)
                grads = torch.autograd.grad(out, want, torch.tensor(gout, dtype=torch.float64))
                k = 0
                for i, t in enumerate(ts):
                    if t.requires_grad:
                        g.create_dataset(f"gin{i}", data=grads[k].numpy().astype(np.float32))
                        k += 1


def write_optim(path):
    n = 37
    configs = [
        ("sgd", dict(kind=0, lr=0.1, momentum=0.0, wd=0.0), lambda p: torch.optim.SGD(p, lr=0.1)),
        ("sgd_momentum_wd", dict(kind=0, lr=0.1, momentum=0.9, wd=0.01),
         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
        ("adam", dict(kind=1, lr=1e-2, momentum=0.0, wd=0.0), lambda p: torch.optim.Adam(p, lr=1e-2)),
        ("adam_l2", dict(kind=1, lr=1e-2, momentum=0.0, wd=0.1),
         lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.1)),
        ("adamw", dict(kind=2, lr=1e-2, momentum=0.0, wd=0.1),
         lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1)),
    ]
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["made_by"] = "tests/ref/make_ops_ref.py, torch " + torch.__version__
        for name, cfg, make in configs:
            g = f.create_group(name)
            for k, v in cfg.items():
                g.attrs[k] = v
            p0 = normal(n)
            grads = [normal(n) for _ in range(3)]
            p = torch.tensor(p0, requires_grad=True)
            opt = make([p])
            g.create_dataset("p0", data=p0)
            for s, gr in enumerate(grads):
                p.grad = torch.tensor(gr)
                opt.step()
                g.create_dataset(f"g{s + 1}", data=gr)
                g.create_dataset(f"p{s + 1}", data=p.detach().numpy().copy())


if __name__ == "__main__":
    torch.manual_seed(0)
    write_ops(os.path.join(HERE, "ops_ref.h5"))
    write_optim(os.path.join(HERE, "optim_ref.h5"))
    print("wrote", os.path.join(HERE, "ops_ref.h5"), "and optim_ref.h5")
