"""The data-export scenario of test_gui_export_data.sh (issue 13): a random Llama-family model
and a text of about 4000 tokens whose weights are recomputed on demand. In the Export tab, real
clicks choose NPY and the view's head ("L1 H0"); the panel states the file's size; Export writes it on the engine
thread and the result equals `attnviz export --layer 1 --head 0` bit for bit. Then every layer
and head is exported as JSON (several GB) and a real click on Cancel stops it: the panel says so, and
neither the file nor a temporary file is left. Last, the Model grid tab draws every head's
thumbnail, pooled on the engine thread."""
import os
import re

import numpy as np

from gui_driver import (App, capture, center, click, fail, focus_app, run as run_command)
from gui_driver import long_text, make_long_model

LAYERS = 8
LAYER = 1


def run(binary, data, scratch):
    model = make_long_model(data, scratch, LAYERS)
    text = long_text(200)
    text_file = os.path.join(scratch, "text.txt")
    with open(text_file, "w") as f:
        f.write(text)
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    out = os.path.join(scratch, "out")
    os.makedirs(out)
    app = App(binary, ["--model", model, "--text", text, "--layer", str(LAYER)], layout_path, out,
              env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"],
                              "the long text's trace", timeout=300)
        tokens = layout["state"]["tokens"]
        print(f"{tokens} tokens on screen")
        focus_app()
        click(*center(layout["items"]["tab.Export"]))
        layout = app.wait_for(lambda l: "export_format" in l["items"], "the Export tab", 20)
        click(*center(layout["items"]["export_format"]))
        layout = app.wait_for(lambda l: "export_format.npy" in l["items"], "the format list", 20)
        click(*center(layout["items"]["export_format.npy"]))
        layout = app.wait_for(lambda l: "export_scope.head" in l["items"], "the data scopes", 20)

        # The view's head (the radio "L1 H<head>"): its size is stated, then it is written and
        # equals the CLI's slice.
        click(*center(layout["items"]["export_scope.head"]))
        layout = app.wait_for(lambda l: "export_size" in l["items"], "the size statement", 20)
        capture(os.path.join(scratch, "scope.png"))
        click(*center(layout["items"]["export_button"]))
        layout = app.wait_for(lambda l: l["state"]["export_message"].startswith(("Saved", "Export")),
                              "the head's file", 120)
        message = layout["state"]["export_message"]
        print(f"one head: {message}")
        if not message.startswith("Saved"):
            fail(f"the head's export failed: {message}")
        size = f"(1, 1, {tokens}, {tokens}) float32 tensor"
        if size not in message or f"layer {LAYER}, head" not in message:
            fail(f"the message does not state the slice and its size: {message}")
        head = int(re.search(r"head (\d+):", message).group(1))
        path = layout["state"]["export_path"]
        got = np.load(path)
        cli = os.path.join(scratch, "cli.npy")
        run_command([binary, "export", "--model", model, "--text-file", text_file, "--out", cli,
                     "--layer", str(LAYER), "--head", str(head)], timeout=300)
        expected = np.load(cli)
        if got.shape != (1, 1, tokens, tokens) or not np.array_equal(got, expected):
            fail(f"the app's head {got.shape} differs from attnviz export's {expected.shape}")
        print(f"head {head}: {got.nbytes / 1e6:.0f} MB, equal to attnviz export's")
        os.remove(path)

        # Every layer and head as JSON (its numbers formatted: the slowest format, tens of
        # seconds, so the click surely lands while it is written): stated, written with
        # progress, and cancelled with a real click.
        click(*center(layout["items"]["export_format"]))
        layout = app.wait_for(lambda l: "export_format.json" in l["items"], "the format list", 20)
        click(*center(layout["items"]["export_format.json"]))
        layout = app.wait_stable("the JSON format chosen")
        click(*center(layout["items"]["export_scope.all"]))
        layout = app.wait_stable("the whole tensor's size")
        click(*center(layout["items"]["export_button"]))
        layout = app.wait_for(lambda l: "export_cancel" in l["items"], "the progress and Cancel",
                              60)
        message = layout["state"]["export_message"]
        print(f"all: {message}")
        if f"({LAYERS}, 4, {tokens}, {tokens}) float32 tensor: at least" not in message:
            fail(f"the whole tensor's size is not stated: {message}")
        capture(os.path.join(scratch, "writing.png"))
        click(*center(layout["items"]["export_cancel"]))
        layout = app.wait_for(lambda l: not l["state"]["export_writing"], "the cancel", 60)
        message = layout["state"]["export_message"]
        print(f"cancel: {message}")
        capture(os.path.join(scratch, "cancelled.png"))
        if message != "Export cancelled; nothing was written":
            fail(f"the cancel is not said: {message}")
        left = [f for f in os.listdir(out) if f.endswith((".npy", ".json")) or ".tmp-" in f]
        if left:
            fail(f"a cancelled export left files: {left}")

        # The model grid of recomputed weights: its thumbnails come from the engine thread (the
        # panel says it computes them meanwhile), then every head is drawn.
        click(*center(layout["items"]["tab.Model grid"]))
        first = app.wait_for(lambda l: "grid_computing" in l["items"] or "grid_picture" in
                             l["items"], "the grid tab", 60)
        layout = app.wait_for(lambda l: "grid_picture" in l["items"], "the grid's thumbnails", 120)
        print(f"grid drawn ({'after' if 'grid_computing' in first['items'] else 'without'} "
              "a 'computing the thumbnails' frame)")
        capture(os.path.join(scratch, "grid.png"))
    finally:
        app.kill()
