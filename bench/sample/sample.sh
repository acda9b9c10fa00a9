#!/usr/bin/env bash
# Samples `posture build` over time next to two calibrators, all pinned to one core, to tell
# the compiler's cost from the machine's state (see the book's performance page, "The bound,
# sampled"). Not part of the test run.
#
#   bench/sample/sample.sh POSTURE_BIN POSTURE_DIR [SAMPLES] [GAP_SECONDS] [EXT4_DIR]
#
# Per sample, one line: the time, the CPU calibrator's user seconds (a Python loop), the memory
# calibrator's user seconds (chase.c), `posture build` into a fresh tmpfs directory (wall,
# user, system seconds, minor page faults), the same into a new directory under EXT4_DIR
# (default $TMPDIR or /tmp; the outputs are kept until the end, since on a journal-less ext4
# deleting thousands of files slows every inode created in the next minutes), and
# `posture check` (wall, user, system).
set -euo pipefail
bin=$(realpath "$1")
posture=$(realpath "$2")
samples=${3:-20}
gap=${4:-120}
ext4=${5:-${TMPDIR:-/tmp}}/posture-sample-$$
shm=/dev/shm/posture-sample-$$
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
work=$(mktemp -d)
trap 'rm -rf "$work" "$shm" "$ext4"' EXIT
cc -O2 -o "$work/chase" "$here/chase.c"
mkdir -p "$ext4"
t() { { /usr/bin/time -f "$1" taskset -c 0 "${@:2}" >/dev/null; } 2>&1 | tail -1; }
echo "# time cpu chase | tmpfs wall user sys faults | ext4 wall user sys faults | check wall user sys"
for i in $(seq 1 "$samples"); do
  cpu=$(t "%U" python3 -c 'sum(i*i for i in range(6_000_000))')
  chase=$(t "%U" "$work/chase")
  rm -rf "$shm"
  tmpfs=$(t "%e %U %S %R" "$bin" build "$posture" -o "$shm")
  ext=$(t "%e %U %S %R" "$bin" build "$posture" -o "$ext4/o$i")
  check=$(t "%e %U %S" "$bin" check "$posture")
  echo "$(date +%H:%M:%S) $cpu $chase | $tmpfs | $ext | $check"
  if [ "$i" -lt "$samples" ]; then sleep "$gap"; fi
done
