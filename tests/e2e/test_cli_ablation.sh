#!/usr/bin/env bash
# End to end: head ablation from the command line (issue 14). `attnviz export --ablate` writes
# the ablated model's attention, equal to the independent PyTorch computation checked in as
# tests/data/ablation.json (tests/reference/what_if_reference.py) within 1e-5, and its figure's
# title names the what-if; `attnviz heads --ablate` on the built-in model's induction probe
# shows the copying break when the induction heads are switched off (and much less so when as
# many other heads are); BERT (no LM head) says there are no predictions; bad lists are refused.
# usage: test_cli_ablation.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"
MODEL=$DATA/gpt2-tiny/model
TEXT="The bank by the river was eroding."  # reference text 0

run 0 export --model "$MODEL" --text "$TEXT" --out plain.npy
run 0 export --model "$MODEL" --text "$TEXT" --out zero.npy --ablate 0.1,0.3
run 0 export --model "$MODEL" --text "$TEXT" --out mean.npy --ablate 0.0,1.2 --ablate-kind mean
run 0 export --model "$MODEL" --text "$TEXT" --out zero.svg --ablate 0.1,0.3 --layer 1 --head 0

"$PY" - "$DATA/ablation.json" <<'PYEOF' || fail "ablated export differs from the PyTorch reference"
import json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))["gpt2-tiny"]["cases"]
plain = np.load("plain.npy")
for name in ("zero", "mean"):
    want = np.array(cases[name]["attentions"])
    got = np.load(name + ".npy")
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = np.abs(got - want).max()
    moved = np.abs(got[1] - plain[1]).max()
    print("%s ablation export vs PyTorch: max |diff| %.2e; layer 1 moved by %.3f" % (name, diff, moved))
    assert diff <= 1e-5, diff
    assert moved > 0.01, moved
    assert np.abs(got[0] - plain[0]).max() <= 1e-6  # layer 0's attention comes before any ablation
PYEOF
grep -q "heads 0.1, 0.3 ablated (zero)" zero.svg || fail "the SVG's title does not name the ablation"

# The built-in model's induction probe: ablate the two heads with the highest probe score.
run 0 heads --json
"$PY" - <<'PYEOF' > heads.txt || fail "no induction heads found"
import json
table = json.load(open("out.txt"))
heads = sorted(table["heads"], key=lambda h: -h["induction"])
top = heads[:2]
assert top[1]["induction"] > 0.3, top
others = [h for h in heads[2:] if h["layer"] > 0][-2:]  # as many heads, of the lowest scores
print(",".join("%d.%d" % (h["layer"], h["head"]) for h in top))
print(",".join("%d.%d" % (h["layer"], h["head"]) for h in others))
PYEOF
INDUCTION=$(sed -n 1p heads.txt)
OTHERS=$(sed -n 2p heads.txt)
run 0 heads --ablate "$INDUCTION" --json
cp out.txt induction.json
run 0 heads --ablate "$OTHERS" --json
cp out.txt others.json
run 0 heads --ablate "$INDUCTION"
grep -q "ablated (zero)" out.txt || fail "heads --ablate does not name the what-if"
grep -q "p(next token), mean over positions 21..39 (the repeat" out.txt ||
  fail "heads --ablate does not report p(next token) over the repeat"
cat out.txt | head -12
"$PY" - "$INDUCTION" "$OTHERS" <<'PYEOF' || fail "ablating the induction heads does not break copying"
import json, sys
induction = json.load(open("induction.json"))["ablation"]["next_token_probability"]
others = json.load(open("others.json"))["ablation"]["next_token_probability"]
print("p(next) over the repeat: %.4f; induction heads %s ablated: %.4f; other heads %s: %.4f" %
      (induction["before"], sys.argv[1], induction["after"], sys.argv[2], others["after"]))
assert induction["before"] == others["before"]
assert induction["before"] > 0.5, induction
assert induction["after"] < 0.5 * induction["before"], induction
assert others["after"] > induction["after"] + 0.2, (others, induction)
PYEOF

run 0 heads --model "$DATA/bert-tiny/model" --text "$TEXT" --ablate 1.0
grep -q "no LM head" out.txt || fail "BERT: heads --ablate does not say there are no predictions"

run 1 export --model "$MODEL" --text "$TEXT" --out bad.npy --ablate 2.0
expect_stderr "layers 0-1, heads 0-3"
run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --ablate 1
expect_stderr "LAYER.HEAD"
run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --ablate 1.0 --ablate-kind half
run 2 export --model "$MODEL" --text "$TEXT" --out bad.npy --ablate-kind mean
run 2 heads --ablate 1.0,1.0
[ -e bad.npy ] && fail "a failed export wrote bad.npy"

finish test_cli_ablation
