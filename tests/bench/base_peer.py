#!/usr/bin/env python3
"""PyTorch peer for tests/bench/bench_base.c: one training epoch of LeNet5 on MNIST (batch 64,
Adam 1e-3) and of the California MLP (8-256-256-1, dropout 0.1, batch 256, AdamW 1e-3, weight
decay 1e-5), as the product's base stage runs them: a shuffled order each epoch, the batch
gathered from the training set, forward, loss, backward, optimiser step, and the loss (and for
MNIST the batch accuracy) read back every step. Prints one JSON object:
{"torch": version, "rows": {name: median_epoch_seconds}}.

MNIST is read from the same bundled IDX files. The California features are random numbers of
the real split's shape (13209 x 8): the epoch's time does not depend on their values."""
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
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--assets", required=True)
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mn = os.path.join(args.assets, "data", "mnist")
    x_mnist = torch.from_numpy(read_idx(os.path.join(mn, "train-images-idx3-ubyte.gz"), 16).astype(np.float32) / 255.0)
    x_mnist = x_mnist.reshape(-1, 1, 28, 28)
    y_mnist = torch.from_numpy(read_idx(os.path.join(mn, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64))

    rows = {}

    # LeNet5 (the authors'): conv1-pool-conv2-pool-conv3-fc1-fc2
    conv1, conv2, conv3 = torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Conv2d(6, 16, 5), torch.nn.Conv2d(16, 120, 5)
    fc1, fc2 = torch.nn.Linear(120, 84), torch.nn.Linear(84, 10)
    lenet = [conv1, conv2, conv3, fc1, fc2]
    opt = torch.optim.Adam([p for m in lenet for p in m.parameters()], lr=1e-3)

    def lenet_step(x, y):
        n = x.shape[0]
        h = F.max_pool2d(F.relu(conv1(x)), 2)
        h = F.max_pool2d(F.relu(conv2(h)), 2)
        h = F.relu(conv3(h)).reshape(n, 120)
        logits = fc2(F.relu(fc1(h)))
        loss = F.cross_entropy(logits, y)
        lv = loss.item()
        hits = (logits.argmax(1) == y).sum().item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return lv, hits

    rows["lenet5 mnist epoch (60000, b64, Adam)"] = time_epochs(x_mnist, y_mnist, 64, lenet_step, args.epochs)

    n_cal = 13209
    x_cal, y_cal = torch.randn(n_cal, 8), torch.randn(n_cal)
    mlp = torch.nn.Sequential(torch.nn.Linear(8, 256), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(256, 1))
    mlp.train()
    opt_mlp = torch.optim.AdamW(mlp.parameters(), lr=1e-3, weight_decay=1e-5)

    def mlp_step(x, y):
        loss = F.mse_loss(mlp(x).reshape(-1), y)
        lv = loss.item()
        opt_mlp.zero_grad()
        loss.backward()
        opt_mlp.step()
        return lv, 0

    rows["mlp california epoch (13209, b256, AdamW)"] = time_epochs(x_cal, y_cal, 256, mlp_step, args.epochs)
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, sys.stdout)


def time_epochs(x, y, batch, step, epochs):
    import torch
    times = []
    for e in range(epochs + 1):  # epoch 0 warms up
        t0 = time.perf_counter()
        order = torch.randperm(x.shape[0])
        for i0 in range(0, x.shape[0], batch):
            idx = order[i0:i0 + batch]
            step(x[idx], y[idx])
        if e > 0:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == "__main__":
    main()
