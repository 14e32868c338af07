"""Head ablation in the app (issue 14), with real xdotool input on the built-in model:
1. a right-click on head 1 of layer 2 opens its menu; "Switch off: output zero" re-runs the text
   with that head ablated: the what-if is named and the toggle is struck out;
2. the Predictions tab shows each top token before -> after, the same numbers as
   `attnviz heads --ablate 2.1 --json` at the last position;
3. "Switch every head back on" brings the model's own run back (no what-if)."""
import json
import os
import subprocess

from gui_driver import App, capture, center, click, fail, focus_app
from gui_driver import run as run_command

TEXT = "The cat sat on the mat. The cat sat on the mat."


def right_click(x, y):
    run_command(["xdotool", "mousemove", str(x), str(y), "click", "3"])


def open_menu(app, head):
    layout = app.wait_stable("the head bar")
    right_click(*center(layout["items"][f"head.{head}"]))
    app.wait_for(lambda l: "ablate_zero" in l["items"], "the head's menu", 15)
    return app.wait_stable("the menu")


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    shots = os.environ.get("ATTNVIZ_SHOTS", "")
    app = App(binary, ["--text", TEXT, "--layer", "2"], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        app.wait_for(lambda l: l["state"]["trace_ready"] and "head.1" in l["items"],
                     "the built-in model's run", 90)
        focus_app()
        layout = open_menu(app, 1)
        click(*center(layout["items"]["ablate_zero"]))
        layout = app.wait_for(lambda l: "head 2.1 ablated (zero)" in l["state"]["what_if"] and
                              not l["state"]["running"] and l["state"]["changes"] and
                              l["state"]["changes"]["rows"], "the ablated run's before -> after",
                              60)
        s = layout["state"]
        print(f"{s['what_if']}; before -> after at position {s['changes']['position']}")
        if s["changes"]["position"] != s["tokens"] - 1:
            fail(f"before -> after at {s['changes']['position']}, not the last token")
        layout = app.wait_for(lambda l: "prediction_change.0" in l["items"], "the rows on screen")
        if shots:
            capture(os.path.join(shots, "ablation.png"))

        out = subprocess.run([binary, "heads", "--text", TEXT, "--ablate", "2.1", "--json"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            fail(f"attnviz heads --ablate failed: {out.stderr}")
        cli = json.loads(out.stdout)["ablation"]["last_position"]
        screen = {row[0]: (row[1], row[2]) for row in s["changes"]["rows"]}
        for token in cli["tokens"]:
            if token["id"] not in screen:
                fail(f"token {token['id']} of the CLI's before -> after is not on screen")
            before, after = screen[token["id"]]
            if abs(before - token["before"]) > 1e-6 or abs(after - token["after"]) > 1e-6:
                fail(f"token {token['id']}: screen {before} -> {after}, CLI {token['before']} -> "
                     f"{token['after']}")
        print(f"{len(cli['tokens'])} tokens' before -> after equal attnviz heads --ablate 2.1")

        layout = open_menu(app, 1)
        click(*center(layout["items"]["ablate_none"]))
        app.wait_for(lambda l: l["state"]["what_if"] == "" and not l["state"]["running"],
                     "the model's own run again", 60)
        print("every head switched back on: no what-if")
    finally:
        app.kill()
