#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the libFuzzer harnesses into tests/fuzz/seeds/NAME/.

Seeds are small (a few KiB): trimmed copies of the test data and the shared fixtures' files, plus
malformed files made by hand, one per way a download goes wrong. Run it from anywhere; it only
rewrites tests/fuzz/seeds. The corpus that fuzzing grows lives beside it in tests/fuzz/corpus
(tools/fuzz.sh) and is not touched here.

    python3 tests/fuzz/make_seeds.py [--fixtures /work/shared/fixtures]
"""
import argparse
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SEEDS = os.path.join(HERE, "seeds")
SEP = b"\n--8<--\n"  # fuzz_support.h kFileSeparator


WRITTEN = {}  # (harness, bytes) -> name: identical seeds are written once


def put(harness, name, data):
    folder = os.path.join(SEEDS, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    assert len(data) <= 65536, (harness, name, len(data))
    if (harness, data) in WRITTEN:
        return
    WRITTEN[(harness, data)] = name
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ---- safetensors ----

def safetensors(header, data=b"", length=None):
    text = header if isinstance(header, bytes) else compact(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def safetensors_seeds():
    f32 = struct.pack("<4f", 0.0, 0.25, 0.5, 1.0)
    good = {"__metadata__": {"format": "pt"},
            "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
            "h": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]},
            "b": {"dtype": "BF16", "shape": [2], "data_offsets": [20, 24]},
            "i": {"dtype": "I64", "shape": [], "data_offsets": [24, 32]},
            "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [32, 32]}}
    data = f32 + b"\x00\x3c\x00\xbc" + b"\x80\x3f\x00\xc0" + struct.pack("<q", 7)
    put("fuzz_safetensors", "valid_mixed_dtypes", safetensors(good, data))
    put("fuzz_safetensors", "valid_scalar", safetensors(
        {"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}, struct.pack("<f", 1.5)))
    put("fuzz_safetensors", "lfs_pointer",
        b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 6553432\n")
    put("fuzz_safetensors", "short", b"\x10\x00\x00")
    put("fuzz_safetensors", "header_too_long", safetensors({}, length=10**12))
    put("fuzz_safetensors", "header_past_end", safetensors({}, length=4096))
    put("fuzz_safetensors", "duplicate_key", safetensors(
        b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        b'"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8))
    put("fuzz_safetensors", "overlap", safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    put("fuzz_safetensors", "gap", safetensors(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    put("fuzz_safetensors", "trailing_bytes", safetensors(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 12))
    put("fuzz_safetensors", "shape_overflow", safetensors(
        {"a": {"dtype": "F32", "shape": [2**32, 2**32, 16], "data_offsets": [0, 4]}}, b"\0" * 4))
    put("fuzz_safetensors", "huge_shape_small_file", safetensors(
        {"a": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 40000000000]}}))
    put("fuzz_safetensors", "unknown_dtype", safetensors(
        {"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16))
    put("fuzz_safetensors", "bad_utf8_header", safetensors(b'{"\xff\xfe":{}}'))
    put("fuzz_safetensors", "metadata_not_string", safetensors({"__metadata__": {"k": 1}}))
    put("fuzz_safetensors", "deep_header", safetensors(b'{"w":' + b"[" * 20 + b"]" * 20 + b"}"))
    put("fuzz_safetensors", "negative_offset", safetensors(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}))
    put("fuzz_safetensors", "float_shape", safetensors(
        {"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}, b"\0" * 4))


def shard_index_seeds():
    good = {"metadata": {"total_size": 16},
            "weight_map": {"w": "a.safetensors", "v": "b.safetensors"}}
    put("fuzz_shard_index", "valid", compact(good))
    put("fuzz_shard_index", "one_shard_missing_tensor",
        compact({"weight_map": {"w": "a.safetensors", "v": "a.safetensors"}}))
    for name, shard in [("traversal", "../a.safetensors"), ("absolute", "/etc/passwd"),
                        ("backslash", "..\\a.safetensors"), ("missing", "c.safetensors"),
                        ("empty_name", ""), ("folder", ".")]:
        put("fuzz_shard_index", "shard_" + name, compact({"weight_map": {"w": shard}}))
    put("fuzz_shard_index", "no_weight_map", compact({"metadata": {}}))
    put("fuzz_shard_index", "weight_map_list", compact({"weight_map": ["a.safetensors"]}))
    put("fuzz_shard_index", "duplicate_tensor",
        b'{"weight_map":{"w":"a.safetensors","w":"b.safetensors"}}')
    put("fuzz_shard_index", "deep", b'{"weight_map":' + b"[" * 30 + b"]" * 30 + b"}")


# ---- config.json ----

def model_files(file_name, fixtures, extra=None):
    """{name: path} of `file_name` in the test data's two models, `extra`, and each of the shared
    modern fixtures that has one."""
    files = {"gpt2": os.path.join(DATA, "gpt2-tiny", "model", file_name),
             "bert": os.path.join(DATA, "bert-tiny", "model", file_name)}
    files.update(extra or {})
    modern = os.path.join(fixtures, "modern") if fixtures else None
    if modern and os.path.isdir(modern):
        for family in sorted(os.listdir(modern)):
            path = os.path.join(modern, family, "model", file_name)
            if os.path.exists(path):
                files[family] = path
    return files


def config_seeds(fixtures):
    builtin = os.path.join(HERE, "..", "..", "assets", "model", "config.json")
    for name, path in model_files("config.json", fixtures, {"builtin": builtin}).items():
        with open(path, "rb") as f:
            put("fuzz_model_config", name, f.read())
    base = {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 768,
            "n_layer": 12, "n_head": 12}
    variants = {
        "huge_sizes": {"n_embd": 2**31 - 1, "n_layer": 2**31 - 1, "vocab_size": 2**40},
        "negative": {"n_head": -12},
        "zero_heads": {"n_head": 0},
        "not_divisible": {"n_embd": 10, "n_head": 3},
        "float_size": {"n_layer": 12.5},
        "string_size": {"n_layer": "12"},
        "null_size": {"n_embd": None},
        "unknown_type": {"model_type": "llama"},
        "type_not_string": {"model_type": ["gpt2"]},
        "rope_scaling_linear": {"model_type": "llama", "rope_scaling": {"type": "linear", "factor": 2.0}},
        "rope_scaling_llama3": {"model_type": "llama", "rope_scaling": {
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192}},
        "rope_scaling_bad": {"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": -1}},
        "layer_types": {"model_type": "gemma3", "layer_types": ["sliding_attention", "full_attention"] * 6},
        "layer_types_wrong_length": {"model_type": "gemma3", "layer_types": ["full_attention"]},
        "layer_types_not_strings": {"model_type": "gemma3", "layer_types": [1, {}, None]},
    }
    for name, patch in variants.items():
        put("fuzz_model_config", name, compact({**base, **patch}))
    put("fuzz_model_config", "deep_value", b'{"model_type":"gpt2","n_embd":' + b"[" * 40 + b"]" * 40 + b"}")
    put("fuzz_model_config", "not_object", b"[1,2,3]")
    put("fuzz_model_config", "bad_utf8", b'{"model_type":"gpt2","_name_or_path":"\xff\xfe"}')
    put("fuzz_model_config", "truncated", compact(base)[:40])


# ---- tokenizers ----

def trimmed_tokenizer_json(path, keep=120):
    """The same tokenizer.json with the vocabulary cut to `keep` ids plus the added tokens, and
    only the merges whose parts and result survive."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    model = doc.get("model", {})
    vocab = model.get("vocab")
    doc["added_tokens"] = doc.get("added_tokens", [])[:24]
    added = {t["content"] for t in doc["added_tokens"]}
    if isinstance(vocab, dict):
        kept = {t: i for t, i in vocab.items() if i < keep or t in added}
        model["vocab"] = kept
        merges = model.get("merges", [])
        small = []
        for merge in merges:
            a, b = merge if isinstance(merge, list) else merge.split(" ", 1)
            if a in kept and b in kept and a + b in kept:
                small.append(merge)
        model["merges"] = small[:200]
    elif isinstance(vocab, list):  # Unigram: [piece, score]
        model["vocab"] = vocab[:keep]
    return compact(doc)


def tokenizer_seeds(fixtures):
    for name, path in model_files("tokenizer.json", fixtures).items():
        text = trimmed_tokenizer_json(path)
        config = os.path.join(os.path.dirname(path), "tokenizer_config.json")
        seed = text.encode()
        if os.path.exists(config) and os.path.getsize(config) < 8192:
            with open(config, "rb") as f:
                seed += SEP + f.read()
        if len(seed) > 65536:
            seed = text.encode()
        if len(seed) <= 65536:
            put("fuzz_tokenizer_json", name, seed)
    wp = {"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hello": 3, "##lo": 4}}}
    put("fuzz_tokenizer_json", "wordpiece_min", compact(wp))
    # (A WordPiece id of 16,777,215 is tests/data/fuzz-regressions/wordpiece-id-16777215, not a
    # seed, while its fix is pending: it exceeds the smoke run's 256 MB allocation limit.)
    put("fuzz_tokenizer_json", "bpe_min", compact(
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
         "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": True}]}))
    put("fuzz_tokenizer_json", "bpe_merge_unknown", compact(
        {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "zz"], 5, "x"]}}))
    put("fuzz_tokenizer_json", "negative_id", compact(
        {"model": {"type": "WordPiece", "vocab": {"[UNK]": -1}}}))
    put("fuzz_tokenizer_json", "deep_normalizer",
        b'{"model":{"type":"WordPiece","vocab":{"[UNK]":0}},"normalizer":' + b"[" * 40 + b"]" * 40 + b"}")
    put("fuzz_tokenizer_json", "unknown_model", compact({"model": {"type": "Unigram", "vocab": [["a", -1.0]]}}))

    # vocab.json + merges.txt, trimmed from the built-in model's.
    assets = os.path.join(HERE, "..", "..", "assets", "model")
    with open(os.path.join(assets, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    small = {t: i for t, i in vocab.items() if i < 300}
    with open(os.path.join(assets, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [lines[0]] + [l for l in lines[1:] if l and all(p in small for p in l.split(" ", 1))
                           and l.replace(" ", "", 1) in small][:60]
    put("fuzz_bpe_files", "builtin_trimmed", compact(small).encode() + SEP + "\n".join(merges).encode() + b"\n")
    put("fuzz_bpe_files", "no_version_line", compact({"a": 0, "b": 1, "ab": 2}).encode() + SEP + b"a b\n")
    put("fuzz_bpe_files", "merge_one_part", compact({"a": 0}).encode() + SEP + b"#version: 0.2\na\n")
    put("fuzz_bpe_files", "merge_crlf", compact({"a": 0, "b": 1, "ab": 2}).encode() + SEP + b"#version: 0.2\r\na b\r\n")
    put("fuzz_bpe_files", "vocab_not_object", b"[1,2]" + SEP + b"#version: 0.2\n")
    put("fuzz_bpe_files", "id_huge", compact({"a": 2**31 - 1}).encode() + SEP + b"#version: 0.2\n")
    put("fuzz_bpe_files", "merges_bad_utf8", compact({"a": 0}).encode() + SEP + b"#version: 0.2\n\xff \xfe\n")

    with open(os.path.join(DATA, "bert-tiny", "model", "vocab.txt"), encoding="utf-8") as f:
        vocab_lines = f.read().split("\n")
    put("fuzz_vocab_txt", "bert_first_1200", "\n".join(vocab_lines[:1200]) + "\n")
    put("fuzz_vocab_txt", "bert_with_config", ("\n".join(vocab_lines[:300]) + "\n").encode() + SEP +
        compact({"do_lower_case": False, "strip_accents": True, "tokenize_chinese_chars": False}).encode())
    put("fuzz_vocab_txt", "crlf", b"[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n")
    put("fuzz_vocab_txt", "no_unk", b"[CLS]\n[SEP]\nhello\n")
    put("fuzz_vocab_txt", "duplicates", b"[UNK]\n[CLS]\n[SEP]\na\na\n##a\n")
    put("fuzz_vocab_txt", "empty_lines", b"[UNK]\n\n\n[CLS]\n[SEP]\n")
    put("fuzz_vocab_txt", "bad_utf8", b"[UNK]\n[CLS]\n[SEP]\n\xff\xfe\n")
    put("fuzz_vocab_txt", "config_wrong_types", b"[UNK]\n[CLS]\n[SEP]\n" + SEP + b'{"do_lower_case":"yes"}')

    # Texts to encode: the tokenizer references' texts, plus edge cases.
    for harness, reference in [("fuzz_bpe_encode", "gpt2-tiny"), ("fuzz_wordpiece_encode", "bert-tiny")]:
        with open(os.path.join(DATA, reference, "tokenizer_reference.json"), encoding="utf-8") as f:
            lines = json.load(f)
        for k, line in enumerate(lines[::60]):
            put(harness, "reference_%02d" % k, line["text"])
        for name, text in [("empty", b""), ("spaces", b"   \t\n\r\n  x  "), ("bad_utf8", b"a\xffb"),
                           ("cjk", "日本語のテキスト".encode()), ("emoji", "👩‍👩‍👧 🙂🙂".encode()),
                           ("accents", "Café naïve Ångström".encode()),
                           ("special", b"<|endoftext|>[CLS]x[SEP][UNK]<s>"),
                           ("long_word", b"a" * 3000), ("contractions", b"I'm you're he'll 's 't"),
                           ("nul", b"a\x00b"), ("combining", "e\u0301\u0301\u0301".encode())]:
            put(harness, name, text)


# ---- npy ----

def npy(descr, shape, data, version=(1, 0), fortran=False, header=None):
    if header is None:
        shape_text = "(" + "".join("%d, " % d for d in shape) + ")" if len(shape) != 1 else "(%d,)" % shape[0]
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", shape_text)
    header = header.encode("latin-1") if isinstance(header, str) else header
    length_bytes = 2 if version[0] == 1 else 4
    pad = (64 - (10 + length_bytes - 2 + len(header) + 1) % 64) % 64
    header = header + b" " * pad + b"\n"
    length = struct.pack("<H" if length_bytes == 2 else "<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header + data


def npy_seeds():
    four = struct.pack("<4f", 1.0, 0.0, 0.5, 0.5)
    put("fuzz_npy", "f4_2x2", npy("<f4", (2, 2), four))
    put("fuzz_npy", "f4_big_endian", npy(">f4", (4,), struct.pack(">4f", 1, 0, 0.5, 0.5)))
    put("fuzz_npy", "f2_1x2x2", npy("<f2", (1, 2, 2), b"\x00\x3c" * 4))
    put("fuzz_npy", "v2_header", npy("<f4", (2, 2), four, version=(2, 0)))
    put("fuzz_npy", "v3_header", npy("<f4", (2, 2), four, version=(3, 0)))
    put("fuzz_npy", "scalar", npy("<f4", (), struct.pack("<f", 1.0)))
    put("fuzz_npy", "fortran", npy("<f4", (2, 2), four, fortran=True))
    put("fuzz_npy", "int64", npy("<i8", (2,), b"\0" * 16))
    put("fuzz_npy", "shape_lies", npy("<f4", (1000000, 1000000), four))
    put("fuzz_npy", "shape_overflow", npy("<f4", (2**62, 2**62), four))
    put("fuzz_npy", "structured", npy("", (1,), b"\0" * 8,
                                      header="{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }"))
    put("fuzz_npy", "nested_tuples", npy("", (1,), four,
                                         header="{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((1,),),),),),),),),),), }"))
    put("fuzz_npy", "header_length_lies", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'}")
    put("fuzz_npy", "version_9", b"\x93NUMPY\x09\x00\x10\x00{}")
    put("fuzz_npy", "truncated_data", npy("<f4", (2, 2), four[:10]))


# ---- imported attention ----

def attention_seeds():
    tokens = compact(["The", " fox", " ran"]).encode()
    causal = [[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]
    put("fuzz_attention_import", "json_tt_with_tokens", compact(causal).encode() + SEP + tokens)
    put("fuzz_attention_import", "json_export_lhtt", compact(
        {"tokens": [{"id": 464, "text": "The", "start": 0, "end": 3, "special": False},
                    {"id": 21831, "text": " fox", "start": 3, "end": 7, "special": False}],
         "attention": [[[[1, 0], [0.4, 0.6]], [[1, 0], [0.9, 0.1]]]]}))
    put("fuzz_attention_import", "json_not_rectangular", compact([[1, 0], [1]]).encode() + SEP + compact(["a", "b"]).encode())
    put("fuzz_attention_import", "json_scores_not_weights", compact([[3.5, -1], [0, 9]]).encode() + SEP + compact(["a", "b"]).encode())
    put("fuzz_attention_import", "json_tokens_objects", compact([[1]]).encode() + SEP + compact(
        {"tokens": [{"text": "[CLS]", "id": 101, "special": True}]}).encode())
    put("fuzz_attention_import", "json_tokens_bad_span", compact([[1]]).encode() + SEP + compact(
        [{"text": "a", "start": 5, "end": 1}]).encode())
    with open(os.path.join(DATA, "fuzz-regressions", "attention-huge-promise.json"), "rb") as f:
        put("fuzz_attention_import", "json_huge_promise", f.read())
    put("fuzz_attention_import", "npy_with_tokens", npy("<f4", (3, 3), struct.pack("<9f", *sum(causal, []))) + SEP + tokens)
    put("fuzz_attention_import", "npy_f2_hhtt", npy("<f2", (2, 1, 1), b"\x00\x3c" * 2) + SEP + compact(["x"]).encode())
    meta_tokens = compact([{"id": 1, "text": "a", "start": 0, "end": 1, "special": False},
                           {"id": 2, "text": "b", "start": 1, "end": 2, "special": False}])
    put("fuzz_attention_import", "safetensors_attnviz", safetensors(
        {"__metadata__": {"format": "attnviz-attention", "tokens": meta_tokens, "model_name": "m",
                          "causal": "true"},
         "attentions": {"dtype": "F32", "shape": [1, 1, 2, 2], "data_offsets": [0, 16]}},
        struct.pack("<4f", 1, 0, 0.5, 0.5)))
    put("fuzz_attention_import", "safetensors_bf16_tokens_file", safetensors(
        {"attention": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [0, 2]}}, b"\x80\x3f") + SEP + compact(["x"]).encode())


def utf8_seeds():
    for name, data in [("ascii", b"hello"), ("two_byte", "é".encode()), ("three_byte", "日".encode()),
                       ("four_byte", "🙂".encode()), ("overlong", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"),
                       ("past_max", b"\xf4\x90\x80\x80"), ("truncated", b"\xe6\x97"), ("lone_continuation", b"\x80\xbf"),
                       ("ff_fe", b"\xff\xfemodel"), ("mixed", "a\xffé\xe6日🙂\xf0\x9f".encode("utf-8", "surrogateescape"))]:
        put("fuzz_utf8", name, data)


# ---- folders ----

def folder_seeds():
    good = b"good config.json\ngood vocab.json\ngood merges.txt\ngood model.safetensors\n"
    put("fuzz_model_folder", "good", good)
    put("fuzz_model_folder", "copies", good.replace(b"good", b"copy"))
    put("fuzz_model_folder", "weights_loop", good.replace(b"good model.safetensors", b"loop model.safetensors"))
    put("fuzz_model_folder", "config_loop", good.replace(b"good config.json", b"loop config.json"))
    put("fuzz_model_folder", "config_is_folder", good.replace(b"good config.json", b"dir config.json"))
    put("fuzz_model_folder", "weights_fifo", good.replace(b"good model.safetensors", b"fifo model.safetensors"))
    put("fuzz_model_folder", "config_to_dev_zero", good.replace(b"good config.json", b"link config.json /dev/zero"))
    put("fuzz_model_folder", "weights_to_parent", good.replace(b"good model.safetensors", b"link model.safetensors .."))
    put("fuzz_model_folder", "vocab_bytes", good.replace(b"good vocab.json", b"bytes vocab.json") + SEP[1:] + b'{"a": 0}')
    put("fuzz_model_folder", "config_bytes", good.replace(b"good config.json", b"bytes config.json") + SEP[1:] +
        b'{"model_type": "gpt2", "vocab_size": 260, "n_positions": 16, "n_embd": 4, "n_layer": 2, "n_head": 2}')
    put("fuzz_model_folder", "index_bytes", good.replace(b"good model.safetensors", b"bytes model.safetensors.index.json\ngood model.safetensors.x") +
        SEP[1:] + b'{"weight_map": {"wte.weight": "model.safetensors.x"}}')
    put("fuzz_model_folder", "tokenizer_json_loop", good + b"loop tokenizer.json\n")
    put("fuzz_model_folder", "two_cycle", good.replace(b"good vocab.json", b"link vocab.json merges.txt").replace(
        b"good merges.txt", b"link merges.txt vocab.json"))

    hub = b"models--openai-community--gpt2/snapshots/aaa111/"
    snap = b"".join(b"good " + hub + name + b"\n" for name in [b"config.json", b"vocab.json", b"merges.txt", b"model.safetensors"])
    put("fuzz_hf_cache", "one_snapshot", snap)
    put("fuzz_hf_cache", "blob_links", b"copy models--a--b/blobs/config.json\nlink models--a--b/snapshots/r1/config.json ../../blobs/config.json\n"
        b"link models--a--b/snapshots/r1/model.safetensors ../../blobs/missing\n")
    put("fuzz_hf_cache", "snapshot_loop", snap + b"loop models--openai-community--gpt2/snapshots/loop\n")
    put("fuzz_hf_cache", "repo_loop", snap + b"loop models--x--y\n")
    put("fuzz_hf_cache", "snapshots_to_root", b"link models--x--y/snapshots ../..\n")
    put("fuzz_hf_cache", "snapshot_to_repo", snap + b"link models--openai-community--gpt2/snapshots/up ..\n")
    put("fuzz_hf_cache", "config_bytes", b"bytes models--x--y/snapshots/r/config.json\n--8<--\n" +
        b'{"model_type": "gpt2"}')
    put("fuzz_hf_cache", "odd_names", b"dir models--\ndir models----\ndir datasets--a--b/snapshots/r\ndir .locks/models--a--b\n"
        b"dir models--\xff\xfe--x/snapshots/\xff\n")
    put("fuzz_hf_cache", "fifo_config", b"fifo models--x--y/snapshots/r/config.json\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", default=os.path.join(HERE, "..", "..", "..", "shared", "fixtures"))
    args = parser.parse_args()
    shutil.rmtree(SEEDS, ignore_errors=True)
    fixtures = args.fixtures if os.path.isdir(args.fixtures) else None
    safetensors_seeds()
    shard_index_seeds()
    config_seeds(fixtures)
    tokenizer_seeds(fixtures)
    npy_seeds()
    attention_seeds()
    utf8_seeds()
    folder_seeds()
    total = 0
    for root, _, files in os.walk(SEEDS):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("seeds: %d harnesses, %d bytes" % (len(os.listdir(SEEDS)), total))


if __name__ == "__main__":
    main()
