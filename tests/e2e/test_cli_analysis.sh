#!/usr/bin/env bash
# End-to-end: `attnviz heads`, `attnviz models` and `attnviz view-data` driven as a person would.
# usage: bash test_cli_analysis.sh <attnviz binary> <tests/data dir> <scratch dir>
set -u
BIN=$1
DATA=$2
SCRATCH=$3
PY=/usr/bin/python3
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# expect_exit CODE CMD...: runs CMD, stdout to $SCRATCH/out, stderr to $SCRATCH/err.
expect_exit() {
  local want=$1
  shift
  "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "exit $got (wanted $want): $*"
    sed 's/^/  stderr: /' "$SCRATCH/err" >&2
    return 1
  fi
  return 0
}

# ---- heads ----
for model in gpt2-tiny bert-tiny; do
  if expect_exit 0 "$BIN" heads --model "$DATA/$model/model"; then
    rows=$(grep -cE '^ +[0-9]+ +[0-9]+ ' "$SCRATCH/out")
    [ "$rows" -eq 8 ] || fail "heads $model (probe) printed $rows head rows, wanted 2 x 4 = 8"
    grep -q 'induct\*' "$SCRATCH/out" || fail "heads $model: probe column not marked"
  fi
  if expect_exit 0 "$BIN" heads --model "$DATA/$model/model" --text "The cat sat on the mat. The cat sat on the mat." --json; then
    "$PY" - "$SCRATCH/out" <<'PYEOF' || fail "heads $model --json: bad document"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["input"] == "text", doc["input"]
heads = doc["heads"]
assert len(heads) == 8, len(heads)
assert [(h["layer"], h["head"]) for h in heads] == [(l, h) for l in range(2) for h in range(4)]
for h in heads:
    for key in ("previous_token", "duplicate_token", "induction", "first_token_share", "self_share"):
        assert 0.0 <= h[key] <= 1.0 + 1e-9, (key, h[key])
    assert h["mean_distance"] >= 0 and h["mean_entropy"] >= 0
    assert isinstance(h["label"], str) and h["label"]
PYEOF
  fi
done
# The probe is seeded: the same command twice gives the same table.
expect_exit 0 "$BIN" heads --model "$DATA/gpt2-tiny/model" --probe induction --seed 3 --json && cp "$SCRATCH/out" "$SCRATCH/probe1"
expect_exit 0 "$BIN" heads --model "$DATA/gpt2-tiny/model" --probe induction --seed 3 --json
cmp -s "$SCRATCH/out" "$SCRATCH/probe1" || fail "heads --probe with a fixed seed is not repeatable"
"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['input']=='induction_probe' and d['probe']['first_token_id']==50256 and d['tokens']==41, d" "$SCRATCH/out" \
  || fail "heads --probe: wrong probe description"
# One probe, one number (issue 11, item 8): the README's induction scores of the built-in model
# are what `attnviz heads --probe induction` prints (the app's Head roles table is checked
# against the command in test_gui_cli_agree).
README="$(dirname "$0")/../../README.md"
expect_exit 0 "$BIN" heads --probe induction --json
$PY - "$SCRATCH/out" "$README" <<'PYEOF' || fail "README's induction scores differ from attnviz heads --probe induction"
import json, re, sys
heads = {(h["layer"], h["head"]): h["induction"] for h in json.load(open(sys.argv[1]))["heads"]}
text = " ".join(open(sys.argv[2], encoding="utf-8").read().split())
match = re.search(r"layer 2 heads 1 and 2 are induction heads \((0\.\d+) and (0\.\d+) on the "
                  r"induction probe of `attnviz heads --probe induction`", text)
assert match, "the README no longer states the built-in model's induction scores"
said = (float(match.group(1)), float(match.group(2)))
got = (round(heads[(2, 1)], 3), round(heads[(2, 2)], 3))
assert said == got, f"README says {said}, attnviz heads --probe induction gives {got}"
print(f"README's induction scores {said} = attnviz heads --probe induction")
PYEOF
expect_exit 2 "$BIN" heads --model "$DATA/gpt2-tiny/model" --text hi --probe induction
expect_exit 2 "$BIN" heads --model "$DATA/gpt2-tiny/model" --probe copying
expect_exit 1 "$BIN" heads --model "$DATA/gpt2-tiny/model" --repeat 500
expect_exit 1 "$BIN" heads --model "$SCRATCH/no-such-model"

# ---- models, with a fake Hugging Face cache ----
HUB="$SCRATCH/hf_home/hub"
snapshot() {  # snapshot REPO_FOLDER REV FILE=CONTENT... (links into ../../blobs like the hub)
  local repo="$HUB/$1" rev=$2
  shift 2
  mkdir -p "$repo/blobs" "$repo/snapshots/$rev"
  local n=0
  for spec in "$@"; do
    local name=${spec%%=*} content=${spec#*=}
    n=$((n + 1))
    printf '%s' "$content" >"$repo/blobs/$rev-$n"
    ln -s "../../blobs/$rev-$n" "$repo/snapshots/$rev/$name"
  done
}
snapshot models--openai-community--gpt2 r1 'config.json={"model_type": "gpt2"}' model.safetensors=w vocab.json={} merges.txt=m
snapshot models--google-bert--bert-base-uncased r2 'config.json={"model_type": "bert"}' model.safetensors=w vocab.txt=v
snapshot models--meta-llama--Llama-3.2-1B r3 'config.json={"model_type": "llama"}' model.safetensors=w tokenizer.json={}
snapshot models--someone--old r4 'config.json={"model_type": "gpt2"}' pytorch_model.bin=w vocab.json={} merges.txt=m
if HF_HOME="$SCRATCH/hf_home" HF_HUB_CACHE= expect_exit 0 "$BIN" models --json; then
  "$PY" - "$SCRATCH/out" <<'PYEOF' || fail "models --json: wrong classification"
import json, sys
models = {m["name"]: m for m in json.load(open(sys.argv[1]))}
assert set(models) == {"openai-community/gpt2", "google-bert/bert-base-uncased",
                       "meta-llama/Llama-3.2-1B", "someone/old"}, set(models)
assert models["openai-community/gpt2"]["supported"] and models["openai-community/gpt2"]["revision"] == "r1"
assert models["google-bert/bert-base-uncased"]["supported"]
assert models["meta-llama/Llama-3.2-1B"]["supported"] and models["meta-llama/Llama-3.2-1B"]["family"] == "Llama"
assert models["someone/old"]["reason"] == "only pytorch_model.bin, attnviz reads safetensors"
PYEOF
fi
if HF_HOME="$SCRATCH/hf_home" HF_HUB_CACHE= expect_exit 0 "$BIN" models --dir "$DATA/gpt2-tiny"; then
  [ "$(grep -c supported "$SCRATCH/out")" -eq 5 ] || fail "models: wanted 5 lines (4 cached + 1 --dir)"
  grep -q "someone/old .*unsupported *only pytorch_model.bin" "$SCRATCH/out" || fail "models: table lacks the reason"
fi

# ---- view-data: attention saved by numpy, back out as attnviz formats ----
"$PY" - "$SCRATCH" <<'PYEOF' || fail "numpy could not write the input files"
import json, sys, pathlib
import numpy as np
d = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 3, 6, 6))
x = np.where(np.tril(np.ones((6, 6), bool)), x, -np.inf)
a = np.exp(x - x.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
np.save(d / "att.npy", a.astype(np.float32))
np.save(d / "att16.npy", a[0].astype(np.float16))
(d / "tokens.json").write_text(json.dumps({"tokens": ["The", " cat", " sat", ".", " The", " cat"]}))
(d / "tokens5.json").write_text(json.dumps(["The", " cat", " sat", ".", " The"]))
PYEOF
if expect_exit 0 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/back.npy"; then
  grep -q "2 layers, 3 heads, 6 tokens, causal" "$SCRATCH/out" || fail "view-data summary: $(cat "$SCRATCH/out")"
  "$PY" -c "import numpy as np,sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); assert a.shape==b.shape and np.array_equal(a,b), abs(a-b).max()" \
    "$SCRATCH/att.npy" "$SCRATCH/back.npy" || fail "view-data .npy round trip changed the values"
fi
if expect_exit 0 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/back.json"; then
  "$PY" - "$SCRATCH" <<'PYEOF' || fail "view-data .json round trip"
import json, sys, pathlib
import numpy as np
d = pathlib.Path(sys.argv[1])
doc = json.load(open(d / "back.json"))
assert [t["text"] for t in doc["tokens"]] == ["The", " cat", " sat", ".", " The", " cat"]
att = np.array(doc["attention"], dtype=np.float32)
assert np.array_equal(att, np.load(d / "att.npy")), abs(att - np.load(d / "att.npy")).max()
PYEOF
fi
# attnviz's JSON export carries its tokens: it imports without --tokens.
if expect_exit 0 "$BIN" view-data --attention "$SCRATCH/back.json" --out "$SCRATCH/from_json.npy"; then
  "$PY" -c "import numpy as np,sys; assert np.array_equal(np.load(sys.argv[1]), np.load(sys.argv[2]))" \
    "$SCRATCH/att.npy" "$SCRATCH/from_json.npy" || fail "view-data .json -> .npy changed the values"
fi
# Through attnviz's own safetensors (tokens inside) and back to .npy without --tokens.
expect_exit 0 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/own.safetensors"
if expect_exit 0 "$BIN" view-data --attention "$SCRATCH/own.safetensors" --out "$SCRATCH/again.npy"; then
  "$PY" -c "import numpy as np,sys; assert np.array_equal(np.load(sys.argv[1]), np.load(sys.argv[2]))" \
    "$SCRATCH/att.npy" "$SCRATCH/again.npy" || fail "view-data safetensors round trip changed the values"
fi
expect_exit 0 "$BIN" view-data --attention "$SCRATCH/att16.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/half.npy"
# Bad input: a clear message, exit 1, nothing written.
if expect_exit 1 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens5.json" --out "$SCRATCH/bad.npy"; then
  grep -q "covers 6 tokens but the tokens file lists 5" "$SCRATCH/err" || fail "mismatch message: $(cat "$SCRATCH/err")"
  [ ! -e "$SCRATCH/bad.npy" ] || fail "view-data wrote a file on failure"
fi
cp "$SCRATCH/att.npy" "$SCRATCH/keep.npy"
expect_exit 1 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/att.npy"
cmp -s "$SCRATCH/att.npy" "$SCRATCH/keep.npy" || fail "view-data overwrote its input"
expect_exit 2 "$BIN" view-data --attention "$SCRATCH/att.npy"
expect_exit 2 "$BIN" view-data --attention "$SCRATCH/att.npy" --tokens "$SCRATCH/tokens.json" --out "$SCRATCH/x.png"
ls "$SCRATCH" | grep -q '\.tmp-' && fail "temporary files left behind"

if [ "$FAILURES" -ne 0 ]; then
  echo "$FAILURES check(s) failed" >&2
  exit 1
fi
echo "all analysis CLI checks passed"
