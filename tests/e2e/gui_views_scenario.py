"""The views scenario of test_gui_views.sh: merge sub-words into words and hide the first token
with real clicks on the options bar (the token count on screen drops as computed by hand from
the tokenizer), then open the diff window with the D key, change one word of the second text,
and check that the difference map shows a change (non-white, non-uniform pixels) where it showed
none for identical texts. Last, the model picker (Ctrl+O) lists a fake Hugging Face cache (a
GPT-2 snapshot and an unsupported llama) and a click on the GPT-2 loads it."""
import json
import os
import subprocess
import time

import numpy as np

from gui_driver import App, capture, center, changed_pixels, click, fail, focus_app, key, move
from gui_driver import run as run_command

TEXT = "The riverbank was eroding quickly."
OTHER = "The riverbank was flooding quickly."


def token_texts(binary, model, text):
    out = run_command([binary, "tokenize", "--model", model, "--text", text, "--json"])
    tokens = json.loads(out)
    if isinstance(tokens, dict):
        tokens = tokens.get("tokens", [])
    return [t["text"] for t in tokens]


def words_of(texts):
    """Word texts, as the app groups them: WordPiece "##" continues a word; otherwise a token
    starting with a space or punctuation (or after punctuation) starts one."""
    wordpiece = any(t.startswith("##") or t in ("[CLS]", "[SEP]") for t in texts)
    words = []
    for i, piece in enumerate(texts):
        previous = texts[i - 1] if i else ""
        if wordpiece:
            starts = i == 0 or not piece.startswith("##") or previous in ("[CLS]", "[SEP]")
        else:
            starts = i == 0 or piece[:1].isspace() or (piece[:1] and not piece[0].isalnum()) or \
                (previous and all(not c.isalnum() and not c.isspace() for c in previous))
        if starts:
            words.append(piece)
        else:
            words[-1] += piece[2:] if wordpiece else piece
    return words


def aligned_count(a, b):
    """Longest common subsequence of the normalized texts (stripped, lower case)."""
    a = [t.strip().lower() for t in a]
    b = [t.strip().lower() for t in b]
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a)):
        for j in range(len(b)):
            table[i + 1][j + 1] = table[i][j] + 1 if a[i] == b[j] else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def fake_hub_cache(scratch, model):
    """$HF_HOME/hub with one supported snapshot (links to the fixture's files) and one llama."""
    hub = os.path.join(scratch, "hf", "hub")
    snapshot = os.path.join(hub, "models--attnviz--gpt2-tiny", "snapshots", "0123abc")
    os.makedirs(snapshot)
    for name in os.listdir(model):
        os.symlink(os.path.join(model, name), os.path.join(snapshot, name))
    llama = os.path.join(hub, "models--meta--llama-tiny", "snapshots", "4567def")
    os.makedirs(llama)
    with open(os.path.join(llama, "config.json"), "w") as f:
        json.dump({"model_type": "llama"}, f)
    return snapshot


def region(image, rect):
    x0, y0, x1, y1 = [int(v) for v in rect]
    return image[y0 + 2:y1 - 2, x0 + 2:x1 - 2]


def run(binary, data, scratch):
    model = os.path.join(data, "gpt2-tiny", "model")
    gpt2_texts = token_texts(binary, model, TEXT)
    tokens, words = len(gpt2_texts), len(words_of(gpt2_texts))
    bert = os.path.join(data, "bert-tiny", "model")
    # Token 0 hidden on both sides ("The" for GPT-2, [CLS] for BERT), then words.
    bert_aligned = aligned_count(words_of(gpt2_texts[1:]), words_of(token_texts(binary, bert, TEXT)[1:]))
    if words >= tokens:
        fail(f"the test text should have sub-words: {tokens} tokens, {words} words")
    print(f"{TEXT!r}: {tokens} tokens, {words} words")
    layout_path = os.path.join(scratch, "layout.json")
    snapshot = fake_hub_cache(scratch, model)
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config"), "HF_HOME": os.path.join(scratch, "hf"),
           "HF_HUB_CACHE": os.path.join(scratch, "hf", "hub")}
    app = App(binary, ["--model", model, "--text", TEXT], layout_path, scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "view_merge_words" in l["items"],
                              "the first trace and the view options", timeout=90)
        focus_app()
        layout = app.wait_stable("the first picture to settle")
        if layout["state"]["tokens"] != tokens:
            fail(f"expected {tokens} tokens on screen, got {layout['state']['tokens']}")

        click(*center(layout["items"]["view_merge_words"]))
        layout = app.wait_for(lambda l: l["state"]["tokens"] == words, f"{words} words", 10)
        if "words" not in layout["state"]["view_description"]:
            fail(f"view description {layout['state']['view_description']!r} does not say words")
        click(*center(layout["items"]["view_hide_first"]))
        layout = app.wait_for(lambda l: l["state"]["tokens"] == words - 1,
                              f"{words - 1} words with token 0 hidden", 10)
        print(f"words + hide first: {layout['state']['tokens']} tokens on screen, "
              f"{layout['state']['view_description']!r}")
        move(5, 990)
        capture(os.path.join(scratch, "views.png"))

        key("d")
        layout = app.wait_for(lambda l: l["state"]["diff_open"] and "diff_map_difference" in l["items"]
                              and l["state"]["diff_aligned"] == words - 1,
                              "the diff window with the same text on both sides", 60)
        if layout["state"]["diff_max_change"] > 1e-6:
            fail(f"identical texts differ by {layout['state']['diff_max_change']}")
        move(5, 990)
        layout = app.wait_stable("the diff window to settle")
        same = capture(os.path.join(scratch, "diff_same.png"))
        same_map = region(same, layout["items"]["diff_map_difference"])

        click(*center(layout["items"]["diff_text_b"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "30", OTHER])
        # The second run follows the typing; wait for the whole edit to be diffed.
        layout = app.wait_for(lambda l: l["state"]["diff_max_change"] > 1e-4
                              and l["state"]["diff_aligned"] == words - 2,
                              f"a non-zero difference on {words - 2} aligned words after the edit", 60)
        aligned = layout["state"]["diff_aligned"]
        print(f"edited: {aligned} aligned words, largest change {layout['state']['diff_max_change']:.4f}")
        move(5, 990)
        layout = app.wait_stable("the diff map to settle")
        edited = capture(os.path.join(scratch, "diff_edited.png"))
        edited_map = region(edited, layout["items"]["diff_map_difference"])

        # Identical texts: a white map. Edited: red and blue cells appear.
        def coloured(pixels):
            spread = pixels.max(axis=2) - pixels.min(axis=2)
            return int((spread > 40).sum())
        print(f"coloured pixels in the difference map: same text {coloured(same_map)}, "
              f"edited {coloured(edited_map)} of {edited_map.shape[0] * edited_map.shape[1]}")
        if coloured(same_map) > 0.01 * same_map.shape[0] * same_map.shape[1]:
            fail("the difference map of identical texts is not white; see diff_same.png")
        if coloured(edited_map) < 0.05 * edited_map.shape[0] * edited_map.shape[1]:
            fail("the difference map shows no change after editing; see diff_edited.png")
        if float(np.std(edited_map)) < 5.0:
            fail("the difference map is uniform; see diff_edited.png")

        # Same text, another model: BERT's words line up with GPT-2's where their texts agree
        # (the tiny BERT's vocabulary makes some words [UNK]; counted above from the tokenizers).
        click(*center(layout["items"]["diff_source_model"]))
        layout = app.wait_for(lambda l: "diff_model_b" in l["items"], "the second model's folder box", 10)
        click(*center(layout["items"]["diff_model_b"]))
        run_command(["xdotool", "type", "--delay", "10", bert])
        key("Return")
        layout = app.wait_for(lambda l: l["state"]["diff_aligned"] == bert_aligned
                              and l["state"]["diff_max_change"] > 1e-4,
                              "GPT-2 and BERT aligned on the words of one text", 60)
        print(f"GPT-2 vs BERT: {layout['state']['diff_aligned']} aligned words (expected {bert_aligned}), largest change "
              f"{layout['state']['diff_max_change']:.4f}")
        move(5, 990)
        layout = app.wait_stable("the two-model diff to settle")
        capture(os.path.join(scratch, "diff_models.png"))

        # Leave the text box (its keys are its own) with a click on the diff window's empty
        # space under the captions; then D closes the diff.
        below = layout["items"]["diff_map_a"]
        click(int(below[0]) + 5, int(below[3]) + 70)
        key("d")
        app.wait_for(lambda l: not l["state"]["diff_open"], "the diff window closed", 10)
        key("ctrl+o")
        item = "picker_model.attnviz/gpt2-tiny"
        layout = app.wait_for(lambda l: item in l["items"], "the model picker listing the cache", 20)
        move(5, 990)
        time.sleep(0.5)
        before = capture(os.path.join(scratch, "picker.png"))
        # It stays in front when a view tab is clicked (issue 11, item 17: the views drew over it).
        row = layout["items"][item]
        for tab in ("tab.Heatmap", "tab.Model grid", "tab.Arcs"):
            click(*center(layout["items"][tab]))
            move(5, 990)
            time.sleep(0.6)
            after = capture(os.path.join(scratch, "picker_after.png"))
            covered = changed_pixels(before, after, row)
            if covered > (row[2] - row[0]) * (row[3] - row[1]) // 20:
                fail(f"clicking {tab} drew over Models on this computer: {covered} pixels of its "
                     f"row changed (see {scratch}/picker_after.png)")
        print("Models on this computer: still in front after clicking Heatmap, Model grid, Arcs")
        click(*center(layout["items"][item]))
        layout = app.wait_for(lambda l: l["state"]["model"].endswith("snapshots/0123abc")
                              and not l["state"]["loading"] and l["state"]["trace_ready"],
                              "the picked model loaded", 60)
        print(f"picked and loaded {layout['state']['model']}")
    finally:
        app.kill()
