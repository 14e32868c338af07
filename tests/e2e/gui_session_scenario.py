"""Sessions round trip (issue 14), with real input under Xvfb. The app opens gpt2-tiny on a text
with token 4 pinned on layer 1's heatmap; real clicks switch the weights to value-weighted, the
head mode to single head and merge sub-words into words (the pin follows its word), and Ctrl+S
saves the session (the path typed into the dialog, Enter). A GUI export (Ctrl+E, PNG) records the
figure of that state, a screenshot the screen; then the app quits.

A second app opens the file with --session: once its model has loaded and the text has run, its
screenshot must equal the first pixel for pixel, and its view the saved one. `attnviz export
--session FILE --scale 2` (headless) must write the same PNG bytes as the GUI's export. Then the
model's weights are copied and changed: opening the session on the changed copy must say that
the model is not the one the session was saved with, naming model.safetensors. A session from a
future version is refused on the command line with a clear message."""
import json
import os
import shutil
import subprocess
import time

import numpy as np
from PIL import Image

from gui_driver import App, capture, center, click, fail, focus_app, key, move
from gui_driver import run as run_command

TEXT = "The bank by the river was eroding. The river was wide."
PIN = 4


def away():
    move(5, 995)  # off every picture and button: no hover, no tooltip


def quiet_focus(layout):
    """Clicks the status bar: the window that had focus (its title bar lit) lets go, in both
    runs alike; the status bar has no title bar to light."""
    x0, y0, x1, y1 = layout["items"]["status.bar"]
    click(int(x1) - 20, int((y0 + y1) / 2))


def masked(image, layout):
    """The screen without the run's measured time (the text panel's "… · 0.8 ms" line)."""
    out = image.copy()
    x0, y0, x1, y1 = [int(round(v)) for v in layout["items"]["text_run_timing"]]
    out[y0:y1, x0:x0 + 400] = 0
    return out


def wait_settled(app, what):
    app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"]
                 and not l["state"]["session_pending"] and l["state"]["roles_ready"], what, 90)
    away()
    return app.wait_stable(f"{what} to settle", quiet=1.0)


def run(binary, data, scratch):
    source_model = os.path.join(data, "gpt2-tiny", "model")
    model = os.path.join(scratch, "gpt2-tiny")  # a copy: its weights are changed at the end
    shutil.copytree(source_model, model)
    session_path = os.path.join(scratch, "analysis.attnviz")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    layout_path = os.path.join(scratch, "layout.json")

    # ---- 1. set up a view with real input, save it, export it, quit ----
    app = App(binary, ["--model", model, "--text", TEXT, "--tab", "heatmap", "--pin", str(PIN),
                       "--layer", "1"], layout_path, scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "view_weights_value" in l["items"],
                              "the first trace", 90)
        focus_app()
        click(*center(layout["items"]["view_weights_value"]))
        layout = app.wait_for(lambda l: l["state"]["weights"] == "value", "value weights", 30)
        click(*center(layout["items"]["mode_single"]))
        layout = app.wait_for(lambda l: l["state"]["head_mode"] == "single", "single head mode", 30)
        click(*center(layout["items"]["view_merge_words"]))
        layout = app.wait_for(lambda l: l["state"]["view"]["merge_words"] and l["state"]["trace_ready"]
                              and "words" in l["state"]["view_description"], "merged words", 30)
        key("ctrl+s")
        layout = app.wait_for(lambda l: "session_save.path" in l["items"], "the save dialog", 20)
        click(*center(layout["items"]["session_save.path"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "20", session_path])
        key("Return")
        layout = app.wait_for(lambda l: l["state"]["session_message"].startswith("Saved session")
                              or l["state"]["session_error"], "the session to be saved", 60)
        if layout["state"]["session_error"]:
            fail(f"saving failed: {layout['state']['session_message']}")
        saved_view = layout["state"]["view"]
        layout = wait_settled(app, "the saved state")
        # The success message fades after 4 s; the screenshot is of the view, not the message.
        time.sleep(4.5)
        quiet_focus(layout)
        away()
        layout = app.wait_stable("the message to fade", quiet=1.0)
        before = masked(capture(os.path.join(scratch, "session_saved.png")), layout)
        export_before = layout["state"]["export_path"]
        key("ctrl+e")
        layout = app.wait_for(lambda l: l["state"]["export_path"] != export_before
                              and l["state"]["export_message"], "the GUI export", 60)
        if layout["state"]["export_error"]:
            fail(f"GUI export failed: {layout['state']['export_message']}")
        gui_export = layout["state"]["export_path"]
        key("ctrl+q")
        app.process.wait(timeout=30)
    finally:
        app.kill()

    document = json.load(open(session_path))
    print(f"session: format {document['format']} version {document['version']}, "
          f"{len(document['model']['files'])} model files, view kind {document['view']['kind']}, "
          f"weights {document['view']['weights']}, pinned {document['view']['pinned_token']}")
    if document["view"]["weights"] != "value" or document["view"]["pinned_token"] is None \
            or not document["view"]["merge_words"]:
        fail(f"the session did not keep the view: {document['view']}")
    names = [f["name"] for f in document["model"]["files"]]
    if "model.safetensors" not in names or "config.json" not in names:
        fail(f"the session's model files lack the weights or config: {names}")

    # ---- 2. reopen: the same screen ----
    os.remove(layout_path)
    app = App(binary, ["--session", session_path], layout_path, scratch, env)
    try:
        layout = wait_settled(app, "the reopened session")
        time.sleep(4.5)
        quiet_focus(layout)
        away()
        layout = app.wait_stable("the open message to fade", quiet=1.0)
        if layout["state"]["view"] != saved_view:
            fail(f"the reopened view differs:\n{layout['state']['view']}\nsaved:\n{saved_view}")
        if layout["state"]["session_warning"]:
            fail(f"an unchanged model was reported as changed: {layout['state']['session_warning']}")
        after = masked(capture(os.path.join(scratch, "session_reopened.png")), layout)
    finally:
        app.kill()
    difference = np.abs(before - after).sum(axis=2)
    changed = int((difference > 0).sum())
    print(f"screenshots saved vs reopened (the run's measured ms masked): {changed} pixels differ "
          f"of {difference.size}")
    if changed:
        ys, xs = np.nonzero(difference)
        fail(f"the reopened screen differs in {changed} pixels, within x {xs.min()}..{xs.max()} "
             f"y {ys.min()}..{ys.max()} (session_saved.png vs session_reopened.png)")

    # ---- 3. headless export from the session = the GUI's export ----
    cli_export = os.path.join(scratch, "from_session.png")
    subprocess.run([binary, "export", "--session", session_path, "--scale", "2", "--out", cli_export],
                   check=True, timeout=60)
    same = open(cli_export, "rb").read() == open(gui_export, "rb").read()
    a = np.asarray(Image.open(cli_export).convert("RGB")).astype(np.int16)
    b = np.asarray(Image.open(gui_export).convert("RGB")).astype(np.int16)
    print(f"headless export {a.shape[1]}x{a.shape[0]} vs GUI export {b.shape[1]}x{b.shape[0]}: "
          f"bytes identical {same}")
    if a.shape != b.shape or np.abs(a - b).max() != 0:
        fail(f"the headless export from the session differs from the GUI's ({cli_export}, {gui_export})")

    # ---- 4. changed weights are named; a future session is refused ----
    weights = os.path.join(model, "model.safetensors")
    data_bytes = bytearray(open(weights, "rb").read())
    data_bytes[-1] ^= 0x01  # one bit of the last weight
    open(weights, "wb").write(data_bytes)
    os.remove(layout_path)
    app = App(binary, ["--session", session_path], layout_path, scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["session_warning"], "the changed-model warning", 90)
        warning = layout["state"]["session_warning"]
        print(f"changed weights: {warning}")
        if "model.safetensors has changed" not in warning:
            fail(f"the warning does not name the changed file: {warning}")
        away()
        app.wait_stable("the warning on screen")
        capture(os.path.join(scratch, "session_changed_model.png"))
    finally:
        app.kill()
    future = os.path.join(scratch, "future.attnviz")
    document["version"] = 99
    json.dump(document, open(future, "w"))
    result = subprocess.run([binary, "export", "--session", future, "--out",
                             os.path.join(scratch, "never.png")], capture_output=True, text=True,
                            timeout=60)
    print(f"future session: exit {result.returncode}: {result.stderr.strip()}")
    if result.returncode != 1 or "newer attnviz" not in result.stderr:
        fail("a session from a future version was not refused with a clear message")
    if os.path.exists(os.path.join(scratch, "never.png")):
        fail("a refused session wrote a file")
