"""Errors that stuck and a text lost (issue 11, item 15), with real xdotool input on gpt2-tiny:
1. Ctrl+E with no text says "Nothing to export yet"; once text is typed and run, the message
   goes (it stayed before);
2. "Show probe text" (Head roles) replaces the text and the status bar offers Undo: Ctrl+Z
   brings the user's text back, and so does a click on the Undo button (there was no undo)."""
import os
import time

from gui_driver import App, capture, center, click, fail, focus_app, key
from gui_driver import run as run_command

TEXT = "My own words about a quiet harbour town."


def state_is(app, what, predicate, timeout=15):
    return app.wait_for(lambda l: predicate(l["state"]), what, timeout)["state"]


def show_probe_text(app):
    layout = app.wait_stable("the Head roles tab")
    click(*center(layout["items"]["show_probe_text"]))
    return state_is(app, "the probe's text in the text box",
                    lambda s: s["text"] != TEXT and s["probe_undo"])


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    shots = os.environ.get("ATTNVIZ_SHOTS", "")
    gpt2 = os.path.join(data, "gpt2-tiny", "model")
    app = App(binary, ["--model", gpt2, "--text", ""], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        layout = app.wait_for(lambda l: "text_box" in l["items"] and l["state"]["model"]
                              and not l["state"]["loading"], "the app with no text", 90)
        focus_app()
        layout = app.wait_stable("the first frame")
        key("ctrl+e")
        s = state_is(app, "Ctrl+E says there is nothing to export",
                     lambda s: "Nothing to export" in s["export_message"])
        print(f"Ctrl+E with no text: \"{s['export_message']}\"")

        click(*center(layout["items"]["text_box"]))
        run_command(["xdotool", "type", "--delay", "10", TEXT])
        s = state_is(app, "the typed text's run", lambda s: s["text"] == TEXT and s["trace_ready"]
                     and s["tokens"] > 3 and not s["running"], 60)
        time.sleep(0.5)
        s = app.layout()["state"]
        if s["export_message"]:
            fail(f"after typing, the export message stayed: \"{s['export_message']}\"")
        print("typed text: the \"Nothing to export yet\" message went")

        # The probe: load it, show its text, undo with Ctrl+Z, then with the Undo button.
        click(*center(layout["items"]["tab.Head roles"]))
        layout = app.wait_for(lambda l: "load_probe" in l["items"], "the Head roles tab", 20)
        click(*center(layout["items"]["load_probe"]))
        state_is(app, "the probe", lambda s: s["probe_ready"], 60)
        s = show_probe_text(app)
        print(f"Show probe text: the text box holds the probe ({len(s['text'])} characters)")
        if shots:
            capture(os.path.join(shots, "newcomer_15_undo.png"))
        key("ctrl+z")
        s = state_is(app, "Ctrl+Z brings the user's text back",
                     lambda s: s["text"] == TEXT and not s["probe_undo"])
        print("Ctrl+Z: the user's text is back")

        show_probe_text(app)
        layout = app.wait_for(lambda l: "undo_probe_text" in l["items"], "the Undo button", 10)
        click(*center(layout["items"]["undo_probe_text"]))
        state_is(app, "the Undo button brings the user's text back",
                 lambda s: s["text"] == TEXT and not s["probe_undo"])
        layout = app.wait_stable("the status bar after Undo")
        if "undo_probe_text" in layout["items"]:
            fail("the Undo button stayed after undoing")
        print("Undo button: the user's text is back, and the offer went")
    finally:
        app.kill()
