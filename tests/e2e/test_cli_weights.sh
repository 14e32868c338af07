#!/usr/bin/env bash
# End to end: `attnviz export --weights raw|value|rollout` (issue 14) on the tiny GPT-2 fixture.
# The value-weighted NPY (L, H, T, T) equals the independent numpy computation checked in as
# tests/data/value_weighted.json (tests/reference/value_weighted_reference.py) within 1e-5 and
# differs from the raw one; the SVG's title names what is shown; --weights rollout is the
# rollout head mode (the same bytes as --aggregate rollout); bad values exit 2, writing nothing.
# usage: test_cli_weights.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"
MODEL=$DATA/gpt2-tiny/model
TEXT="The bank by the river was eroding."  # reference text 0

run 0 export --model "$MODEL" --text "$TEXT" --out raw.npy
run 0 export --model "$MODEL" --text "$TEXT" --out value.npy --weights value
run 0 export --model "$MODEL" --text "$TEXT" --out value.svg --weights value --layer 1 --head 2
run 0 export --model "$MODEL" --text "$TEXT" --out raw.svg --weights raw --layer 1 --head 2
run 0 export --model "$MODEL" --text "$TEXT" --out value.png --weights value --layer 1 --head 2
run 0 export --model "$MODEL" --text "$TEXT" --out rollout.npy --weights rollout
run 0 export --model "$MODEL" --text "$TEXT" --out aggregate.npy --aggregate rollout
run 0 export --model "$MODEL" --text "$TEXT" --out rollout.svg --weights rollout

"$PY" - "$DATA/value_weighted.json" <<'PYEOF' || fail "value-weighted export differs from numpy"
import json, sys
import numpy as np
want = np.array(json.load(open(sys.argv[1]))["gpt2-tiny"]["value_weighted"])
raw, value = np.load("raw.npy"), np.load("value.npy")
assert value.shape == want.shape, (value.shape, want.shape)
diff = np.abs(value - want).max()
print("value-weighted export vs numpy: max |diff| %.2e; vs raw: max |diff| %.3f" %
      (diff, np.abs(value - raw).max()))
assert diff <= 1e-5, diff
assert np.abs(value - raw).max() > 0.05
assert np.allclose(value.sum(-1), 1.0, atol=1e-5)
PYEOF
grep -q "value-weighted" value.svg || fail "the value-weighted SVG's title does not say value-weighted"
grep -q "value-weighted" raw.svg && fail "the raw SVG says value-weighted"
grep -q "attention rollout" rollout.svg || fail "the rollout SVG does not say rollout"
cmp -s rollout.npy aggregate.npy || fail "--weights rollout differs from --aggregate rollout"
[ -s value.png ] || fail "no value-weighted PNG"

run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --weights values
grep -q "raw, value or rollout" err.txt || fail "bad --weights: message does not list the choices"
run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --weights rollout --grid
run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --weights rollout --aggregate mean
[ -e bad.npy ] && fail "a failed export wrote bad.npy"
finish test_cli_weights
