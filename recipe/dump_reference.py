"""Dumps PyTorch's view of the built-in model for tests/unit/test_builtin_model.cpp:

  /usr/bin/python3 recipe/dump_reference.py --model assets/model --out tests/data/builtin

reference.safetensors, per text i (the fixtures' layout, see tests/data/*/README):
  text{i}.input_ids      int64 (T)             this recipe's Python tokenizer (recipe/bpe.py)
  text{i}.attentions     float32 (L, H, T, T)  post-softmax, rows = queries
  text{i}.hidden_states  float32 (L+1, T, C)   the last one after ln_f
reference.json: the texts, their ids, every head's scores on each text, and one induction
  probe row (ids and every head's probe score on that row).
tokenizer_reference.json (with --data): [{text, ids}] for held-out documents and hard cases,
  ids from recipe/bpe.py, for the C++ tokenizer to reproduce.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import evaluate  # noqa: E402
import model as gpt  # noqa: E402

TEXTS = [
    "The bank by the river was eroding.",
    "The cat that I saw yesterday at the park sat on the mat.",
    "Mr. Varkley of number nine, Quillon Lane, was proud to say that he was perfectly "
    "ordinary. Every morning Mr. Varkley left the house at eight, and every evening "
    "Mr. Varkley came back to Quillon Lane.",
    "A computer does exactly what it is told to do, which is rarely what the person at the "
    "keyboard meant. The art of programming is the art of saying what you mean so clearly "
    "that even a machine cannot misunderstand it, and then checking that it did not.",
]


@torch.no_grad()
def hidden_states(model, ids):
    """(L+1, T, C): the embeddings, each block's output, and ln_f of the last one."""
    x = model.wte(ids) + model.wpe(torch.arange(ids.shape[1]))
    states = [x[0]]
    for k, block in enumerate(model.h):
        x, _ = block(x, need_weights=True)
        states.append(model.ln_f(x)[0] if k == len(model.h) - 1 else x[0])
    return torch.stack(states)


def head_scores(att):
    """att (1, L, H, T, T) -> per head previous-token score, first-token share, distance."""
    return {"previous_token": evaluate.previous_token_score(att).tolist(),
            "first_token_share": evaluate.first_token_share(att).tolist(),
            "mean_distance": evaluate.mean_distance(att).tolist()}


HARD_CASES = [
    "", " ", "   ", "\n\n\n", "Hello  world", "Hello   \n\n  world", "trailing space ",
    "I'M SURE THEY'LL SAY IT'S FINE, DON'T YOU?", "she'd've", "x'sy 'tis",
    "line one\r\nline two\r\n", "tab\tseparated\tvalues", "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "emoji \U0001F469\u200d\U0001F4BB and \U0001F44D\U0001F3FD",
    "numbers 3.14159 and 1,000,000 and 2026-11-29", "a<|endoftext|>b", "<|endoftext|>",
    "Mr. Dursley, Mr. Dursley!", "C++ and C# and F#: $x = y^2; // comment", "\u00a0non-breaking\u2003em space",
    "ALLCAPSWORD lowercaseword MiXeDcAsE", "---===***!!!???", "\u0661\u0662\u0663 Arabic-Indic digits",
]


def tokenizer_cases(encoder, valid_ids, documents=120, max_chars=400):
    """Held-out documents (decoded back to text, cut to max_chars) plus HARD_CASES."""
    cases, start = [], 0
    boundaries = np.flatnonzero(valid_ids == encoder.eot_id)
    for end in boundaries[:documents]:
        text = encoder.decode(valid_ids[start:end].tolist())[:max_chars]
        start = end + 1
        cases.append(text)
    return [{"text": t, "ids": encoder.encode(t)} for t in cases + HARD_CASES]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", help="prepared data folder (valid.npy) for tokenizer cases")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = gpt.load_hf_folder(args.model).eval()
    encoder = bpe.load(args.model)
    tensors, texts = {}, []
    for i, text in enumerate(TEXTS):
        ids = np.asarray(encoder.encode(text), dtype=np.int64)
        att = evaluate.attentions_for(model, ids[None], "cpu")  # (1, L, H, T, T)
        tensors[f"text{i}.input_ids"] = ids
        tensors[f"text{i}.attentions"] = att[0].float().numpy()
        tensors[f"text{i}.hidden_states"] = hidden_states(model, torch.from_numpy(ids)[None]).numpy()
        texts.append({"text": text, "ids": ids.tolist(), "scores": head_scores(att)})
    probe = evaluate.probe_batch(model.cfg.vocab_size, encoder.eot_id)
    probe_att = evaluate.attentions_for(model, probe, "cpu")  # (B, L, H, T, T)
    probe_scores = evaluate.induction_probe_score(probe_att)
    row_scores = evaluate.induction_probe_score(probe_att[:1])
    gpt.save_safetensors(os.path.join(args.out, "reference.safetensors"), tensors)
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"model": "assets/model", "layers": model.cfg.n_layer, "heads": model.cfg.n_head,
                   "texts": texts,
                   "induction_probe": {"repeat_length": evaluate.PROBE_REPEAT,
                                       "batch": evaluate.PROBE_BATCH,
                                       "scores": probe_scores.tolist(),
                                       "row0_ids": probe[0].tolist(),
                                       "row0_scores": row_scores.tolist()}}, f, indent=1)
    if args.data:
        cases = tokenizer_cases(encoder, np.load(os.path.join(args.data, "valid.npy")))
        with open(os.path.join(args.out, "tokenizer_reference.json"), "w", encoding="utf-8") as f:
            json.dump(cases, f, ensure_ascii=False, indent=0)
        print(f"wrote {len(cases)} tokenizer cases")
    print(f"wrote {args.out}: {len(TEXTS)} texts")


if __name__ == "__main__":
    main()
