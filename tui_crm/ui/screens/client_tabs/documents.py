"""The client file's Documents tab: `n` attaches a file (the path completes with →), `s`
or enter saves a copy elsewhere, `e` says what it is, `delete` removes it."""

from __future__ import annotations

from typing import Any

from ....i18n import N_, _
from ...formatting import local_datetime
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import LoadedSource
from .base import ListTab, start_dir


def document_row(d: Any) -> Row:
    from ....services.attachments import human_size

    return Row(
        key=d.id,
        cells=(
            d.filename,
            human_size(d.size),
            local_datetime(d.uploaded_at),
            d.uploaded_by,
            d.notes,
        ),
    )


class DocumentsTab(ListTab):
    KEY = "documents"
    ACTIONS = ListTab.ACTIONS | {"save_copy"}
    EMPTY = N_("No documents yet: n attaches a file.")
    DELETE_QUESTION = N_(
        "Remove the document {what}? Its stored copy goes too unless another record uses it."
    )

    def columns(self) -> list[Column]:
        return [
            Column("file", _("File"), 24, flex=True, min_width=12),
            Column("size", _("Size"), 9, align="right", min_width=7),
            Column("date", _("Added"), 16, min_width=10, priority=1),
            Column("by", _("By"), 8, min_width=5, priority=2),
            Column("notes", _("Note"), 20, min_width=8, priority=3),
        ]

    def source(self) -> LoadedSource[Any]:
        from ....services import attachments

        client_id = self.client_id
        return LoadedSource(lambda: attachments.client_documents(client_id), document_row)

    def delete_record(self, key: Any) -> Any:
        from ....services import attachments

        return attachments.remove_document(key)

    def new(self) -> None:
        from ..document_forms import AttachForm

        self.app.push_screen(
            AttachForm(self.client_id, start_dir()), self.after_form(_("Attached."))
        )

    def edit(self) -> None:
        from ....services import attachments

        key = self.selected()
        if key is None:
            return
        self.run_service(
            lambda: attachments.get_document(key),
            lambda doc: self.notify(
                _("{file}: {size}, added {when} by {user}. s saves a copy.").format(
                    file=doc.filename,
                    size=attachments.human_size(doc.size),
                    when=local_datetime(doc.uploaded_at),
                    user=doc.uploaded_by,
                ),
                markup=False,
            ),
        )

    def open(self, key: Any) -> None:
        self.save_copy()

    def save_copy(self) -> None:
        from ....services import attachments
        from ..document_forms import ExportForm

        key = self.selected()
        if key is None:
            return
        self.run_service(
            lambda: attachments.get_document(key),
            lambda doc: self.app.push_screen(
                ExportForm(doc.id, doc.filename, start_dir()),
                lambda path: (
                    path and self.notify(_("Saved to {path}").format(path=path), markup=False)
                ),
            ),
        )
