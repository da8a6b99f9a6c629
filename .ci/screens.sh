#!/usr/bin/env bash
# Screenshots of every screen of the real app, as a person sees it: the app runs
# under Xvfb (no window manager, no portal — a real user's machine too) at
# 1024×700 and at 1920×1080, in a fresh home with the bundled samples and a
# few runs made with the CLI; xdotool drives it by its keyboard shortcuts
# (Ctrl+1…6, Ctrl+,) and a few clicks. The PNGs land in the output folder, to
# be looked at (a script, not a test: it asserts nothing but that it got there).
#
# Usage: .ci/screens.sh [OUT_DIR]   (default target/screens)
# Needs: Xvfb, xdotool, xwd (x11-apps), convert (imagemagick), python3;
#        FLOWDESK_BIN (default target/debug/flowdesk, built with `cargo build`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/screens}
bin=${FLOWDESK_BIN:-target/debug/flowdesk}
export FLOWDESK_SAMPLES=${FLOWDESK_SAMPLES:-$PWD/sample-templates}
export FLOWDESK_FILE_DIALOG=builtin
mkdir -p "$out"
for tool in Xvfb xdotool xwd convert; do
  command -v "$tool" >/dev/null || { echo "screens.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "screens.sh: $bin is missing (cargo build)" >&2; exit 1; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

for size in 1024x700 1920x1080; do
  display=":$((70 + RANDOM % 20))"
  Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  home=$(mktemp -d)
  # Something to look at: two Hello World runs and a Noisy Estimate run set.
  "$bin" --home "$home" run hello_world_sample --arg sleeptime=0 --wait >/dev/null
  "$bin" --home "$home" run hello_world_sample --arg sleeptime=0 --arg greeting=Hi --wait >/dev/null
  "$bin" --home "$home" run noisy_estimate_sample --arg samples=1000 --repeat 3 --wait >/dev/null
  DISPLAY=$display "$bin" --home "$home" >"$out/$size-app.log" 2>&1 &
  pids+=($!)
  export DISPLAY=$display
  window=$(xdotool search --sync --name flowdesk | head -1)
  shot() {
    sleep 1.5
    xwd -root -silent | convert xwd:- "$out/$size-$1.png"
    echo "$out/$size-$1.png"
  }
  # Without a window manager nothing keeps the focus: give it before each key.
  key() {
    xdotool windowfocus "$window" 2>/dev/null || true
    xdotool key "$@" 2>/dev/null
  }
  # First as it opened: on a screen smaller than its 1280×800 it fits itself.
  shot 00-as-opened
  # Then filling the screen, as a person would make it.
  xdotool windowsize "$window" "${size%x*}" "${size#*x}" || true
  xdotool windowmove "$window" 0 0 || true
  shot 01-overview
  key ctrl+2; shot 02-new-run
  key ctrl+3; shot 03-runs
  if [ "$size" = 1024x700 ]; then
    # The two Hello World runs compared: click one, Ctrl-click the other,
    # then Compare (on the toolbar's second row at this width); Esc closes it.
    xdotool mousemove 410 168 click 1
    xdotool keydown ctrl mousemove 410 193 click 1 keyup ctrl
    xdotool mousemove 590 99 click 1
    shot 03-compare
    key Escape
    xdotool mousemove 410 168 click 1
  fi
  # The newest run is the first row; open it.
  xdotool mousemove 410 168 click --repeat 2 --delay 80 1
  shot 04-run-detail
  key ctrl+5; shot 05-leaderboard
  key ctrl+6; shot 06-submissions
  # The run set of the Noisy Estimate sample: one row with mean ± std.
  xdotool mousemove 84 195 click 1
  key ctrl+5; shot 07-leaderboard-run-set
  key ctrl+3; shot 08-runs-noisy
  key ctrl+comma; shot 09-settings
  xdotool mousemove 165 12 click 1; shot 10-template-check
  # A template being written: the bundled Hello World, typed into Folder.
  xdotool mousemove 500 101 click 1
  xdotool type --delay 5 "$FLOWDESK_SAMPLES/helloworld"
  key Return; shot 11-template-check-hello
  # The light theme, from Settings, on the busiest screens.
  key ctrl+comma; sleep 0.5
  xdotool mousemove 417 232 click 1
  xdotool mousemove 84 172 click 1
  key ctrl+3; shot 12-light-runs
  key ctrl+5; shot 13-light-leaderboard
  key ctrl+2; shot 14-light-new-run
  kill "${pids[-1]}" 2>/dev/null || true
  kill "${pids[-2]}" 2>/dev/null || true
  wait 2>/dev/null || true
  pids=()
  rm -rf "$home"
done
