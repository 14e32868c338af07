#!/usr/bin/env python3
"""Random-weight checkpoints of real model shapes, for the speed and memory benchmarks
(tests/bench/bench_forward.cpp) and their PyTorch counterpart (tools/torch_forward_bench.py),
which then read the very same weights.

  bench_checkpoints.py DIR [SHAPE ...]     SHAPE: qwen2.5-0.5b gpt2-small gemma3-270m (default all)

Each shape becomes DIR/SHAPE/{config.json, model.safetensors}, written tensor by tensor (BF16
rounding to nearest even, or F32), so the script never holds more than one tensor. Matrices are
N(0, 0.02²) as transformers initializes them; norm gains are 1 (Gemma: 0, it adds 1 itself).
"""

import json
import os
import struct
import sys

import numpy as np

SHAPES = {
    # Qwen/Qwen2.5-0.5B: 24 layers, hidden 896, 14 query / 2 key-value heads, MLP 4864, tied.
    "qwen2.5-0.5b": ("BF16", {
        "model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
        "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "use_sliding_window": False,
        "hidden_act": "silu"}),
    # openai-community/gpt2 (small), stored as F32 like the original.
    "gpt2-small": ("F32", {
        "model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
        "vocab_size": 50257, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}),
    # google/gemma-3-270m: 18 layers, hidden 640, 4 query / 1 key-value heads of 256, vocabulary
    # 262144 (the top-k target).
    "gemma3-270m": ("BF16", {
        "model_type": "gemma3_text", "hidden_size": 640, "intermediate_size": 2048,
        "num_hidden_layers": 18, "num_attention_heads": 4, "num_key_value_heads": 1,
        "head_dim": 256, "vocab_size": 262144, "max_position_embeddings": 32768,
        "query_pre_attn_scalar": 256, "sliding_window": 512, "sliding_window_pattern": 6,
        "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rms_norm_eps": 1e-6,
        "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True}),
}


def tensors(shape_name, cfg):
    """(name, shape, kind) in checkpoint order; kind: matrix, gain, zero_gain, bias."""
    out = []
    if cfg["model_type"] == "gpt2":
        c, n, v, p = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]
        out += [("wte.weight", (v, c), "matrix"), ("wpe.weight", (p, c), "matrix")]
        for i in range(n):
            h = f"h.{i}."
            out += [(h + "ln_1.weight", (c,), "gain"), (h + "ln_1.bias", (c,), "bias"),
                    (h + "attn.c_attn.weight", (c, 3 * c), "matrix"),
                    (h + "attn.c_attn.bias", (3 * c,), "bias"),
                    (h + "attn.c_proj.weight", (c, c), "matrix"), (h + "attn.c_proj.bias", (c,), "bias"),
                    (h + "ln_2.weight", (c,), "gain"), (h + "ln_2.bias", (c,), "bias"),
                    (h + "mlp.c_fc.weight", (c, 4 * c), "matrix"), (h + "mlp.c_fc.bias", (4 * c,), "bias"),
                    (h + "mlp.c_proj.weight", (4 * c, c), "matrix"), (h + "mlp.c_proj.bias", (c,), "bias")]
        return out + [("ln_f.weight", (c,), "gain"), ("ln_f.bias", (c,), "bias")]
    c, i_size, n = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    h, g, v = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]
    d = cfg.get("head_dim", c // h)
    gemma = cfg["model_type"].startswith("gemma")
    gain = "zero_gain" if gemma else "gain"
    out.append(("model.embed_tokens.weight", (v, c), "matrix"))
    for layer in range(n):
        p = f"model.layers.{layer}."
        norms = ["input_layernorm", "post_attention_layernorm"]
        if gemma:
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        out += [(p + norm + ".weight", (c,), gain) for norm in norms]
        for name, rows in (("q_proj", h * d), ("k_proj", g * d), ("v_proj", g * d)):
            out.append((p + f"self_attn.{name}.weight", (rows, c), "matrix"))
            if cfg["model_type"] == "qwen2":
                out.append((p + f"self_attn.{name}.bias", (rows,), "bias"))
        if gemma:
            out += [(p + "self_attn.q_norm.weight", (d,), gain), (p + "self_attn.k_norm.weight", (d,), gain)]
        out += [(p + "self_attn.o_proj.weight", (c, h * d), "matrix"),
                (p + "mlp.gate_proj.weight", (i_size, c), "matrix"),
                (p + "mlp.up_proj.weight", (i_size, c), "matrix"),
                (p + "mlp.down_proj.weight", (c, i_size), "matrix")]
    return out + [("model.norm.weight", (c,), gain)]


def values(kind, shape, rng):
    if kind == "matrix":
        return rng.normal(0.0, 0.02, size=shape).astype(np.float32)
    if kind == "gain":
        return np.ones(shape, dtype=np.float32)
    if kind == "bias":
        return rng.normal(0.0, 0.02, size=shape).astype(np.float32)
    return np.zeros(shape, dtype=np.float32)


def encode(array, dtype):
    if dtype == "F32":
        return array.tobytes()
    bits = array.view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16).tobytes()


def write(folder, shape_name):
    dtype, cfg = SHAPES[shape_name]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as out:
        json.dump(cfg, out, indent=2)
    layout = tensors(shape_name, cfg)
    size = 4 if dtype == "F32" else 2
    header, offset = {}, 0
    for name, shape, _ in layout:
        count = int(np.prod(shape))
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + count * size]}
        offset += count * size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    rng = np.random.default_rng(7)
    with open(os.path.join(folder, "model.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name, shape, kind in layout:
            out.write(encode(values(kind, shape, rng), dtype))
    print(f"{shape_name}: {offset / 1e6:.0f} MB of {dtype} weights in {folder}", flush=True)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for shape_name in argv[2:] or list(SHAPES):
        if shape_name not in SHAPES:
            print(f"unknown shape {shape_name}; shapes: {', '.join(SHAPES)}", file=sys.stderr)
            return 2
        folder = os.path.join(argv[1], shape_name)
        if os.path.exists(os.path.join(folder, "model.safetensors")):
            print(f"{shape_name}: already in {folder}")
            continue
        write(folder, shape_name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
