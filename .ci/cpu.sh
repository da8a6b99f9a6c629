#!/usr/bin/env bash
# CPU of the real window (issue 12, defect 8): the share of one core the app
# process uses over a window of seconds. Usage: .ci/cpu.sh <pid> [seconds]
set -euo pipefail
pid=$1
seconds=${2:-10}
ticks=$(getconf CLK_TCK)
used() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(used)
sleep "$seconds"
after=$(used)
awk -v a="$after" -v b="$before" -v t="$ticks" -v s="$seconds" \
    'BEGIN { printf "%.1f %% of one core over %d s\n", (a - b) / t / s * 100, s }'
