#!/usr/bin/env bash
# The workbench's cost to the engine: the base stage of a preset (default mnist-lenet5: 8
# epochs, ~7,500 progress events), run headless (`ocd run`) and in the workbench in a 160x48
# tmux terminal with the live loss pane focused, alternately, RUNS times each. Prints the
# stage's wall time as each session records it (median of the runs, and the ratio), the UI
# thread's CPU time during a workbench run, and the workbench's CPU use while idle.
#
#   tests/bench/bench_workbench.sh [RUNS] [PRESET]      (needs tmux and h5dump; build/ocd)
set -euo pipefail
RUNS=${1:-3}
PRESET=${2:-mnist-lenet5}
OCD=$(cd "$(dirname "$0")/../.." && pwd)/${OCD_BUILD_DIR:-build}/ocd
W=$(mktemp -d /tmp/ocd-bench-ui-XXXXXX)
SOCK=ocd-bench-$$
trap 'tmux -L $SOCK kill-server 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
wall() { h5dump -a /base/wall_seconds "$1/session.h5" | awk '/\(0\)/ {print $2}'; }
ticks() { awk '{print $14 + $15}' "$1"; }
start_ui() { # start_ui ARGS...: the workbench in tmux; echoes its pid
    tmux -L $SOCK new-session -d -s ocd -x 160 -y 48 -c "$W" "env TERM=xterm-256color LANG=C.UTF-8 $OCD ui $* --history $W/hist"
    for _ in $(seq 1 100); do
        pid=$(pgrep -f "^$OCD ui $1" | head -1 || true)
        [ -n "$pid" ] && tmux -L $SOCK capture-pane -p -t ocd | grep -q "OCD Workbench" && break
        sleep 0.1
    done
    echo "$pid"
}
stop_ui() { tmux -L $SOCK send-keys -t ocd q; sleep 1; tmux -L $SOCK kill-server 2>/dev/null || true; }
H=() U=() UI_CPU=()
for i in $(seq 1 "$RUNS"); do
    "$OCD" run "$PRESET" --stages base --session "h$i" > /dev/null 2>&1
    H+=("$(wall "h$i")")
    pid=$(start_ui "$PRESET" --session "u$i")
    tmux -L $SOCK send-keys -t ocd ':focus loss' Enter
    tmux -L $SOCK send-keys -t ocd ':run base' Enter
    for _ in $(seq 1 3000); do
        tmux -L $SOCK capture-pane -p -t ocd | grep -q "run finished" && break
        sleep 0.2
    done
    UI_CPU+=("$(ticks /proc/"$pid"/task/"$pid"/stat)")
    stop_ui
    U+=("$(wall "u$i")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mh=$(median "${H[@]}")
mu=$(median "${U[@]}")
mc=$(median "${UI_CPU[@]}")
# idle: the workbench on the finished session of the last run, nothing running
pid=$(start_ui "u$RUNS")
sleep 5
a=$(ticks /proc/"$pid"/stat)
sw0=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$pid"/task/"$pid"/status)
sleep 20
b=$(ticks /proc/"$pid"/stat)
sw1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$pid"/task/"$pid"/status)
stop_ui
echo "| $PRESET base stage, $RUNS runs each | wall time (median) | runs |"
echo "|---|---:|---|"
echo "| headless \`ocd run\` | ${mh} s | ${H[*]} |"
echo "| workbench (tmux 160x48, live loss pane) | ${mu} s | ${U[*]} |"
awk -v u="$mu" -v h="$mh" 'BEGIN {printf "| ratio workbench / headless | %.3f | |\n", u / h}'
echo
echo "UI thread CPU during a workbench run (median): $(awk -v t="$mc" 'BEGIN {print t / 100}') s"
echo "idle workbench: $((b - a)) CPU ticks (1/100 s) and $((sw1 - sw0)) wake-ups of the UI thread in 20 s"
