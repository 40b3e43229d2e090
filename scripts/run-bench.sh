#!/usr/bin/env bash
# `make bench`: run every benchmark binary in the build dir and print its figures.
# Record the figures and this command in docs/BENCHMARKS.md.
set -euo pipefail
build=${1:-build}
shopt -s nullglob
ran=0
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" ${BENCH_ARGS:-}
  ran=$((ran+1))
done
echo "ran $ran benchmark binaries"
