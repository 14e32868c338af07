"""The input scenario of test_gui_input.sh (issue 11, items 5, 10 and 11), with real xdotool
input: a double-click on a head solos it; three arrow presses 5 ms apart move the pin three
times; after a click that missed every field, typed letters are not taken as shortcuts (and a
note says why), while after a click on the view they are (and a note says what they did); Enter
over the Predictions panel appends the selected prediction to the text."""
import os
import time

from gui_driver import App, capture, center, click, fail, focus_app, items_with_prefix, key
from gui_driver import run as run_command

TEXT = "The cat that I saw yesterday at the park sat on the mat."


def state_is(app, what, predicate, timeout=10):
    return app.wait_for(lambda l: predicate(l["state"]), what, timeout)


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    model = os.path.join(data, "gpt2-tiny", "model")
    shots = os.environ.get("ATTNVIZ_SHOTS", "")
    app = App(binary, ["--model", model, "--text", TEXT], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        app.wait_for(lambda l: l["state"]["trace_ready"] and "arc_token.3" in l["items"]
                     and "head.1" in l["items"], "the first trace", 90)
        focus_app()
        layout = app.wait_stable("the first picture")
        heads = len(layout["state"]["enabled_heads"])
        if layout["state"]["enabled_heads"] != [1] * heads:
            fail(f"expected every head on at start: {layout['state']['enabled_heads']}")

        # Item 5: a double-click (120 ms between the clicks) solos the head.
        x, y = center(layout["items"]["head.1"])
        run_command(["xdotool", "mousemove", str(x), str(y)])
        time.sleep(0.3)
        run_command(["xdotool", "click", "--repeat", "2", "--delay", "120", "1"])
        want = [1 if h == 1 else 0 for h in range(heads)]
        state_is(app, f"double-click on head 1 solos it ({want})", lambda s: s["enabled_heads"] == want)
        print(f"double-click: head 1 soloed, heads {want}")

        # Item 11: three Right presses 5 ms apart are three moves.
        tokens = items_with_prefix(layout, "arc_token.")
        click(*center(tokens[3]))
        state_is(app, "token 3 pinned", lambda s: s["pinned"] == 3)
        run_command(["xdotool", "key", "--delay", "5", "Right", "Right", "Right"])
        state_is(app, "three quick Right presses move the pin to 6", lambda s: s["pinned"] == 6)
        print("three Right presses 5 ms apart: pin 3 -> 6")

        # Item 10: a click that misses every field (here: the status bar), then typing: nothing
        # changes, and a note says that keys act on the views.
        window = run_command(["xdotool", "search", "--name", "^attnviz$"]).split()[-1]
        geometry = dict(line.split("=") for line in
                        run_command(["xdotool", "getwindowgeometry", "--shell", window]).split())
        status_x = int(geometry["X"]) + int(geometry["WIDTH"]) - 200
        status_y = int(geometry["Y"]) + int(geometry["HEIGHT"]) - 8
        click(status_x, status_y)
        before = state_is(app, "the missed click takes the keys from the views",
                          lambda s: s["canvas_focus"] is False)["state"]
        run_command(["xdotool", "type", "--delay", "40", "m2tdc"])
        time.sleep(0.8)
        after = app.layout()["state"]
        for field in ("head_mode", "enabled_heads", "view", "pinned", "layer"):
            if after[field] != before[field]:
                fail(f"typing after a missed click changed {field}: {before[field]} -> {after[field]}")
        if "click the picture" not in after["note"]:
            fail(f"no note saying why the keys did nothing: {after['note']!r}")
        print(f"missed click + typing 'm2tdc': nothing changed; note \"{after['note']}\"")
        if shots:
            capture(os.path.join(shots, "newcomer_10_after.png"))

        # A click on the view gives the keys back; M acts and the note says what it did.
        arcs = layout["items"].get("tab.Arcs")
        click(arcs[0] + 40, layout["items"]["head.1"][1])
        state_is(app, "a click on the view gives it the keys", lambda s: s["canvas_focus"] is True)
        mode = app.layout()["state"]["head_mode"]
        key("m")
        s = state_is(app, "M changes the head mode", lambda s: s["head_mode"] != mode)["state"]
        if not s["note"].startswith("M:"):
            fail(f"no note saying what M did: {s['note']!r}")
        print(f"click on the view + M: {mode} -> {s['head_mode']}; note \"{s['note']}\"")

        # Letters typed fast into the text box stay text: none reaches the shortcuts after a
        # click away (pressed keys queued one a frame once lagged behind the typing).
        before = app.layout()["state"]
        click(*center(layout["items"]["text_box"]))
        key("ctrl+End")
        run_command(["xdotool", "type", "--delay", "2", " good dog, mad cat"])
        click(status_x, status_y)
        time.sleep(1.0)
        after = app.layout()["state"]
        for field in ("head_mode", "enabled_heads", "diff_open", "layer"):
            if after[field] != before[field]:
                fail(f"letters typed into the text box acted as shortcuts: {field} "
                     f"{before[field]} -> {after[field]}")
        if after["view"]["kind"] != before["view"]["kind"] or not after["text"].endswith("mad cat"):
            fail(f"typing changed the view or lost text: {after['view']['kind']}, {after['text']!r}")
        print("fast typing into the text box, then a click away: no shortcut fired")
        click(arcs[0] + 40, layout["items"]["head.1"][1])

        # Item 11: Enter over the Predictions panel appends the selected (top) prediction.
        tab = layout["items"]["tab.Predictions"]
        run_command(["xdotool", "mousemove", str(tab[0] + 10), str(tab[3] + 14)])
        time.sleep(0.4)
        text = app.layout()["state"]["text"]
        key("Return")
        s = state_is(app, "Enter appends a prediction", lambda s: len(s["text"]) > len(text)
                     and s["text"].startswith(text), 20)["state"]
        print(f"Enter over Predictions: appended {s['text'][len(text):]!r}")
    finally:
        app.kill()
