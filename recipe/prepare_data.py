"""Builds the training corpus from free English text in Debian packages, trains the BPE
vocabulary on the training split, and writes the token ids.

Sources (install with `apt-get install -y fortunes bible-kjv bible-kjv-text jargon-text
debian-reference-en`; licences in recipe/MODEL.md):
  fortunes             /usr/share/games/fortunes/*   (one document per fortune)
  bible-kjv(-text)     `bible -f Gen1:1-Rev22:21`    (one document per chapter, every 2nd)
  jargon-text          /usr/share/doc/jargon-text/jargon.txt.gz
  debian-reference-en  /usr/share/debian-reference/debian-reference.en.txt.gz

Outputs in --out: vocab.json, merges.txt, train.npy and valid.npy (uint16 ids, documents
separated by <|endoftext|>), corpus_stats.json.
"""

import argparse
import glob
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

FORTUNE_DIR = "/usr/share/games/fortunes"
# ascii-art is pictures, translate-me is not English.
FORTUNE_SKIP = {"ascii-art", "translate-me"}
JARGON = "/usr/share/doc/jargon-text/jargon.txt.gz"
DEBIAN_REFERENCE = "/usr/share/debian-reference/debian-reference.en.txt.gz"


def reflow(text, min_chars):
    """Paragraphs separated by blank lines; whitespace inside one collapsed to a space."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        para = " ".join(block.split())
        if len(para) >= min_chars:
            paragraphs.append(para)
    return paragraphs


def fortune_documents():
    docs = []
    for path in sorted(glob.glob(f"{FORTUNE_DIR}/*")):
        name = os.path.basename(path)
        if "." in name or name in FORTUNE_SKIP or os.path.islink(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in re.split(r"^%\s*$", f.read(), flags=re.M):
                para = "\n\n".join(reflow(entry, 1))
                if len(para) >= 20:
                    docs.append(para)
    return docs


def bible_documents():
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True,
                         check=True).stdout
    # Non-terminal output is one verse per line: "Ge1:1 In the beginning ...".
    chapters = {}
    for line in out.splitlines():
        match = re.match(r"^(\S+?)(\d+):\d+ (.*)$", line)
        if match:
            chapters.setdefault((match.group(1), match.group(2)), []).append(match.group(3))
    docs = []
    for k, verses in enumerate(chapters.values()):
        if k % 2:
            continue  # every second chapter keeps the Bible from dominating the corpus
        docs.append(" ".join(" ".join(verses).split()))
    return docs


def gz_paragraph_documents(path, paragraphs_per_doc):
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        paragraphs = reflow(f.read(), 40)
    return ["\n\n".join(paragraphs[i:i + paragraphs_per_doc])
            for i in range(0, len(paragraphs), paragraphs_per_doc)]


def is_held_out(doc, every):
    return int(hashlib.sha256(doc.encode("utf-8")).hexdigest(), 16) % every == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--held-out-every", type=int, default=40)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    sources = {
        "fortunes": fortune_documents(),
        "bible-kjv": bible_documents(),
        "jargon-text": gz_paragraph_documents(JARGON, 8),
        "debian-reference-en": gz_paragraph_documents(DEBIAN_REFERENCE, 8),
    }
    train, valid, stats = [], [], {}
    for name, docs in sources.items():
        held = [d for d in docs if is_held_out(d, args.held_out_every)]
        kept = [d for d in docs if not is_held_out(d, args.held_out_every)]
        train += kept
        valid += held
        stats[name] = {"documents": len(docs), "chars": sum(map(len, docs))}
        print(f"{name}: {len(docs)} documents, {stats[name]['chars']} characters")

    vocab, merges = bpe.train_bpe(train, args.vocab_size)
    bpe.save(args.out, vocab, merges)
    encoder = bpe.Encoder(vocab, merges)
    for split, docs in (("train", train), ("valid", valid)):
        ids = []
        for doc in docs:
            ids.extend(encoder.encode_ordinary(doc))
            ids.append(encoder.eot_id)
        array = np.asarray(ids, dtype=np.uint16)
        np.save(os.path.join(args.out, f"{split}.npy"), array)
        chars = sum(map(len, docs))
        stats[split] = {"documents": len(docs), "chars": chars, "tokens": len(ids),
                        "chars_per_token": round(chars / len(ids), 3)}
        print(f"{split}: {len(docs)} documents, {len(ids)} tokens, "
              f"{chars / len(ids):.2f} characters per token")
    with open(os.path.join(args.out, "corpus_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)


if __name__ == "__main__":
    main()
