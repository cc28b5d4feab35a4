#!/usr/bin/env python3
"""PyTorch peer for tests/bench/bench_unet.c: the same U-Net (unet_torch.py) on the same
device, timed the same way (median over repetitions, synchronised): a forward pass in eval
mode without gradients, and forward + backward of an MSE loss in training mode.
Prints {"torch": version, "fwd": seconds, "fwdbwd": seconds}."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_torch import UNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--tf32", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", default="paper")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = bool(args.tf32)
    torch.backends.cudnn.allow_tf32 = bool(args.tf32)
    torch.backends.cudnn.benchmark = True
    dev = torch.device(args.device)
    if args.config == "paper":
        cfg = dict(ch=128, ch_mult=(1, 1, 2, 2, 4, 4), num_res_blocks=2, attn_res=(16,), resolution=128)
    else:  # "cpu": the CPU preset's size
        cfg = dict(ch=32, ch_mult=(1, 2, 2, 2), num_res_blocks=1, attn_res=(16,), resolution=128)
    net = UNet(dropout=0.1, **cfg).to(dev)
    R = cfg["resolution"]
    x = torch.randn(args.batch, 1, R, R, device=dev)
    t = torch.randint(0, 1000, (args.batch,), device=dev).float()
    target = torch.randn_like(x)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def timeit(fn):
        for _ in range(3):
            fn()
        sync()
        ts = []
        for _ in range(args.reps):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    def fwd():
        with torch.no_grad():
            net(x, t)

    def fwdbwd():
        net.zero_grad(set_to_none=False)
        loss = torch.nn.functional.mse_loss(net(x, t), target)
        loss.backward()

    net.eval()
    tf = timeit(fwd)
    net.train()
    tb = timeit(fwdbwd)
    json.dump({"torch": torch.__version__, "fwd": tf, "fwdbwd": tb,
               "params": sum(p.numel() for p in net.parameters())}, sys.stdout)


if __name__ == "__main__":
    main()
