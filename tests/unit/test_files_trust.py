"""Files colleagues share: stored documents follow the database's group permissions, and a
saved copy never leaves the folder the person chose."""

from __future__ import annotations

import os
import stat
import subprocess

from tests.invoicing_support import make_client
from tests.os_users import os_users  # noqa: F401 (a fixture)
from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database, execute
from tui_crm.services import attachments, documents


def test_a_stored_name_is_plain_and_a_copy_stays_in_the_chosen_folder(db, tmp_path) -> None:
    client_id = make_client()
    doc = documents.add_document(b"%PDF-1.4 x", "../../homes/ana/.bashrc", client_id=client_id)
    assert documents.get_document(doc).filename == ".bashrc"
    assert documents.plain_name("..\\..\\x.sh") == "x.sh"
    assert documents.plain_name("..") == "document" and documents.plain_name("a/b/") == "document"
    # A row written by an older version, or by hand, with a path in its name:
    execute("UPDATE document SET filename = ? WHERE id = ?", ("../homes/ana/x.sh", doc))
    chosen = tmp_path / "chosen"
    (tmp_path / "homes" / "ana").mkdir(parents=True)
    chosen.mkdir()
    written = attachments.export_document(doc, chosen)
    assert written == chosen / "x.sh" and written.read_bytes() == b"%PDF-1.4 x"
    assert list((tmp_path / "homes" / "ana").iterdir()) == []
    execute("UPDATE document SET filename = ? WHERE id = ?", ("..", doc))
    assert attachments.export_document(doc, chosen) == chosen / f"document-{doc}"


def test_a_symlink_at_the_target_is_never_written_through(db, tmp_path) -> None:
    import pytest

    from tui_crm.services.errors import ValidationError

    client_id = make_client()
    doc = documents.add_document(b"contenido", "contrato.pdf", client_id=client_id)
    victim = tmp_path / "victim"
    victim.write_text("mine")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "contrato.pdf").symlink_to(victim)
    with pytest.raises(ValidationError, match="already exists"):
        attachments.export_document(doc, folder)
    (folder / "contrato.pdf").unlink()
    (folder / "contrato.pdf").symlink_to(tmp_path / "nowhere")  # dangling: still refused
    with pytest.raises(ValidationError, match="already exists"):
        attachments.export_document(doc, folder)
    attachments.export_document(doc, folder, overwrite=True)  # replaces the link itself
    assert victim.read_text() == "mine"
    assert not (folder / "contrato.pdf").is_symlink()


def test_stored_files_follow_the_databases_group_permissions(os_users, app_env) -> None:  # noqa: F811
    """In the README's shared directory a colleague reads what another attached; others
    never do (the issue saw 0600 files and "Permission denied")."""
    from tests.invoicing_support import draft, line, set_issuer
    from tui_crm.services import invoices, printing
    from tui_crm.services.startup import open_for_use

    path = os_users.shared / "files.sqlite3"
    open_for_use(DatabaseTarget(str(path)))
    try:
        set_issuer()
        client_id = make_client()
        source = os_users.base / "contrato firmado.pdf"
        source.write_bytes(b"%PDF-1.4 firmado")
        attached = attachments.attach_file(client_id, source)
        issued = invoices.issue_invoice(draft(client_id, line()))
        kept = printing.print_invoice(issued.id).document_id
        blobs = [documents.blob_path(documents.get_document(d).sha256) for d in (attached, kept)]
    finally:
        close_database()
    database_group = path.stat().st_gid
    assert database_group == os_users.gid  # the setgid directory's group
    for blob in blobs:
        mode = stat.S_IMODE(blob.stat().st_mode)
        assert mode & 0o060 == 0o060, oct(mode)  # the group reads and writes it
        assert mode & 0o007 == 0, oct(mode)  # others nothing
        assert blob.stat().st_gid == database_group
        colleague = os_users.user("files")
        read = subprocess.run(
            ["cat", str(blob)], user=colleague.uid, group=colleague.gid,
            extra_groups=[colleague.gid], capture_output=True,
        )  # fmt: skip
        assert read.returncode == 0 and read.stdout.startswith(b"%PDF"), read.stderr
    assert stat.S_IMODE(os.stat(blobs[0].parent).st_mode) & 0o007 == 0
