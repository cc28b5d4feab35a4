#!/usr/bin/env python3
"""Reference for tests/unit/test_unet.c: a small DDIM U-Net (tests/bench/unet_torch.py) with
random weights, its output for fixed inputs, timesteps and a conditioning embedding, and the
gradients of sum(R * output) for the input and every parameter. Written once (float64 math,
stored float32) to tests/ref/unet_ref.h5; weights are stored under the engine's names.

Usage: /usr/bin/python3 tests/ref/make_unet_ref.py"""
import os
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
from unet_torch import UNet  # noqa: E402

CFG = dict(in_ch=1, out_ch=1, ch=8, ch_mult=(1, 2), num_res_blocks=1, attn_res=(4,), resolution=8, mid_attn=1,
           dropout=0.0, eps=1e-6)

torch.manual_seed(7)
net = UNet(**CFG).double()
with torch.no_grad():  # GroupNorm's default 1/0 hides half the gradients' structure: randomise everything
    for p in net.parameters():
        p.copy_(torch.randn_like(p) * 0.2)
rng = np.random.default_rng(3)
x = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
t = np.array([3, 870], np.float32)
cond = (rng.standard_normal((2, 32)) * 0.5).astype(np.float32)
xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
out = net(xt, torch.tensor(t, dtype=torch.float64), torch.tensor(cond, dtype=torch.float64))
R = rng.standard_normal(out.shape).astype(np.float32)
(out * torch.tensor(R, dtype=torch.float64)).sum().backward()

with h5py.File(os.path.join(HERE, "unet_ref.h5"), "w") as f:
    f.attrs["made_by"] = "tests/ref/make_unet_ref.py, torch " + torch.__version__
    for k, v in CFG.items():
        f.attrs[k] = np.array(v)
    f["x"], f["t"], f["cond"], f["R"] = x, t, cond, R
    f["out"] = out.detach().numpy().astype(np.float32)
    f["dx"] = xt.grad.numpy().astype(np.float32)
    named = dict(net.named_parameters())
    for k, v in net.engine_state().items():
        f[f"weights/{k}"] = v.numpy().astype(np.float32)
    for k, p in named.items():
        kk = k
        if k.startswith("mid_attn."):
            i, rest = k[len("mid_attn."):].split(".", 1)
            kk = f"mid.attn_{int(i) + 1}.{rest}"
        f[f"grads/{kk}"] = p.grad.numpy().astype(np.float32)
print("wrote", os.path.join(HERE, "unet_ref.h5"), sum(p.numel() for p in net.parameters()), "parameters")
