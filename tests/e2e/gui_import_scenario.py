"""Opening a model after attention imported from a file (issues 10 and 11): the screen must show
the model's run again whichever way the model is picked.

1. The app runs a text with gpt2-tiny; an attention file (.npy with its tokens.json) is opened
   from the Model box (real typing), so the screen shows its 5 tokens; File > Recent models >
   gpt2-tiny (real clicks) must bring back the text's tokens. Before the fix the model loaded
   but the screen stayed on the imported file.
2. The file again, then Ctrl+O (Models on this computer, over a fake Hugging Face cache) and a
   click on the gpt2-tiny row: the text's tokens again.
3. `attnviz view --attention FILE`: File > Recent models is not greyed out, and picking
   gpt2-tiny there runs the model on the screen.
"""
import json
import os

import numpy as np

from gui_driver import App, center, click, fail, focus_app, key, move
from gui_driver import run as run_command

TEXT = "The cat sat on the mat."
IMPORTED = ["Imported", " attention", " works", " too", "."]

# Where File > Recent models > item i is at 1600x1000 when the layout dump does not name it
# (the app before the fix named no menu items): measured on a screenshot of that app.
FILE_MENU = (22, 13)
RECENT_MENU = (65, 86)


def recent_item(index):
    return (400, 86 + 22 * index)


def token_count(binary, model, text):
    out = run_command([binary, "tokenize", "--model", model, "--text", text, "--json"])
    return len(json.loads(out)["tokens"])


def write_attention(scratch):
    rng = np.random.default_rng(1)
    t = len(IMPORTED)
    weights = np.tril(rng.random((2, 3, t, t))).astype(np.float32)
    weights /= weights.sum(-1, keepdims=True)
    path = os.path.join(scratch, "attention.npy")
    np.save(path, weights)
    with open(os.path.join(scratch, "tokens.json"), "w") as f:
        json.dump(IMPORTED, f)
    return path


def fake_hub_cache(scratch, model):
    hub = os.path.join(scratch, "hf", "hub")
    snapshot = os.path.join(hub, "models--attnviz--gpt2-tiny", "snapshots", "0123abc")
    os.makedirs(snapshot, exist_ok=True)
    for name in os.listdir(model):
        os.symlink(os.path.join(model, name), os.path.join(snapshot, name))
    return snapshot


def open_recent(app, index):
    """File > Recent models > item `index`, with real clicks."""
    layout = app.wait_stable("the window before the menu")
    click(*center(layout["items"]["menu_file"]) if "menu_file" in layout["items"] else FILE_MENU)
    layout = app.wait_stable("the File menu")
    recent = center(layout["items"]["menu_recent"]) if "menu_recent" in layout["items"] else RECENT_MENU
    move(*recent)
    layout = app.wait_stable("the Recent models menu")
    name = f"menu_recent.{index}"
    click(*(center(layout["items"][name]) if name in layout["items"] else recent_item(index)))


def type_into_model_box(app, path):
    layout = app.wait_stable("the model box")
    click(*center(layout["items"]["model_path"]))
    key("ctrl+a")
    run_command(["xdotool", "type", "--delay", "10", path])
    key("Return")


def run(binary, data, scratch):
    model = os.path.join(data, "gpt2-tiny", "model")
    tokens = token_count(binary, model, TEXT)
    attention = write_attention(scratch)
    snapshot = fake_hub_cache(scratch, model)
    config = os.path.join(scratch, "config")
    os.makedirs(os.path.join(config, "attnviz"))
    with open(os.path.join(config, "attnviz", "settings.json"), "w") as f:
        json.dump({"recent_models": [model]}, f)
    env = {"XDG_CONFIG_HOME": config, "HF_HOME": os.path.join(scratch, "hf"),
           "HF_HUB_CACHE": os.path.join(scratch, "hf", "hub")}

    app = App(binary, ["--model", model, "--text", TEXT], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        app.wait_for(lambda l: l["state"]["trace_ready"] and l["state"]["tokens"] == tokens,
                     f"the text's {tokens} tokens", 90)
        focus_app()
        type_into_model_box(app, attention)
        app.wait_for(lambda l: l["state"]["tokens"] == len(IMPORTED), "the imported file on screen", 30)
        print(f"imported {attention}: {len(IMPORTED)} tokens on screen")
        open_recent(app, 0)
        app.wait_for(lambda l: l["state"]["tokens"] == tokens and not l["state"]["loading"],
                     "the model's run after File > Recent models (the screen stayed on the "
                     "imported file)", 30)
        print(f"File > Recent models > gpt2-tiny: the text's {tokens} tokens are back")

        type_into_model_box(app, attention)
        app.wait_for(lambda l: l["state"]["tokens"] == len(IMPORTED), "the imported file again", 30)
        key("ctrl+o")
        item = "picker_model.attnviz/gpt2-tiny"
        layout = app.wait_for(lambda l: item in l["items"], "the model picker", 20)
        click(*center(layout["items"][item]))
        layout = app.wait_for(lambda l: l["state"]["tokens"] == tokens and not l["state"]["loading"]
                              and l["state"]["model"].endswith("snapshots/0123abc"),
                              "the picked model's run after the imported file", 30)
        print("Models on this computer > gpt2-tiny: the text's tokens are back")
    finally:
        app.kill()

    viewer = App(binary, ["view", "--attention", attention], os.path.join(scratch, "layout_view.json"),
                 scratch, env)
    try:
        viewer.wait_for(lambda l: l["state"]["trace_ready"] and l["state"]["tokens"] == len(IMPORTED),
                        "attnviz view showing the file", 30)
        focus_app()
        open_recent(viewer, 0)
        layout = viewer.wait_for(lambda l: l["state"]["model"] == model and l["state"]["trace_ready"]
                                 and not l["state"]["loading"] and l["state"]["tokens"] > 0
                                 and l["state"]["tokens"] != len(IMPORTED),
                                 "a recent model opened from attnviz view", 30)
        print(f"attnviz view > File > Recent models: {layout['state']['tokens']} tokens of the model")
    finally:
        viewer.kill()
