#!/usr/bin/env bash
# End to end: the logit lens from the command line (issue 14). `attnviz lens --json` on the
# reference texts of gpt2-tiny and llama3-tiny (tokenized by attnviz, ids checked) equals the
# independent PyTorch computation checked in as tests/data/logit_lens.json
# (tests/reference/logit_lens_reference.py) within 1e-5 in every cell; the window follows
# --position; the table reads as a table; BERT (no
# LM head), a position outside the text and bad options are refused with a message.
# usage: test_cli_lens.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"

check_against_reference() {  # FIXTURE (the key in logit_lens.json) and the lens JSON in out.txt
  "$PY" - "$DATA/logit_lens.json" "$1" out.txt <<'PYEOF' || fail "$1: the lens differs from the PyTorch reference"
import json, math, sys
want = json.load(open(sys.argv[1]))[sys.argv[2]]
got = json.load(open(sys.argv[3]))
ids = [t["id"] for t in got["tokens"]]
assert ids == want["input_ids"], ("tokens", ids, want["input_ids"])
assert (got["first"], got["last"]) == (0, len(ids) - 1), (got["first"], got["last"])
assert len(got["rows"]) == len(want["rows"]), len(got["rows"])
worst = 0.0
for row, (g, w) in enumerate(zip(got["rows"], want["rows"])):
    assert g["row"] == row
    for q, (cell, ref) in enumerate(zip(g["cells"], w)):
        assert cell["position"] == q
        for rank, (mine, theirs) in enumerate(zip(cell["top"], ref["top"])):
            worst = max(worst, abs(mine["probability"] - theirs[1]))
            assert mine["id"] == theirs[0] or abs(ref["top"][rank - 1][1] - theirs[1]) < 1e-5 or \
                (rank + 1 < len(ref["top"]) and abs(ref["top"][rank + 1][1] - theirs[1]) < 1e-5), \
                ("row", row, "position", q, "rank", rank, mine, theirs)
        if ref["next"] is None:
            assert cell["next"] is None, ("next at the end", cell["next"])
        else:
            worst = max(worst, abs(cell["next"] - ref["next"]))
assert worst <= 1e-5, worst
print("%s: %d rows x %d positions within %.2e of the reference" %
      (sys.argv[2], len(got["rows"]), len(ids), worst))
PYEOF
}

GPT2_TEXT="The bank by the river was eroding."  # gpt2-tiny's reference text 0
if run 0 lens --model "$DATA/gpt2-tiny/model" --text "$GPT2_TEXT" --width 64 --top-k 5 --json; then
  check_against_reference gpt2-tiny
fi
if run 0 lens --model "$DATA/modern/llama3-tiny/model" --text "Robots wind clocks at dawn." \
     --width 64 --top-k 5 --json; then
  check_against_reference modern/llama3-tiny
fi

# The window: 3 positions around position 4, five tokens a cell, rows named.
if run 0 lens --model "$DATA/gpt2-tiny/model" --text "$GPT2_TEXT" --position 4 --width 3 --json; then
  cp out.txt window.json
  "$PY" - window.json <<'PYEOF' || fail "the window is not positions 3..5 with 5 tokens a cell"
import json, sys
got = json.load(open(sys.argv[1]))
assert (got["first"], got["last"]) == (3, 5), (got["first"], got["last"])
assert got["top_k"] == 5 and all(len(c["top"]) == 5 for r in got["rows"] for c in r["cells"])
assert [r["name"] for r in got["rows"]] == ["embeddings", "layer 1", "layer 2 (output)"]
PYEOF
fi

# The table: one line per row, the output row first, and p(next) under each position.
if run 0 lens --text "The cat sat on the mat. The cat sat on the mat." --width 4; then
  grep -q "^layer 4 (output)" out.txt || fail "the table lacks the output row"
  grep -q "^embeddings" out.txt || fail "the table lacks the embeddings row"
  grep -q "^p(next), output" out.txt || fail "the table lacks p(next)"
  [ "$(grep -c '' out.txt)" -eq 8 ] || fail "the table has $(grep -c '' out.txt) lines, not 8"
fi

run 1 lens --model "$DATA/bert-tiny/model" --text "a b c" && expect_stderr "no LM head"
run 1 lens --model "$DATA/gpt2-tiny/model" --text "$GPT2_TEXT" --position 9 &&
  expect_stderr "outside the text"
run 2 lens --text "a" --width 0 && expect_stderr "width"
run 2 lens --text "a" --width 65 && expect_stderr "width"
run 2 lens --text "a" --top-k 21 && expect_stderr "top-k"
run 2 lens --model "$DATA/gpt2-tiny/model" && expect_stderr "--text is required"
run 2 lens --text "a" --frobnicate && expect_stderr "frobnicate"
run 1 lens --model "$SCRATCH/no-such-model" --text "a" && expect_stderr "no-such-model"

finish test_cli_lens
