#!/usr/bin/env python3
"""PyTorch peer for tests/bench/bench_overfit.c: the OCD per-sample overfit of LeNet5's fc1
(84 x 120) on the first N MNIST training images, as ocd/overfit.c's overfit_batch does it, so
the two time the same work:

  - LeNet5 as src/engine/models/lenet5.c builds it, with PyTorch's default (random) init:
    conv1 1->6 5x5 pad 2, ReLU, max-pool 2; conv2 6->16 5x5, ReLU, max-pool 2; conv3 16->120
    5x5 on the 5x5 map run as a linear layer over the 400 inputs, ReLU; fc1 120->84, ReLU;
    fc2 84->10. Every parameter is frozen (requires_grad False).
  - a batch of B samples gets B copies of fc1's weight (B x 84 x 120), applied with torch.bmm
    (fc1's bias shared and not updated); `steps` steps of torch.optim.Adam (lr, betas
    (0.9, 0.999), eps 1e-8) on the sum over the batch of each sample's own cross-entropy, the
    whole forward run each step; each sample's loss read back at the first step; then one more
    forward without gradients for the loss after, and the shifts (copies - base) with a
    finiteness check, on the host.

Rows: batched B = 256 and B = 64 over N samples, one at a time (B = 1) over S samples; each the
median of `reps` runs after one warm-up. --device cuda runs it on the GPU (the data and the
model on the device; the read-backs to the host synchronise). Prints one JSON line:
{"torch": version, "threads": n, "rows": {name: median_seconds}}."""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--single", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--assets", required=True)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.samples
    mn = os.path.join(args.assets, "data", "mnist")
    x_all = read_idx(os.path.join(mn, "train-images-idx3-ubyte.gz"), 16)[: n * 784]
    dev = torch.device(args.device)
    x_mnist = torch.from_numpy(x_all.astype(np.float32) / 255.0).reshape(n, 1, 28, 28).to(dev)
    y_mnist = torch.from_numpy(read_idx(os.path.join(mn, "train-labels-idx1-ubyte.gz"), 8)[:n].astype(np.int64)).to(dev)

    conv1, conv2, conv3 = torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Conv2d(6, 16, 5), torch.nn.Conv2d(16, 120, 5)
    fc1, fc2 = torch.nn.Linear(120, 84), torch.nn.Linear(84, 10)
    for mod in (conv1, conv2, conv3, fc1, fc2):
        mod.to(dev)
        mod.eval()
        for p in mod.parameters():
            p.requires_grad_(False)
    w3 = conv3.weight.reshape(120, 400)
    w_base = fc1.weight

    def forward(x, w):
        b = x.shape[0]
        h = F.max_pool2d(F.relu(conv1(x)), 2)
        h = F.max_pool2d(F.relu(conv2(h)), 2)
        h = F.relu(F.linear(h.reshape(b, 400), w3, conv3.bias))
        h = F.relu(torch.bmm(w, h.unsqueeze(2)).squeeze(2) + fc1.bias)
        return fc2(h)

    def overfit_batch(idx):
        x, y = x_mnist[idx], y_mnist[idx]  # the gather (task_fill)
        b = x.shape[0]
        w = w_base.detach().expand(b, 84, 120).clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
        loss0 = None
        for step in range(args.steps):
            loss = F.cross_entropy(forward(x, w), y, reduction="none")
            if step == 0:
                loss0 = loss.detach().cpu().numpy().copy()
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
        with torch.no_grad():
            loss1 = F.cross_entropy(forward(x, w), y, reduction="none").cpu().numpy().copy()
            delta = (w - w_base).cpu().numpy().copy()
        if not np.isfinite(delta).all():
            raise SystemExit("overfit_peer: the weights became non-finite")
        return delta, loss0, loss1

    def time_row(batch, count):
        times = []
        for r in range(args.reps + 1):  # run 0 warms up
            t0 = time.perf_counter()
            for i0 in range(0, count, batch):
                overfit_batch(slice(i0, min(i0 + batch, count)))
            if r > 0:
                times.append(time.perf_counter() - t0)
        return statistics.median(times)

    single = min(args.single, n)
    rows = {
        "one at a time b1": time_row(1, single),
        "batched b256": time_row(256, n),
        "batched b64": time_row(64, n),
    }
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
