"""Documents: attach a file from a path (→ completes it), save a stored one back out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen


class AttachForm(FormScreen[Any]):
    """Attach a copy of a file to the client; dismisses with the new document's id."""

    def __init__(self, client_id: int, start_dir: Path | None = None):
        start = str(start_dir or Path.cwd())
        super().__init__({"path": start.rstrip(os.sep) + os.sep}, title=_("Attach a document"))
        self.client_id = client_id

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("path", _("File (→ completes)"), "path", required=True),
            FieldSpec("notes", _("Note")),
        ]

    def save(self, values: dict[str, Any]) -> int:
        from ...services import attachments

        return attachments.attach_file(self.client_id, values["path"], notes=values["notes"])


class ExportForm(FormScreen[Any]):
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
            FieldSpec("path", _("Save to (→ completes)"), "path", required=True),
            FieldSpec("overwrite", _("Replace the file if it exists"), "bool"),
        ]

    def save(self, values: dict[str, Any]) -> str:
        from ...services import attachments

        written = attachments.export_document(
            self.document_id, values["path"], overwrite=bool(values["overwrite"])
        )
        return str(written)
