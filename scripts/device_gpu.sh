#!/usr/bin/env bash
# Runs on a lent GPU machine (it has the CUDA toolkit, cuDNN, HDF5 and PyTorch, but not
# OpenBLAS, cJSON or inih, and no network): unpacks the Debian packages carried in .deps/
# into /tmp/deps, builds without the terminal UI, runs the unit and cuda tests, then the
# GPU benchmarks. Logs go to $OUT when it is set.
#   scripts/device_gpu.sh [build] [test] [bench] [bench-tf32]
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${OUT:-/tmp/ocd-out}
mkdir -p "$OUTDIR" /tmp/deps
D=/tmp/deps/usr/lib/x86_64-linux-gnu
for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
find /tmp/deps -name "*.pc" -exec sed -i "s|=/usr|=/tmp/deps/usr|g" {} +
export PKG_CONFIG_PATH=$D/pkgconfig:$D/openblas-openmp/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LD_LIBRARY_PATH=$D:$D/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
B=build-gpu
for step in "${@:-build test bench}"; do
    case $step in
    build)
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUTDIR/gpu.txt"
        cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DOCD_WITH_UI=OFF -DCMAKE_CUDA_ARCHITECTURES=90 \
            -DOCD_OPENBLAS_PC_DIR=$D/openblas-openmp/pkgconfig >"$OUTDIR/configure.log" 2>&1 || { tail -30 "$OUTDIR/configure.log"; exit 1; }
        cmake --build $B -j "$(nproc)" >"$OUTDIR/build.log" 2>&1 || { grep -E "error|Error" "$OUTDIR/build.log" | head -30; exit 1; }
        echo "build ok"
        ;;
    test)
        ctest --test-dir $B --output-on-failure -L "unit|cuda" 2>&1 | tee "$OUTDIR/ctest.log" | grep -E "Test +#|tests passed|FAIL|Skipped" ;;
    bench)
        $B/tests/bench_unet --device cuda --config paper --batch 1 --batch 64 --reps 10 2>&1 | tee "$OUTDIR/bench_unet_fp32.txt" ;;
    bench-tf32)
        $B/tests/bench_unet --device cuda --config paper --batch 1 --batch 64 --reps 10 --tf32 2>&1 | tee "$OUTDIR/bench_unet_tf32.txt" ;;
    esac
done
