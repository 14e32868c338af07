"""Types words at the end of a text in the real app and reports how long each run took.

Run under an X server, e.g.
  xvfb-run -a -s "-screen 0 1600x1000x24" /usr/bin/python3 tools/measure_typing.py \
      build/attnviz MODEL_DIR TEXT_FILE [WORDS...]
For every word it clicks the text box, presses End, types the word with xdotool (real key
events), waits until the app shows the new trace, and prints the run's forward time (attention,
what the views wait for), the predictions that follow it, the positions reused from the
previous run (the key/value cache) and how many of those were copied rather than already in
place.
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import gui_driver as gui  # noqa: E402


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, model, text_file = sys.argv[1:4]
    words = sys.argv[4:] or [" river", " bank", " water", " stone", " house", " light", " road",
                             " tree", " field", " night"]
    with open(text_file, encoding="utf-8") as f:
        text = f.read()
    work = tempfile.mkdtemp(prefix="attnviz-typing-")
    # The app runs in a scratch folder: a relative model folder is made absolute here.
    if os.path.isdir(model):
        model = os.path.abspath(model)
    app = gui.App(os.path.abspath(binary), ["--model", model, "--text", text],
                  os.path.join(work, "layout.json"), work,
                  env={"XDG_CONFIG_HOME": os.path.join(work, "config")})
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"],
                              "the first run", timeout=120)
        gui.focus_app()
        box = layout["items"]["text_box"]
        rows = []
        for word in words:
            before = app.layout()["state"]
            gui.click(box[2] - 20, box[3] - 12)
            gui.run(["xdotool", "key", "ctrl+End"])
            # Ctrl+End and the word in one frame would read as Ctrl held for the word (the
            # window replays quick taps with their modifiers, see DesktopWindow::begin_frame).
            time.sleep(0.15)
            gui.run(["xdotool", "type", "--delay", "0", word])
            expected = before["text"] + word
            # The completed trace: predictions_ms is set once the LM head has run.
            state = app.wait_for(lambda l: l["state"]["text"] == expected and not l["state"]["running"]
                                 and l["state"]["predictions_ms"] > 0, f"the run for {word!r}",
                                 timeout=60)["state"]
            rows.append(state)
            print(f"{word!r:12} T={state['tokens']:5}  reused {state['reused_positions']:5}  "
                  f"copied {state.get('copied_positions', 0):4}  "
                  f"attention {state['forward_ms']:7.1f} ms  predictions {state['predictions_ms']:6.1f} ms",
                  flush=True)
            time.sleep(0.3)
        forward = [r["forward_ms"] for r in rows]
        print(f"attention: median {statistics.median(forward):.1f} ms, max {max(forward):.1f} ms "
              f"over {len(rows)} words")
    finally:
        app.kill()


if __name__ == "__main__":
    try:
        main()
    except gui.Failure as failure:
        sys.exit(f"FAIL: {failure}")
