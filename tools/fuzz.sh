#!/usr/bin/env bash
# Long fuzzing runs of every libFuzzer harness in tests/fuzz, one at a time, each for SECONDS
# (default 1800), then keeps what they found that adds coverage:
#
#   bash tools/fuzz.sh [SECONDS] [HARNESS...]     e.g. bash tools/fuzz.sh 120 fuzz_npy
#   bash tools/fuzz.sh 0                           only minimize the corpus again
#
# - builds the harnesses with clang in build-fuzz (-DATTNVIZ_FUZZ=ON) when needed;
# - runs each over its seeds (tests/fuzz/seeds/NAME) and corpus (tests/fuzz/corpus/NAME) with
#   its dictionary, new inputs going to a scratch folder (tests/fuzz/run_harness.sh long);
# - merges the scratch inputs into tests/fuzz/corpus/NAME, minimized: libFuzzer's -merge=1 keeps
#   a small set of inputs that reaches every edge that seeds + corpus + new inputs reach
#   (-use_counters=0: edges, not hit counts, so the committed corpus stays a few hundred small
#   files a harness), and the corpus is that set minus the seeds (commit it when it grew);
# - prints, per harness, executions, coverage (cov = edges, ft = features), corpus size and any
#   finding (crash-*, leak-*, timeout-*, oom-* files, kept under build-fuzz/fuzz-runs/NAME/).
#
# A finding: minimize it (HARNESS -minimize_crash=1 -runs=100000 FILE), add it under
# tests/data/fuzz-regressions/ with a test in tests/unit/test_fuzz_regressions.cpp.
# Runs at nice 19: fuzzing shares the machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
seconds="${1:-1800}"
shift || true

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is not installed (apt-get install clang); the harnesses need libFuzzer" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNVIZ_FUZZ=ON \
  -DATTNVIZ_GUI=OFF -DATTNVIZ_BENCHMARKS=OFF -DATTNVIZ_NATIVE=OFF >/dev/null
nice -n 19 cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target fuzzers

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for source in tests/fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$source" .cpp)"); done
fi

runs="build-fuzz/fuzz-runs"
mkdir -p "$runs"
summary=()
for name in "${harnesses[@]}"; do
  harness="build-fuzz/tests/fuzz/$name"
  [ -x "$harness" ] || { echo "fuzz: no harness $harness" >&2; exit 1; }
  log="$runs/$name.log"
  echo "fuzz: $name for $seconds s (log: $log)"
  status=0
  if [ "$seconds" -gt 0 ]; then
    nice -n 19 bash tests/fuzz/run_harness.sh long "$harness" "$seconds" "$runs" >"$log" 2>&1 ||
      status=$?
  else
    rm -rf "$runs/$name" && mkdir -p "$runs/$name/new" && : >"$log"
  fi

  # Minimized merge: start from the seeds, add whatever of corpus + new inputs adds coverage.
  merged="$runs/$name.merged"
  rm -rf "$merged"
  mkdir -p "$merged" "tests/fuzz/corpus/$name"
  [ -d "tests/fuzz/seeds/$name" ] && cp "tests/fuzz/seeds/$name"/* "$merged"/ 2>/dev/null || true
  # At nice 19 on a busy machine an input that takes 2 s can take a minute of wall time: the
  # merge allows 120 s an input, and whatever it still stops on goes to the run's folder.
  mkdir -p "$runs/$name"
  nice -n 19 "$harness" -merge=1 -use_counters=0 -max_len=65536 -timeout=120 -malloc_limit_mb=256 \
    -rss_limit_mb=2048 -artifact_prefix="$runs/$name/merge-" \
    "$merged" "tests/fuzz/corpus/$name" "$runs/$name/new" \
    >"$runs/$name.merge.log" 2>&1 || echo "fuzz: $name: merge failed (see $runs/$name.merge.log)"
  if [ -d "tests/fuzz/seeds/$name" ]; then
    for seed in "tests/fuzz/seeds/$name"/*; do rm -f "$merged/$(basename "$seed")"; done
  fi
  rm -rf "tests/fuzz/corpus/$name"
  mv "$merged" "tests/fuzz/corpus/$name"

  execs="$(grep -ao 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)"
  last="$(grep -aoE '#[0-9]+[[:space:]]+(DONE|pulse|REDUCE|NEW|INITED)[[:space:]]+cov: [0-9]+ ft: [0-9]+' \
    "$log" | tail -1 || true)"
  cov="$(echo "$last" | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/\1/')"
  ft="$(echo "$last" | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/\2/')"
  corpus="$(ls "tests/fuzz/corpus/$name" | wc -l)"
  findings="$(ls "$runs/$name" 2>/dev/null | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | tr '\n' ' ' || true)"
  [ -z "$findings" ] && findings="none"
  [ "$status" -ne 0 ] && findings="$findings (exit $status)"
  if [ "$seconds" -eq 0 ]; then
    summary+=("$(printf '%-24s corpus minimized: %s entries beyond the seeds' "$name" "$corpus")")
    continue
  fi
  summary+=("$(printf '%-24s %8ss %12s execs  cov %6s  ft %7s  corpus +%-5s findings: %s' \
    "$name" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$findings")")
done

echo
echo "fuzz summary (corpus = entries kept in tests/fuzz/corpus beyond the seeds)"
printf '%s\n' "${summary[@]}"
