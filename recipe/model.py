"""A GPT-2 in PyTorch whose state_dict is exactly the Hugging Face `GPT2Model` layout
(REFERENCE.md section 2): Conv1D weights stored (in, out), tied LM head, gelu_new, pre-LN.

Legend: B batch, T tokens, C width, H heads, D head width (C / H), L layers, V vocabulary,
P positions.
"""

import json
import math
import struct
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Config:
    vocab_size: int = 4096
    n_positions: int = 1024
    n_embd: int = 128
    n_layer: int = 4
    n_head: int = 4
    layer_norm_epsilon: float = 1e-5


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: y = x·W + b with W stored (in, out)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(shape)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)

    def forward(self, x, need_weights):
        B, T, C = x.shape
        H, D = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)  # each (B, T, C), head h = columns h·D..
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        weights = None
        if not need_weights and hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # torch >= 2.0
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(D)  # (B, H, T, T), rows = queries
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
            weights = scores.softmax(dim=-1)  # (B, H, T, T) post-softmax
            y = weights @ v
        y = y.transpose(1, 2).reshape(B, T, C)  # c_proj's input rows are grouped by head
        return self.c_proj(y), weights


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        # gelu_new = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's tanh approximation
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x, need_weights):
        a, weights = self.attn(self.ln_1(x), need_weights)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, weights


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)

    def init_weights(self, generator, position_init="sinusoidal", position_scale=0.05):
        """GPT-2's init: N(0, 0.02), residual projections scaled by 1/√(2L).

        position_init "sinusoidal" starts wpe (still an ordinary learned table) from
        Vaswani et al.'s sines and cosines: "one position back" is then the same linear map at
        every position, so previous-token heads (and the induction heads built on them) form
        much sooner and work at positions that long rows train less often."""
        for name, p in self.named_parameters():
            if name == "wpe.weight" and position_init == "sinusoidal":
                with torch.no_grad():
                    p.copy_(sinusoidal_positions(*p.shape) * position_scale)
                continue
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            else:
                std = 0.02
                if name.endswith("c_proj.weight"):
                    std /= math.sqrt(2 * self.cfg.n_layer)
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * std)

    def forward(self, ids, need_weights=False):
        """ids (B, T) -> logits (B, T, V) and, if asked, attentions [L × (B, H, T, T)]."""
        T = ids.shape[1]
        positions = torch.arange(T, device=ids.device)
        x = self.wte(ids) + self.wpe(positions)
        attentions = []
        for block in self.h:
            x, weights = block(x, need_weights)
            attentions.append(weights)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t()  # tied LM head
        return logits, (attentions if need_weights else None)


def sinusoidal_positions(n_positions, width):
    """(P, C): column 2i = sin(pos / 10000^(2i/C)), column 2i+1 = cos(same)."""
    position = torch.arange(n_positions, dtype=torch.float64)[:, None]
    frequency = torch.pow(10000.0, -torch.arange(0, width, 2, dtype=torch.float64) / width)
    table = torch.zeros(n_positions, width, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table.float()


def hf_config(cfg, eot_id):
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.0,
        "bos_token_id": eot_id,
        "embd_pdrop": 0.0,
        "eos_token_id": eot_id,
        "initializer_range": 0.02,
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "model_type": "gpt2",
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_head": cfg.n_head,
        "n_inner": None,
        "n_layer": cfg.n_layer,
        "n_positions": cfg.n_positions,
        "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "vocab_size": cfg.vocab_size,
    }


def save_safetensors(path, tensors, metadata=None):
    """safetensors: u64 LE header length, JSON header padded with spaces to a multiple of 8,
    then the data of every tensor (F32, or I64 for integer arrays), contiguous, in header
    order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        is_int = np.issubdtype(np.asarray(tensors[name]).dtype, np.integer)
        dtype, numpy_dtype = ("I64", "<i8") if is_int else ("F32", "<f4")
        data = np.ascontiguousarray(tensors[name], dtype=numpy_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata or {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{path}: {name} is {info['dtype']}, expected F32"
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(raw[base + begin:base + end], dtype="<f4").reshape(info["shape"])
    return out


def save_hf_folder(model, folder, eot_id):
    tensors = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    save_safetensors(f"{folder}/model.safetensors", tensors)
    with open(f"{folder}/config.json", "w") as f:
        json.dump(hf_config(model.cfg, eot_id), f, indent=2)
        f.write("\n")


def load_hf_folder(folder):
    with open(f"{folder}/config.json") as f:
        hf = json.load(f)
    cfg = Config(vocab_size=hf["vocab_size"], n_positions=hf["n_positions"],
                 n_embd=hf["n_embd"], n_layer=hf["n_layer"], n_head=hf["n_head"],
                 layer_norm_epsilon=hf["layer_norm_epsilon"])
    model = GPT2(cfg)
    tensors = load_safetensors(f"{folder}/model.safetensors")
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    return model


def config_dict(cfg):
    return asdict(cfg)
