#!/usr/bin/env bash
# End-to-end: every subcommand fed a file that makes each of its readers fail (issue 16): the
# ways downloads go wrong and the inputs that used to throw or crash. Each must end with a
# message on stderr and exit code 1 (0 for `models`, which lists what it could not read), never
# a signal, an uncaught exception, a sanitizer report or a hang; and nothing is written.
# usage: test_cli_bad_inputs.sh <attnviz binary> <tests/data dir> <scratch dir>
#
# Cases whose fix belongs to another part of the project (tests/data/fuzz-regressions/README.md,
# "routed") are skipped unless ATTNVIZ_RUN_ROUTED=1.
set -u
BIN="$1"
DATA="$2"
SCRATCH="$3"
PY=/usr/bin/python3
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
failures=0
checked=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME EXPECTED_RC COMMAND...: the command under a 60 s limit, checked.
run() {
  local name="$1" expected="$2"
  shift 2
  checked=$((checked + 1))
  local out="$SCRATCH/$name.out" err="$SCRATCH/$name.err" rc=0
  timeout 60 "$@" >"$out" 2>"$err" </dev/null || rc=$?
  if [ "$rc" -eq 124 ]; then
    fail "$name: hung (killed after 60 s)"
  elif [ "$rc" -ne "$expected" ]; then
    fail "$name: exit code $rc, expected $expected; stderr: $(head -c 400 "$err")"
  elif grep -qE "terminate called|Sanitizer|runtime error:|Segmentation|Aborted" "$err"; then
    fail "$name: $(grep -m1 -E "terminate called|Sanitizer|runtime error:|Segmentation|Aborted" "$err")"
  elif [ "$expected" -ne 0 ] && [ ! -s "$err" ]; then
    fail "$name: exit $rc without a message"
  fi
}

routed() {  # routed NAME: true when routed cases run
  if [ "${ATTNVIZ_RUN_ROUTED:-0}" = 1 ]; then return 0; fi
  echo "skip (routed, see tests/data/fuzz-regressions/README.md): $1"
  return 1
}

# A copy of a fixture model folder (links to its big files) with one file replaced.
broken_model() {  # broken_model NAME FIXTURE -> prints the folder
  local folder="$SCRATCH/models/$1"
  mkdir -p "$folder"
  for file in "$DATA/$2/model"/*; do ln -sf "$file" "$folder/$(basename "$file")"; done
  echo "$folder"
}
put() {  # put FILE: stdin to FILE, replacing a link rather than writing through it
  rm -f "$1"
  cat >"$1"
}

# ---- model folders: config.json, tokenizer files, weights (tokenize, export, heads) ----
m=$(broken_model config_bad_utf8 gpt2-tiny)
printf '{"model_type": "gpt2", "_name_or_path": "\xff\xfe", "n_embd": 32}' | put "$m/config.json"
m=$(broken_model config_wrong_types gpt2-tiny)
echo '{"model_type": "gpt2", "n_embd": "wide", "n_layer": [2], "n_head": {"h": 4}}' | put "$m/config.json"
m=$(broken_model config_huge gpt2-tiny)
echo '{"model_type": "gpt2", "n_embd": 1e300, "n_layer": 18446744073709551615, "n_head": 4}' | put "$m/config.json"
m=$(broken_model config_not_json gpt2-tiny)
printf '\x00\x01binary' | put "$m/config.json"
m=$(broken_model config_folder gpt2-tiny)
rm -f "$m/config.json" && mkdir "$m/config.json"
m=$(broken_model config_loop gpt2-tiny)
rm -f "$m/config.json" && ln -s config.json "$m/config.json"
m=$(broken_model config_fifo gpt2-tiny)
rm -f "$m/config.json" && mkfifo "$m/config.json"
m=$(broken_model vocab_list gpt2-tiny)
rm -f "$m/tokenizer.json" && echo '[1, 2, 3]' | put "$m/vocab.json"
m=$(broken_model merges_binary gpt2-tiny)
rm -f "$m/tokenizer.json" && printf '#version: 0.2\n\xff\xfe \x00\n' | put "$m/merges.txt"
m=$(broken_model tokenizer_merges_numbers gpt2-tiny)
echo '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [1, 2]}}' | put "$m/tokenizer.json"
m=$(broken_model tokenizer_vocab_strings gpt2-tiny)
echo '{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}' | put "$m/tokenizer.json"
m=$(broken_model vocab_txt_binary bert-tiny)
rm -f "$m/tokenizer.json" && printf '[UNK]\n\xff\xfe\x00\n' | put "$m/vocab.txt"
# The tokenizer regressions of tests/data/fuzz-regressions: nested 100,000 levels, ids of
# 16,777,215 in a WordPiece tokenizer.json and in a GPT-2 vocab.json.
m=$(broken_model tokenizer_deep bert-tiny)
ln -sf "$DATA/fuzz-regressions/tokenizer-deep-normalizer/tokenizer.json" "$m/tokenizer.json"
m=$(broken_model wordpiece_huge_id bert-tiny)
ln -sf "$DATA/fuzz-regressions/wordpiece-id-16777215/tokenizer.json" "$m/tokenizer.json"
m=$(broken_model vocab_huge_id gpt2-tiny)
rm -f "$m/tokenizer.json"
for file in vocab.json merges.txt; do
  ln -sf "$DATA/fuzz-regressions/bpe-id-16777215/$file" "$m/$file"
done
m=$(broken_model weights_lfs_pointer gpt2-tiny)
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 6553432\n' | put "$m/model.safetensors"
m=$(broken_model weights_truncated gpt2-tiny)
head -c 100000 "$DATA/gpt2-tiny/model/model.safetensors" | put "$m/model.safetensors"
m=$(broken_model weights_deep_header gpt2-tiny)
$PY -c "
import struct, sys
h = b'{\"w\":' + b'[' * 100000 + b']' * 100000 + b'}'
sys.stdout.buffer.write(struct.pack('<Q', len(h)) + h)" | put "$m/model.safetensors"
m=$(broken_model weights_loop gpt2-tiny)
rm -f "$m/model.safetensors" && ln -s model.safetensors "$m/model.safetensors"
m=$(broken_model index_traversal gpt2-tiny)
rm -f "$m/model.safetensors"
echo '{"weight_map": {"wte.weight": "../../../etc/passwd"}}' | put "$m/model.safetensors.index.json"
m=$(broken_model index_duplicate_keys gpt2-tiny)
rm -f "$m/model.safetensors"
ln -s "$DATA/gpt2-tiny/model/model.safetensors" "$m/shard.safetensors"
echo '{"weight_map": {"wte.weight": "shard.safetensors", "wte.weight": "x"}}' |
  put "$m/model.safetensors.index.json"

tokenizer_cases="config_bad_utf8 config_wrong_types config_huge config_not_json config_folder
  config_loop config_fifo vocab_list merges_binary tokenizer_merges_numbers
  tokenizer_vocab_strings vocab_txt_binary tokenizer_deep wordpiece_huge_id vocab_huge_id"
weight_cases="weights_lfs_pointer weights_truncated weights_deep_header weights_loop
  index_traversal index_duplicate_keys"
for name in $tokenizer_cases; do
  run "tokenize_$name" 1 "$BIN" tokenize --model "$SCRATCH/models/$name" --text "hello world" --json
done
for name in $tokenizer_cases $weight_cases; do
  run "export_$name" 1 "$BIN" export --model "$SCRATCH/models/$name" --text "hello world" \
    --out "$SCRATCH/export_$name.png"
  [ -e "$SCRATCH/export_$name.png" ] && fail "export_$name: wrote its output although it failed"
  run "heads_$name" 1 "$BIN" heads --model "$SCRATCH/models/$name" --text "hello world hello world"
done

# The issue's case: config.json nested 100,000 levels (tokenizer.json's is among the tokenizer
# cases above).
deep_cases=config_deep
m=$(broken_model config_deep gpt2-tiny)
ln -sf "$DATA/fuzz-regressions/config-deep-nesting/config.json" "$m/config.json"
for name in $deep_cases; do
  run "tokenize_$name" 1 "$BIN" tokenize --model "$SCRATCH/models/$name" --text "hello"
  run "export_$name" 1 "$BIN" export --model "$SCRATCH/models/$name" --text "hello" \
    --out "$SCRATCH/export_$name.png"
  run "heads_$name" 1 "$BIN" heads --model "$SCRATCH/models/$name" --text "hello hello"
done

# A model folder whose name is not UTF-8 (issue 16: tokenize --json threw type_error 316).
odd="$SCRATCH/models/$(printf '\xff\xfemodel')"
mkdir -p "$odd"
for file in "$DATA/gpt2-tiny/model"/*; do ln -sf "$file" "$odd/$(basename "$file")"; done
run tokenize_non_utf8_folder 0 "$BIN" tokenize --model "$odd" --text "hello" --json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['model'] == '\\\\xFF\\\\xFEmodel', d['model']" \
  "$SCRATCH/tokenize_non_utf8_folder.out" || fail "tokenize --json: the folder name is not shown escaped"
run heads_non_utf8_folder 0 "$BIN" heads --model "$odd" --text "hello hello" --json
$PY -c "import json,sys; json.load(open(sys.argv[1]))" "$SCRATCH/heads_non_utf8_folder.out" ||
  fail "heads --json: not valid JSON for a non-UTF-8 folder name"

# ---- attention files and tokens (view-data, view) ----
imports="$SCRATCH/imports"
mkdir -p "$imports"
echo '["a", "b"]' >"$imports/tokens.json"
printf '["a", "\xff"]' >"$imports/tokens_bad_utf8.json"
$PY -c "print('{\"tokens\": ' + '[' * 100000 + ']' * 100000 + '}')" >"$imports/tokens_deep.json"
echo '{"tokens": [{"text": 5}]}' >"$imports/tokens_wrong_types.json"
cp "$DATA/fuzz-regressions/attention-huge-promise.json" "$imports/huge_promise.json"
$PY -c "print('{\"tokens\": [\"a\"], \"attention\": ' + '[' * 100000 + ']' * 100000 + '}')" \
  >"$imports/deep.json"
echo '[[1, 0], [1]]' >"$imports/ragged.json"
echo '[[1, 0], [NaN, 1]]' >"$imports/nan.json"
$PY - "$imports" <<'EOF'
import struct, sys, json
folder = sys.argv[1]
def npy(header, data):
    header = header.encode() + b" " * (118 - len(header)) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data
open(folder + "/shape_lies.npy", "wb").write(
    npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", b"\0" * 16))
open(folder + "/fortran.npy", "wb").write(
    npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", b"\0" * 16))
open(folder + "/not_npy.npy", "wb").write(b"PK\x03\x04 a zip file")
def safetensors(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data
open(folder + "/truncated.safetensors", "wb").write(safetensors(
    {"attentions": {"dtype": "F32", "shape": [1, 1, 2, 2], "data_offsets": [0, 16]}}, b"\0" * 8))
deep_tokens = "[" * 1000 + "]" * 1000
open(folder + "/deep_metadata.safetensors", "wb").write(safetensors(
    {"__metadata__": {"tokens": deep_tokens},
     "attentions": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}, b"\0" * 4))
open(folder + "/int_dtype.safetensors", "wb").write(safetensors(
    {"attentions": {"dtype": "I32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 16))
EOF
for case in "huge_promise.json:" "deep.json:" "ragged.json:tokens.json" "nan.json:tokens.json" \
  "shape_lies.npy:tokens.json" "fortran.npy:tokens.json" "not_npy.npy:tokens.json" \
  "truncated.safetensors:tokens.json" "deep_metadata.safetensors:" \
  "int_dtype.safetensors:tokens.json" "shape_lies.npy:tokens_bad_utf8.json" \
  "shape_lies.npy:tokens_deep.json" "shape_lies.npy:tokens_wrong_types.json"; do
  file="${case%%:*}" tokens="${case#*:}"
  args=(--attention "$imports/$file")
  [ -n "$tokens" ] && args+=(--tokens "$imports/$tokens")
  name="${file%.*}_${file##*.}${tokens:+_${tokens%.json}}"
  run "view_data_$name" 1 "$BIN" view-data "${args[@]}" --out "$SCRATCH/view_data_$name.json"
  [ -e "$SCRATCH/view_data_$name.json" ] && fail "view-data $name: wrote its output although it failed"
  run "view_$name" 1 env -u DISPLAY -u WAYLAND_DISPLAY "$BIN" view "${args[@]}"
done

# ---- models: a folder of broken entries is listed, never a crash ----
listing="$SCRATCH/listing"
mkdir -p "$listing/deep" "$listing/$(printf 'odd\xff')" "$listing/fifo"
ln -sf "$DATA/fuzz-regressions/config-deep-nesting/config.json" "$listing/deep/config.json"
echo '{"model_type": "gpt2"}' >"$listing/$(printf 'odd\xff')/config.json"
mkfifo "$listing/fifo/config.json"
ln -s loop "$listing/loop"
ln -s . "$listing/self"
mkdir -p "$listing/models--org--name/snapshots"
ln -s rev "$listing/models--org--name/snapshots/rev"
for flag in "" --json; do
  run "models${flag}" 0 env HF_HUB_CACHE="$SCRATCH/no-hub" "$BIN" models --dir "$listing" $flag
done
$PY - "$SCRATCH/models--json.out" <<'EOF' || fail "models --json: the broken entries are not listed as they should be"
import json, sys
rows = json.load(open(sys.argv[1]))
reasons = {r["name"]: r["reason"] for r in rows}
assert "nested more than" in reasons.get("deep", ""), reasons
assert "odd\\xFF" in reasons or any(r["name"] == "odd\\xFF" for r in rows), rows
assert "symbolic link loop" in reasons.get("loop", ""), reasons
assert "symbolic link loop" in reasons.get("org/name", ""), reasons
EOF

# ---- out of memory: the exception boundary in main (and view-data's own) ----
# Under a shrinking address-space limit an allocation fails somewhere; whatever the subcommand
# was doing, it must end with a message and exit code 1, never an abort (134). 127 is the
# dynamic loader refusing to start the binary at all under the smallest limits.
$PY -c "
import json, sys
t = 1500
row = '[' + ','.join(['0'] * t) + ']'
open(sys.argv[1], 'w').write('[' + ','.join([row] * t) + ']')
json.dump(['a'] * t, open(sys.argv[2], 'w'))" "$imports/big.json" "$imports/tokens_big.json"
for command in export view-data; do
  caught=0
  for limit_mb in $(seq 30 5 120); do
    checked=$((checked + 1))
    if [ "$command" = export ]; then
      args=(export --text "The bank by the river was eroding." --out "$SCRATCH/oom.png")
    else
      args=(view-data --attention "$imports/big.json" --tokens "$imports/tokens_big.json" --out "$SCRATCH/oom.npy")
    fi
    rc=0
    (ulimit -v $((limit_mb * 1024)); exec "$BIN" "${args[@]}") >"$SCRATCH/oom.out" 2>"$SCRATCH/oom.err" || rc=$?
    case "$rc" in
      0 | 127) ;;
      1) grep -q "not enough memory\|out of memory" "$SCRATCH/oom.err" && caught=1 ;;
      *) fail "$command under a ${limit_mb} MB limit: exit code $rc: $(head -c 300 "$SCRATCH/oom.err")" ;;
    esac
  done
  [ "$caught" = 1 ] || fail "$command: no address-space limit from 30 to 120 MB (steps of 5) made it report running out of memory"
done

# A link loop is named as one, not reported as a missing file.
grep -q "config.json.*Too many levels of symbolic links\|config.json.*symbolic link loop" \
  "$SCRATCH/tokenize_config_loop.err" || fail "a config.json link loop is not named: $(cat "$SCRATCH/tokenize_config_loop.err")"
grep -q "model.safetensors: is a symbolic link loop" "$SCRATCH/export_weights_loop.err" ||
  fail "a model.safetensors link loop is not named: $(cat "$SCRATCH/export_weights_loop.err")"

echo "$checked runs checked"
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "PASS"
