#!/usr/bin/env python3
"""attnviz's second reference: a PyTorch port of Hugging Face transformers' modeling code for every
family attnviz runs, and random checkpoints to run it on.

Written from transformers' own files (eager attention), not from attnviz:
  models/llama/modeling_llama.py      LlamaRMSNorm, apply_rotary_pos_emb, repeat_kv,
                                      eager_attention_forward, LlamaAttention, LlamaDecoderLayer
  models/mistral, qwen2, qwen3, phi3  the same layer; Qwen3's q_norm/k_norm, Phi-3's qkv_proj and
                                      gate_up_proj, partial rotary
  models/gemma2, gemma3               Gemma RMSNorm (1 + w), sandwich norms, soft-caps,
                                      query_pre_attn_scalar, local/global RoPE
  models/gpt_neox                     per-head fused query_key_value, rotary_pct, parallel residual
  modeling_rope_utils.py              default, linear, dynamic, yarn, longrope, llama3 (float32
                                      tables, as transformers builds them)
  masking_utils.py                    causal and sliding-window masks (i - W < j <= i)

The math runs in float64 with float32 RoPE tables, like the fixtures in tests/data/modern, so the
only error left in a comparison is attnviz's float32 rounding.

  torch_reference.py OUT_DIR [CASE ...]
writes OUT_DIR/<case>/model/{config.json, model.safetensors} and OUT_DIR/<case>/reference.safetensors
(text{i}.input_ids I64 (T), text{i}.attentions F32 (L, H, T, T), text{i}.hidden_states F32
(L+1, T, C), text{i}.logits_last F32 (V)), the layout of the fixtures.
"""

import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import torch

torch.set_num_threads(1)
F64 = torch.float64

# ---------------------------------------------------------------- safetensors (REFERENCE.md §1)


def narrow(values, dtype):
    """The float32 numbers a checkpoint of `dtype` holds for `values`, and their bytes."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "F32":
        return values, values.tobytes()
    if dtype == "F16":
        half = values.astype(np.float16)
        return half.astype(np.float32), half.tobytes()
    if dtype == "BF16":  # round to nearest even
        bits = values.view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        return (rounded.astype(np.uint32) << 16).view(np.float32), rounded.tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype, shape, bytes)."""
    header, offset, blobs = {}, 0, []
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for data in blobs:
            out.write(data)


# ---------------------------------------------------------------- RoPE (modeling_rope_utils.py)


def rope_parameters(cfg, layer_type="full_attention"):
    """The rope dict of a layer type, with rope_theta, rope_type and partial_rotary_factor."""
    scaling = cfg.get("rope_scaling") or {}
    if cfg["family"] == "gemma3" and layer_type == "sliding_attention":
        return {"rope_type": "default", "rope_theta": cfg.get("rope_local_base_freq", 10000.0),
                "partial_rotary_factor": 1.0}
    params = dict(scaling)
    params["rope_type"] = params.get("rope_type", params.get("type", "default"))
    if cfg["family"] == "phi3" and params["rope_type"] in ("su", "yarn"):
        params["rope_type"] = "longrope"
    theta_key = "rotary_emb_base" if cfg["family"] == "gpt_neox" else "rope_theta"
    params.setdefault("rope_theta", cfg.get(theta_key, 10000.0))
    partial_key = "rotary_pct" if cfg["family"] == "gpt_neox" else "partial_rotary_factor"
    params["partial_rotary_factor"] = cfg.get(partial_key, 1.0)
    if params["rope_type"] in ("llama3", "yarn", "longrope"):
        if cfg["family"] == "phi3":
            params["original_max_position_embeddings"] = cfg.get("original_max_position_embeddings", 4096)
        else:
            params.setdefault("original_max_position_embeddings",
                              cfg.get("original_max_position_embeddings", cfg["max_position_embeddings"]))
    return params


def inverse_frequencies(cfg, params, seq_len):
    """(inv_freq float32 (dim/2), attention_factor): ROPE_INIT_FUNCTIONS[rope_type]."""
    base = params["rope_theta"]
    dim = int(cfg["head_dim"] * params["partial_rotary_factor"])
    arange = torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float)
    kind = params["rope_type"]
    if kind == "dynamic":
        max_pos = cfg["max_position_embeddings"]
        seq = max(seq_len, max_pos)
        factor = params["factor"]
        base = base * ((factor * seq / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    inv_freq = 1.0 / (base ** (arange / dim))
    if kind in ("default", "dynamic"):
        return inv_freq, 1.0
    if kind == "linear":
        return inv_freq / params["factor"], 1.0
    if kind == "llama3":
        factor = params["factor"]
        low, high = params["low_freq_factor"], params["high_freq_factor"]
        old = params["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, inv_freq_llama), 1.0
    if kind == "yarn":
        factor = params.get("factor")
        original = params["original_max_position_embeddings"]
        if factor is None:
            factor = cfg["max_position_embeddings"] / original

        def get_mscale(scale, mscale=1):
            return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

        attention = params.get("attention_factor")
        if attention is None:
            if params.get("mscale") and params.get("mscale_all_dim"):
                attention = get_mscale(factor, params["mscale"]) / get_mscale(factor, params["mscale_all_dim"])
            else:
                attention = get_mscale(factor)
        beta_fast, beta_slow = params.get("beta_fast") or 32, params.get("beta_slow") or 1

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if params.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        pos_freqs = base ** (torch.arange(0, dim, 2).to(dtype=torch.float) / dim)
        extrapolation, interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        extrapolation_factor = 1 - ramp
        return interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor, attention
    if kind == "longrope":
        original = params["original_max_position_embeddings"]
        factor = params.get("factor") or cfg["max_position_embeddings"] / original
        attention = params.get("attention_factor")
        if attention is None:
            attention = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))
        factors = params["long_factor"] if seq_len > original else params["short_factor"]
        ext = torch.tensor(factors, dtype=torch.float32)
        return 1.0 / (ext * base ** (arange / dim)), attention
    raise ValueError(kind)


def cos_sin(cfg, params, tokens):
    """cos, sin (T, dim) in float32 as *RotaryEmbedding.forward, then float64."""
    inv_freq, scaling = inverse_frequencies(cfg, params, tokens)
    positions = torch.arange(tokens, dtype=torch.float32)
    freqs = (inv_freq[:, None].float() @ positions[None, :].float()).transpose(0, 1)
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * scaling).to(F64), (emb.sin() * scaling).to(F64)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin):
    """x (H, T, D); rotates the first cos.shape[-1] dims (partial rotary: Phi-3, GPT-NeoX)."""
    rotary = cos.shape[-1]
    rot, rest = x[..., :rotary], x[..., rotary:]
    return torch.cat([(rot * cos) + (rotate_half(rot) * sin), rest], dim=-1)


# ---------------------------------------------------------------- blocks


def rms_norm(x, weight, eps, plus_one=False):
    normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return normed * (1.0 + weight) if plus_one else weight * normed


def layer_norm(x, weight, bias, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def activation(name, x):
    if name in ("silu", "swish"):
        return torch.nn.functional.silu(x)
    if name == "gelu":
        return torch.nn.functional.gelu(x)
    if name in ("gelu_pytorch_tanh", "gelu_new"):
        return torch.nn.functional.gelu(x, approximate="tanh")
    raise ValueError(name)


def linear(x, w, name):
    y = x @ w[name + ".weight"].T
    bias = w.get(name + ".bias")
    return y if bias is None else y + bias


def mask(tokens, window):
    """Additive (T, T) mask: causal, and with a window W only keys i - W < j <= i."""
    i = torch.arange(tokens)[:, None]
    j = torch.arange(tokens)[None, :]
    allowed = j <= i
    if window:
        allowed &= j > i - window
    return torch.where(allowed, 0.0, -math.inf).to(F64)


def ablate(z, heads):
    """z (H, T, D): each head's output before the output projection (TransformerLens's hook_z).
    heads: {head: "zero" | "mean"}; an ablated head's output becomes 0, or its mean over this
    text's T positions at every position (TransformerLens's mean ablation, this text the
    reference)."""
    if not heads:
        return z
    z = z.clone()
    for head, kind in heads.items():
        z[head] = 0.0 if kind == "zero" else z[head].mean(0, keepdim=True).expand_as(z[head])
    return z


def attention(cfg, w, prefix, x, layer, tables, layer_types, ablated=None):
    """Self-attention of one layer (eager_attention_forward), returns (output (T, C), weights).
    ablated: {head: "zero" | "mean"} heads of this layer switched off (ablate())."""
    family, t = cfg["family"], x.shape[0]
    h, g, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    if family == "phi3":
        qkv = linear(x, w, prefix + "self_attn.qkv_proj")
        q, k, v = qkv[:, : h * d], qkv[:, h * d: h * d + g * d], qkv[:, h * d + g * d:]
    elif family == "gpt_neox":  # view(T, H, 3·D).chunk(3)
        qkv = linear(x, w, prefix + "attention.query_key_value").view(t, h, 3 * d)
        q, k, v = [part.reshape(t, h * d) for part in qkv.chunk(3, dim=-1)]
    else:
        q = linear(x, w, prefix + "self_attn.q_proj")
        k = linear(x, w, prefix + "self_attn.k_proj")
        v = linear(x, w, prefix + "self_attn.v_proj")
    q = q.view(t, h, d).transpose(0, 1)
    k = k.view(t, g, d).transpose(0, 1)
    v = v.view(t, g, d).transpose(0, 1)
    if prefix + "self_attn.q_norm.weight" in w:  # Qwen 3, Gemma 3: before RoPE
        plus_one = family in ("gemma2", "gemma3")
        q = rms_norm(q, w[prefix + "self_attn.q_norm.weight"], cfg["norm_eps"], plus_one)
        k = rms_norm(k, w[prefix + "self_attn.k_norm.weight"], cfg["norm_eps"], plus_one)
    cos, sin = tables[layer_types[layer]]
    q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
    k = k.repeat_interleave(h // g, dim=0)  # repeat_kv
    v = v.repeat_interleave(h // g, dim=0)
    if family in ("gemma2", "gemma3"):
        scaling = cfg["query_pre_attn_scalar"] ** -0.5
    else:
        scaling = d ** -0.5
    scores = torch.matmul(q, k.transpose(1, 2)) * scaling
    softcap = cfg.get("attn_logit_softcapping") if family == "gemma2" else None
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    window = cfg["sliding_window"] if layer_types[layer] == "sliding_attention" else None
    weights = torch.softmax(scores + mask(t, window), dim=-1)
    out = ablate(torch.matmul(weights, v), ablated).transpose(0, 1).reshape(t, h * d)
    name = prefix + ("attention.dense" if family == "gpt_neox" else "self_attn.o_proj")
    return linear(out, w, name), weights


def mlp(cfg, w, prefix, x):
    family = cfg["family"]
    if family == "gpt_neox":
        return linear(activation(cfg["hidden_act"], linear(x, w, prefix + "mlp.dense_h_to_4h")),
                      w, prefix + "mlp.dense_4h_to_h")
    act = cfg["hidden_activation"] if family in ("gemma2", "gemma3") else cfg["hidden_act"]
    if family == "phi3":
        gate, up = linear(x, w, prefix + "mlp.gate_up_proj").chunk(2, dim=-1)
        return linear(up * activation(act, gate), w, prefix + "mlp.down_proj")
    gate = linear(x, w, prefix + "mlp.gate_proj")
    up = linear(x, w, prefix + "mlp.up_proj")
    return linear(activation(act, gate) * up, w, prefix + "mlp.down_proj")


def layer_types_of(cfg):
    if cfg.get("layer_types"):
        return cfg["layer_types"]
    n, family = cfg["num_hidden_layers"], cfg["family"]
    if family in ("mistral", "phi3"):
        return ["sliding_attention" if cfg.get("sliding_window") else "full_attention"] * n
    if family in ("qwen2", "qwen3"):
        window = cfg.get("sliding_window") if cfg.get("use_sliding_window") else None
        return ["sliding_attention" if window and i >= cfg["max_window_layers"] else "full_attention"
                for i in range(n)]
    if family == "gemma2":
        return ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(n)]
    if family == "gemma3":
        pattern = cfg.get("sliding_window_pattern", 6)
        return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
    return ["full_attention"] * n


def forward(cfg, w, ids, ablations=None):
    """hidden_states (L+1, T, C), attentions (L, H, T, T), last logits (V), all float64.
    ablations: {layer: {head: "zero" | "mean"}} heads switched off (ablate())."""
    ablations = ablations or {}
    family, t = cfg["family"], len(ids)
    base = "gpt_neox." if family == "gpt_neox" else "model."
    eps = cfg["norm_eps"]
    types = layer_types_of(cfg)
    tables = {kind: cos_sin(cfg, rope_parameters(cfg, kind), t) for kind in set(types)}
    embed = w[base + ("embed_in.weight" if family == "gpt_neox" else "embed_tokens.weight")]
    x = embed[torch.tensor(ids)]
    if family in ("gemma2", "gemma3"):  # normalizer = torch.tensor(hidden**0.5, dtype=float32)
        x = x * float(np.float32(cfg["hidden_size"] ** 0.5))
    hidden, attentions = [x], []
    gemma = family in ("gemma2", "gemma3")
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{base}layers.{layer}."
        if family == "gpt_neox":
            normed = layer_norm(x, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
            attn, weights = attention(cfg, w, p, normed, layer, tables, types, ablations.get(layer))
            if cfg.get("use_parallel_residual", True):
                post = layer_norm(x, w[p + "post_attention_layernorm.weight"],
                                  w[p + "post_attention_layernorm.bias"], eps)
                x = mlp(cfg, w, p, post) + attn + x
            else:
                attn = attn + x
                post = layer_norm(attn, w[p + "post_attention_layernorm.weight"],
                                  w[p + "post_attention_layernorm.bias"], eps)
                x = mlp(cfg, w, p, post) + attn
        elif gemma:
            attn, weights = attention(cfg, w, p, rms_norm(x, w[p + "input_layernorm.weight"], eps, True),
                                      layer, tables, types, ablations.get(layer))
            x = x + rms_norm(attn, w[p + "post_attention_layernorm.weight"], eps, True)
            out = mlp(cfg, w, p, rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, True))
            x = x + rms_norm(out, w[p + "post_feedforward_layernorm.weight"], eps, True)
        else:
            attn, weights = attention(cfg, w, p, rms_norm(x, w[p + "input_layernorm.weight"], eps),
                                      layer, tables, types, ablations.get(layer))
            x = x + attn
            x = x + mlp(cfg, w, p, rms_norm(x, w[p + "post_attention_layernorm.weight"], eps))
        hidden.append(x)
        attentions.append(weights)
    if family == "gpt_neox":
        final = layer_norm(x, w[base + "final_layer_norm.weight"], w[base + "final_layer_norm.bias"], eps)
    else:
        final = rms_norm(x, w[base + "norm.weight"], eps, gemma)
    hidden[-1] = final
    head_name = "embed_out.weight" if family == "gpt_neox" else "lm_head.weight"
    head = w[head_name] if head_name in w and not cfg.get("tie_word_embeddings") else embed
    logits = final[-1] @ head.T
    cap = cfg.get("final_logit_softcapping") if gemma else None
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.stack(hidden), torch.stack(attentions), logits


# ---------------------------------------------------------------- random checkpoints


def tensor_shapes(cfg):
    """name -> shape of a *ForCausalLM checkpoint (without the base prefix for layers)."""
    family = cfg["family"]
    c, h, g, d, i = (cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"],
                     cfg["head_dim"], cfg["intermediate_size"])
    v, n = cfg["vocab_size"], cfg["num_hidden_layers"]
    shapes = {}
    if family == "gpt_neox":
        base = "gpt_neox."
        shapes[base + "embed_in.weight"] = (v, c)
        for layer in range(n):
            p = f"{base}layers.{layer}."
            for norm in ("input_layernorm", "post_attention_layernorm"):
                shapes[p + norm + ".weight"] = (c,)
                shapes[p + norm + ".bias"] = (c,)
            shapes[p + "attention.query_key_value.weight"] = (3 * c, c)
            shapes[p + "attention.query_key_value.bias"] = (3 * c,)
            shapes[p + "attention.dense.weight"] = (c, c)
            shapes[p + "attention.dense.bias"] = (c,)
            shapes[p + "mlp.dense_h_to_4h.weight"] = (i, c)
            shapes[p + "mlp.dense_h_to_4h.bias"] = (i,)
            shapes[p + "mlp.dense_4h_to_h.weight"] = (c, i)
            shapes[p + "mlp.dense_4h_to_h.bias"] = (c,)
        shapes[base + "final_layer_norm.weight"] = (c,)
        shapes[base + "final_layer_norm.bias"] = (c,)
        shapes["embed_out.weight"] = (v, c)
        return shapes
    base = "model."
    shapes[base + "embed_tokens.weight"] = (v, c)
    bias_qkv = family == "qwen2" or cfg.get("attention_bias", False)
    bias_o = cfg.get("attention_bias", False) and family != "qwen2"
    for layer in range(n):
        p = f"{base}layers.{layer}."
        norms = ["input_layernorm", "post_attention_layernorm"]
        if family in ("gemma2", "gemma3"):
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        for norm in norms:
            shapes[p + norm + ".weight"] = (c,)
        if family == "phi3":
            shapes[p + "self_attn.qkv_proj.weight"] = (h * d + 2 * g * d, c)
            shapes[p + "mlp.gate_up_proj.weight"] = (2 * i, c)
        else:
            for name, rows in (("q_proj", h * d), ("k_proj", g * d), ("v_proj", g * d)):
                shapes[p + "self_attn." + name + ".weight"] = (rows, c)
                if bias_qkv:
                    shapes[p + "self_attn." + name + ".bias"] = (rows,)
            shapes[p + "mlp.gate_proj.weight"] = (i, c)
            shapes[p + "mlp.up_proj.weight"] = (i, c)
            if cfg.get("mlp_bias"):
                for name in ("gate_proj", "up_proj"):
                    shapes[p + "mlp." + name + ".bias"] = (i,)
        shapes[p + "self_attn.o_proj.weight"] = (c, h * d)
        if bias_o:
            shapes[p + "self_attn.o_proj.bias"] = (c,)
        shapes[p + "mlp.down_proj.weight"] = (c, i)
        if cfg.get("mlp_bias"):
            shapes[p + "mlp.down_proj.bias"] = (c,)
        if family in ("qwen3", "gemma3"):
            shapes[p + "self_attn.q_norm.weight"] = (d,)
            shapes[p + "self_attn.k_norm.weight"] = (d,)
    shapes[base + "norm.weight"] = (c,)
    if not cfg.get("tie_word_embeddings"):
        shapes["lm_head.weight"] = (v, c)
    return shapes


def random_weights(cfg, rng):
    """name -> float32 values, norms near 1, with q and k (their projections, or the gains of
    q_norm/k_norm) scaled by the case's qk_scale so that attention rows are far from uniform and
    far from one-hot, as in the fixtures (normalized entropy about 0.4-0.7)."""
    weights = {}
    qk_scale = cfg.get("qk_scale", 1.0)
    plus_one = cfg["family"] in ("gemma2", "gemma3")
    for name, shape in tensor_shapes(cfg).items():
        if len(shape) == 1:
            center = 0.0 if plus_one or name.endswith(".bias") else 1.0
            if name.endswith(("q_norm.weight", "k_norm.weight")):
                center = qk_scale - 1.0 if plus_one else qk_scale
            values = center + rng.normal(0.0, 0.1, size=shape)
        else:
            spread = 1.0 / math.sqrt(shape[1])
            if any(key in name for key in ("q_proj", "k_proj", "qkv", "query_key_value")):
                spread *= qk_scale
            values = rng.normal(0.0, spread, size=shape)
        weights[name] = values.astype(np.float32)
    return weights


# The cases: larger than the fixtures, windows shorter than the texts, every RoPE type.
BASE = {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 3,
        "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 600,
        "max_position_embeddings": 1024, "rms_norm_eps": 1e-6, "hidden_act": "silu",
        "tie_word_embeddings": False, "rope_theta": 10000.0}
CASES = {
    "llama-yarn": ("llama", "BF16", [300], {
        "qk_scale": 1.35,
        "attention_bias": True, "mlp_bias": True,
        "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 256}}),
    "llama-dynamic": ("llama", "F32", [200], {
        "qk_scale": 1.6,
        "head_dim": 24, "max_position_embeddings": 512, "tie_word_embeddings": True,
        "rope_scaling": {"type": "dynamic", "factor": 2.0}}),
    "mistral-window": ("mistral", "BF16", [300], {
        "qk_scale": 1.3,
        "num_key_value_heads": 4, "sliding_window": 48}),
    "qwen2-mixed-windows": ("qwen2", "F16", [260], {
        "qk_scale": 1.4,
        "num_hidden_layers": 4, "use_sliding_window": True, "sliding_window": 40,
        "max_window_layers": 2, "tie_word_embeddings": True, "rope_theta": 1000000.0}),
    "qwen3-llama3-rope": ("qwen3", "BF16", [220], {
        "qk_scale": 1.7,
        "hidden_size": 96, "num_attention_heads": 6, "head_dim": 32, "attention_bias": True,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 128}}),
    "gemma2-capped": ("gemma2", "F32", [260], {
        "qk_scale": 1.4,
        "num_hidden_layers": 4, "num_key_value_heads": 4, "head_dim": 32,
        "hidden_activation": "gelu_pytorch_tanh", "sliding_window": 40,
        "attn_logit_softcapping": 20.0, "final_logit_softcapping": 15.0,
        "query_pre_attn_scalar": 24, "tie_word_embeddings": True}),
    "gemma3-pattern": ("gemma3", "BF16", [240], {
        "qk_scale": 1.4,
        "num_hidden_layers": 7, "sliding_window_pattern": 3, "num_key_value_heads": 4,
        "head_dim": 32, "hidden_activation": "gelu_pytorch_tanh", "sliding_window": 32,
        "query_pre_attn_scalar": 32, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
        "rope_scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 256},
        "final_logit_softcapping": 30.0, "tie_word_embeddings": True}),
    "phi3-partial-longrope": ("phi3", "BF16", [100, 50], {
        "qk_scale": 1.5,
        "head_dim": 32, "num_attention_heads": 4, "partial_rotary_factor": 0.75,
        "max_position_embeddings": 256, "original_max_position_embeddings": 64,
        "rms_norm_eps": 1e-5,
        "rope_scaling": {"type": "longrope",
                         "short_factor": [1.0 + 0.05 * k for k in range(12)],
                         "long_factor": [1.0 + 0.6 * k for k in range(12)]}}),
    "gpt-neox-serial": ("gpt_neox", "F16", [250], {
        "qk_scale": 1.7,
        "hidden_act": "gelu", "num_key_value_heads": 8, "rotary_pct": 0.5,
        "rotary_emb_base": 10000, "use_parallel_residual": False, "layer_norm_eps": 1e-5}),
}


def make_case(name, out_dir):
    family, dtype, lengths, overrides = CASES[name]
    cfg = dict(BASE)
    cfg.update(overrides)
    cfg["model_type"] = {"gemma3": "gemma3_text"}.get(family, family)
    if family == "gpt_neox":
        cfg.pop("rms_norm_eps")
        cfg["num_key_value_heads"] = cfg["num_attention_heads"]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    qk_scale = cfg.pop("qk_scale", 1.0)
    config_json = dict(cfg)
    cfg["family"] = family
    cfg["qk_scale"] = qk_scale
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    cfg["norm_eps"] = cfg.get("layer_norm_eps", cfg.get("rms_norm_eps"))

    stored, tensors = {}, {}
    for tensor, values in random_weights(cfg, rng).items():
        stored[tensor], data = narrow(values, dtype)
        tensors[tensor] = (dtype, values.shape, data)
    os.makedirs(os.path.join(out_dir, "model"), exist_ok=True)
    with open(os.path.join(out_dir, "model", "config.json"), "w") as out:
        json.dump(config_json, out, indent=2)
    write_safetensors(os.path.join(out_dir, "model", "model.safetensors"), tensors)

    weights = {tensor: torch.from_numpy(values).to(F64) for tensor, values in stored.items()}
    reference = {}
    for text, length in enumerate(lengths):
        ids = [1] + [int(x) for x in rng.integers(2, cfg["vocab_size"], size=length - 1)]
        hidden, attentions, logits = forward(cfg, weights, ids)
        for key, array in (("input_ids", np.array(ids, dtype=np.int64)),
                           ("attentions", attentions.numpy().astype(np.float32)),
                           ("hidden_states", hidden.numpy().astype(np.float32)),
                           ("logits_last", logits.numpy().astype(np.float32))):
            kind = "I64" if array.dtype == np.int64 else "F32"
            reference[f"text{text}.{key}"] = (kind, array.shape, array.tobytes())
    write_safetensors(os.path.join(out_dir, "reference.safetensors"), reference)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, cases = argv[1], argv[2:] or list(CASES)
    for name in cases:
        if name not in CASES:
            print(f"unknown case {name}; cases: {', '.join(CASES)}", file=sys.stderr)
            return 2
        make_case(name, os.path.join(out_dir, name))
        print(f"{name}: written", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
