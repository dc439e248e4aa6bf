r"""Text from the API made safe to show: every character a terminal could act on, made visible.

A project name, a URN, a status or an error message comes from the server, and a hostile or
broken one can hold escape sequences (``\x1b]0;title\x07`` renames the terminal window,
``\x1b[2J`` clears the screen), C1 controls, bidi overrides (U+202E shows text reversed) or a lone
surrogate (which no encoder can write). Everything the command line shows to people goes
through :func:`visible`, which writes each such character as ``repr`` would (``\x1b``,
``\u202e``, ``\ud800``); JSON output uses :func:`json_visible`, which keeps the data exact.
"""

from __future__ import annotations

import json
import re
from typing import Final

__all__ = ["json_visible", "visible", "visible_lines"]

# Tabs and line breaks inside one value become one space: a cell or a message stays on one line.
_BREAKS: Final = re.compile(r"[ \t\n\r\v\f]*[\t\n\r\v\f][ \t\n\r\v\f]*")


def _escape(char: str) -> str:
    return repr(char)[1:-1]


def visible(text: str) -> str:
    """Return ``text`` on one line, each character that is not printable shown as an escape.

    "Printable" is Python's ``str.isprintable``: controls (C0, DEL, C1), format characters
    (bidi overrides, zero-width marks), surrogates, private-use and unassigned code points and
    separators other than the space are all escaped; letters, marks, symbols and emoji stay.
    """
    if text.isprintable():  # the common case, at C speed
        return text
    text = _BREAKS.sub(" ", text)
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def visible_lines(text: str) -> str:
    """Return ``text`` (a log record, a traceback) with each of its lines made :func:`visible`."""
    return "\n".join(visible(line) for line in text.split("\n"))


def json_visible(value: object) -> str:
    r"""Return ``value`` as indented JSON whose every character is printable.

    The standard library already escapes C0 controls; DEL, C1 controls, bidi overrides, lone
    surrogates and the like are written as ``\u`` escapes too, so any JSON parser reads back
    exactly the data the API sent, and the document itself is safe on a terminal.
    """
    text = json.dumps(value, indent=2, ensure_ascii=False)
    # Outside strings the document is ASCII, so only characters inside strings are escaped.
    return "\n".join(
        line if line.isprintable() else "".join(_json_escape(char) for char in line)
        for line in text.split("\n")
    )


def _json_escape(char: str) -> str:
    return char if char.isprintable() else json.dumps(char)[1:-1]
