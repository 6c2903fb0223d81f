"""Saving a PDF (an invoice, a quote): ask where, write it the safe way, say where it is."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...i18n import _
from .form import FieldSpec
from .prompt import PromptForm


def pdf_form(title: str, filename: str, render: Callable[[], Any]) -> PromptForm:
    """Ask where to save a PDF (the current folder by default); `render()` gives the
    printed document (`services.printing.PrintedDocument`, in the worker). An existing file
    is replaced only on a second ctrl+s; the form dismisses with (path, warning)."""
    from ...services.errors import ValidationError

    confirmed: dict[str, str] = {}

    def submit(values: dict[str, Any]) -> tuple[Path, str]:
        from ...services.errors import ServiceError
        from ...services.output_files import check_target, write_bytes

        text = str(values["path"]).strip()
        if not text:
            raise ValidationError({"path": _("is required")})
        path = Path(text).expanduser()
        if path.is_dir():
            path = path / filename
        if not path.parent.is_dir():
            raise ValidationError(
                {"path": _("the folder {folder} does not exist").format(folder=path.parent)}
            )
        replace = confirmed.get("path") == str(path)
        if os.path.lexists(path) and not replace:
            confirmed["path"] = str(path)
            raise ValidationError({"path": _("exists: ctrl+s again replaces it")})
        try:
            check_target(path, force=replace)
            printed = render()
            # The safe way: a half-written PDF never has the name, an existing file is
            # replaced only when the person said so, never the database.
            return write_bytes(path, printed.data, force=replace), printed.warning()
        except ServiceError as exc:
            raise ValidationError({"path": str(exc)}) from None

    return PromptForm(
        title,
        [FieldSpec("path", _("Save as"), required=True)],
        submit,
        {"path": str(Path.cwd() / filename)},
    )


def save_pdf(node: Any, title: str, filename: str, render: Callable[[], Any]) -> None:
    """`pdf_form`, then "Written <path>", and what the PDF could not print (a character no
    font has: said, never silently lost)."""

    def written(result: tuple[Path, str] | None) -> None:
        if result is None:
            return
        path, warning = result
        node.notify(_("Written {path}").format(path=path), markup=False)
        if warning:
            node.notify(warning, severity="warning", timeout=15, markup=False)

    node.app.push_screen(pdf_form(title, filename, render), written)
