#!/usr/bin/env bash
# CPU of the real window while runs come and go (issue 12, defect 8): the app
# under Xvfb at 1024×700 (software rendering, no window manager) on a screen
# of its own, in a fresh home with one finished Hello World run; first idle
# for 10 s, then three Hello World runs started from the CLI (sleeptime 10,
# about 8 s each). For each run it prints the share of one core over the
# first 4 s (the run appears: the outside change is read again), the next
# 4 s (steady: the busy indicator's two frames a second) and 4 s after the
# run ended. A script, not a test: the figures depend on the machine.
#
# Usage: .ci/cpu-window.sh [SCREEN]   SCREEN: 1 Overview … 3 Runs (default)
#        CPU_WINDOW_SIZE=1920x1080 for another screen size (the window
#        fits itself to it).
# Needs: Xvfb, xdotool; FLOWDESK_BIN (default target/release/flowdesk).
set -euo pipefail
cd "$(dirname "$0")/.."
screen=${1:-3}
size=${CPU_WINDOW_SIZE:-1024x700}
bin=${FLOWDESK_BIN:-target/release/flowdesk}
export FLOWDESK_SAMPLES=${FLOWDESK_SAMPLES:-$PWD/sample-templates}
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "cpu-window.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "cpu-window.sh: $bin is missing (cargo build --release)" >&2; exit 1; }

pids=()
home=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

display=":$((70 + RANDOM % 20))"
Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
"$bin" --home "$home" run hello_world_sample --arg sleeptime=0 --wait >/dev/null 2>&1
DISPLAY=$display "$bin" --home "$home" >/dev/null 2>&1 &
app=$!
pids+=("$app")
export DISPLAY=$display
window=$(xdotool search --sync --name flowdesk | head -1)
sleep 3
xdotool windowfocus "$window" 2>/dev/null || true
xdotool key "ctrl+$screen"
sleep 3
cpu() { bash .ci/cpu.sh "$app" "$1"; }
echo "idle: $(cpu 10)"
for i in 1 2 3; do
  "$bin" --home "$home" run hello_world_sample --arg sleeptime=10 --wait >/dev/null 2>&1 &
  run=$!
  echo "run $i, first 4 s: $(cpu 4)"
  echo "run $i, next 4 s: $(cpu 4)"
  wait "$run"
  echo "run $i, after it ended: $(cpu 4)"
done
