"""Writes a Llama-family model folder with random float32 weights for the long-text GUI test:
big enough that a run of a few thousand tokens takes seconds (so its progress shows and it can
be cancelled) and long enough for on-demand weights, with the llama3-tiny fixture's tokenizer.
No numpy: the safetensors file is written with struct and array.

Usage: make_long_model.py TESTS_DATA_DIR OUT_FOLDER [LAYERS]
"""
import array
import json
import os
import random
import shutil
import struct
import sys

WIDTH, HEADS, KV_HEADS, HEAD_DIM, INNER, VOCAB = 256, 4, 2, 64, 512, 2560


def tensors(layers):
    yield "model.embed_tokens.weight", (VOCAB, WIDTH), 0.05
    for l in range(layers):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", (WIDTH,), None
        # Wide q and k: peaked attention, so a clicked token has arcs above the min weight.
        yield p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, WIDTH), 0.3
        yield p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, WIDTH), 0.3
        yield p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, WIDTH), 0.05
        yield p + "self_attn.o_proj.weight", (WIDTH, HEADS * HEAD_DIM), 0.05
        yield p + "post_attention_layernorm.weight", (WIDTH,), None
        yield p + "mlp.gate_proj.weight", (INNER, WIDTH), 0.05
        yield p + "mlp.up_proj.weight", (INNER, WIDTH), 0.05
        yield p + "mlp.down_proj.weight", (WIDTH, INNER), 0.05
    yield "model.norm.weight", (WIDTH,), None


def main():
    data, out = sys.argv[1], sys.argv[2]
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    fixture = os.path.join(data, "modern", "llama3-tiny", "model")
    os.makedirs(out, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(fixture, name), os.path.join(out, name))
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": WIDTH,
        "intermediate_size": INNER, "num_hidden_layers": layers, "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM, "hidden_act": "silu",
        "rms_norm_eps": 1e-05, "rope_theta": 100000, "tie_word_embeddings": True,
        "vocab_size": VOCAB, "bos_token_id": 2500, "eos_token_id": 2501,
        "max_position_embeddings": 8192,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    rng = random.Random(11)
    header, blobs, offset = {}, [], 0
    for name, shape, spread in tensors(layers):
        n = 1
        for d in shape:
            n *= d
        values = array.array("f", ([1.0] * n) if spread is None else
                             (rng.uniform(-spread, spread) for _ in range(n)))
        blob = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


if __name__ == "__main__":
    main()
