#!/usr/bin/env python3
"""Reference for tests/unit/test_googlenet.c: kuangliu/pytorch-cifar's GoogLeNet (its code
below, with every channel count divided by WIDTH_DIV) with random weights and BatchNorm
state, in float64. Stored (float32) in tests/ref/googlenet_ref.h5 under the engine's names
(src/engine/models/googlenet.c):

  params, buffers  every parameter / BatchNorm running statistic before the forward, flat:
                   the pieces are named in attrs param_names / buffer_names (one name a
                   line) with their sizes in param_sizes / buffer_sizes
  x, R             the input (2, 3, 32, 32) and a random upstream gradient for the logits
  out_train        the train-mode logits (batch statistics); dx and grads (laid out as
                   params) are the gradients of sum(R * out_train) for the input and the
                   parameters
  buffers_after    the running statistics after that forward (momentum 0.1)
  out_eval         the eval-mode logits afterwards (with the updated running statistics)
  attrs: width_div, n_classes, params_wd1 (the full network's parameter count), seed

Usage: /usr/bin/python3 tests/ref/make_googlenet_ref.py"""
import copy
import os

import h5py
import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH_DIV, N_CLASSES = 8, 10
# The C test compares float32 against this float64 reference. A ReLU input, or a max-pool
# window's runner-up, that float32 noise can carry across its decision point changes a
# gradient by O(1), so of SEEDS seeds the script keeps the one whose decisions stand farthest
# from their thresholds, measured in units of the float32 error PyTorch itself shows there.
SEEDS = 60


class Inception(nn.Module):
    def __init__(self, in_planes, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(in_planes, n1x1, kernel_size=1), nn.BatchNorm2d(n1x1), nn.ReLU(True))
        self.b2 = nn.Sequential(
            nn.Conv2d(in_planes, n3x3red, kernel_size=1), nn.BatchNorm2d(n3x3red), nn.ReLU(True),
            nn.Conv2d(n3x3red, n3x3, kernel_size=3, padding=1), nn.BatchNorm2d(n3x3), nn.ReLU(True))
        self.b3 = nn.Sequential(
            nn.Conv2d(in_planes, n5x5red, kernel_size=1), nn.BatchNorm2d(n5x5red), nn.ReLU(True),
            nn.Conv2d(n5x5red, n5x5, kernel_size=3, padding=1), nn.BatchNorm2d(n5x5), nn.ReLU(True),
            nn.Conv2d(n5x5, n5x5, kernel_size=3, padding=1), nn.BatchNorm2d(n5x5), nn.ReLU(True))
        self.b4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(in_planes, pool_planes, kernel_size=1),
            nn.BatchNorm2d(pool_planes), nn.ReLU(True))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, n_classes=10, wd=1):
        super().__init__()

        def I(*ch):  # noqa: E743
            return Inception(*[c // wd for c in ch])

        self.pre_layers = nn.Sequential(nn.Conv2d(3, 192 // wd, kernel_size=3, padding=1), nn.BatchNorm2d(192 // wd),
                                        nn.ReLU(True))
        self.a3 = I(192, 64, 96, 128, 16, 32, 32)
        self.b3 = I(256, 128, 128, 192, 32, 96, 64)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.a4 = I(480, 192, 96, 208, 16, 48, 64)
        self.b4 = I(512, 160, 112, 224, 24, 64, 64)
        self.c4 = I(512, 128, 128, 256, 24, 64, 64)
        self.d4 = I(512, 112, 144, 288, 32, 64, 64)
        self.e4 = I(528, 256, 160, 320, 32, 128, 128)
        self.a5 = I(832, 256, 160, 320, 32, 128, 128)
        self.b5 = I(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AvgPool2d(8, stride=1)
        self.linear = nn.Linear(1024 // wd, n_classes)

    def forward(self, x):
        out = self.b3(self.a3(self.pre_layers(x)))
        out = self.maxpool(out)
        out = self.e4(self.d4(self.c4(self.b4(self.a4(out)))))
        out = self.maxpool(out)
        out = self.avgpool(self.b5(self.a5(out)))
        return self.linear(out.view(out.size(0), -1))


# kuangliu's Sequential indices -> the engine's names (conv, bn per branch)
BRANCH = {"b1": {0: "conv", 1: "bn"}, "b2": {0: "conv1", 1: "bn1", 3: "conv2", 4: "bn2"},
          "b3": {0: "conv1", 1: "bn1", 3: "conv2", 4: "bn2", 6: "conv3", 7: "bn3"}, "b4": {1: "conv", 2: "bn"}}


def engine_name(k):
    parts = k.split(".")
    if parts[0] == "pre_layers":
        return "pre." + {0: "conv", 1: "bn"}[int(parts[1])] + "." + parts[2]
    if parts[0] == "linear":
        return k
    block, branch, idx, leaf = parts
    return f"{block}.{branch}.{BRANCH[branch][int(idx)]}.{leaf}"


def randomise(net, g, xs):
    """BatchNorm state that tests something: gamma, beta away from 1, 0, and running statistics
    near those of real activations (taken from a forward on another batch, then perturbed) so
    the eval-mode output stays O(1) through the 64 normalisations."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g, dtype=torch.float64))
            m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g, dtype=torch.float64))
            m.momentum = 1.0
        net.train()
        net(xs)
        for m in bns:
            m.momentum = 0.1
            m.running_mean.add_(0.1 * torch.randn(m.running_mean.shape, generator=g, dtype=torch.float64))
            m.running_var.mul_(0.8 + 0.4 * torch.rand(m.running_var.shape, generator=g, dtype=torch.float64))


def decisions(net, x):
    """(kind, input) of every ReLU (its input: the BatchNorm output) and max-pool in a
    train-mode forward; the state is restored afterwards (the forward moves running stats)."""
    seen = []
    hs = [m.register_forward_hook(lambda _m, _i, o: seen.append(("relu", o.detach().clone(), None)))
          for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    hs += [m.register_forward_hook(lambda m, i, _o: seen.append(("pool", i[0].detach().clone(), m)))
           for m in net.modules() if isinstance(m, nn.MaxPool2d)]
    state = copy.deepcopy(net.state_dict())
    with torch.no_grad():
        net.train()
        net(x)
    net.load_state_dict(state)
    for h in hs:
        h.remove()
    return seen


def decision_margin(net, x):
    """min over ReLUs of |input| and over max-pool windows of (max - runner-up), each divided by
    the RMS difference between a float32 and this float64 forward at that layer. Exact pool ties
    (a stride-2 pool's output repeats values) resolve to the first maximum in both engines, and
    windows whose maximum is a post-ReLU 0 pass no gradient, so neither counts."""
    worst = float("inf")
    for (kind, v, m), (_, v32, _) in zip(decisions(net, x), decisions(copy.deepcopy(net).float(), x.float())):
        err = (v - v32.double()).pow(2).mean().sqrt().item() + 1e-12
        if kind == "relu":
            gap = v.abs().min().item()
        else:
            # (N, C*9, L); pool inputs are post-ReLU, so the zero padding never outranks a value
            u = nn.functional.unfold(v, 3, padding=m.padding, stride=m.stride)
            top = torch.topk(u.view(u.shape[0], -1, 9, u.shape[-1]), 2, dim=2).values
            d = (top[:, :, 0] - top[:, :, 1])[(top[:, :, 0] > 0) & (top[:, :, 0] != top[:, :, 1])]
            gap = d.min().item() if d.numel() else float("inf")
        worst = min(worst, gap / err)
    return worst


def build(seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = GoogLeNet(N_CLASSES, WIDTH_DIV).double()
    randomise(net, g, torch.randn((4, 3, 32, 32), generator=g, dtype=torch.float64))
    x = torch.randn((2, 3, 32, 32), generator=g, dtype=torch.float64).float().double()
    with torch.no_grad():  # float32 values are what the C engine holds
        for t in list(net.parameters()) + list(net.buffers()):
            if t.is_floating_point():
                t.copy_(t.float().double())
    return net, x


def pick_seed():
    return max((decision_margin(*build(seed)), seed) for seed in range(1, SEEDS + 1))[::-1]


seed, margin = pick_seed()
net, x = build(seed)

def flat(named):
    """One float32 vector, with the names and sizes of its pieces in order (one dataset per
    tensor would cost ~300 bytes of HDF5 headers each: 800 of them doubled the file)."""
    named = [(engine_name(k), v.detach().reshape(-1).numpy()) for k, v in named if not k.endswith("num_batches_tracked")]
    return (np.concatenate([v for _, v in named]).astype(np.float32), "\n".join(k for k, _ in named),
            np.array([v.size for _, v in named], np.int32))


params_before, param_names, param_sizes = flat(net.named_parameters())
buffers_before, buffer_names, buffer_sizes = flat(net.named_buffers())

net.train()
xt = x.clone().requires_grad_(True)
out_train = net(xt)
R = torch.randn(out_train.shape, generator=torch.Generator().manual_seed(seed + 1000), dtype=torch.float64)
R = R.float().double()
(out_train * R).sum().backward()
grads = flat((k, p.grad) for k, p in net.named_parameters())[0]
buffers_after = flat(net.named_buffers())[0]
net.eval()
with torch.no_grad():
    out_eval = net(x)

n_full = sum(p.numel() for p in GoogLeNet(10, 1).parameters())
with h5py.File(os.path.join(HERE, "googlenet_ref.h5"), "w") as f:
    f.attrs["made_by"] = "tests/ref/make_googlenet_ref.py, torch " + torch.__version__
    f.attrs["width_div"] = np.int32(WIDTH_DIV)
    f.attrs["n_classes"] = np.int32(N_CLASSES)
    f.attrs["params_wd1"] = np.int32(n_full)
    f.attrs["seed"] = np.int32(seed)
    f.attrs["param_names"], f.attrs["param_sizes"] = param_names, param_sizes
    f.attrs["buffer_names"], f.attrs["buffer_sizes"] = buffer_names, buffer_sizes
    f["x"] = x.numpy().astype(np.float32)
    f["R"] = R.numpy().astype(np.float32)
    f["out_train"] = out_train.detach().numpy().astype(np.float32)
    f["out_eval"] = out_eval.numpy().astype(np.float32)
    f["dx"] = xt.grad.numpy().astype(np.float32)
    f["params"], f["grads"] = params_before, grads
    f["buffers"], f["buffers_after"] = buffers_before, buffers_after
print("wrote", os.path.join(HERE, "googlenet_ref.h5"), f"(seed {seed}, decisions >= {margin:.1f} x the float32 noise);",
      sum(p.numel() for p in net.parameters()), "parameters at width_div", WIDTH_DIV, ";", n_full, "at width_div 1")
