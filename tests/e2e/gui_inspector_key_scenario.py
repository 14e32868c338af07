"""The Inspector's key (issue 11, item 12), with real xdotool input on gpt2-tiny:
1. with a token pinned in the arcs view, hovering another chip makes it the Inspector's key
   (only the heatmap set the key before), and the key stays when the mouse leaves;
2. re-pinning (Left arrow) to a query before that key drops the stale key for the new row's
   strongest one (the key stayed on a later, masked token before);
3. appending to the text keeps the pin (the same token is still there);
4. replacing the text, or loading another model (bert-tiny), whose token at the pinned index is
   another one, drops the pin (it carried over to a different token before).
Also the what-if label (issue 11, item 13): the Inspector's "causal mask" switch turned off on
GPT-2 is named "causal mask off (what-if)" (it read "bidirectional (encoder)"), above every view
(Arcs, Heatmap, Model grid) and in the status bar, not only in the Inspector; on again, it goes."""
import os
import time

from gui_driver import App, capture, center, click, fail, focus_app, items_with_prefix, key, move
from gui_driver import run as run_command

TEXT = "The bank by the river was eroding slowly."
BERT_CLS = 101  # bert-tiny's [CLS], the first token of its runs


def state_is(app, what, predicate, timeout=15):
    return app.wait_for(lambda l: predicate(l["state"]), what, timeout)["state"]


def empty_spot(layout):
    """A point of the arcs picture below the one line of chips: no chip, no key."""
    picture = layout["items"]["arcs_picture"]
    return picture[2] - 30, picture[3] - 30


def replace_text(app, layout, text):
    click(*center(layout["items"]["text_box"]))
    key("ctrl+a")
    run_command(["xdotool", "type", "--delay", "10", text])


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    shots = os.environ.get("ATTNVIZ_SHOTS", "")
    gpt2 = os.path.join(data, "gpt2-tiny", "model")
    app = App(binary, ["--model", gpt2, "--text", TEXT], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        app.wait_for(lambda l: l["state"]["trace_ready"] and "arc_token.8" in l["items"],
                     "the first trace", 90)
        focus_app()
        layout = app.wait_stable("the first picture")
        tokens = items_with_prefix(layout, "arc_token.")
        query = 8
        click(*center(tokens[query]))
        move(*empty_spot(layout))
        s = state_is(app, f"token {query} pinned and inspected",
                     lambda s: s["pinned"] == query and s["inspector_query"] == query)
        first_key = s["inspector_key"]
        print(f"pinned {query}: the Inspector starts on its strongest key {first_key}")

        # 1. Hovering a chip while a query is pinned: that chip is the key.
        hovered = 6 if first_key != 6 else 5
        move(*center(tokens[hovered]))
        s = state_is(app, f"hovering chip {hovered} makes it the Inspector's key",
                     lambda s: s["inspector_key"] == hovered)
        if s["pinned"] != query:
            fail(f"hovering a chip moved the pin: {s['pinned']}")
        if shots:
            capture(os.path.join(shots, "newcomer_12_after.png"))
        move(*empty_spot(layout))
        time.sleep(0.8)
        s = app.layout()["state"]
        if s["inspector_key"] != hovered or s["hovered_key"] != -1:
            fail(f"after the mouse left, the key should stay {hovered} with nothing hovered: "
                 f"key {s['inspector_key']}, hovered {s['hovered_key']}")
        print(f"hovered chip {hovered}: the Inspector's key followed and stayed after leaving")

        # 2. Re-pin to a query before the key: the stale key goes.
        click(*empty_spot(layout))  # the view has the keys
        run_command(["xdotool", "key", "--delay", "60", "Left", "Left", "Left", "Left"])
        new_query = query - 4
        s = state_is(app, f"the pin moved to {new_query}", lambda s: s["pinned"] == new_query
                     and s["inspector_query"] == new_query)
        time.sleep(0.5)
        s = app.layout()["state"]
        if not 0 <= s["inspector_key"] <= new_query:
            fail(f"re-pinned {new_query}, but the Inspector's key stayed on {s['inspector_key']} "
                 f"(a later, masked token of the old pin)")
        print(f"re-pinned {new_query}: the Inspector's key is {s['inspector_key']} (was {hovered})")

        # 3. Appending text keeps the pin: the same token is still there.
        click(*center(layout["items"]["text_box"]))
        key("ctrl+End")
        run_command(["xdotool", "type", "--delay", "10", " Then it rained."])
        s = state_is(app, "the longer text's run", lambda s: s["text"].endswith("rained.")
                     and s["tokens"] > len(tokens) and not s["running"], 60)
        if s["pinned"] != new_query:
            fail(f"appending text dropped or moved the pin: {s['pinned']} (was {new_query})")
        print(f"appended text: pin {new_query} kept ({s['tokens']} tokens)")

        # What-if: the causal mask off, named on every view and in the status bar.
        layout = app.wait_stable("the appended text's picture")
        move(*center(layout["items"]["inspector_value_norm"]))
        for _ in range(12):  # the switches are at the Inspector's bottom
            run_command(["xdotool", "click", "5"])
            time.sleep(0.05)
        layout = app.wait_stable("the Inspector scrolled")
        click(*center(layout["items"]["what_if_causal_mask"]))
        s = state_is(app, "the run without the causal mask", lambda s: s["what_if"] != ""
                     and not s["running"], 60)
        if "causal mask off" not in s["what_if"] or "bidirectional" in s["what_if"]:
            fail(f"GPT-2 without its mask is described as {s['what_if']!r}")
        for tab, picture in (("Heatmap", "heatmap_picture"), ("Model grid", "grid_picture"),
                             ("Arcs", "arcs_picture")):
            click(*center(app.layout()["items"]["tab." + tab]))
            app.wait_for(lambda l: picture in l["items"], f"the {tab} tab", 20)
            layout = app.wait_stable(f"the {tab} view")
            missing = [n for n in ("what_if_banner", "status_what_if") if n not in layout["items"]]
            if missing:
                fail(f"the {tab} view with the mask off lacks {missing}")
            if shots:
                capture(os.path.join(shots, f"newcomer_13_what_if_{tab.split()[-1].lower()}.png"))
        print(f"mask off: {s['what_if']!r} above Heatmap, Model grid and Arcs and in the status bar")
        move(*center(layout["items"]["inspector_value_norm"]))
        for _ in range(12):
            run_command(["xdotool", "click", "5"])
            time.sleep(0.05)
        layout = app.wait_stable("the Inspector scrolled again")
        click(*center(layout["items"]["what_if_causal_mask"]))
        s = state_is(app, "the run with the mask again", lambda s: s["what_if"] == ""
                     and not s["running"], 60)
        layout = app.wait_stable("the real computation's view")
        if "what_if_banner" in layout["items"] or "status_what_if" in layout["items"]:
            fail("the what-if label stayed after the mask came back")

        # 4a. Another text: the token at the pinned index is another one, so the pin goes.
        replace_text(app, layout, "Completely unrelated words arrive here instead, friend.")
        s = state_is(app, "the new text's run", lambda s: s["text"].endswith("friend.")
                     and not s["running"], 60)
        time.sleep(0.5)
        s = app.layout()["state"]
        if s["pinned"] != -1:
            fail(f"another text kept the pin on index {s['pinned']} (now another token)")
        print("replaced the text: the pin was dropped")

        # 4b. Another model: bert-tiny's tokens ([CLS] first) differ at the pinned index.
        layout = app.wait_stable("the new text's picture")
        tokens = items_with_prefix(layout, "arc_token.")
        click(*center(tokens[3]))
        state_is(app, "token 3 pinned", lambda s: s["pinned"] == 3)
        click(*center(layout["items"]["model_path"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "10", os.path.join(data, "bert-tiny", "model")])
        key("Return")
        s = state_is(app, "bert-tiny's run", lambda s: "bert-tiny" in s["model"]
                     and s["trace_ready"] and s["token_ids"][:1] == [BERT_CLS]
                     and not s["running"] and not s["loading"], 90)
        time.sleep(0.8)
        s = app.layout()["state"]
        if s["pinned"] != -1:
            fail(f"bert-tiny kept gpt2-tiny's pin on index {s['pinned']} (another token); "
                 f"tokens {s['token_ids']}")
        print("loaded bert-tiny: the pin on gpt2-tiny's token 3 was dropped")
    finally:
        app.kill()
