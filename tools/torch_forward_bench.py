#!/usr/bin/env python3
"""PyTorch's time for the forward pass attnviz benchmarks, on the same checkpoint
(tools/bench_checkpoints.py), in float32 the way transformers' eager attention computes it with
output_attentions=True: the (H, T, T) weights of every layer materialized, softmax in float32.

  torch_forward_bench.py MODEL_DIR [--tokens T] [--head none|all] [--runs N] [--threads N]

--head all adds the LM head over every position and the top-10 of each row's softmax (what
attnviz computes for its predictions); none stops at the final norm. Prints one line per run and
the median and best in milliseconds, wall time and the process's CPU time (all threads). Run it
in the same minutes as bench_checkpoints: on a shared machine the load changes from minute to
minute.
"""

import argparse
import json
import math
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    """name -> float32 torch tensor (BF16 and F16 widened exactly)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = f.read(end - begin)
            if info["dtype"] == "BF16":
                array = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif info["dtype"] == "F16":
                array = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
            else:
                array = np.frombuffer(raw, dtype=np.float32).copy()
            out[name] = torch.from_numpy(array.reshape(info["shape"]))
    return out


def rope(inv_freq, tokens):
    positions = torch.arange(tokens, dtype=torch.float32)
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rms_norm(x, weight, eps, plus_one=False):
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return x * (1.0 + weight) if plus_one else weight * x


def eager_attention(q, k, v, scaling, mask):
    scores = torch.matmul(q, k.transpose(1, 2)) * scaling + mask
    weights = F.softmax(scores, dim=-1, dtype=torch.float32)
    return torch.matmul(weights, v), weights


def causal_mask(tokens, window=None):
    i = torch.arange(tokens)[:, None]
    j = torch.arange(tokens)[None, :]
    allowed = j <= i
    if window:
        allowed &= j > i - window
    return torch.where(allowed, 0.0, torch.finfo(torch.float32).min)


def decoder_forward(cfg, w, ids):
    """Qwen 2 / Gemma 3 (text) forward: final hidden states (T, C) and the attentions."""
    gemma = cfg["model_type"].startswith("gemma")
    c, h, g = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim", c // h)
    eps, t = cfg["rms_norm_eps"], len(ids)
    x = w["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * torch.tensor(c ** 0.5, dtype=torch.float32)
    arange = torch.arange(0, d, 2, dtype=torch.int64).float() / d
    tables = {"global": rope(1.0 / (cfg["rope_theta"] ** arange), t)}
    masks = {"global": causal_mask(t)}
    if gemma:
        tables["local"] = rope(1.0 / (cfg["rope_local_base_freq"] ** arange), t)
        masks["local"] = causal_mask(t, cfg["sliding_window"])
    scaling = (cfg["query_pre_attn_scalar"] if gemma else d) ** -0.5
    attentions = []
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        kind = "local" if gemma and (layer + 1) % cfg["sliding_window_pattern"] else "global"
        cos, sin = tables[kind]
        normed = rms_norm(x, w[p + "input_layernorm.weight"], eps, gemma)
        q = F.linear(normed, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
        k = F.linear(normed, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
        v = F.linear(normed, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
        q = q.view(t, h, d).transpose(0, 1)
        k = k.view(t, g, d).transpose(0, 1)
        v = v.view(t, g, d).transpose(0, 1)
        if gemma:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, True)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, True)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(h // g, dim=0)
        v = v.repeat_interleave(h // g, dim=0)
        out, weights = eager_attention(q, k, v, scaling, masks[kind])
        attentions.append(weights)
        out = F.linear(out.transpose(0, 1).reshape(t, h * d), w[p + "self_attn.o_proj.weight"])
        if gemma:
            out = rms_norm(out, w[p + "post_attention_layernorm.weight"], eps, True)
            x = x + out
            normed = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, True)
            act = F.gelu(F.linear(normed, w[p + "mlp.gate_proj.weight"]), approximate="tanh")
        else:
            x = x + out
            normed = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
            act = F.silu(F.linear(normed, w[p + "mlp.gate_proj.weight"]))
        mlp = F.linear(act * F.linear(normed, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
        if gemma:
            mlp = rms_norm(mlp, w[p + "post_feedforward_layernorm.weight"], eps, True)
        x = x + mlp
    return rms_norm(x, w["model.norm.weight"], eps, gemma), attentions, w["model.embed_tokens.weight"]


def gpt2_forward(cfg, w, ids):
    c, h, t = cfg["n_embd"], cfg["n_head"], len(ids)
    d = c // h
    x = w["wte.weight"][ids] + w["wpe.weight"][:t]
    mask = causal_mask(t)
    attentions = []
    for layer in range(cfg["n_layer"]):
        p = f"h.{layer}."
        normed = F.layer_norm(x, (c,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
        qkv = torch.addmm(w[p + "attn.c_attn.bias"], normed, w[p + "attn.c_attn.weight"])
        q, k, v = (part.view(t, h, d).transpose(0, 1) for part in qkv.split(c, dim=1))
        out, weights = eager_attention(q, k, v, d ** -0.5, mask)
        attentions.append(weights)
        out = out.transpose(0, 1).reshape(t, c)
        x = x + torch.addmm(w[p + "attn.c_proj.bias"], out, w[p + "attn.c_proj.weight"])
        normed = F.layer_norm(x, (c,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
        hidden = F.gelu(torch.addmm(w[p + "mlp.c_fc.bias"], normed, w[p + "mlp.c_fc.weight"]),
                        approximate="tanh")
        x = x + torch.addmm(w[p + "mlp.c_proj.bias"], hidden, w[p + "mlp.c_proj.weight"])
    return F.layer_norm(x, (c,), w["ln_f.weight"], w["ln_f.bias"], 1e-5), attentions, w["wte.weight"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--head", choices=("none", "all"), default="none")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(args.model, "model.safetensors"))
    vocab = cfg["vocab_size"]
    ids = [(i * 7919 + 13) % vocab for i in range(args.tokens)]
    forward = gpt2_forward if cfg["model_type"] == "gpt2" else decoder_forward
    times, cpu_times = [], []
    with torch.no_grad():
        for run in range(args.runs + 1):  # the first run warms up
            start, cpu_start = time.perf_counter(), time.process_time()
            final, attentions, embedding = forward(cfg, w, torch.tensor(ids))
            if args.head == "all":
                logits = final @ embedding.T
                F.softmax(logits, dim=-1).topk(10, dim=-1)
            elapsed = (time.perf_counter() - start) * 1000
            cpu = (time.process_time() - cpu_start) * 1000
            if run > 0:
                times.append(elapsed)
                cpu_times.append(cpu)
                print(f"run {run}: {elapsed:.0f} ms wall, {cpu:.0f} ms CPU", flush=True)
    print(f"torch {torch.__version__} threads {torch.get_num_threads()} {cfg['model_type']} "
          f"T={args.tokens} head={args.head}: median {statistics.median(times):.0f} ms wall "
          f"(best {min(times):.0f}), median {statistics.median(cpu_times):.0f} ms CPU (all threads)")


if __name__ == "__main__":
    main()
