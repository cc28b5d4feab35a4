#!/usr/bin/env python3
"""PyTorch peer for tests/bench/bench_engine.c: the same workloads on the same CPU with the
same thread count. Prints one JSON object: {"torch": version, "rows": {name: median_seconds}}.

The workload list mirrors bench_engine.c's (names, shapes, what one repetition does)."""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--spec", required=True, help="JSON list of workloads, as bench_engine.c sends it")
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = {}
    for w in json.loads(args.spec):
        kind, name = w["kind"], w["name"]
        if kind == "linear":
            n, i, o = w["n"], w["in"], w["out"]
            x = torch.randn(n, i, requires_grad=True)
            wt = torch.randn(o, i, requires_grad=True)
            b = torch.randn(o, requires_grad=True)
            gy = torch.randn(n, o)

            def rep():
                y = F.linear(x, wt, b)
                y.backward(gy)
        elif kind == "conv":
            n, c, h, o, k, p = w["n"], w["c"], w["h"], w["o"], w["k"], w["pad"]
            x = torch.randn(n, c, h, h, requires_grad=True)
            wt = torch.randn(o, c, k, k, requires_grad=True)
            b = torch.randn(o, requires_grad=True)
            oh = h + 2 * p - k + 1
            gy = torch.randn(n, o, oh, oh)
            grad_input = w.get("grad_input", 1)
            x.requires_grad_(bool(grad_input))

            def rep():
                y = F.conv2d(x, wt, b, padding=p)
                y.backward(gy)
        elif kind == "lenet_step":
            n = w["n"]
            conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
            conv2 = torch.nn.Conv2d(6, 16, 5)
            conv3 = torch.nn.Conv2d(16, 120, 5)
            fc1, fc2 = torch.nn.Linear(120, 84), torch.nn.Linear(84, 10)
            params = [p for m in (conv1, conv2, conv3, fc1, fc2) for p in m.parameters()]
            opt = torch.optim.Adam(params, lr=1e-3)
            x = torch.randn(n, 1, 28, 28)
            y = torch.randint(0, 10, (n,))

            def rep():
                h = F.max_pool2d(F.relu(conv1(x)), 2)
                h = F.max_pool2d(F.relu(conv2(h)), 2)
                h = F.relu(conv3(h)).reshape(n, 120)
                loss = F.cross_entropy(fc2(F.relu(fc1(h))), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        else:
            raise ValueError(kind)
        for _ in range(3):
            rep()
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            rep()
            times.append(time.perf_counter() - t0)
        rows[name] = statistics.median(times)
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
