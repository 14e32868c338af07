#!/usr/bin/env bash
# attnviz and PyTorch (float32, eager attention) on the same random checkpoints, alternately, so
# that both see the same load on a shared machine.
#
#   bash tools/compare_forward.sh BUILD_DIR MODELS_DIR [ROUNDS]
#
# MODELS_DIR holds tools/bench_checkpoints.py's checkpoints (written there when missing). Each
# round runs, for Qwen2.5-0.5B and GPT-2 small at T = 512: attnviz without predictions, PyTorch
# without the LM head, attnviz with the top-10 predictions of every position, PyTorch with the
# LM head and top-10 of every position. Figures: wall time and the process's CPU time.
set -euo pipefail
build=${1:?usage: compare_forward.sh BUILD_DIR MODELS_DIR [ROUNDS]}
models=${2:?usage: compare_forward.sh BUILD_DIR MODELS_DIR [ROUNDS]}
rounds=${3:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
torch_python=/usr/bin/python3
"$torch_python" "$here/bench_checkpoints.py" "$models" qwen2.5-0.5b gpt2-small
for round in $(seq "$rounds"); do
  for model in qwen2.5-0.5b gpt2-small; do
    for top in 0 10; do
      ATTNVIZ_BENCH_MODELS="$models" "$build/tests/bench_checkpoints" \
        --benchmark_filter="^Forward/$model/512/$top/" --benchmark_min_time=4 2>/dev/null |
        grep "^Forward" | sed "s/^/round $round attnviz: /"
      head=none
      [ "$top" = 10 ] && head=all
      "$torch_python" "$here/torch_forward_bench.py" "$models/$model" --tokens 512 --runs 2 \
        --head "$head" | tail -1 | sed "s/^/round $round /"
    done
  done
done
