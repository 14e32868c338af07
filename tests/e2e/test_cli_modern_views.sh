#!/usr/bin/env bash
# End to end: the views of today's models from the command line (issue 12).
# - Sliding windows in exports: a heatmap SVG of a Mistral layer (window 8) on a text longer than
#   the window has one cell in the window's fill for every (query, key) with key <= query - 8
#   (counted from the tokens), hatch lines in the window's colour and the legend entry "outside
#   the window"; a global Gemma 2 layer has none of them; the arcs of a late token hatch the key
#   chips before its window and name it in the legend; a text inside the window hides nothing.
# - `attnviz models --card DIR`: the model card lines of Gemma 3 (family, grouped heads, both RoPE
#   bases, windows per layer, precision, context) and a missing folder named in the error.
# - `attnviz models` over a fake Hugging Face cache holding a Mistral and a Gemma 2 snapshot
#   (the fixtures' files as blobs): both supported, with family, parameters and precision.
# usage: test_cli_modern_views.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"
MISTRAL=$DATA/modern/mistral-tiny/model
GEMMA2=$DATA/modern/gemma2-tiny/model
GEMMA3=$DATA/modern/gemma3-tiny/model
TEXT="The quick brown fox jumps over the lazy dog and then the cat sat on the mat again"

# ---- sliding windows in exported figures (light theme: window fill #f1e8da, hatch #ceaa78) ----
run 0 tokenize --model "$MISTRAL" --text "$TEXT" --json && cp out.txt mistral_tokens.json
run 0 export --model "$MISTRAL" --text "$TEXT" --layer 0 --head 1 --theme light --out mistral.svg
run 0 export --model "$GEMMA2" --text "$TEXT" --layer 1 --head 0 --theme light --out gemma2_global.svg
run 0 export --model "$GEMMA2" --text "$TEXT" --layer 0 --head 0 --theme light --out gemma2_local.svg
run 0 export --model "$MISTRAL" --text "$TEXT" --layer 0 --token 20 --aggregate multi \
  --theme light --out arcs.svg
run 0 export --model "$MISTRAL" --text "The quick fox" --layer 0 --head 0 --theme light \
  --out short.svg  # 6 tokens with <s>: inside the window of 8
"$PY" - <<'PYEOF' || fail "sliding windows in the exported figures"
import json, re
tokens = json.load(open("mistral_tokens.json"))
tokens = tokens["tokens"] if isinstance(tokens, dict) else tokens
t, w = len(tokens), 8
assert t > w + 4, t
outside = sum(max(0, q - w + 1) for q in range(t))  # keys k <= q - w

def svg(name):
    return open(name, encoding="utf-8").read()

def window_hatch(text):
    return len(re.findall(r'stroke="#ceaa78"', text))

m = svg("mistral.svg")
cells = len(re.findall(r'<rect [^>]*fill="#f1e8da"', m))
assert "outside the window" in m, "no legend entry"
assert "masked (causal)" in m, "no causal legend entry"
# Every cell outside the window, plus the legend's swatch.
assert cells == outside + 1, (cells, outside)
assert window_hatch(m) > 5, window_hatch(m)
g = svg("gemma2_global.svg")
assert "outside the window" not in g, "a global layer has no window legend"
assert "#f1e8da" not in g and window_hatch(g) == 0, "a global layer drew window cells"
gl = svg("gemma2_local.svg")
assert "outside the window" in gl and window_hatch(gl) > 5, "Gemma 2's local layer 0"
a = svg("arcs.svg")
assert "outside the window" in a, "arcs legend"
# Token 20 sees keys 13..20: chips 0..12 hatched (translucent window fill).
chips = len(re.findall(r'<rect [^>]*fill="#f1e8da" fill-opacity="0\.6', a))
assert chips == 20 - w + 1, chips
s = svg("short.svg")
assert "outside the window" not in s and "#f1e8da" not in s, "a text inside the window hides nothing"
print(f"windows: {t} tokens, {outside} cells outside the window of {w}, arcs hatch {chips} chips")
PYEOF

# ---- the model card ----
if run 0 models --card "$GEMMA3"; then
  while IFS='|' read -r label value; do
    line=$(printf '%-16s %s' "$label" "$value")
    grep -qxF "$line" out.txt || fail "models --card: no line '$line' in: $(cat out.txt)"
  done <<'LINES'
family|Gemma 3 (gemma3_text)
layers|6
heads|4 query / 2 key-value (grouped: 2 query heads share each)
head dim|16
positions|RoPE base 1000000, linear scaling x8
local positions|RoPE base 10000
attention|causal, window 8 on layers 0-4; global on 5
precision|BF16
context|512 tokens
LINES
  grep -Eq '^parameters +[0-9]+ K$' out.txt || fail "models --card: no parameter count"
fi
if run 0 models --card "$GEMMA2" --json; then
  "$PY" -c "import json; l=dict(json.load(open('out.txt'))); assert l['soft-capping']=='attention 3.8, final logits 4.3', l; assert l['attention']=='causal, window 8 on layers 0, 2; global on 1, 3', l" \
    || fail "models --card --json: Gemma 2's card"
fi
run 1 models --card "$SCRATCH/no-such-model" && { grep -q "no-such-model" err.txt || fail "models --card: the error does not name the folder"; }
run 2 models --card "$GEMMA3" --dir "$SCRATCH"

# ---- models over a fake Hugging Face cache with today's families ----
HUB="$SCRATCH/hf_home/hub"
snapshot() {  # snapshot REPO_FOLDER REV FIXTURE_MODEL_DIR: the fixture's files as blobs
  local repo="$HUB/$1" rev=$2 from=$3
  mkdir -p "$repo/blobs" "$repo/snapshots/$rev"
  for file in "$from"/*; do
    local blob
    blob=$(sha1sum "$file" | cut -c1-40)
    cp "$file" "$repo/blobs/$blob"
    ln -s "../../blobs/$blob" "$repo/snapshots/$rev/$(basename "$file")"
  done
}
snapshot models--mistralai--Mistral-tiny 1111aaaa "$MISTRAL"
snapshot models--google--gemma-2-tiny 2222bbbb "$GEMMA2"
if HF_HOME="$SCRATCH/hf_home" HF_HUB_CACHE= run 0 models; then
  grep -Eq "^mistralai/Mistral-tiny +1111aaaa +supported +Mistral [0-9]+ K BF16 " out.txt \
    || fail "models: the Mistral snapshot's line: $(cat out.txt)"
  grep -Eq "^google/gemma-2-tiny +2222bbbb +supported +Gemma 2 [0-9]+ K F32 " out.txt \
    || fail "models: the Gemma 2 snapshot's line: $(cat out.txt)"
fi
if HF_HOME="$SCRATCH/hf_home" HF_HUB_CACHE= run 0 models --json; then
  "$PY" - <<'PYEOF' || fail "models --json: today's families"
import json
models = {m["name"]: m for m in json.load(open("out.txt"))}
m, g = models["mistralai/Mistral-tiny"], models["google/gemma-2-tiny"]
assert m["supported"] and m["family"] == "Mistral" and m["precision"] == "BF16" and m["parameters"] > 0, m
assert g["supported"] and g["family"] == "Gemma 2" and g["precision"] == "F32" and g["parameters"] > 0, g
assert "3 layers, 4 query / 2 kv heads" in m["description"], m["description"]
PYEOF
fi
finish test_cli_modern_views
