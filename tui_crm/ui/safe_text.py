"""User text on screen exactly as typed: never markup, never a terminal control sequence.

`Content(text)` already keeps Rich markup literal; these helpers also replace
control characters (an escape sequence in a note must not repaint the terminal)
and bidi overrides, keeping newlines where a widget shows several lines.
"""

from __future__ import annotations

from textual.content import Content


def _build_sanitize_table() -> dict[int, str | None]:
    """Map characters that could break a terminal line to harmless ones."""
    table: dict[int, str | None] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # control pictures: "\x1b" -> "␛"
    for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2028, 0x2029):
        table[code] = " "  # whitespace that would wrap or jump: plain space
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"  # C1 controls (e.g. CSI) -> replacement character
    # Bidi embeddings/overrides/isolates could reorder the following cells in
    # terminals that apply the bidi algorithm; RTL text itself is left alone.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = None
    return table


_SANITIZE_TABLE = _build_sanitize_table()


def sanitize(text: str) -> str:
    """Make text safe to write to one terminal line (no control characters)."""
    return text.translate(_SANITIZE_TABLE)


def one_line(text: str | None) -> str:
    """Text for one line: newlines become spaces, control characters become visible symbols."""
    return sanitize(text or "")


def lines(text: str | None) -> str:
    """Text for several lines: each line sanitised, the line breaks kept."""
    return "\n".join(sanitize(line) for line in (text or "").split("\n"))


def plain(text: str | None) -> Content:
    """A widget-ready Content of user text (several lines), shown literally."""
    return Content(lines(text))
