#!/usr/bin/env python3
"""Independent PyTorch computation of the logit lens (nostalgebraist 2020; attnviz issue 14) on
the fixtures gpt2-tiny, modern/llama3-tiny (grouped-query attention, bf16), modern/gemma2-tiny
((1 + w) RMSNorm, final logits soft-capped) and modern/gpt-neox-tiny (LayerNorm, an untied
embed_out).

The residual stream comes from the forward passes of what_if_reference.py (GPT-2, written from
modeling_gpt2.py) and torch_reference.py (the newer families), each checked against the
fixture's own reference first (transformers' attentions and hidden states, max |diff| <= 1e-5).
Row l of the lens is the stream after l layers (row 0 the embeddings) through the model's final
norm (ln_f, model.norm, gpt_neox.final_layer_norm) and its unembedding (tied or not), soft-capped
as the model's final logits are; the last row is the model's own output, already normed. Then a
float64 softmax over the vocabulary.

  logit_lens_reference.py DATA_DIR              checks the ports, prints the lens of text0 and
                                                checks DATA_DIR/logit_lens.json against it
  logit_lens_reference.py --write OUT DATA_DIR  and writes OUT (tests/data/logit_lens.json): per
                                                fixture, text0's ids and, per row and position,
                                                the top-5 [id, probability] and the probability
                                                of the token that follows (null at the end).
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as tr  # noqa: E402
import what_if_reference as wi  # noqa: E402

TOP_K = 5
FIXTURES = ("gpt2-tiny", "modern/llama3-tiny", "modern/gemma2-tiny", "modern/gpt-neox-tiny")


def final_norm(cfg, w, x):
    """The model's final norm, as its forward pass applies it to the last layer's output."""
    family = cfg["model_type"]
    if family == "gpt2":
        return tr.layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], cfg["layer_norm_epsilon"])
    if family == "gpt_neox":
        return tr.layer_norm(x, w["gpt_neox.final_layer_norm.weight"],
                             w["gpt_neox.final_layer_norm.bias"], cfg["norm_eps"])
    return tr.rms_norm(x, w["model.norm.weight"], cfg["norm_eps"], family in ("gemma2", "gemma3"))


def unembed(cfg, w, x):
    """Logits (T, V) of final hidden states: the LM head (tied to the embeddings or not)."""
    family = cfg["model_type"]
    if family == "gpt2":
        head = w["wte.weight"]
    elif family == "gpt_neox":
        head = w["embed_out.weight"]
    else:
        tied = cfg.get("tie_word_embeddings") or "lm_head.weight" not in w
        head = w["model.embed_tokens.weight"] if tied else w["lm_head.weight"]
    logits = x @ head.T
    cap = cfg.get("final_logit_softcapping") if family in ("gemma2", "gemma3") else None
    return torch.tanh(logits / cap) * cap if cap else logits


def lens(cfg, w, hidden, ids):
    rows = []
    last = hidden.shape[0] - 1
    for row in range(hidden.shape[0]):
        stream = hidden[row] if row == last else final_norm(cfg, w, hidden[row])
        probs = torch.softmax(unembed(cfg, w, stream), dim=-1)
        values, top = probs.topk(TOP_K, dim=-1)
        cells = []
        for q in range(len(ids)):
            nxt = round(float(probs[q, ids[q + 1]]), 10) if q + 1 < len(ids) else None
            cells.append({"top": [[int(i), round(float(p), 10)] for i, p in zip(top[q], values[q])],
                          "next": nxt})
        rows.append(cells)
    return rows


def main(argv):
    write = len(argv) == 4 and argv[1] == "--write"
    if not write and len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = argv[-1]
    result = {"note": "written by tests/reference/logit_lens_reference.py --write: the logit lens "
                      "of text0 of each fixture; rows[l][q] = the stream after l layers at "
                      "position q through the final norm and unembedding: top-5 [id, p] and the "
                      "p of the next token"}
    ok = True
    for name in FIXTURES:
        cfg, run, weights, ids, reference = wi.load(data, name)
        if "num_attention_heads" in cfg:  # GPT-NeoX's config names no key-value heads
            cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
        if cfg["model_type"] != "gpt2":  # torch_reference.forward: any LM head, tied or not
            run = tr.forward
        ok = wi.check_port(name, run, cfg, weights, ids, reference) and ok
        hidden, _, logits = run(cfg, weights, ids, {})
        rows = lens(cfg, weights, hidden, ids)
        # The last row is the model's real output: its top token is the model's prediction.
        real = torch.softmax(unembed(cfg, weights, hidden[-1]), dim=-1)
        assert int(real[-1].argmax()) == rows[-1][-1]["top"][0][0]
        firsts = [row[-1]["top"][0] for row in rows]
        print("%s: %d rows x %d positions; at the last position, top token per row: %s" %
              (name, len(rows), len(ids), firsts))
        result[name] = {"input_ids": ids, "top_k": TOP_K, "rows": rows}
    if not ok:
        print("a port does not reproduce its fixture: nothing written", file=sys.stderr)
        return 1
    if write:
        json.dump(result, open(argv[2], "w"))
        print("written", argv[2])
        return 0
    # Check mode: the committed expectations are what this computation gives today.
    committed = json.load(open(os.path.join(data, "logit_lens.json")))
    for name in FIXTURES:
        if committed[name] != result[name]:
            print("%s: tests/data/logit_lens.json differs from this computation; rerun with "
                  "--write" % name, file=sys.stderr)
            return 1
    print("tests/data/logit_lens.json agrees with this computation")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
