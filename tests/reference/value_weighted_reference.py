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
    sys.exit(main(sys.argv[1]))
