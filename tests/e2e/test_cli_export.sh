#!/usr/bin/env bash
# End-to-end test of `attnviz export`: every format from the tiny GPT-2 fixture, checked with
# Python/numpy, and every failure mode (bad model, missing tokenizer, unwritable output, bad
# text, bad options) exits non-zero and leaves no file behind.
# usage: test_cli_export.sh <attnviz binary> <tests/data dir> <scratch dir>
source "$(dirname "$0")/cli_lib.sh" "$1" "$2" "$3"
MODEL=$DATA/gpt2-tiny/model
TEXT="The bank by the river was eroding."
# A failed export must leave neither the target nor a temporary file.
expect_no_file() {
  [ ! -e "$1" ] || fail "a failed export left $1"
  if ls "$SCRATCH" | grep -q '\.tmp-'; then fail "a temporary file was left: $(ls "$SCRATCH")"; fi
}

# ---- successful exports ----
run 0 export --model "$MODEL" --text "$TEXT" --out heat.png --timings
expect_stderr "load_ms=.* tokenize_ms=.* forward_ms=.* export_ms="
run 0 export --model "$MODEL" --text "$TEXT" --out heat2.png --scale 2
run 0 export --model "$MODEL" --text "$TEXT" --out grid.png --grid --theme dark
run 0 export --model "$MODEL" --text "$TEXT" --out arcs.png --layer 1 --head 2 --token 4
run 0 export --model "$MODEL" --text "$TEXT" --out arcs_all.png --grid --token 8
run 0 export --model "$MODEL" --text "$TEXT" --out heat.svg --layer 1 --head 3
run 0 export --model "$MODEL" --text "$TEXT" --out attention.json
run 0 export --model "$MODEL" --text "$TEXT" --out attention.npy
run 0 export --model "$MODEL" --text "$TEXT" --out npy_by_flag.bin --format npy
run 0 export --model "$DATA/bert-tiny/model" --text "$TEXT" --out bert.npy
run 0 export --model "$DATA/bert-tiny/model" --text "$TEXT" --out bert.png --grid
printf '%s' "$TEXT" >text.txt
run 0 export --model "$MODEL" --text-file text.txt --out from_file.npy
# Slices of the data: --layer/--head as numbers or ranges, in every data format.
run 0 export --model "$MODEL" --text "$TEXT" --out slice.npy --layer 1 --head 1-3
run 0 export --model "$MODEL" --text "$TEXT" --out slice.json --layer 0-1 --head 2
run 0 export --model "$MODEL" --text "$TEXT" --out slice.safetensors --layer 0 --head 0-3
run 1 export --model "$MODEL" --text "$TEXT" --out bad_slice.npy --layer 0-2
expect_stderr "layers 0-2 are out of range: this trace has layers 0 to 1"
run 2 export --model "$MODEL" --text "$TEXT" --out bad_slice.npy --head 3-1
expect_stderr "a range A-B (A <= B), got '3-1'"
run 2 export --model "$MODEL" --text "$TEXT" --out bad_slice.png --layer 0-1
expect_stderr "a range is for data exports"
for f in bad_slice.npy bad_slice.png; do [ ! -e "$f" ] || fail "$f written on failure"; done

$PY - "$SCRATCH" "$DATA" <<'PYEOF' || fail "python checks of the exported files"
import json, struct, sys, zlib
import xml.etree.ElementTree as ET
import numpy as np

scratch, data = sys.argv[1], sys.argv[2]
ok = True
def check(condition, message):
    global ok
    if not condition:
        print("  python: " + message, file=sys.stderr)
        ok = False

def png_info(path):
    raw = open(path, "rb").read()
    check(raw[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG")
    width, height, depth, color = struct.unpack(">IIBB", raw[16:26])
    idat, pos = b"", 8
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        if kind == b"IDAT":
            idat += raw[pos + 8:pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return width, height, depth, color, pixels

w1, h1, depth, color, pixels = png_info(scratch + "/heat.png")
check(depth == 8 and color == 6, "heat.png should be 8-bit RGBA, got depth %d colour type %d" % (depth, color))
check(len(pixels) == h1 * (1 + 4 * w1), "heat.png IDAT size %d != %d" % (len(pixels), h1 * (1 + 4 * w1)))
check(300 < w1 < 2000 and 300 < h1 < 2000, "heat.png size %dx%d" % (w1, h1))
check(len(set(pixels)) > 64 and pixels.count(0) < 0.9 * len(pixels), "heat.png looks blank")
w2, h2, _, _, _ = png_info(scratch + "/heat2.png")
check((w2, h2) == (2 * w1, 2 * h1), "scale 2 gives %dx%d, expected %dx%d" % (w2, h2, 2 * w1, 2 * h1))
for name in ["grid.png", "arcs.png", "arcs_all.png"]:
    w, h, _, _, px = png_info(scratch + "/" + name)
    check(w > 200 and h > 100 and len(set(px)) > 32, name + " looks wrong: %dx%d" % (w, h))

svg = ET.parse(scratch + "/heat.svg").getroot()
check(svg.tag == "{http://www.w3.org/2000/svg}svg", "heat.svg root is " + svg.tag)
rects = svg.findall(".//{http://www.w3.org/2000/svg}rect")
check(len(rects) >= 81, "heat.svg has %d rects, expected one per cell (81) and more" % len(rects))
check(b"DejaVu Sans" in open(scratch + "/heat.svg", "rb").read(), "heat.svg does not name DejaVu Sans")

doc = json.load(open(scratch + "/attention.json"))
check(doc["layers"] == 2 and doc["heads"] == 4 and doc["causal"] is True, "json header")
check([t["id"] for t in doc["tokens"]] == [464, 3331, 416, 262, 7850, 373, 1931, 7656, 13],
      "json token ids " + str([t["id"] for t in doc["tokens"]]))
check(doc["tokens"][1]["text"] == " bank" and doc["tokens"][1]["start"] == 3 and doc["tokens"][1]["end"] == 8,
      "json token 1: " + str(doc["tokens"][1]))
from_json = np.array(doc["attention"], dtype=np.float32)

npy = np.load(scratch + "/attention.npy")
check(npy.dtype == np.float32 and npy.shape == (2, 4, 9, 9), "npy dtype/shape %s %s" % (npy.dtype, npy.shape))
check(np.allclose(npy.sum(-1), 1.0, atol=1e-5), "npy rows do not sum to 1: max error %g" % np.abs(npy.sum(-1) - 1).max())
check(np.all(np.triu(npy, 1) == 0), "npy has weight above the diagonal of a causal model")
check(np.array_equal(npy, from_json), "npy and json differ by %g" % np.abs(npy - from_json).max())
check(np.array_equal(npy, np.load(scratch + "/npy_by_flag.bin")), "--format npy differs")
check(np.array_equal(npy, np.load(scratch + "/from_file.npy")), "--text-file differs from --text")

# Slices are exactly those blocks of the whole tensor.
check(np.array_equal(np.load(scratch + "/slice.npy"), npy[1:2, 1:4]), "npy slice L1 H1-3")
doc = json.load(open(scratch + "/slice.json"))
check(doc["shape"] == [2, 1, 9, 9] and doc["first_layer"] == 0 and doc["first_head"] == 2,
      "json slice header %s" % {k: doc[k] for k in ("shape", "first_layer", "first_head")})
check(np.array_equal(np.array(doc["attention"], dtype=np.float32), npy[0:2, 2:3]), "json slice")
raw = open(scratch + "/slice.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
check(header["attentions"]["shape"] == [1, 4, 9, 9] and header["__metadata__"]["first_layer"] == "0",
      "safetensors slice header %s" % header["attentions"])
sliced = np.frombuffer(raw[8 + n:], dtype="<f4").reshape(1, 4, 9, 9)
check(np.array_equal(sliced, npy[0:1]), "safetensors slice")

# Against Hugging Face's attentions for the same text (reference.safetensors, text0).
raw = open(data + "/gpt2-tiny/reference.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
entry = header["text0.attentions"]
begin, end = entry["data_offsets"]
reference = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=np.float32).reshape(entry["shape"])
difference = np.abs(reference - npy).max()
check(difference < 1e-4, "npy differs from the Hugging Face reference by %g" % difference)

# BERT: bidirectional (weights above the diagonal), and equal to Hugging Face's attentions.
bert = np.load(scratch + "/bert.npy")
check(bert.shape == (2, 4, 10, 10), "bert npy shape %s" % (bert.shape,))
check(np.allclose(bert.sum(-1), 1.0, atol=1e-5), "bert rows do not sum to 1")
check(np.triu(bert, 1).max() > 0.01, "bert attention should see later tokens")
raw = open(data + "/bert-tiny/reference.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
entry = json.loads(raw[8:8 + n])["text0.attentions"]
begin, end = entry["data_offsets"]
reference = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=np.float32).reshape(entry["shape"])
check(np.abs(reference - bert).max() < 1e-4, "bert npy differs from the reference by %g" % np.abs(reference - bert).max())
w, h, _, _, px = png_info(scratch + "/bert.png")
check(w > 200 and h > 100 and len(set(px)) > 32, "bert.png looks wrong")
sys.exit(0 if ok else 1)
PYEOF

# ---- failures: non-zero exit, message, nothing written ----
run 1 export --model "$SCRATCH/no_such_model" --text "$TEXT" --out bad_model.png
expect_stderr "no_such_model"
expect_no_file bad_model.png

cp -r "$MODEL" "$SCRATCH/broken_model"
rm -f "$SCRATCH/broken_model/vocab.json" "$SCRATCH/broken_model/tokenizer.json"
run 1 export --model "$SCRATCH/broken_model" --text "$TEXT" --out no_tokenizer.png
expect_stderr "vocab.json"
expect_no_file no_tokenizer.png

run 1 export --model "$MODEL" --text "$TEXT" --out /nonexistent/dir/x.png
expect_stderr "/nonexistent/dir"
[ ! -e /nonexistent/dir/x.png ] || fail "wrote into /nonexistent"

echo "keep" >regular
run 1 export --model "$MODEL" --text "$TEXT" --out regular/x.png
expect_stderr "regular"
[ "$(cat regular)" = "keep" ] || fail "the regular file was changed"
expect_no_file regular.tmp

run 1 export --model "$MODEL" --text "$TEXT" --out "$SCRATCH" --format png
expect_stderr "folder"

ATTNVIZ_FONT_DIR="$SCRATCH/no_fonts" run 1 export --model "$MODEL" --text "$TEXT" --out no_font.png
expect_stderr "DejaVuSans.ttf"
expect_no_file no_font.png

run 1 export --model "$MODEL" --text "" --out empty.png
expect_stderr "text is empty"
expect_no_file empty.png

run 1 export --model "$MODEL" --text "ok $(printf '\xff') bad" --out invalid.png
expect_stderr "offset 3"
expect_no_file invalid.png

run 1 export --model "$MODEL" --text-file "$SCRATCH/missing.txt" --out missing.png
expect_stderr "missing.txt"
expect_no_file missing.png

run 2 export --model "$MODEL" --text "$TEXT" --out x.txt
expect_stderr "\.txt"
expect_no_file x.txt
run 2 export --model "$MODEL" --text "$TEXT" --out x.png --format gif
run 2 export --model "$MODEL" --text "$TEXT"
run 2 export --model "$MODEL" --text "$TEXT" --text-file text.txt --out x.png
run 2 export --model "$MODEL" --text "$TEXT" --out x.png --head 1 --grid
run 2 export --model "$MODEL" --text "$TEXT" --out x.png --scale 3
run 2 export --model "$MODEL" --text "$TEXT" --out x.png --theme blue
run 1 export --model "$MODEL" --text "$TEXT" --out x.png --layer 2
expect_stderr "0 to 1"
run 1 export --model "$MODEL" --text "$TEXT" --out x.png --head 4
expect_stderr "0 to 3"
run 1 export --model "$MODEL" --text "$TEXT" --out x.png --token 9
expect_stderr "0 to 8"
# Bad input, not misuse (issue 11, item 9): the message with the range, not the usage.
! grep -q "^usage:" err.txt || fail "--token 9: the usage was printed for a token beyond the text"
run 2 export --model "$MODEL" --text "$TEXT" --out x.png --bogus
expect_no_file x.png

# ---- non-ASCII text (issue 11, item 7): the JSON export stores no U+FFFD; byte pieces are
# "<0xNN>" with their character's span, and the pieces put back together spell the text ----
UNICODE_TEXT="café 日本 שלום"
run 0 export --model "$MODEL" --text "$UNICODE_TEXT" --out unicode.json
$PY - "$UNICODE_TEXT" <<'PYEOF' || fail "non-ASCII tokens in the JSON export"
import json, re, sys
text = sys.argv[1].encode()
tokens = json.load(open("unicode.json"))["tokens"]
assert not any("\ufffd" in t["text"] for t in tokens), [t["text"] for t in tokens]
pieces = [t for t in tokens if t.get("partial")]
assert len(pieces) >= 6, "expected byte pieces for é, CJK and Hebrew: %s" % tokens
rebuilt = b""
for t in tokens:
    if t.get("partial"):
        assert t["char_start"] <= t["start"] < t["end"] <= t["char_end"], t
        piece = re.sub(rb"<0x([0-9A-F]{2})>", lambda m: bytes([int(m.group(1), 16)]),
                       t["text"].encode())
        assert piece == text[t["start"]:t["end"]], t
        rebuilt += piece
    else:
        rebuilt += t["text"].encode()
assert rebuilt == text, (rebuilt, text)
PYEOF
# ... and reads back with its pieces: view-data writes the same tokens again.
run 0 view-data --attention unicode.json --out unicode_again.json
$PY -c "
import json
a, b = (json.load(open(f))['tokens'] for f in ('unicode.json', 'unicode_again.json'))
assert a == b, (a, b)
" || fail "the tokens of a non-ASCII JSON export did not read back as written"

# ---- a 1 MB text: truncated to the model's positions with a warning ----
$PY -c "
words = 'the river bank was slowly eroding under the weight of the winter rain '.split()
text = ' '.join(words[i % len(words)] for i in range(200000))
open('big.txt', 'w').write(text[:1 << 20])
"
run 0 export --model "$MODEL" --text-file big.txt --out big.npy
expect_stderr "dropped"
$PY -c "
import json, numpy as np, sys
positions = json.load(open('$MODEL/config.json'))['n_positions']
a = np.load('big.npy')
sys.exit(0 if a.shape == (2, 4, positions, positions) else 1)
" || fail "the 1 MB text should give (2, 4, P, P) with P = n_positions"
finish test_cli_export
