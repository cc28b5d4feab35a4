#!/usr/bin/env bash
# Runs on a lent GPU machine (it has the CUDA toolkit, cuDNN, HDF5 and PyTorch, but not
# OpenBLAS, cJSON, inih or cairo, and no network): unpacks the Debian packages carried in
# .deps/ into /tmp/deps, builds without the terminal UI and the reports, then runs the steps
# named (default: build test bench). Logs and tables go to $OUT when it is set.
#   scripts/device_gpu.sh [build] [test] [bench] [bench-tf32] [bench-ocd] [paper]
#     build       configure and build build-gpu (Release, sm_90)
#     test        ctest -L "unit|cuda": every op, Philox, CNN/U-Net curves, and the whole
#                 method (mnist-tiny, California, NeRF) on cuda vs cpu, with probes
#     bench       bench_unet, paper-size U-Net, float32, beside PyTorch on the GPU
#     bench-tf32  the same with TF32
#     bench-ocd   OCD inference per test sample (batches of 256) and overfit throughput,
#                 cuda vs the CPU backend (and PyTorch), on a mnist-lenet5 session made here
#     paper       ocd run mnist-lenet5-paper --device cuda (the paper's sizes)
# From this machine: the device tool's run with carry [".deps"], e.g.
#   scripts/device_gpu.sh build test bench-ocd
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${OUT:-/tmp/ocd-out}
mkdir -p "$OUTDIR" /tmp/deps
D=/tmp/deps/usr/lib/x86_64-linux-gnu
for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
find /tmp/deps -name "*.pc" -exec sed -i "s|=/usr|=/tmp/deps/usr|g" {} +
export PKG_CONFIG_PATH=$D/pkgconfig:$D/openblas-openmp/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LD_LIBRARY_PATH=$D:$D/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OCD_PEER_PYTHON=${OCD_PEER_PYTHON:-python3}
B=build-gpu
S=/tmp/ocd-gpu-sessions
for step in ${@:-build test bench}; do
    case $step in
    build)
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUTDIR/gpu.txt"
        cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DOCD_WITH_UI=OFF -DOCD_WITH_REPORT=OFF \
            -DCMAKE_CUDA_ARCHITECTURES=90 \
            -DOCD_OPENBLAS_PC_DIR=$D/openblas-openmp/pkgconfig >"$OUTDIR/configure.log" 2>&1 || { tail -30 "$OUTDIR/configure.log"; exit 1; }
        cmake --build $B -j "$(nproc)" >"$OUTDIR/build.log" 2>&1 || { grep -E "error|Error" "$OUTDIR/build.log" | head -30; exit 1; }
        echo "build ok"
        ;;
    test)
        ctest --test-dir $B --output-on-failure -j 4 -L "unit|cuda" 2>&1 | tee "$OUTDIR/ctest.log" | grep -E "Test +#|tests passed|FAIL|Skipped" ;;
    bench)
        $B/tests/bench_unet --device cuda --config paper --batch 1 --batch 64 --reps 10 2>&1 | tee "$OUTDIR/bench_unet_fp32.txt" ;;
    bench-tf32)
        $B/tests/bench_unet --device cuda --config paper --batch 1 --batch 64 --reps 10 --tf32 2>&1 | tee "$OUTDIR/bench_unet_tf32.txt" ;;
    bench-ocd)
        mkdir -p $S
        # the session the inference benchmark reads; its stage wall times are the GPU's
        if [ ! -f $S/mnist-lenet5/session.h5 ] || ! $B/ocd results $S/mnist-lenet5 >/dev/null 2>&1; then
            $B/ocd run mnist-lenet5 --device cuda --session $S/mnist-lenet5 >"$OUTDIR/run_mnist_cuda.log" 2>&1 || { tail -20 "$OUTDIR/run_mnist_cuda.log"; exit 1; }
        fi
        $B/ocd inspect $S/mnist-lenet5 2>&1 | tee "$OUTDIR/inspect_mnist_cuda.txt" | grep -E "wall|seconds|device" | head -20
        $B/ocd results $S/mnist-lenet5 2>&1 | tee "$OUTDIR/results_mnist_cuda.md"
        $B/tests/bench_infer --session $S/mnist-lenet5 --device cpu --device cuda --batch 256 --reps 5 2>&1 | tee "$OUTDIR/bench_infer.txt"
        $B/tests/bench_overfit --device cuda --threads 16 --reps 5 2>&1 | tee "$OUTDIR/bench_overfit_cuda.txt"
        ;;
    paper)
        mkdir -p $S
        timeout 1500 $B/ocd run mnist-lenet5-paper --device cuda --session $S/mnist-lenet5-paper >"$OUTDIR/run_paper.log" 2>&1
        echo "paper run: exit $?"; tail -5 "$OUTDIR/run_paper.log"
        $B/ocd results $S/mnist-lenet5-paper 2>&1 | tee "$OUTDIR/results_paper.md"
        ;;
    *) echo "unknown step '$step'"; exit 2 ;;
    esac
done
