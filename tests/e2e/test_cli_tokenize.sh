#!/usr/bin/env bash
# End-to-end test of `attnviz tokenize`: ids against Hugging Face's for both fixture models,
# the plain listing's format, and the exit codes and messages for bad input.
# usage: test_cli_tokenize.sh <attnviz binary> <tests/data dir> <scratch dir>
set -u
BIN="$1"
DATA="$2"
SCRATCH="$3"
PY=/usr/bin/python3
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# 1. The GPT-2 fixture through --json: the ids HF gives.
"$BIN" tokenize --model "$DATA/gpt2-tiny/model" --text "The bank by the river was eroding." --json \
  >"$SCRATCH/gpt2.json" 2>"$SCRATCH/gpt2.err" || fail "gpt2 tokenize exited $? ($(cat "$SCRATCH/gpt2.err"))"
$PY - "$SCRATCH/gpt2.json" <<'EOF' || fail "gpt2 --json output"
import json, sys
doc = json.load(open(sys.argv[1]))
ids = [t["id"] for t in doc["tokens"]]
expected = [464, 3331, 416, 262, 7850, 373, 1931, 7656, 13]
assert ids == expected, f"ids {ids} != {expected}"
assert doc["model"], "no model name"
text = "The bank by the river was eroding."
assert "".join(text[t["start"]:t["end"]] for t in doc["tokens"]) == text, "spans do not tile"
assert [t["text"] for t in doc["tokens"]][:2] == ["The", " bank"], doc["tokens"][:2]
assert not any(t["special"] for t in doc["tokens"])
EOF

# 1b. Without --model, the built-in model (its own 4096-token BPE vocabulary) is used.
env -u ATTNVIZ_MODEL_DIR "$BIN" tokenize --text "The bank by the river was eroding." --json \
  >"$SCRATCH/builtin.json" 2>"$SCRATCH/builtin.err" || fail "built-in model: $(cat "$SCRATCH/builtin.err")"
$PY -c "import json,sys; ids=[t['id'] for t in json.load(open(sys.argv[1]))['tokens']]; \
assert ids == [477, 270, 2077, 416, 260, 2938, 413, 3763, 3318, 13], ids" "$SCRATCH/builtin.json" \
  || fail "built-in model ids"

# 2. Every fixture model on the first reference lines (BERT: with [CLS]/[SEP] and strings).
for model in gpt2-tiny bert-tiny; do
  $PY - "$DATA/$model/tokenizer_reference.json" "$SCRATCH/$model.texts" <<'EOF'
import json, sys
lines = json.load(open(sys.argv[1]))
pick = [l for l in lines if "\x00" not in l["text"]][:5] + lines[-14:-1]
json.dump(pick, open(sys.argv[2], "w"))
EOF
  count=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$SCRATCH/$model.texts")
  for ((i = 0; i < count; i++)); do
    text=$($PY -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))[int(sys.argv[2])]['text'])" \
      "$SCRATCH/$model.texts" "$i"; printf x)
    text="${text%x}"
    "$BIN" tokenize --model "$DATA/$model/model" --text "$text" --json >"$SCRATCH/out.json" \
      2>"$SCRATCH/out.err" || { fail "$model line $i exited non-zero: $(cat "$SCRATCH/out.err")"; continue; }
    $PY - "$SCRATCH/$model.texts" "$i" "$SCRATCH/out.json" <<'EOF' || fail "$model reference line $i"
import json, sys
ref = json.load(open(sys.argv[1]))[int(sys.argv[2])]
out = json.load(open(sys.argv[3]))
ids = [t["id"] for t in out["tokens"]]
assert ids == ref["ids"], f"text {ref['text']!r}: ids {ids} != {ref['ids']}"
if "tokens" in ref:
    texts = [t["text"] for t in out["tokens"]]
    assert texts == ref["tokens"], f"tokens {texts} != {ref['tokens']}"
EOF
  done
done

# 3. The plain listing: index, id, start, end, text with tab and newline escaped.
"$BIN" tokenize --model "$DATA/gpt2-tiny/model" --text $'a\tb\nc' >"$SCRATCH/plain.txt" 2>&1 \
  || fail "plain listing exited $?"
printf '0\t64\t0\t1\ta\n1\t197\t1\t2\t\\t\n2\t65\t2\t3\tb\n3\t198\t3\t4\t\\n\n4\t66\t4\t5\tc\n' \
  >"$SCRATCH/plain.expected"
cmp -s "$SCRATCH/plain.txt" "$SCRATCH/plain.expected" \
  || fail "plain listing differs: $(diff "$SCRATCH/plain.expected" "$SCRATCH/plain.txt")"

# 4. Errors: message on stderr, nothing on stdout, exit 1 for bad input and 2 for usage.
expect_error() {  # expect_error <code> <stderr pattern> <args...>
  local code="$1" pattern="$2"
  shift 2
  "$BIN" tokenize "$@" >"$SCRATCH/err.out" 2>"$SCRATCH/err.err"
  local got=$?
  [ "$got" -eq "$code" ] || fail "tokenize $* exited $got, expected $code"
  grep -q -- "$pattern" "$SCRATCH/err.err" || fail "tokenize $*: stderr lacks '$pattern': $(cat "$SCRATCH/err.err")"
  [ ! -s "$SCRATCH/err.out" ] || fail "tokenize $*: wrote to stdout on error"
}
expect_error 1 "does-not-exist" --model "$SCRATCH/does-not-exist" --text "hello"
expect_error 1 "invalid UTF-8 at byte 3" --model "$DATA/gpt2-tiny/model" --text $'abc\xff'
expect_error 2 "text is required" --model "$DATA/gpt2-tiny/model"
expect_error 2 "unknown option --colour" --model "$DATA/gpt2-tiny/model" --text hi --colour
mkdir -p "$SCRATCH/no-tokenizer"
cp "$DATA/gpt2-tiny/model/config.json" "$SCRATCH/no-tokenizer/"
expect_error 1 "no GPT-2 tokenizer" --model "$SCRATCH/no-tokenizer" --text "hello"
mkdir -p "$SCRATCH/bad-merges"
cp "$DATA/gpt2-tiny/model/config.json" "$DATA/gpt2-tiny/model/vocab.json" "$SCRATCH/bad-merges/"
printf '#version: 0.2\n\xc4\xa0 t\nbroken\n' >"$SCRATCH/bad-merges/merges.txt"
expect_error 1 "merges.txt: merge line malformed at line 3" --model "$SCRATCH/bad-merges" --text "hello"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "test_cli_tokenize: all checks passed"
