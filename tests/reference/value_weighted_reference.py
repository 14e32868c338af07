"""Independent numpy computation of value-weighted attention (Kobayashi et al. 2020, "Attention is
not only a weight") on bert-tiny, for issue 14 step 1; written from the paper, not from attnviz.

For each layer l and head h, from the fixture's reference hidden states (the input of layer l):
  alpha = softmax(q k^T / sqrt(D)), checked against the fixture's reference attentions (1e-5);
  f_h(x_j) = (x_j W_V^h + b_V^h) W_O^h   (the value bias passes through; the output bias is
                                          not per key, so it is left out)
  value-weighted = ||alpha_ij f_h(x_j)||, normalized per query row.
Prints, per head and on average, the share of each row's attention that goes to [CLS]/[SEP]
under raw and value-weighted attention; exits 1 if the recomputed attention misses the reference.

  value_weighted_reference.py FIXTURE_DIR   (tests/data/bert-tiny)

With --write OUT.json DATA_DIR it writes the expected value norms ||v_j W_O^h|| (L, H, T) and
value-weighted weights (L, H, T, T) of text0 of gpt2-tiny, bert-tiny and modern/llama3-tiny
(grouped-query attention, bf16 weights), for test_value_weighted (tests/data/value_weighted.json).
For GPT-2 and Llama the attention alpha is the fixture's reference attention; v_j is computed
from the layer's input (the fixture's hidden state) through the layer's pre-attention norm.
"""

import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + size + begin:8 + size + end]
        out[name] = np.frombuffer(raw, dtype=kinds[entry["dtype"]]).reshape(entry["shape"])
    return out


def widen(tensor):
    if tensor.dtype == np.uint16:  # bf16: the high half of a float32
        return (tensor.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return tensor.astype(np.float64)


def load_bf16_aware(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "BF16": np.uint16}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + size + begin:8 + size + end]
        out[name] = widen(np.frombuffer(raw, dtype=kinds[entry["dtype"]]).reshape(entry["shape"])) \
            if entry["dtype"] != "I64" else np.frombuffer(raw, dtype=np.int64)
    return out


def expected(fixture, family):
    """(ids, value norms (L, H, T), value-weighted (L, H, T, T)) of text0."""
    config = json.load(open(fixture + "/model/config.json"))
    weights = load_bf16_aware(fixture + "/model/model.safetensors")
    reference = load_bf16_aware(fixture + "/reference.safetensors")
    ids = reference["text0.input_ids"]
    hidden = reference["text0.hidden_states"]
    attentions = reference["text0.attentions"]
    layers = attentions.shape[0]
    norms, weighted = [], []
    for layer in range(layers):
        x = hidden[layer]
        if family == "gpt2":
            p = "h.%d." % layer
            c = x.shape[1]
            mean = x.mean(1, keepdims=True)
            var = ((x - mean) ** 2).mean(1, keepdims=True)
            x = (x - mean) / np.sqrt(var + config["layer_norm_epsilon"]) * weights[p + "ln_1.weight"] + weights[p + "ln_1.bias"]
            v = (x @ weights[p + "attn.c_attn.weight"] + weights[p + "attn.c_attn.bias"])[:, 2 * c:]
            heads = config["n_head"]
            d = c // heads
            w_o = [weights[p + "attn.c_proj.weight"][h * d:(h + 1) * d, :] for h in range(heads)]
            groups = 1
        elif family == "bert":
            p = "encoder.layer.%d.attention." % layer
            v = x @ weights[p + "self.value.weight"].T + weights[p + "self.value.bias"]
            heads = config["num_attention_heads"]
            d = config["hidden_size"] // heads
            w_o = [weights[p + "output.dense.weight"][:, h * d:(h + 1) * d].T for h in range(heads)]
            groups = 1
        else:  # llama
            p = "model.layers.%d." % layer
            x = x / np.sqrt((x ** 2).mean(1, keepdims=True) + config["rms_norm_eps"]) * weights[p + "input_layernorm.weight"]
            v = x @ weights[p + "self_attn.v_proj.weight"].T
            heads = config["num_attention_heads"]
            d = config["head_dim"]
            groups = heads // config["num_key_value_heads"]
            w_o = [weights[p + "self_attn.o_proj.weight"][:, h * d:(h + 1) * d].T for h in range(heads)]
        layer_norms, layer_weighted = [], []
        for h in range(heads):
            g = h // groups
            moved = np.linalg.norm(v[:, g * d:(g + 1) * d] @ w_o[h], axis=1)  # (T)
            alpha = attentions[layer, h]
            w = alpha * moved[None, :]
            w /= w.sum(1, keepdims=True)
            layer_norms.append(moved)
            layer_weighted.append(w)
        norms.append(layer_norms)
        weighted.append(layer_weighted)
    return ids, np.array(norms), np.array(weighted)


def write_expected(out, data):
    result = {"note": "written by tests/reference/value_weighted_reference.py --write; text0 of "
                      "each fixture: value norms ||v_j W_O^h|| (L, H, T) and value-weighted "
                      "attention (L, H, T, T), normalized per row"}
    for name, family in (("gpt2-tiny", "gpt2"), ("bert-tiny", "bert"),
                         ("modern/llama3-tiny", "llama")):
        ids, norms, weighted = expected(data + "/" + name, family)
        result[name] = {"input_ids": [int(i) for i in ids],
                        "value_norms": np.round(norms, 7).tolist(),
                        "value_weighted": np.round(weighted, 8).tolist()}
        print("%s: %d tokens, value norms %.3f..%.3f" % (name, len(ids), norms.min(), norms.max()))
    json.dump(result, open(out, "w"))
    return 0


def main(fixture):
    config = json.load(open(fixture + "/model/config.json"))
    heads = config["num_attention_heads"]
    width = config["hidden_size"] // heads
    weights = load_safetensors(fixture + "/model/model.safetensors")
    reference = load_safetensors(fixture + "/reference.safetensors")
    texts = sorted({name.split(".")[0] for name in reference})
    raw_shares, weighted_shares, worst = [], [], 0.0
    for text in texts:
        ids = reference[text + ".input_ids"]
        hidden = reference[text + ".hidden_states"].astype(np.float64)
        attentions = reference[text + ".attentions"]
        special = (ids == 101) | (ids == 102)  # [CLS], [SEP]
        for layer in range(config["num_hidden_layers"]):
            prefix = "encoder.layer.%d.attention." % layer

            def linear(name, x=hidden[layer]):
                return x @ weights[prefix + name + ".weight"].T.astype(np.float64) + weights[prefix + name + ".bias"]

            q, k, v = linear("self.query"), linear("self.key"), linear("self.value")
            w_o = weights[prefix + "output.dense.weight"].astype(np.float64)
            for head in range(heads):
                cols = slice(head * width, (head + 1) * width)
                scores = q[:, cols] @ k[:, cols].T / np.sqrt(width)
                alpha = np.exp(scores - scores.max(1, keepdims=True))
                alpha /= alpha.sum(1, keepdims=True)
                worst = max(worst, float(np.abs(alpha - attentions[layer, head]).max()))
                moved = np.linalg.norm(v[:, cols] @ w_o[:, cols].T, axis=1)  # ||v_j W_O^h||, (T)
                weighted = alpha * moved[None, :]
                weighted /= weighted.sum(1, keepdims=True)
                raw_shares.append(alpha[:, special].sum(1).mean())
                weighted_shares.append(weighted[:, special].sum(1).mean())
                print("%s L%d H%d: share to [CLS]/[SEP] raw %.3f value-weighted %.3f; ||v_j W_O^h|| "
                      "[CLS] %.3f [SEP] %.3f other tokens' mean %.3f" %
                      (text, layer, head, raw_shares[-1], weighted_shares[-1], moved[ids == 101][0],
                       moved[ids == 102][0], moved[~special].mean()))
    print("recomputed attention vs the fixture's reference attentions: max |diff| %.2e" % worst)
    print("mean over %d texts and every head: share to [CLS]/[SEP] raw %.3f, value-weighted %.3f" %
          (len(texts), np.mean(raw_shares), np.mean(weighted_shares)))
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--write":
        sys.exit(write_expected(sys.argv[2], sys.argv[3]))
    sys.exit(main(sys.argv[1]))
