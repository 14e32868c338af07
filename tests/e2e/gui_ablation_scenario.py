"""Head ablation in the app (issue 14), with real xdotool input on the built-in model:
1. a right-click on head 1 of layer 2 opens its menu; "Switch off: output zero" re-runs the text
   with that head ablated: the what-if is named and the toggle is struck out;
2. the Predictions tab shows each top token before -> after, the same numbers as
   `attnviz heads --ablate 2.1 --json` at the last position;
3. "Switch every head back on" brings the model's own run back (no what-if);
4. with token 12 ("the", before the repeated "m") pinned, Head roles' "Rank heads" switches each
   head off alone and fills the effect column (16 runs); switching the head it ranks first off
   from the menu shows, in the Predictions tab, the same p("m") before -> after."""
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

        # The head-importance table at token 12, whose next token is the repeated "m".
        layout = app.wait_stable("the model's own run")
        click(*center(layout["items"]["arc_token.12"]))
        app.wait_for(lambda l: l["state"]["pinned"] == 12, "token 12 pinned")
        click(*center(layout["items"]["tab.Head roles"]))
        layout = app.wait_for(lambda l: "rank_heads" in l["items"], "the Rank heads button")
        layout = app.wait_stable("the Head roles tab")
        click(*center(layout["items"]["rank_heads"]))
        layout = app.wait_for(lambda l: l["state"]["importance"] and
                              len(l["state"]["importance"]["heads"]) == 16 and
                              "effect.0.0" in l["items"], "the effect column", 60)
        s = layout["state"]
        importance = s["importance"]
        if importance["position"] != 12 or importance["target"] != s["token_ids"][13]:
            fail(f"ranked position {importance['position']} for {importance['target']}, not 12 "
                 f"for the next token {s['token_ids'][13]}")
        import math
        ranked = sorted(importance["heads"], key=lambda h: math.log(h[3]) - math.log(h[2]))
        layer, head, before, after = ranked[0]
        print(f"ranked: head {layer}.{head} matters most for the repeated token: p {before:.4f} "
              f"-> {after:.4f}; the least: head {ranked[-1][0]}.{ranked[-1][1]}")
        if not after < before:
            fail("no head's removal lowers the repeated token's probability")
        if shots:
            capture(os.path.join(shots, "head_importance.png"))

        # The same head switched off from its menu: the Predictions tab's before -> after of "m".
        key_layer = layer
        layout = app.wait_stable("the ranked table")
        click(*center(layout["items"]["tab.Predictions"]))
        for _ in range(8):
            layout = app.wait_stable("the layer")
            current = layout["state"]["layer"]
            if current == key_layer:
                break
            click(*center(layout["items"]["layer_down" if current > key_layer else "layer_up"]))
            app.wait_for(lambda l: l["state"]["layer"] != current, "the next layer")
        if app.layout()["state"]["layer"] != key_layer:
            fail(f"could not reach layer {key_layer}")
        layout = open_menu(app, head)
        click(*center(layout["items"]["ablate_zero"]))
        layout = app.wait_for(lambda l: f"head {layer}.{head} ablated (zero)" in l["state"]["what_if"]
                              and l["state"]["changes"] and l["state"]["changes"]["position"] == 12
                              and l["state"]["changes"]["rows"], "before -> after at token 12", 60)
        rows = {r[0]: r for r in layout["state"]["changes"]["rows"]}
        target = importance["target"]
        if target not in rows:
            fail(f"the repeated token {target} is not among the before -> after rows")
        if abs(rows[target][1] - before) > 1e-5 or abs(rows[target][2] - after) > 1e-5:
            fail(f"Predictions: {rows[target][1]} -> {rows[target][2]}; ranking: {before} -> {after}")
        print("switching that head off shows the ranking's numbers in the Predictions tab")
    finally:
        app.kill()
