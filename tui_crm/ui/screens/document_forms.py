"""Documents: attach a file from a path (with completion), save a stored one back out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.suggester import Suggester
from textual.widgets import Input

from ...i18n import _
from ..widgets.form import FieldSpec, FormScreen, field_id


class PathSuggester(Suggester):
    """Completes file system paths as you type (→ accepts), like a shell's tab."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        directory, prefix = os.path.split(expanded)
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                completed = os.path.join(directory, name)
                if os.path.isdir(completed):
                    completed += os.sep
                if value.startswith("~"):
                    home = os.path.expanduser("~")
                    completed = "~" + completed[len(home) :]
                return completed
        return None


class _PathForm(FormScreen[Any]):
    def on_mount(self) -> None:
        super().on_mount()
        path = self.query_one(f"#{field_id('path')}", Input)
        path.suggester = PathSuggester()
        path.cursor_position = len(path.value)


class AttachForm(_PathForm):
    """Attach a copy of a file to the client; dismisses with the new document's id."""

    def __init__(self, client_id: int, start_dir: Path | None = None):
        start = str(start_dir or Path.cwd())
        super().__init__({"path": start.rstrip(os.sep) + os.sep}, title=_("Attach a document"))
        self.client_id = client_id

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("path", _("File (→ completes)"), required=True),
            FieldSpec("notes", _("Note")),
        ]

    def save(self, values: dict[str, Any]) -> int:
        from ...services import attachments

        return attachments.attach_file(self.client_id, values["path"], notes=values["notes"])


class ExportForm(_PathForm):
    """Save a copy of a stored document; asks before overwriting. Dismisses with the path."""

    def __init__(self, document_id: int, filename: str, start_dir: Path | None = None):
        target = (start_dir or Path.cwd()) / filename
        super().__init__(
            {"path": str(target), "overwrite": False},
            title=_("Save a copy of {file}").format(file=filename),
        )
        self.document_id = document_id

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("path", _("Save to (→ completes)"), required=True),
            FieldSpec("overwrite", _("Replace the file if it exists"), "bool"),
        ]

    def save(self, values: dict[str, Any]) -> str:
        from ...services import attachments

        written = attachments.export_document(
            self.document_id, values["path"], overwrite=bool(values["overwrite"])
        )
        return str(written)
