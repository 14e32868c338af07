"""Trains attnviz's built-in model: a small GPT-2 on Debian's free English text mixed with
synthetic sequences of repeated segments, and writes a Hugging Face GPT-2 folder.

  /usr/bin/python3 recipe/train.py --data DATA_DIR --out MODEL_DIR [--device cpu|cuda]

DATA_DIR comes from recipe/prepare_data.py (vocab.json, merges.txt, train.npy, valid.npy).
The defaults are the shipped model's run, about an hour on a 2-core CPU: 4096 tokens a step,
seven steps of short rows (T = 128) then one of full-length rows (T = n_positions = 1024), so
all position embeddings are trained; a cosine schedule over 3200 steps, stopped at step
3056 (where that run's hour ran out). 70 % of the rows are synthetic: segments of 5 to 60
tokens (random tokens or a span of real text) repeated 2 or 3 times with gaps of varying
length, so that induction heads form (a fixed repeat period would be memorized instead,
REFERENCE.md section 5). The blocks' matrices are trained with Muon, the rest with AdamW.

Legend: B batch rows, T tokens, V vocabulary.
"""

import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate  # noqa: E402
import model as gpt  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--steps", type=int, default=3200, help="length of the learning-rate schedule")
    p.add_argument("--tokens-per-step", type=int, default=4096)
    p.add_argument("--short-length", type=int, default=128)
    p.add_argument("--long-every", type=int, default=8, help="every Nth step uses T = 1024")
    p.add_argument("--synthetic-fraction", type=float, default=0.7)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--position-init", choices=["sinusoidal", "normal"], default="sinusoidal")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--optimizer", choices=["adamw", "muon"], default="muon",
                   help="muon: orthogonalized momentum for the blocks' matrices, AdamW for the rest")
    p.add_argument("--muon-lr", type=float, default=0.02)
    p.add_argument("--position-scale", type=float, default=0.05)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--time-limit", type=float, default=0.0,
                   help="seconds; stop early (and still save) when reached, 0 = none")
    p.add_argument("--stop-step", type=int, default=3056,
                   help="stop (and still save) at this step, keeping the schedule of --steps; "
                        "0 = run all --steps")
    return p.parse_args()


class Batches:
    """Draws training rows from the token stream and the synthetic generator (numpy RNG)."""

    def __init__(self, train_ids, vocab_size, eot_id, args):
        self.ids = train_ids.astype(np.int64)
        self.vocab_size, self.eot_id = vocab_size, eot_id
        self.rng = np.random.default_rng(args.seed)
        self.args = args

    def natural_span(self, length):
        start = self.rng.integers(0, len(self.ids) - length)
        return self.ids[start:start + length]

    def synthetic_row(self, length):
        pieces, total = [], 0
        while total < length:
            seg_len = int(self.rng.integers(5, 61))
            if self.rng.random() < 0.5:
                segment = self.rng.integers(0, self.vocab_size - 1, seg_len)  # no <|endoftext|>
            else:
                segment = self.natural_span(seg_len)
            for copy in range(int(self.rng.integers(2, 4))):
                if copy == 0 or self.rng.random() < 0.6:
                    gap = self.natural_span(int(self.rng.integers(1, 41)))
                    pieces.append(gap)
                    total += len(gap)
                pieces.append(segment)
                total += len(segment)
        return np.concatenate(pieces)[:length]

    def next(self, step):
        """(B, T + 1) ids for one step; inputs are [:, :-1], targets [:, 1:]."""
        a = self.args
        long_step = a.long_every > 0 and step % a.long_every == a.long_every - 1
        length = 1024 if long_step else a.short_length
        rows = max(1, a.tokens_per_step // length)
        batch = np.empty((rows, length + 1), dtype=np.int64)
        for r in range(rows):
            if self.rng.random() < a.synthetic_fraction:
                batch[r] = self.synthetic_row(length + 1)
            else:
                batch[r] = self.natural_span(length + 1)
        return torch.from_numpy(batch)


def learning_rate(step, args, peak=None):
    peak = args.lr if peak is None else peak
    if step < args.warmup:
        return peak * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def newton_schulz(g, steps=5):
    """The nearest semi-orthogonal matrix to g (Jordan et al.'s quintic Newton-Schulz)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / (g.norm() + 1e-7)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.t()
    for _ in range(steps):
        s = x @ x.t()
        x = a * x + (b * s + c * s @ s) @ x
    return x.t() if tall else x


class Muon(torch.optim.Optimizer):
    """Momentum whose update is orthogonalized: every direction of a matrix moves at the same
    rate, so weak but consistent directions (like "one position back") grow as fast as strong
    ones. `splits` cuts a fused matrix (c_attn's Q|K|V columns) into its parts first."""

    def __init__(self, params, lr, momentum=0.95):
        super().__init__(params, {"lr": lr, "momentum": momentum, "splits": 1})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("momentum", torch.zeros_like(p))
                buf.mul_(group["momentum"]).add_(p.grad)
                g = p.grad.add(buf, alpha=group["momentum"])  # Nesterov
                parts = g.chunk(group["splits"], dim=1)
                update = torch.cat([newton_schulz(part) for part in parts], dim=1)
                n_in, n_out = parts[0].shape
                p.add_(update, alpha=-group["lr"] * max(1.0, n_out / n_in) ** 0.5)


def make_optimizer(model, args):
    """The optimizers of a step: AdamW for everything, or (--optimizer muon) Muon for the
    blocks' matrices and AdamW without weight decay for the embeddings, norms and biases."""
    if args.optimizer == "muon":
        fused = [p for n, p in model.named_parameters() if n.endswith("attn.c_attn.weight")]
        matrices = [p for n, p in model.named_parameters()
                    if n.startswith("h.") and p.dim() == 2 and not n.endswith("attn.c_attn.weight")]
        rest = [p for n, p in model.named_parameters() if not (n.startswith("h.") and p.dim() == 2)]
        muon = Muon([{"params": matrices}, {"params": fused, "splits": 3}], lr=args.muon_lr)
        adam = torch.optim.AdamW([{"params": rest, "weight_decay": 0.0}], lr=args.lr,
                                 betas=(0.9, 0.95), eps=1e-8)
        return [muon, adam]
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return [torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                               {"params": no_decay, "weight_decay": 0.0}],
                              lr=args.lr, betas=(0.9, 0.95), eps=1e-8)]


def quick_eval(model, valid_ids, eot_id, device):
    """Held-out loss on the first 16k tokens and the best head-role scores so far."""
    loss = evaluate.held_out_loss(model, valid_ids[:16385], device)
    rows = evaluate.head_table(model, valid_ids, eot_id, device)
    prev = max(r["previous_token"] for r in rows)
    induction = max(r["induction_probe"] for r in rows if r["layer"] >= 1)
    model.train()
    return loss, prev, induction


def main():
    args = parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(args.data, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    eot_id = vocab["<|endoftext|>"]
    train_ids = np.load(os.path.join(args.data, "train.npy"))
    valid_ids = np.load(os.path.join(args.data, "valid.npy"))
    cfg = gpt.Config(vocab_size=len(vocab), n_positions=1024, n_embd=args.n_embd,
                     n_layer=args.n_layer, n_head=args.n_head)
    model = gpt.GPT2(cfg)
    model.init_weights(torch.Generator().manual_seed(args.seed), args.position_init,
                       args.position_scale)
    model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {cfg}, {n_params} parameters; train {len(train_ids)} tokens, "
          f"held-out {len(valid_ids)} tokens; device {device}; torch {torch.__version__}")
    print(f"args: {vars(args)}", flush=True)

    batches = Batches(train_ids, cfg.vocab_size, eot_id, args)
    optimizers = make_optimizer(model, args)
    curve, start, smoothed = [], time.time(), None
    model.train()
    step = 0
    for step in range(args.steps):
        if args.stop_step and step >= args.stop_step:
            print(f"stopping at step {step} as asked (--stop-step)")
            break
        if args.time_limit and time.time() - start > args.time_limit:
            print(f"time limit {args.time_limit:.0f} s reached at step {step}; stopping early")
            break
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group.setdefault("peak_lr", group["lr"])
                group["lr"] = learning_rate(step, args, group["peak_lr"])
        batch = batches.next(step).to(device)
        logits, _ = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for optimizer in optimizers:
            optimizer.step()
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        if step % args.eval_every == 0 or step == args.steps - 1:
            held, prev, induction = quick_eval(model, valid_ids, eot_id, device)
            elapsed = time.time() - start
            curve.append({"step": step, "train_loss": smoothed, "held_out_loss": held,
                          "best_previous_token": prev, "best_induction": induction,
                          "seconds": elapsed})
            print(f"step {step:5d}  train {smoothed:.3f}  held-out {held:.3f}  "
                  f"prev-token {prev:.2f}  induction {induction:.2f}  "
                  f"lr {learning_rate(step, args):.2e}  {elapsed:.0f} s", flush=True)
    steps_done = step + 1 if step == args.steps - 1 else step
    train_seconds = time.time() - start

    model.cpu()
    gpt.save_hf_folder(model, args.out, eot_id)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(args.data, name), os.path.join(args.out, name))
    results = evaluate.evaluate(model, train_ids, valid_ids, eot_id, "cpu")
    results.update({"steps": steps_done, "train_seconds": train_seconds, "curve": curve,
                    "args": vars(args), "torch": torch.__version__, "device": str(device),
                    "parameters": n_params})
    evaluate.print_summary(results)
    with open(os.path.join(args.out, "train_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"wrote {args.out} after {steps_done} steps in {train_seconds:.0f} s")


if __name__ == "__main__":
    main()
