"""Evaluates a GPT-2 HF folder: held-out loss, the unigram baseline, and every head's role
scores (REFERENCE.md section 5). Used by train.py at the end of training and on its own:

  /usr/bin/python3 recipe/evaluate.py --model assets/model --data DATA_DIR [--json OUT]

Legend: L layers, H heads, T tokens, B batch, V vocabulary.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as gpt  # noqa: E402

PROBE_SEED = 0
PROBE_REPEAT = 50  # R: first token + R random tokens + the same R tokens
PROBE_BATCH = 16
NATURAL_WINDOWS = 16
NATURAL_LENGTH = 256


@torch.no_grad()
def held_out_loss(model, ids, device, window=1024):
    """Mean next-token cross-entropy (nats) over non-overlapping windows of the held-out ids."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, window):
        chunk = torch.from_numpy(ids[start:start + window + 1].astype(np.int64)).to(device)
        if len(chunk) < 2:
            break
        logits, _ = model(chunk[None, :-1])
        loss = F.cross_entropy(logits[0], chunk[1:], reduction="sum")
        total += loss.item()
        count += len(chunk) - 1
    return total / count


def unigram_cross_entropy(train_ids, valid_ids, vocab_size):
    """Cross-entropy (nats) of the held-out tokens under the training split's unigram
    distribution with add-one smoothing: what a model that ignores context can reach."""
    counts = np.bincount(train_ids.astype(np.int64), minlength=vocab_size) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(-log_p[valid_ids.astype(np.int64)].mean())


def probe_batch(vocab_size, eot_id):
    """(B, 1 + 2R): first token <|endoftext|>, then R random tokens repeated twice."""
    rng = np.random.default_rng(PROBE_SEED)
    random_part = rng.integers(0, vocab_size - 1, size=(PROBE_BATCH, PROBE_REPEAT))
    first = np.full((PROBE_BATCH, 1), eot_id)
    return np.concatenate([first, random_part, random_part], axis=1)


def natural_batch(valid_ids):
    """(B, T) windows spread evenly over the held-out text."""
    starts = np.linspace(0, len(valid_ids) - NATURAL_LENGTH - 1, NATURAL_WINDOWS).astype(int)
    return np.stack([valid_ids[s:s + NATURAL_LENGTH] for s in starts]).astype(np.int64)


@torch.no_grad()
def attentions_for(model, batch, device):
    """(B, T) ids -> (B, L, H, T, T) post-softmax attention, rows = queries."""
    model.eval()
    _, attentions = model(torch.from_numpy(batch).to(device), need_weights=True)
    return torch.stack(attentions, dim=1).cpu().double()


def previous_token_score(att):
    """TransformerLens "mul" score with D[i][i-1] = 1: sum(A∘D) / sum(A), per (L, H)."""
    diag = att.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1)  # (B, L, H)
    return (diag / att.sum((-2, -1))).mean(0)


def induction_probe_score(att):
    """Mean attention from position i of the second copy to the position after i's first
    occurrence (i - R + 1), per (L, H)."""
    R = PROBE_REPEAT
    rows = torch.arange(R + 1, 2 * R + 1)
    return att[..., rows, rows - R + 1].mean(-1).mean(0)


def first_token_share(att):
    """Mean attention that queries i >= 1 put on position 0, per (L, H)."""
    return att[..., 1:, 0].mean(-1).mean(0)


def mean_distance(att):
    """Mean over queries of sum_j A[i, j]·(i - j): how far back a head looks, per (L, H)."""
    T = att.shape[-1]
    distance = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).clamp(min=0).double()
    return (att * distance).sum(-1).mean(-1).mean(0)


def describe(prev, induction, first, distance):
    if induction >= 0.4:
        return "induction"
    if prev >= 0.6:
        return "previous token"
    if first >= 0.5:
        return "first token (resting position)"
    if distance < 1.0:
        return "current / very recent tokens"
    return "broad / mixed"


def head_table(model, valid_ids, eot_id, device):
    natural = attentions_for(model, natural_batch(valid_ids), device)
    probe = attentions_for(model, probe_batch(model.cfg.vocab_size, eot_id), device)
    prev = previous_token_score(natural)
    induction = induction_probe_score(probe)
    first = first_token_share(natural)
    distance = mean_distance(natural)
    rows = []
    for layer in range(model.cfg.n_layer):
        for head in range(model.cfg.n_head):
            values = [float(t[layer, head]) for t in (prev, induction, first, distance)]
            rows.append({"layer": layer, "head": head, "previous_token": values[0],
                         "induction_probe": values[1], "first_token_share": values[2],
                         "mean_distance": values[3], "role": describe(*values)})
    return rows


def evaluate(model, train_ids, valid_ids, eot_id, device):
    results = {
        "held_out_loss": held_out_loss(model, valid_ids, device),
        "unigram_cross_entropy": unigram_cross_entropy(train_ids, valid_ids, model.cfg.vocab_size),
        "held_out_tokens": int(len(valid_ids)),
        "heads": head_table(model, valid_ids, eot_id, device),
    }
    results["best_previous_token"] = max(r["previous_token"] for r in results["heads"])
    results["best_induction_layer_ge_1"] = max(
        r["induction_probe"] for r in results["heads"] if r["layer"] >= 1)
    return results


def markdown_table(rows):
    lines = ["| layer | head | previous-token (mul) | induction (probe) | first-token share "
             "| mean distance | role |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['head']} | {r['previous_token']:.3f} | "
                     f"{r['induction_probe']:.3f} | {r['first_token_share']:.3f} | "
                     f"{r['mean_distance']:.1f} | {r['role']} |")
    return "\n".join(lines)


def print_summary(results):
    h, u = results["held_out_loss"], results["unigram_cross_entropy"]
    print(f"held-out loss {h:.4f} nats/token (perplexity {math.exp(h):.1f}); "
          f"unigram cross-entropy {u:.4f} nats/token (perplexity {math.exp(u):.1f})")
    print(f"best previous-token score {results['best_previous_token']:.3f}; "
          f"best induction probe score in layer >= 1 {results['best_induction_layer_ge_1']:.3f}")
    print(markdown_table(results["heads"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="HF GPT-2 folder")
    parser.add_argument("--data", required=True, help="folder with train.npy and valid.npy")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model = gpt.load_hf_folder(args.model)
    with open(os.path.join(args.model, "vocab.json"), encoding="utf-8") as f:
        eot_id = json.load(f)["<|endoftext|>"]
    train_ids = np.load(os.path.join(args.data, "train.npy"))
    valid_ids = np.load(os.path.join(args.data, "valid.npy"))
    results = evaluate(model, train_ids, valid_ids, eot_id, "cpu")
    print_summary(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
