#!/usr/bin/env bash
# End to end: `attnviz export` with the derived views (--merge-words, --hide-first,
# --hide-special, --aggregate) on the tiny GPT-2 fixture. The exported NPY is checked against
# the same view computed in numpy from Hugging Face's own attentions (reference.safetensors):
# hide token 0 and renormalize rows, merge "er"+"oding" (queries averaged, keys summed), mean of
# the heads of a layer; and attention rollout. Bad combinations exit 2 and write nothing.
# usage: test_cli_export_views.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"
MODEL=$DATA/gpt2-tiny/model
TEXT="The bank by the river was eroding."  # reference text 0: ... " er" "oding" "."

run 0 export --model "$MODEL" --text "$TEXT" --out words.npy --layer 1 --aggregate mean \
  --merge-words --hide-first
run 0 export --model "$MODEL" --text "$TEXT" --out words.json --layer 1 --aggregate mean \
  --merge-words --hide-first
run 0 export --model "$MODEL" --text "$TEXT" --out rollout.npy --aggregate rollout
run 0 export --model "$MODEL" --text "$TEXT" --out head.npy --layer 0 --head 2 --hide-first
run 0 export --model "$MODEL" --text "$TEXT" --out words.png --layer 1 --merge-words --token 7

"$PY" - "$DATA/gpt2-tiny/reference.safetensors" <<'PYEOF' || fail "exported views differ from numpy"
import json, struct, sys
import numpy as np

def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(info["shape"])
    return out

att = read_safetensors(sys.argv[1])["text0.attentions"].astype(np.float64)  # (L, H, T, T)
L, H, T, _ = att.shape
words = [[1], [2], [3], [4], [5], [6, 7], [8]]  # after hiding token 0: " er" + "oding"

def hide_first(a):  # (T, T) -> (T-1, T-1), rows renormalized
    kept = a[1:, 1:]
    return kept / kept.sum(axis=1, keepdims=True)

def merge(a):  # over kept tokens 1..T-1
    idx = lambda w: [i - 1 for i in w]
    return np.array([[a[np.ix_(idx(x), idx(y))].sum(axis=1).mean() for y in words] for x in words])

expected = np.mean([merge(hide_first(att[1, h])) for h in range(H)], axis=0)
got = np.load("words.npy")
assert got.shape == (1, 1, 7, 7), got.shape
diff = np.abs(got[0, 0] - expected)
print(f"words + hide first + mean of layer 1: max difference {diff.max():.2e} at {np.unravel_index(diff.argmax(), diff.shape)}")
assert diff.max() < 1e-5
assert np.allclose(got[0, 0].sum(axis=1), 1, atol=1e-5)
tokens = [t["text"] for t in json.load(open("words.json"))["tokens"]]
assert tokens == [" bank", " by", " the", " river", " was", " eroding", "."], tokens

rollout = np.eye(T)
for l in range(L):
    a = att[l].mean(axis=0) + np.eye(T)
    a /= a.sum(axis=1, keepdims=True)
    rollout = a @ rollout
got = np.load("rollout.npy")
assert got.shape == (1, 1, T, T), got.shape
diff = np.abs(got[0, 0] - rollout)
print(f"rollout: max difference {diff.max():.2e}")
assert diff.max() < 1e-5

got = np.load("head.npy")  # a data export's --layer/--head are its slice
assert got.shape == (1, 1, T - 1, T - 1), got.shape
diff = np.abs(got[0, 0] - hide_first(att[0, 2]))
print(f"hide first, layer 0 head 2: max difference {diff.max():.2e}")
assert diff.max() < 1e-5
PYEOF
"$PY" -c "import sys; from PIL import Image; im = Image.open('words.png'); im.load(); print('png', im.size)" ||
  fail "words.png does not decode"

# Bad combinations: usage errors, nothing written.
run 2 export --model "$MODEL" --text "$TEXT" --out bad1.png --aggregate median
grep -q "single, multi, mean, max, all-layers or rollout" err.txt || fail "--aggregate median: no list of choices"
run 2 export --model "$MODEL" --text "$TEXT" --out bad2.png --aggregate mean --grid
run 2 export --model "$MODEL" --text "$TEXT" --out bad3.png --aggregate mean --head 1
run 1 export --model "$MODEL" --text "$TEXT" --out bad4.png --hide-first --token 0
grep -q "hidden" err.txt || fail "--hide-first --token 0: the message does not say the token is hidden"
for f in bad1.png bad2.png bad3.png bad4.png; do [ ! -e "$f" ] || fail "$f written on failure"; done
finish test_cli_export_views
