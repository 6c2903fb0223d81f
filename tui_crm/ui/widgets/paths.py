"""Completing file system paths as they are typed (→ accepts), like a shell's tab."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from textual.suggester import Suggester


class PathSuggester(Suggester):
    """Completes the last part of a path from the file system (→ accepts)."""

    def __init__(self, *, suffixes: Sequence[str] = ()) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = tuple(s.lower() for s in suffixes)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, self.suffixes)


def complete_path(value: str, suffixes: Sequence[str] = ()) -> str | None:
    """The first directory entry that completes `value` ("~/Doc" -> "~/Documents/"); with
    `suffixes`, only files ending so (and directories)."""
    if not value:
        return None
    head, _sep, partial = value.rpartition("/")
    # "/us" completes in the root, "us" in the working directory.
    directory = Path(os.path.expanduser(head or "/")) if _sep else Path(".")
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name.lower())
    except OSError:
        return None
    for entry in entries:
        name = entry.name
        if not name.startswith(partial) or name == partial or name.startswith("."):
            continue
        is_dir = entry.is_dir()
        if not is_dir and suffixes and not name.lower().endswith(suffixes):
            continue
        prefix = f"{head}/" if _sep else ""
        return prefix + name + ("/" if is_dir else "")
    return None
