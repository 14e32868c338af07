#!/usr/bin/env python3
"""Independent PyTorch computation of attnviz's model what-ifs (issue 14): head ablation, on the
fixtures gpt2-tiny, bert-tiny and modern/llama3-tiny (grouped-query attention, bf16 weights).

GPT-2 and BERT are written here from transformers' modeling_gpt2.py (GPT2Block: ln_1, Conv1D
c_attn, causal eager attention, c_proj, ln_2, MLP with gelu_new, ln_f; the LM head is wte, tied)
and modeling_bert.py (embeddings word + position + token type 0 through LayerNorm; BertSelfAttention,
BertSelfOutput dense + LayerNorm(· + input), BertIntermediate gelu, BertOutput). The newer families
run through torch_reference.forward. Everything in float64, as the fixtures' references.

An ablated head's output z (H, T, D), before the output projection, becomes 0 ("zero") or its
mean over the text's T positions at every position ("mean"): torch_reference.ablate, which is
TransformerLens's hook_z ablation.

Before writing anything each port's plain forward pass is checked against the fixture's own
reference (transformers' attentions and hidden states): max |diff| <= 1e-5, or exit 1.

  what_if_reference.py DATA_DIR              checks the ports, prints the differences
  what_if_reference.py --write OUT DATA_DIR  and writes OUT (tests/data/ablation.json): per fixture
                                             and case, the ablations, attentions (L, H, T, T),
                                             hidden states (L+1, T, C; the last after the final
                                             norm) and, for models with an LM head, the top-10
                                             next tokens (id, probability) at every position.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as tr  # noqa: E402
from value_weighted_reference import load_bf16_aware  # noqa: E402

F64 = torch.float64
TOP_K = 10

# The what-ifs each fixture is run with: {layer: {head: kind}}, the same for all families.
CASES = {
    "zero": {0: {1: "zero", 3: "zero"}},
    "mean": {0: {0: "mean"}, 1: {2: "mean"}},
}


def layer_norm(x, w, name, eps):
    return tr.layer_norm(x, w[name + ".weight"], w[name + ".bias"], eps)


def gpt2_forward(cfg, w, ids, ablations):
    """hidden (L+1, T, C) with ln_f on the last, attentions (L, H, T, T), logits (T, V)."""
    t, c, heads = len(ids), cfg["n_embd"], cfg["n_head"]
    d, eps = c // heads, cfg["layer_norm_epsilon"]
    x = w["wte.weight"][torch.tensor(ids)] + w["wpe.weight"][:t]
    hidden, attentions = [x], []
    for layer in range(cfg["n_layer"]):
        p = "h.%d." % layer
        a = layer_norm(x, w, p + "ln_1", eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: (C, 3C)
        q, k, v = [part.view(t, heads, d).transpose(0, 1) for part in qkv.split(c, dim=1)]
        scores = q @ k.transpose(1, 2) / d ** 0.5
        weights = torch.softmax(scores + tr.mask(t, None), dim=-1)
        z = tr.ablate(weights @ v, ablations.get(layer))
        out = z.transpose(0, 1).reshape(t, c) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        x = x + out
        m = layer_norm(x, w, p + "ln_2", eps)
        m = tr.activation("gelu_new", m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        hidden.append(x)
        attentions.append(weights)
    hidden[-1] = layer_norm(x, w, "ln_f", eps)
    return torch.stack(hidden), torch.stack(attentions), hidden[-1] @ w["wte.weight"].T


def bert_forward(cfg, w, ids, ablations):
    """hidden (L+1, T, C), attentions (L, H, T, T); BertModel has no LM head (logits None)."""
    t, c, heads = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    d, eps = c // heads, cfg["layer_norm_eps"]
    e = "embeddings."
    x = (w[e + "word_embeddings.weight"][torch.tensor(ids)] + w[e + "position_embeddings.weight"][:t]
         + w[e + "token_type_embeddings.weight"][0])
    x = layer_norm(x, w, e + "LayerNorm", eps)
    hidden, attentions = [x], []
    for layer in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % layer
        q, k, v = [tr.linear(x, w, p + "attention.self." + name).view(t, heads, d).transpose(0, 1)
                   for name in ("query", "key", "value")]
        weights = torch.softmax(q @ k.transpose(1, 2) / d ** 0.5, dim=-1)
        z = tr.ablate(weights @ v, ablations.get(layer)).transpose(0, 1).reshape(t, c)
        a = layer_norm(tr.linear(z, w, p + "attention.output.dense") + x, w,
                       p + "attention.output.LayerNorm", eps)
        m = tr.activation("gelu", tr.linear(a, w, p + "intermediate.dense"))
        x = layer_norm(tr.linear(m, w, p + "output.dense") + a, w, p + "output.LayerNorm", eps)
        hidden.append(x)
        attentions.append(weights)
    return torch.stack(hidden), torch.stack(attentions), None


def modern_forward(cfg, w, ids, ablations):
    """torch_reference.forward, with the logits of every position (T, V)."""
    hidden, attentions, _ = tr.forward(cfg, w, ids, ablations)
    head = w["lm_head.weight"] if "lm_head.weight" in w and not cfg.get("tie_word_embeddings") \
        else w["model.embed_tokens.weight"]
    return hidden, attentions, hidden[-1] @ head.T


def load(data, name):
    """(config, forward function, weights as float64 tensors, text0's ids, its reference)."""
    folder = os.path.join(data, name)
    cfg = json.load(open(os.path.join(folder, "model", "config.json")))
    weights = {k: torch.from_numpy(np.asarray(v, dtype=np.float64))
               for k, v in load_bf16_aware(os.path.join(folder, "model", "model.safetensors")).items()}
    reference = load_bf16_aware(os.path.join(folder, "reference.safetensors"))
    ids = [int(i) for i in reference["text0.input_ids"]]
    family = cfg["model_type"]
    if family == "gpt2":
        run = gpt2_forward
    elif family == "bert":
        run = bert_forward
    else:
        cfg["family"] = family
        cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
        cfg["norm_eps"] = cfg.get("rms_norm_eps", cfg.get("layer_norm_eps"))
        run = modern_forward
    return cfg, run, weights, ids, reference


def check_port(name, run, cfg, weights, ids, reference):
    """The port's plain forward pass against transformers' reference of the fixture."""
    hidden, attentions, _ = run(cfg, weights, ids, {})
    worst_attention = float(np.abs(attentions.numpy() - reference["text0.attentions"]).max())
    worst_hidden = float(np.abs(hidden.numpy() - reference["text0.hidden_states"]).max())
    print("%s: port vs the fixture's reference: attentions %.2e, hidden states %.2e" %
          (name, worst_attention, worst_hidden))
    return worst_attention <= 1e-5 and worst_hidden <= 1e-4


def top_predictions(logits):
    """[[id, probability] * TOP_K] per position, probabilities of the float64 softmax."""
    probs = torch.softmax(logits, dim=-1)
    values, ids = probs.topk(TOP_K, dim=-1)
    return [[[int(i), round(float(p), 9)] for i, p in zip(row_ids, row_values)]
            for row_ids, row_values in zip(ids, values)]


def main(argv):
    write = len(argv) == 4 and argv[1] == "--write"
    if not write and len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = argv[-1]
    result = {"note": "written by tests/reference/what_if_reference.py --write: text0 of each "
                      "fixture with heads ablated (zero: z = 0; mean: z = its mean over the "
                      "text's positions); attentions (L, H, T, T), hidden states (L+1, T, C), "
                      "top-10 next tokens [id, probability] per position (LM models)"}
    ok = True
    for name in ("gpt2-tiny", "bert-tiny", "modern/llama3-tiny"):
        cfg, run, weights, ids, reference = load(data, name)
        ok = check_port(name, run, cfg, weights, ids, reference) and ok
        plain_hidden, _, _ = run(cfg, weights, ids, {})
        entry = {"input_ids": ids, "cases": {}}
        for case, ablations in CASES.items():
            hidden, attentions, logits = run(cfg, weights, ids, ablations)
            change = float((hidden[-1] - plain_hidden[-1]).abs().max())
            print("%s, %s ablation: final hidden states move by up to %.3f" % (name, case, change))
            entry["cases"][case] = {
                "ablations": [[layer, head, kind] for layer, heads in ablations.items()
                              for head, kind in heads.items()],
                "attentions": np.round(attentions.numpy(), 9).tolist(),
                "hidden_states": np.round(hidden.numpy(), 7).tolist(),
                "top_predictions": top_predictions(logits) if logits is not None else None,
            }
        result[name] = entry
    if not ok:
        print("a port does not reproduce its fixture: nothing written", file=sys.stderr)
        return 1
    if write:
        json.dump(result, open(argv[2], "w"))
        print("written", argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
