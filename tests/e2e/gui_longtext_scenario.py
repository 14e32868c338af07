"""The long-text scenario of test_gui_longtext.sh: a random Llama-family model (24 layers) and a
text of about 3000 tokens, so the run takes seconds and its weights are recomputed on demand.
The status shows "layer k of L"; a real click on Cancel stops the run before its last layer
and says so; typing runs the text again to the end; a click on a late token pins it, arcs
appear left of it, and the strongest weight of its row (query_weights in the layout dump)
is the one the views read."""
import os

from gui_driver import (App, capture, center, changed_pixels, click, fail, focus_app,
                        items_with_prefix, key, move, run as run_command)
from gui_driver import long_text, make_long_model

LAYERS = 24


PIN = 2000  # --pin: the view opens scrolled to this token once the text has run



def run(binary, data, scratch):
    model = make_long_model(data, scratch, LAYERS)
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", model, "--text", long_text(125), "--pin", str(PIN)], layout_path,
              scratch, env)
    try:
        # The first run shows its layers; cancel it with a real click once one is done.
        layout = app.wait_for(lambda l: l["state"].get("run_layers_done", -1) >= 1 and
                              "cancel_run" in l["items"], "the run's first layer and Cancel",
                              timeout=120)
        print(f"progress: {layout['state']['run_progress']}")
        if f"of {LAYERS}" not in layout["state"]["run_progress"]:
            fail(f"the progress does not say 'layer k of {LAYERS}': {layout['state']['run_progress']}")
        focus_app()
        capture(os.path.join(scratch, "progress.png"))
        layout = app.layout()
        click(*center(layout["items"]["cancel_run"]))
        layout = app.wait_for(lambda l: "cancelled" in l["state"]["run_note"] and
                              not l["state"]["running"], "the run cancelled", timeout=60)
        capture(os.path.join(scratch, "cancelled.png"))
        note = layout["state"]["run_note"]
        print(f"note: {note}")
        done = int(note.split("at layer ")[1].split(" ")[0])
        if not 1 <= done < LAYERS:
            fail(f"the run was not stopped midway: {note}")
        if layout["state"]["trace_ready"]:
            fail("a cancelled first run left a trace on screen")
        waiting = layout["state"]["waiting"]
        print(f"the views say: {waiting}")
        if "cancelled" not in waiting or "loading" in waiting:
            fail(f"after a cancelled first run the views say '{waiting}', not that it was cancelled")

        # Type at the end of the text: the run starts again and completes.
        click(*center(layout["items"]["text_box"]))
        key("ctrl+End")
        run_command(["xdotool", "type", "--delay", "60", " Yes."])
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"]
                              and l["state"]["tokens"] > PIN + 50, "the long text's trace",
                              timeout=300)
        count = layout["state"]["tokens"]
        print(f"{count} tokens on screen, forward {layout['state']['forward_ms']:.0f} ms")
        if layout["state"]["run_note"]:
            fail(f"the note of the cancelled run stayed: {layout['state']['run_note']}")

        # The view scrolled to the pinned token; click a later token of its line (or the next
        # line's first): named tokens may lie below the panel's visible part, these do not.
        layout = app.wait_for(lambda l: PIN in items_with_prefix(l, "arc_token."),
                              f"token {PIN} on screen", 30)
        layout = app.wait_stable("the arcs scrolled to the pinned token")
        canvas = layout["items"]["arcs_canvas"]
        tokens = items_with_prefix(layout, "arc_token.")
        same_line = [k for k, r in tokens.items() if k > PIN and r[1] == tokens[PIN][1]]
        late = max(same_line) if same_line else PIN + 1
        if late not in tokens:
            fail(f"token {late} after the pinned {PIN} is not on screen")
        move(5, layout["items"]["text_box"][3] + 200)
        before = capture(os.path.join(scratch, "before_pin.png"))
        click(*center(tokens[late]))
        layout = app.wait_for(lambda l: l["state"]["pinned"] == late and
                              len(l["state"]["query_weights"]) == count, f"token {late} pinned", 30)
        move(5, layout["items"]["text_box"][3] + 200)
        layout = app.wait_stable("the arcs of the pinned token")
        pinned = capture(os.path.join(scratch, "pinned.png"))
        weights = layout["state"]["query_weights"]
        if any(w != 0.0 for w in weights[late + 1:]):
            fail("weights after the query in a causal model")
        total = sum(weights[:late + 1])
        if abs(total - 1.0) > 1e-3:
            fail(f"the pinned row sums to {total}, not 1")
        strongest = max(range(late + 1), key=lambda k: weights[k])
        print(f"pinned {late}: row sums to {total:.6f}; strongest key {strongest} "
              f"({weights[strongest]:.4f})")
        # The arcs go to the strongest keys of the row: every key of head 0's row above the min
        # weight, up to top-k, has an arc (the layout dump names where each arc lands).
        view = layout["state"]["view"]
        min_weight, top_k = view["arc_min_weight"], view["arc_top_k"]
        want = sorted((k for k in range(late + 1) if weights[k] >= min_weight),
                      key=lambda k: -weights[k])[:top_k]
        drawn = set(items_with_prefix(layout, "arc_to."))
        print(f"head 0's keys above {min_weight}: {want[:8]}...; arcs land on {len(drawn)} keys")
        if not want:
            fail(f"no weight of token {late} reaches the min weight {min_weight}")
        missing = [k for k in want if k not in drawn]
        if missing:
            fail(f"no arc to keys {missing} of token {late}'s row")
        if any(k > late for k in drawn):
            fail(f"arcs to keys after the query: {sorted(k for k in drawn if k > late)}")
        # And they are drawn: pixels change just above the pinned chip, where its arcs leave (the
        # space above a line is the arcs'; the line above is farther up).
        q = items_with_prefix(layout, "arc_token.")[late]
        band = (q[0] - 40, q[1] - 30, q[2] + 40, q[1] - 2)
        arcs = changed_pixels(before, pinned, band)
        print(f"arc pixels above the pinned token's line: {arcs}")
        if arcs < 50:
            fail(f"no arcs drawn above token {late} ({arcs} changed pixels in {band})")
    finally:
        app.kill()
