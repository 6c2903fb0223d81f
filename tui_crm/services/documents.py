"""Documents: files attached to a client, project, quote or invoice, stored by content.

A file lives once in `config.attachments_dir(db_path)/<sha[:2]>/<sha>` however
many records point at it; the `document` row says what it is and where it
belongs. The file is written (atomically, by rename) before the row, so a row
never points at a missing file; an orphan file from a rolled-back transaction is
harmless and is reused by the next identical upload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..db import db_path, transactional
from ..i18n import _
from ..models import Document
from . import audit
from .errors import NotFound, RuleViolation
from .session import login


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    sha256: str
    filename: str
    size: int
    mime: str
    client_id: int | None
    project_id: int | None
    quote_id: int | None
    invoice_id: int | None
    uploaded_by: str
    uploaded_at: dt.datetime
    notes: str


def store_dir() -> Path:
    path = db_path()
    if path is None:
        raise RuleViolation(_("documents are stored beside a SQLite database file only"))
    return config.attachments_dir(path)


def blob_path(sha256: str) -> Path:
    return store_dir() / sha256[:2] / sha256


def stored_mode() -> int:
    """The mode of a stored file: the database file's, for its owner and group, never for
    others (a shared database's colleagues read the documents; nobody else does)."""
    path = db_path()
    try:
        mode = path.stat().st_mode & 0o660 if path is not None else 0o600
    except OSError:
        mode = 0o600
    return mode | 0o600


def plain_name(filename: str, fallback: str = "document") -> str:
    """A file name with no path part: the last component of `filename` whatever the slashes,
    without control characters; `fallback` when nothing usable is left ("", ".", "..")."""
    import re

    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return fallback if name in ("", ".", "..") else name[:255]


def write_blob(data: bytes) -> str:
    """Store `data` content-addressed; returns its SHA-256. Idempotent."""
    sha = hashlib.sha256(data).hexdigest()
    target = blob_path(sha)
    if target.exists() and target.stat().st_size == len(data):
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stored_mode())  # mkstemp makes 0600: colleagues could not read it
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def read_blob(sha256: str) -> bytes:
    try:
        return blob_path(sha256).read_bytes()
    except FileNotFoundError:
        raise NotFound(_("the stored file {sha} is missing").format(sha=sha256[:12])) from None


def _info(row: Document) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        sha256=row.sha256,
        filename=row.filename,
        size=row.size,
        mime=row.mime,
        client_id=row.client_id,
        project_id=row.project_id,
        quote_id=row.quote_id,
        invoice_id=row.invoice_id,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        notes=row.notes,
    )


@transactional
def add_document(
    data: bytes,
    filename: str,
    *,
    mime: str = "",
    client_id: int | None = None,
    project_id: int | None = None,
    quote_id: int | None = None,
    invoice_id: int | None = None,
    notes: str = "",
) -> int:
    """Attach a file to a record (written once by content; the row says where it belongs)."""
    name = plain_name(filename)  # a stored name never carries a path part
    sha = write_blob(data)
    row = Document.create(
        sha256=sha,
        filename=name[:255],
        size=len(data),
        mime=mime,
        client=client_id,
        project=project_id,
        quote=quote_id,
        invoice=invoice_id,
        uploaded_by=login(),
        notes=notes,
    )
    audit.record(
        "create",
        "document",
        row.id,
        client_id=client_id,
        changes={"filename": (None, name), "sha256": (None, sha)},
        summary=name,
    )
    return row.id


def get_document(document_id: int) -> DocumentInfo:
    row = Document.get_or_none(Document.id == document_id)
    if row is None:
        raise NotFound(_("document {id} does not exist").format(id=document_id))
    return _info(row)


def read_document(document_id: int) -> bytes:
    return read_blob(get_document(document_id).sha256)


def list_documents(
    *,
    client_id: int | None = None,
    quote_id: int | None = None,
    invoice_id: int | None = None,
    project_id: int | None = None,
) -> list[DocumentInfo]:
    """Documents of one record, newest first."""
    query = Document.select()
    if client_id is not None:
        query = query.where(Document.client == client_id)
    if quote_id is not None:
        query = query.where(Document.quote == quote_id)
    if invoice_id is not None:
        query = query.where(Document.invoice == invoice_id)
    if project_id is not None:
        query = query.where(Document.project == project_id)
    return [_info(row) for row in query.order_by(Document.uploaded_at.desc(), Document.id.desc())]
