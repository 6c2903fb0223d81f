"""Attaching files to a client from the file system, saving them back out, removing them.

Storage is `services.documents` (content-addressed beside the database,
`<sha256[:2]>/<sha256>`); this module adds what a person does with files:
- attaching streams the file into the store under a temporary name while hashing
  it (no size limit, nothing held in memory), then, inside the writing
  transaction, renames it into place and records the row — so a colleague
  removing the same content at the same moment cannot leave a row without a file;
- saving a document back out verifies the stored content against its hash and
  never overwrites an existing file unless asked to;
- removing deletes the row, and the stored file only when no other document row
  (of any client, quote or invoice) refers to the same content.
Every change is permission-checked and audited under the client.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

from ..db import transactional
from ..i18n import _
from ..models import Document
from ..text import clean_input
from . import audit
from .documents import DocumentInfo, blob_path, get_document, plain_name, store_dir, stored_mode
from .errors import RuleViolation, ValidationError
from .permissions import require
from .records import live_client, model_rows
from .session import login

CHUNK = 1 << 20

__all__ = [
    "DocumentInfo",
    "attach_file",
    "client_documents",
    "export_document",
    "human_size",
    "remove_document",
]


def client_documents(client_id: int) -> list[DocumentInfo]:
    """The client's documents, newest first."""
    rows = model_rows(Document, "client_id = ?", [client_id], "uploaded_at DESC, id DESC")
    return [
        DocumentInfo(
            id=r["id"],
            sha256=r["sha256"],
            filename=r["filename"],
            size=r["size"],
            mime=r["mime"],
            client_id=r["client"],
            project_id=r["project"],
            quote_id=r["quote"],
            invoice_id=r["invoice"],
            uploaded_by=r["uploaded_by"],
            uploaded_at=r["uploaded_at"],
            notes=r["notes"],
        )
        for r in rows
    ]


def _source(path: str | os.PathLike[str]) -> Path:
    text = str(path).strip()
    if not text:
        raise ValidationError({"path": _("type the path of a file")})
    source = Path(text).expanduser()
    if not source.exists():
        raise ValidationError({"path": _("{path} does not exist").format(path=source)})
    if source.is_dir():
        raise ValidationError({"path": _("{path} is a directory, not a file").format(path=source)})
    if not os.access(source, os.R_OK):
        raise ValidationError(
            {"path": _("{path} cannot be read (permissions)").format(path=source)}
        )
    return source


def _copy_in(source: Path, directory: Path) -> tuple[Path, str, int]:
    """Copy `source` into `directory` under a temporary name, hashing it: (temp, sha256, size)."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, stored_mode())  # mkstemp makes 0600: colleagues could not read it
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), digest.hexdigest(), size


def attach_file(
    client_id: int,
    path: str | os.PathLike[str],
    *,
    notes: str = "",
    project_id: int | None = None,
) -> int:
    """Attach a copy of the file at `path` to a client; returns the document id."""
    require("clients.write")
    source = _source(path)
    tmp, sha256, size = _copy_in(source, store_dir())
    try:
        return _record(client_id, tmp, sha256, size, source.name, notes, project_id)
    finally:
        tmp.unlink(missing_ok=True)


def store_file(
    path: str | os.PathLike[str],
    *,
    client_id: int | None = None,
    notes: str = "",
) -> int:
    """Store a copy of the file at `path` as a document, of `client_id` when given (an
    expense's receipt may have no client); returns the document id. The caller checks
    its own permission (an expense is `expenses.write`)."""
    source = _source(path)
    tmp, sha256, size = _copy_in(source, store_dir())
    try:
        return _record_loose(client_id, tmp, sha256, size, source.name, notes)
    finally:
        tmp.unlink(missing_ok=True)


@transactional
def _record_loose(
    client_id: int | None, tmp: Path, sha256: str, size: int, filename: str, notes: str
) -> int:
    if client_id is not None:
        return _record(client_id, tmp, sha256, size, filename, notes, None)
    target = blob_path(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.stat().st_size != size:
        os.replace(tmp, target)
    name = plain_name(clean_input(filename), sha256)
    row = Document.create(
        sha256=sha256,
        filename=name,
        size=size,
        mime=(mimetypes.guess_type(name)[0] or "")[:100],
        uploaded_by=login(),
        notes=clean_input(notes),
    )
    audit.record(
        "create",
        "document",
        row.id,
        changes={"filename": (None, name), "size": (None, size), "sha256": (None, sha256)},
        summary=name,
    )
    return row.id


@transactional
def _record(
    client_id: int,
    tmp: Path,
    sha256: str,
    size: int,
    filename: str,
    notes: str,
    project_id: int | None,
) -> int:
    client = live_client(client_id)
    target = blob_path(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.stat().st_size != size:
        os.replace(tmp, target)
    name = plain_name(clean_input(filename), sha256)
    row = Document.create(
        sha256=sha256,
        filename=name,
        size=size,
        mime=(mimetypes.guess_type(name)[0] or "")[:100],
        client=client_id,
        project=project_id,
        uploaded_by=login(),
        notes=clean_input(notes),
    )
    audit.record(
        "create",
        "document",
        row.id,
        client_id=client_id,
        changes={"filename": (None, name), "size": (None, size), "sha256": (None, sha256)},
        summary=_("{file} attached to {client}").format(file=name, client=client.legal_name),
    )
    return row.id


def export_document(
    document_id: int, destination: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Save a copy of a stored document to `destination` (a file, or a directory to put it in).

    Refuses (ValidationError on "path") to overwrite an existing file (or a symlink)
    unless `overwrite`; refuses (RuleViolation) when the stored content is missing or no
    longer matches its hash. Into a directory, the copy takes the stored name made plain
    (a name holding "../" from an older version or a hand-edited row never leaves the
    chosen folder). Returns the path written.
    """
    document = get_document(document_id)
    text = str(destination).strip()
    if not text:
        raise ValidationError({"path": _("type where to save the file")})
    target = Path(text).expanduser()
    if target.is_dir():
        folder = target
        target = folder / plain_name(document.filename, f"document-{document.id}")
        if target.parent.resolve() != folder.resolve():  # cannot happen: a plain name
            raise RuleViolation(
                _("the stored name {name} is not a plain file name").format(name=document.filename)
            )
    if not target.parent.is_dir():
        raise ValidationError(
            {"path": _("directory {path} does not exist").format(path=target.parent)}
        )
    if os.path.lexists(target) and not overwrite:
        raise ValidationError({"path": _("{path} already exists").format(path=target)})
    blob = blob_path(document.sha256)
    if not blob.is_file():
        raise RuleViolation(
            _("the stored copy of {file} is missing from {dir}").format(
                file=document.filename, dir=store_dir()
            )
        )
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tui-crm-")
    try:
        with os.fdopen(fd, "wb") as out, blob.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != document.sha256:
            raise RuleViolation(
                _("the stored copy of {file} is damaged (its content changed)").format(
                    file=document.filename
                )
            )
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@transactional
def remove_document(document_id: int) -> bool:
    """Remove a document; True when its stored file went too (no other row refers to it)."""
    require("clients.write")
    document = get_document(document_id)
    if document.client_id is not None:
        live_client(document.client_id)
    Document.delete().where(Document.id == document_id).execute()
    audit.record(
        "delete",
        "document",
        document_id,
        client_id=document.client_id,
        changes={"filename": (document.filename, None), "sha256": (document.sha256, None)},
        summary=document.filename,
    )
    if Document.select().where(Document.sha256 == document.sha256).exists():
        return False
    try:
        blob_path(document.sha256).unlink()
    except FileNotFoundError:
        return False
    return True


def human_size(size: int) -> str:
    """1536 -> "1.5 KB" (integer arithmetic, rounded half up to a tenth)."""
    if size < 1024:
        return f"{size} B"
    for power, unit in ((1, "KB"), (2, "MB"), (3, "GB")):
        tenths = (size * 10 + 1024**power // 2) // 1024**power
        if tenths < 10240 or unit == "GB":
            return f"{tenths // 10}.{tenths % 10} {unit}"
    raise AssertionError("unreachable")
