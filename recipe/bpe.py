"""GPT-2 byte-level BPE: the exact pre-tokenizer, a trainer, an encoder, and file I/O.

The C++ tokenizer (core/) implements REFERENCE.md section 3, so everything here follows
openai/gpt-2 `src/encoder.py` exactly:
  - bytes -> unicode table (`bytes_to_unicode`),
  - the pre-tokenization regex, with \\p{L}, \\p{N} and \\s expanded into explicit character
    classes because Python's `re` has no \\p{..} (and the `regex` module is not installed),
  - encode: repeatedly merge the lowest-ranked adjacent pair, all occurrences left to right.
The trainer counts pre-token frequencies and merges the most frequent pair (ties broken by
the pair's strings, so the result is deterministic).
"""

import heapq
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict

END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's table: printable bytes keep their code point, the other 68 go to U+0100..."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    byte_values = printable[:]
    code_points = printable[:]
    extra = 0
    for b in range(256):
        if b not in byte_values:
            byte_values.append(b)
            code_points.append(256 + extra)
            extra += 1
    return dict(zip(byte_values, map(chr, code_points)))


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}

# Unicode White_Space property (what the `regex` module's \s matches).
_WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
                (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
                (0x3000, 0x3000)]


def _ranges_where(predicate):
    ranges, start = [], None
    for cp in range(0x110000):
        if predicate(cp):
            if start is None:
                start = cp
        elif start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return ranges


def _class_body(ranges):
    def esc(cp):
        return "\\U%08x" % cp
    return "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in ranges)


def _build_pattern():
    letters = _class_body(_ranges_where(lambda cp: unicodedata.category(chr(cp)).startswith("L")))
    numbers = _class_body(_ranges_where(lambda cp: unicodedata.category(chr(cp)).startswith("N")))
    space = _class_body(_WHITE_SPACE)
    # 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    return re.compile(
        "'s|'t|'re|'ve|'m|'ll|'d"
        f"| ?[{letters}]+| ?[{numbers}]+| ?[^{space}{letters}{numbers}]+"
        f"|[{space}]+(?![^{space}])|[{space}]+")


PRETOKENIZE = _build_pattern()


def pretokenize(text):
    return PRETOKENIZE.findall(text)


def to_byte_chars(piece):
    return "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))


def train_bpe(texts, vocab_size, min_count=2, log=print):
    """Returns (vocab {token: id}, merges [(a, b)]) with END_OF_TEXT as the last id."""
    word_counts = Counter()
    for text in texts:
        word_counts.update(pretokenize(text))
    words = [list(to_byte_chars(w)) for w in word_counts]
    freqs = [word_counts[w] for w in word_counts]
    log(f"bpe: {len(words)} distinct pre-tokens, {sum(freqs)} in all")

    vocab = {c: i for i, c in enumerate(BYTE_TO_CHAR.values())}  # GPT-2's byte order
    merges = []
    pair_counts = defaultdict(int)
    pair_words = defaultdict(set)
    for idx, (symbols, freq) in enumerate(zip(words, freqs)):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += freq
            pair_words[pair].add(idx)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    target = vocab_size - 1  # the last id is END_OF_TEXT
    while len(vocab) < target and heap:
        neg_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg_count:
            continue  # stale entry
        if -neg_count < min_count:
            break
        merged = pair[0] + pair[1]
        merges.append(pair)
        if merged not in vocab:
            vocab[merged] = len(vocab)
        touched = set()
        for idx in pair_words.pop(pair, ()):
            symbols, freq = words[idx], freqs[idx]
            out, i, changed = [], 0, False
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
                    out.append(merged)
                    i += 2
                    changed = True
                else:
                    out.append(symbols[i])
                    i += 1
            if not changed:
                continue
            for old in zip(symbols, symbols[1:]):
                pair_counts[old] -= freq
                touched.add(old)
            for new in zip(out, out[1:]):
                pair_counts[new] += freq
                pair_words[new].add(idx)
                touched.add(new)
            words[idx] = out
        pair_counts.pop(pair, None)
        for p in touched:
            count = pair_counts.get(p, 0)
            if p == pair or count <= 0:
                pair_counts.pop(p, None)
                continue
            heapq.heappush(heap, (-count, p))
        if len(merges) % 500 == 0:
            log(f"bpe: {len(merges)} merges, vocab {len(vocab)}")
    vocab[END_OF_TEXT] = len(vocab)
    return vocab, merges


class Encoder:
    """GPT-2 encode/decode for a vocab and merges list (openai/gpt-2 src/encoder.py)."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.inverse = {i: t for t, i in vocab.items()}
        self.ranks = {tuple(p): r for r, p in enumerate(merges)}
        self.cache = {}
        self.eot_id = vocab[END_OF_TEXT]

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self.cache[token] = word
        return word

    def encode_ordinary(self, text):
        ids = []
        for piece in pretokenize(text):
            ids.extend(self.vocab[t] for t in self.bpe(to_byte_chars(piece)))
        return ids

    def encode(self, text):
        """`<|endoftext|>` in the text is the special token, as Hugging Face does."""
        ids = []
        for k, part in enumerate(text.split(END_OF_TEXT)):
            if k:
                ids.append(self.eot_id)
            ids.extend(self.encode_ordinary(part))
        return ids

    def decode(self, ids):
        text = "".join(self.inverse[i] for i in ids)
        return bytearray(CHAR_TO_BYTE[c] for c in text).decode("utf-8", errors="replace")


def save(folder, vocab, merges):
    with open(f"{folder}/vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(f"{folder}/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


def load(folder):
    with open(f"{folder}/vocab.json", encoding="utf-8") as f:
        vocab = json.load(f)
    with open(f"{folder}/merges.txt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0].startswith("#version"), f"{folder}/merges.txt: no '#version' first line"
    merges = [tuple(line.split(" ")) for line in lines[1:] if line]
    return Encoder(vocab, merges)


if __name__ == "__main__":
    # Usage: bpe.py MODEL_DIR TEXT... prints the ids (to compare with `attnviz tokenize`).
    enc = load(sys.argv[1])
    for text in sys.argv[2:]:
        print(json.dumps(enc.encode(text)))
