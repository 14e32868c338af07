#!/bin/bash
# The whole recipe for attnviz's built-in model, one command:
#   bash recipe/train_builtin.sh [WORK_DIR] [--device cuda] [other train.py options]
# 1. prepare_data.py: Debian text -> BPE vocabulary (4096) -> token ids   (~10 s)
# 2. train.py: a 4-layer GPT-2 from seed 1234, loss curve on stdout
#    (3056 steps x 4096 tokens with Muon: about an hour on this project's 2-core CPU,
#    the run that made the shipped weights; see recipe/MODEL.md)
# 3. evaluate.py: held-out loss, unigram baseline, every head's role scores
# The model folder lands in WORK_DIR/model; copy config.json, model.safetensors, vocab.json
# and merges.txt into assets/model/ to ship it.
# Needs: apt-get install -y fortunes bible-kjv bible-kjv-text jargon-text debian-reference-en
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$here/work}"
shift || true
python=/usr/bin/python3
for f in /usr/share/games/fortunes/cookie /usr/bin/bible /usr/share/doc/jargon-text/jargon.txt.gz \
         /usr/share/debian-reference/debian-reference.en.txt.gz; do
  if [ ! -e "$f" ]; then
    echo "missing $f: apt-get install -y fortunes bible-kjv bible-kjv-text jargon-text debian-reference-en" >&2
    exit 1
  fi
done
mkdir -p "$work"
"$python" "$here/prepare_data.py" --out "$work/data"
"$python" "$here/train.py" --data "$work/data" --out "$work/model" "$@"
"$python" "$here/evaluate.py" --model "$work/model" --data "$work/data" --json "$work/model/eval.json"
echo "done: $work/model"
