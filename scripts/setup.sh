#!/usr/bin/env bash
# Sets up, builds and runs the OCD Workbench on a fresh Debian/Ubuntu machine.
#
#   scripts/setup.sh run [ARGS...]  install what is missing, build, start the workbench
#   scripts/setup.sh test           install what is missing, build, run the tests (what CI runs)
#   scripts/setup.sh asan           unit + integration tests again under ASan + UBSan (AVX2 build)
#   scripts/setup.sh bench          the engine benchmark beside PyTorch on this CPU
#   scripts/setup.sh deps           only install the packages
#
# Environment: OCD_BUILD_DIR (default build), OCD_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libopenblas-openmp-dev libhdf5-dev hdf5-tools libpng-dev zlib1g-dev
          libncurses-dev libreadline-dev libcjson-dev libinih-dev libcairo2-dev fonts-dejavu-core)
BENCH_PACKAGES=(python3-torch python3-numpy)
TEST_PACKAGES=(tmux) # the workbench's smoke test drives the real binary in tmux
BUILD=${OCD_BUILD_DIR:-build}
JOBS=${OCD_JOBS:-$(nproc)}

need_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

build() { # build DIR [cmake options...]
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
deps) need_packages "${PACKAGES[@]}" ;;
run)
    need_packages "${PACKAGES[@]}"
    build "$BUILD"
    if [ $# -eq 0 ]; then set -- ui mnist-lenet5; fi # the workbench on the default preset
    exec "$BUILD/ocd" "$@"
    ;;
test)
    need_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build "$BUILD"
    ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" -LE slow
    ;;
asan)
    need_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    # built for AVX2 (x86-64-v3): the main build covers this machine's widest vectors, this
    # one the kernels' AVX2 variants
    build "${BUILD}-asan" -DOCD_SANITIZE=ON -DOCD_WITH_CUDA=OFF -DOCD_MARCH=x86-64-v3
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "${BUILD}-asan" --output-on-failure -j "$JOBS" -L "unit|integration|ui" -LE long
    ;;
bench)
    need_packages "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    build "$BUILD"
    exec "$BUILD/tests/bench_engine" "$@"
    ;;
*)
    sed -n '2,11p' "$0"
    exit 2
    ;;
esac
