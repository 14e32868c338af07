#!/usr/bin/env bash
# Runs one libFuzzer harness with the options every run shares, over its seeds and corpus.
#
#   run_harness.sh smoke HARNESS RUNS WORKDIR     fixed seed, RUNS executions (CTest, label fuzz)
#   run_harness.sh long  HARNESS SECONDS WORKDIR  random seed, SECONDS seconds (tools/fuzz.sh)
#
# New inputs go to WORKDIR/NAME/new, never into the repository; a crash, leak, timeout or
# out-of-memory input is written to WORKDIR/NAME/ (crash-*, leak-*, timeout-*, oom-*), and the
# exit status is libFuzzer's (0 when nothing was found).
# Limits: inputs up to 64 KiB, 10 s per input, no single allocation over 256 MB and no more
# than 2 GB in all: a 64 KiB file that needs more is a finding (a size taken from the file).
set -euo pipefail
mode="$1" harness="$2" amount="$3" work="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="$(basename "$harness")"
out="$work/$name"
rm -rf "$out"
mkdir -p "$out/new"
args=(-max_len=65536 -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048
      -artifact_prefix="$out/" -print_final_stats=1)
[ -f "$here/dict/$name.dict" ] && args+=(-dict="$here/dict/$name.dict")
case "$mode" in
  smoke) args+=(-runs="$amount" -seed=1) ;;
  long) args+=(-max_total_time="$amount") ;;
  *) echo "usage: run_harness.sh smoke|long HARNESS RUNS|SECONDS WORKDIR" >&2; exit 2 ;;
esac
corpora=("$out/new")
for dir in "$here/seeds/$name" "$here/corpus/$name"; do
  [ -d "$dir" ] && corpora+=("$dir")
done
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
exec "$harness" "${args[@]}" "${corpora[@]}"
