#!/usr/bin/env bash
# Issue 13's long-text benchmarks (not part of ctest): SmolLM2-135M shape with random BF16
# weights at T = 8192 (or the sizes given), and GPT-2 small at T = 1024, each in its own process
# under /usr/bin/time -v so the peak RSS is the whole process's. Prints the load average with
# the figures: this machine is shared, so the times are only as good as it was quiet.
#
#   tools/bench_longtext.sh [build dir] [smollm2 tokens...]
#   e.g. tools/bench_longtext.sh build 8192
set -euo pipefail
build=${1:-build}
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(8192)
bench="$build/tests/bench_longtext"
[ -x "$bench" ] || bench="$build/bench_longtext"
if [ ! -x "$bench" ]; then
  echo "no bench_longtext under $build: cmake -DATTNVIZ_BENCHMARKS=ON, build target bench_longtext" >&2
  exit 2
fi
one() {
  echo "== $1 T=$2   load before: $(cut -d' ' -f1-3 /proc/loadavg)   $(date -u +%H:%M:%S) UTC"
  /usr/bin/time -v "$bench" "$1" "$2" 2> >(grep -E "Maximum resident|Elapsed|Exit status|run:|config:" >&2)
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
for t in "${sizes[@]}"; do one smollm2 "$t"; done
one gpt2 1024
