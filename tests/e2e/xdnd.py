"""Drops files on an X window the way a file manager does: the source side of the XDND protocol
(https://freedesktop.org/wiki/Specifications/XDND/), written with python-xlib.

xdotool can move the pointer and press buttons but cannot be a drag source, and Xvfb has no file
manager; this plays the source's part: XdndEnter with the text/uri-list type, XdndPosition over
the target point, XdndDrop once the target accepts, the file list when the target asks for the
XdndSelection, and a wait for XdndFinished.
"""
import time
import urllib.parse

from Xlib import X, display
from Xlib.protocol import event

XDND_VERSION = 5


class DropFailed(Exception):
    pass


def _uri_list(paths):
    lines = ["file://" + urllib.parse.quote(path) for path in paths]
    return ("\r\n".join(lines) + "\r\n").encode()


def drop(window_id, x, y, paths, timeout=10.0):
    """Drops `paths` (absolute) at root coordinates (x, y) on the window `window_id`.
    Raises DropFailed when the target does not take part in the protocol."""
    connection = display.Display()
    atom = lambda name: connection.intern_atom(name)  # noqa: E731
    aware, enter, position, status = atom("XdndAware"), atom("XdndEnter"), atom("XdndPosition"), atom("XdndStatus")
    drop_message, finished, selection = atom("XdndDrop"), atom("XdndFinished"), atom("XdndSelection")
    copy, uri_list = atom("XdndActionCopy"), atom("text/uri-list")

    target = connection.create_resource_object("window", window_id)
    # The top-level window that says it understands XDND (the app's own, or its frame's child).
    version = target.get_full_property(aware, X.AnyPropertyType)
    if version is None:
        raise DropFailed(f"window 0x{window_id:x} has no XdndAware property")
    source = connection.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent,
                                                    event_mask=X.PropertyChangeMask)
    source.set_selection_owner(selection, X.CurrentTime)
    connection.flush()

    def send(message_type, data):
        message = event.ClientMessage(window=target, client_type=message_type,
                                      data=(32, [source.id] + data))
        target.send_event(message, event_mask=0)
        connection.flush()

    def wait_for(what, handle):
        deadline = time.time() + timeout
        while time.time() < deadline:
            while connection.pending_events():
                received = connection.next_event()
                if handle(received):
                    return received
            time.sleep(0.01)
        raise DropFailed(f"timed out waiting for {what}")

    data = _uri_list(paths)

    def answer_selection_request(received):
        """Hands the file list to the target when it asks; True once XdndFinished arrives."""
        if received.type == X.SelectionRequest and received.selection == selection:
            requestor = received.requestor
            if received.target == uri_list:
                requestor.change_property(received.property, uri_list, 8, data)
                answer = received.property
            else:
                answer = X.NONE
            notify = event.SelectionNotify(time=received.time, requestor=requestor,
                                           selection=received.selection, target=received.target,
                                           property=answer)
            requestor.send_event(notify, event_mask=0)
            connection.flush()
            return False
        return received.type == X.ClientMessage and received.client_type == finished

    send(enter, [XDND_VERSION << 24, uri_list, X.NONE, X.NONE])
    send(position, [0, (x << 16) | y, X.CurrentTime, copy])
    reply = wait_for("XdndStatus", lambda r: r.type == X.ClientMessage and r.client_type == status)
    if not reply.data[1][1] & 1:
        raise DropFailed("the target did not accept the drop (XdndStatus without the accept bit)")
    send(drop_message, [0, X.CurrentTime, 0, 0])
    done = wait_for("XdndFinished", answer_selection_request)
    connection.close()
    return done
