"""Projects, opportunities, documents, merging and the client file, over a real database file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal

import pytest

from tests.people import ME
from tui_crm import config
from tui_crm.db import execute
from tui_crm.models import AuditLog, Client, Document, Invoice, Payment, Quote
from tui_crm.services import (
    addresses,
    attachments,
    client_file,
    clients,
    contacts,
    custom_fields,
    merge,
    opportunities,
    projects,
    tags,
    timeline,
    users,
)
from tui_crm.services.addresses import AddressData
from tui_crm.services.clients import ClientFilter, ClientInput
from tui_crm.services.contacts import ContactData
from tui_crm.services.custom_fields import FieldDefInput
from tui_crm.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ValidationError,
)
from tui_crm.services.opportunities import OpportunityData
from tui_crm.services.projects import ProjectData
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.timeline import ActivityData


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields))


_numbers = iter(range(1, 10_000))


def invoice(
    client_id: int,
    base: str,
    issued: dt.date | None,
    *,
    due: dt.date | None = None,
    outstanding: str | None = None,
    project: int | None = None,
) -> Invoice:
    """An invoice row written through the model (issued when it has an issue date)."""
    base_d = Decimal(base)
    total = base_d * Decimal("1.21")
    number = next(_numbers)
    values: dict[str, object] = {}
    if issued is not None:
        values = {
            "status": "issued",
            "series": "F",
            "year": issued.year,
            "number": number,
            "code": f"F{issued.year}-{number:05d}",
            "issue_date": issued,
            "due_date": due or issued + dt.timedelta(days=30),
            "outstanding": Decimal(outstanding) if outstanding is not None else total,
            "client_name": "snapshot name",
            "client_tax_id": "B12345674",
        }
    return Invoice.create(
        client=client_id, base=base_d, vat=total - base_d, total=total, project=project, **values
    )


# --- projects ------------------------------------------------------------------------


def test_projects_validate_order_and_refuse_deleting_with_invoices(db) -> None:
    cid = make("Alfa SL")
    with pytest.raises(ValidationError) as info:
        projects.create_project(
            cid,
            ProjectData(
                name="", status="late", start_date="2026-05-01", end_date="2026-04-01", budget="-5"
            ),
        )
    assert set(info.value.errors) == {"name", "status", "end_date", "budget"}
    done = projects.create_project(cid, ProjectData(name="Web 2025", status="done"))
    web = projects.create_project(
        cid, ProjectData(name="Web 2026", start_date="2026-01-10", budget="12.000,50")
    )
    assert [p.data.name for p in projects.list_projects(cid)] == ["Web 2026", "Web 2025"]
    row = projects.get_project(web)
    assert row.data.budget == Decimal("12000.50")
    assert row.data.start_date == dt.date(2026, 1, 10)
    invoice(cid, "1000", dt.date(2026, 2, 1), project=web)
    assert projects.get_project(web).invoiced == Decimal("1000.00")
    with pytest.raises(RuleViolation) as refusal:
        projects.delete_project(web)
    assert "1 invoices" in str(refusal.value)
    projects.update_project(web, ProjectData(name="Web 2026", status="done"), row.version)
    with pytest.raises(ConflictError):
        projects.update_project(web, ProjectData(name="Otro"), row.version)
    projects.delete_project(done)
    assert [p.id for p in projects.list_projects(cid)] == [web]


# --- opportunities -----------------------------------------------------------------


def test_opportunity_stages_probability_and_lost_reason(db) -> None:
    cid = make("Alfa SL")
    other = make("Beta SL")
    foreign = projects.create_project(other, ProjectData(name="Ajeno"))
    with pytest.raises(ValidationError) as info:
        opportunities.create_opportunity(
            cid,
            OpportunityData(
                title="Tienda", stage="lost", amount="x", project_id=foreign, owner_login="nadie"
            ),
        )
    assert set(info.value.errors) == {"amount", "lost_reason", "project_id", "owner_login"}
    oid = opportunities.create_opportunity(
        cid,
        OpportunityData(
            title="Tienda online", stage="proposal", amount="8.500", expected_close="2026-06-30"
        ),
    )
    row = opportunities.get_opportunity(oid)
    assert (row.data.probability, row.data.owner_login) == (50, ME)
    assert row.weighted == Decimal("4250.00")
    with pytest.raises(ValidationError) as info:
        opportunities.update_opportunity(
            oid,
            OpportunityData(title="Tienda online", stage="negotiation", probability=120),
            row.version,
        )
    assert list(info.value.errors) == ["probability"]
    data = row.data
    data.stage = "lost"
    data.lost_reason = "Precio"
    opportunities.update_opportunity(oid, data, row.version)
    lost = opportunities.get_opportunity(oid)
    assert (lost.data.stage, lost.data.probability, lost.data.lost_reason) == ("lost", 0, "Precio")
    won = opportunities.create_opportunity(
        cid, OpportunityData(title="Mantenimiento", stage="won", lost_reason="x")
    )
    assert opportunities.get_opportunity(won).data.probability == 100
    assert opportunities.get_opportunity(won).data.lost_reason == ""
    assert [o.id for o in opportunities.list_opportunities(cid)] == [won, oid]
    opportunities.delete_opportunity(won)
    assert (
        AuditLog.select()
        .where((AuditLog.entity == "opportunity") & (AuditLog.action == "delete"))
        .count()
        == 1
    )


# --- documents ---------------------------------------------------------------------


def test_attach_export_remove_content_addressed(db, tmp_path) -> None:
    cid = make("Alfa SL")
    other = make("Beta SL")
    source = tmp_path / "contrato firmado.pdf"
    content = b"%PDF-1.4 " + os.urandom(3000)
    source.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    first = attachments.attach_file(cid, source, notes="firmado")
    second = attachments.attach_file(other, str(source))
    blob = config.attachments_dir(db.path) / sha[:2] / sha
    assert blob.read_bytes() == content
    assert [p.name for p in blob.parent.iterdir()] == [sha]  # stored once, no temporaries left
    [doc] = attachments.client_documents(cid)
    assert (doc.filename, doc.size, doc.mime, doc.uploaded_by) == (
        "contrato firmado.pdf",
        len(content),
        "application/pdf",
        ME,
    )
    assert doc.uploaded_at.date() == dt.datetime.now(dt.UTC).date()

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    written = attachments.export_document(first, out_dir)
    assert written == out_dir / "contrato firmado.pdf"
    assert written.read_bytes() == content
    with pytest.raises(ValidationError) as info:
        attachments.export_document(first, written)
    assert "already exists" in info.value.errors["path"]
    attachments.export_document(first, written, overwrite=True)
    with pytest.raises(ValidationError):
        attachments.export_document(first, tmp_path / "missing-dir" / "x.pdf")

    assert attachments.remove_document(first) is False  # Beta still refers to the content
    assert blob.exists()
    assert attachments.remove_document(second) is True
    assert not blob.exists()
    actions = [
        a.action
        for a in AuditLog.select().where(AuditLog.entity == "document").order_by(AuditLog.id)
    ]
    assert actions == ["create", "create", "delete", "delete"]


def test_attach_refuses_what_is_not_a_readable_file(db, tmp_path) -> None:
    cid = make("Alfa SL")
    for path in ("", tmp_path / "nope.pdf", tmp_path):
        with pytest.raises(ValidationError) as info:
            attachments.attach_file(cid, path)
        assert "path" in info.value.errors
    assert Document.select().count() == 0


def test_export_detects_a_damaged_or_missing_store(db, tmp_path) -> None:
    cid = make("Alfa SL")
    source = tmp_path / "a.txt"
    source.write_bytes(b"hola")
    doc = attachments.attach_file(cid, source)
    blob = config.attachments_dir(db.path) / hashlib.sha256(b"hola").hexdigest()[:2]
    blob = blob / hashlib.sha256(b"hola").hexdigest()
    blob.write_bytes(b"adios")
    with pytest.raises(RuleViolation) as info:
        attachments.export_document(doc, tmp_path / "copy.txt")
    assert "damaged" in str(info.value)
    assert not (tmp_path / "copy.txt").exists()
    blob.unlink()
    with pytest.raises(RuleViolation):
        attachments.export_document(doc, tmp_path / "copy.txt")


def test_read_only_user_cannot_attach_or_remove(db, tmp_path) -> None:
    cid = make("Alfa SL")
    source = tmp_path / "a.txt"
    source.write_text("x")
    doc = attachments.attach_file(cid, source)
    users.register("lector")
    users.set_role("lector", "readonly")
    set_actor(Actor("lector", "readonly"))
    with pytest.raises(PermissionDenied):
        attachments.attach_file(cid, source)
    with pytest.raises(PermissionDenied):
        attachments.remove_document(doc)
    assert attachments.export_document(doc, tmp_path / "copy.txt").read_text() == "x"


# --- merge -------------------------------------------------------------------------


def test_merge_moves_everything_and_hides_the_absorbed_record(db, tmp_path) -> None:
    custom_fields.create_definition(FieldDefInput(key="sector", label="Sector"))
    custom_fields.create_definition(FieldDefInput(key="zona", label="Zona"))
    keep = make("Talleres Núñez SL", email="info@nunez.es")
    gone = make(
        "Talleres Nuñez",
        kind="client",
        tax_id="B12345674",
        phone="953 123 456",
        notes="Cliente desde 2019",
    )
    addresses.create_address(keep, AddressData(label="Sede", city="Jaén"))
    addresses.create_address(gone, AddressData(label="Nave", city="Linares"))
    contacts.create_contact(gone, ContactData(first_name="Rocío", last_name="Alcalá"))
    timeline.create_activity(gone, ActivityData(subject="Llamada"))
    projects.create_project(gone, ProjectData(name="Reforma"))
    opportunities.create_opportunity(gone, OpportunityData(title="Ampliación"))
    source = tmp_path / "c.pdf"
    source.write_bytes(b"pdf")
    attachments.attach_file(gone, source)
    issued = invoice(gone, "1000", dt.date.today())
    draft = invoice(gone, "50", None)
    Quote.create(client=gone, code="P-1")
    Payment.create(client=gone, date=dt.date.today(), amount=Decimal("100"))
    tags.set_tags(keep, ["vip"])
    tags.set_tags(gone, ["VIP", "jaén"])
    custom_fields.set_values(keep, {"sector": "naval"})
    custom_fields.set_values(gone, {"sector": "agro", "zona": "sur"})
    execute(
        "UPDATE client SET revenue_total_cents = 100000, outstanding_cents = 121000 WHERE id = ?",
        (gone,),
    )
    snapshot = (issued.client_name, issued.client_tax_id)

    preview = merge.merge_preview(keep, gone)
    assert preview.moves["invoice"] == 2 and preview.moves["contact"] == 1
    assert preview.tags == 1 and preview.custom_values == 1
    assert preview.filled == {"tax_id": "B12345674", "phone": "953 123 456"}
    assert preview.becomes_client and preview.notes_appended
    lines = preview.lines()
    assert "2 invoices" in lines and "1 contact" in lines and "the lead becomes a client" in lines

    merge.merge_clients(keep, gone)

    survivor = Client.get_by_id(keep)
    absorbed = Client.get_by_id(gone)
    assert (absorbed.status, absorbed.merged_into_id) == ("merged", keep)
    assert (survivor.kind, survivor.tax_id, survivor.email, survivor.phone) == (
        "client",
        "B12345674",
        "info@nunez.es",
        "953 123 456",
    )
    assert survivor.notes == "Cliente desde 2019"
    assert survivor.revenue_total == Decimal("1000.00")
    assert survivor.outstanding == Decimal("1210.00")
    for table in (
        "address",
        "contact",
        "activity",
        "project",
        "opportunity",
        "document",
        "invoice",
        "quote",
        "payment",
    ):
        count = execute(f'SELECT COUNT(*) FROM "{table}" WHERE client_id = ?', (gone,))
        assert count.fetchone()[0] == 0, table
    moved = Invoice.get_by_id(issued.id)
    assert moved.client_id == keep
    assert (moved.client_name, moved.client_tax_id) == snapshot  # the fiscal snapshot stays
    assert Invoice.get_by_id(draft.id).client_id == keep
    assert sorted(tags.tags_of(keep), key=str.lower) == ["jaén", "vip"]
    assert custom_fields.values_of(keep) == {"sector": "naval", "zona": "sur"}
    # the survivor keeps its own default address; the arriving one is not a default
    assert [(a.data.label, a.data.is_invoice_default) for a in addresses.list_addresses(keep)] == [
        ("Sede", True),
        ("Nave", False),
    ]
    # hidden: lists, search, lookups; the survivor is found by the absorbed one's contact
    assert [r.id for r in clients.list_clients(ClientFilter(status=""))] == [keep]
    assert [r.id for r in clients.list_clients(ClientFilter(text="alcala"))] == [keep]
    assert clients.find_by_tax_id("B12345674") == keep
    with pytest.raises(NotFound):
        clients.get_client(gone)
    this_year = clients.list_clients(ClientFilter(sort="revenue"))[0]
    assert this_year.revenue_year == Decimal("1000.00")
    audit = [
        (a.entity_id, a.action)
        for a in AuditLog.select().where(AuditLog.action == "merge").order_by(AuditLog.id)
    ]
    assert audit == [(str(keep), "merge"), (str(gone), "merge")]
    changes = json.loads(
        AuditLog.get(AuditLog.entity_id == str(keep), AuditLog.action == "merge").changes
    )
    assert changes["absorbed"] == [None, gone]
    assert changes["moved.invoice"] == [0, 2]


def test_merge_refusals(db) -> None:
    a = make("Alfa SL")
    b = make("Alfa S.L.")
    with pytest.raises(RuleViolation):
        merge.merge_clients(a, a)
    users.register("vendedor")
    set_actor(Actor("vendedor", "sales"))
    with pytest.raises(PermissionDenied):
        merge.merge_clients(a, b)
    set_actor(Actor(ME, "admin"))
    merge.merge_clients(a, b)
    with pytest.raises(NotFound):
        merge.merge_clients(a, b)  # already merged
    c = make("Alfa Sociedad Limitada")
    merge.merge_clients(c, a)
    # records merged into the absorbed one now point at the new survivor
    assert Client.get_by_id(b).merged_into_id == c


# --- the client file and the client list ---------------------------------------------


def test_client_file_key_figures_and_sales(db) -> None:
    cid = make("Alfa SL")
    today = dt.date(2026, 6, 15)
    invoice(cid, "1000", dt.date(2025, 11, 1), outstanding="0")
    invoice(cid, "500", dt.date(2026, 2, 1), due=dt.date(2026, 3, 1))  # overdue
    invoice(cid, "200", dt.date(2026, 6, 1), due=dt.date(2026, 7, 1))  # outstanding
    invoice(cid, "999", None)  # a draft counts nowhere
    Quote.create(client=cid, code="P-7", title="Web", date=dt.date(2026, 6, 10))
    timeline.create_activity(cid, ActivityData(subject="x", due_date=dt.date(2026, 6, 1)))
    data = client_file.client_file(cid, as_of=today)
    f = data.figures
    assert (f.revenue_total, f.revenue_year) == (Decimal("1700.00"), Decimal("700.00"))
    assert (f.outstanding, f.overdue, f.overdue_invoices) == (
        Decimal("847.00"),
        Decimal("605.00"),
        1,
    )
    assert (f.open_follow_ups, f.overdue_follow_ups) == (1, 1)
    assert data.counts["sales"] == 5 and data.counts["timeline"] == 1
    sales = client_file.list_sales(cid, 0, 3)
    # newest first; the draft has no issue date and counts from the day it was written
    assert [(s.kind, s.status) for s in sales] == [
        ("invoice", "draft"),
        ("quote", "draft"),
        ("invoice", "issued"),
    ]
    assert sales[1].code == "P-7" and sales[2].date == dt.date(2026, 6, 1)
    assert client_file.count_sales(cid) == 5
    assert len(client_file.list_sales(cid, 3, 10)) == 2


def test_client_list_filters_and_sorts(db) -> None:
    users.register("marta")
    year = dt.date.today().year
    names = ["Alfa", "Beta", "Gamma", "Delta", "Épsilon", "Zeta"]
    ids = {n: make(n, owner_login="marta" if n in ("Beta", "Zeta") else "") for n in names}
    invoice(ids["Gamma"], "300", dt.date(year, 1, 5), due=dt.date(year + 1, 1, 1))
    invoice(ids["Beta"], "900", dt.date(year, 1, 6), due=dt.date(year - 1, 12, 31))
    invoice(ids["Delta"], "5000", dt.date(year - 1, 5, 1), outstanding="0")  # last year only
    invoice(ids["Zeta"], "300", dt.date(year, 2, 1), outstanding="0")
    execute("UPDATE client SET outstanding_cents = 5000 WHERE id = ?", (ids["Alfa"],))
    execute("UPDATE client SET outstanding_cents = 108900 WHERE id = ?", (ids["Beta"],))
    timeline.create_activity(ids["Delta"], ActivityData(subject="hola"))

    def order(**flt: object) -> list[str]:
        return [r.name for r in clients.list_clients(ClientFilter(**flt), 0, None)]

    assert order(sort="revenue") == ["Beta", "Gamma", "Zeta", "Alfa", "Delta", "Épsilon"]
    # paging across the two groups gives the same order
    pages = [
        r.name
        for offset in range(0, 6, 2)
        for r in clients.list_clients(ClientFilter(sort="revenue"), offset, 2)
    ]
    assert pages == order(sort="revenue")
    assert [r.name for r in clients.list_clients(ClientFilter(sort="revenue"), 4, 5)] == [
        "Delta",
        "Épsilon",
    ]
    assert order(sort="outstanding")[:2] == ["Beta", "Alfa"]
    assert order(sort="last_activity")[0] == "Delta"
    assert order(owner_login="marta") == ["Beta", "Zeta"]
    assert order(owner_login="marta", sort="revenue") == ["Beta", "Zeta"]
    assert order(has_overdue=True) == ["Beta"]
    assert clients.count_clients(ClientFilter(has_overdue=True)) == 1
    rows = {r.name: r for r in clients.list_clients(ClientFilter(), 0, None)}
    assert rows["Gamma"].revenue_year == Decimal("300.00")
    assert rows["Delta"].revenue_year == Decimal("0.00")


def test_revenue_sort_pages_match_the_full_order_from_both_ends(db) -> None:
    """Every page, walked forwards or backwards, agrees with the order computed in Python."""
    import random

    rng = random.Random(7)
    year = dt.date.today().year
    expected: list[tuple[Decimal, str, int]] = []
    for i in range(37):
        name = f"Cliente {rng.randint(0, 9)}{i:02d}"
        cid = make(name)
        revenue = Decimal(0)
        if i % 3:
            revenue = Decimal(rng.choice(["100", "250", "250", "999.99"]))
            invoice(cid, str(revenue), dt.date(year, 1, 2))
        if i in (4, 9, 12):  # archived earners and non-earners are not in the active list
            clients.archive_client(cid)
            continue
        expected.append((revenue, name, cid))
    earners = sorted((e for e in expected if e[0] > 0), key=lambda e: (-e[0], e[1].lower(), e[2]))
    rest = sorted((e for e in expected if e[0] <= 0), key=lambda e: (e[1].lower(), e[2]))
    order = [e[2] for e in earners + rest]
    flt = ClientFilter(sort="revenue")
    assert [r.id for r in clients.list_clients(flt, 0, None)] == order
    for size in (1, 5, 10, 36, 50):
        pages = [
            r.id
            for offset in range(0, len(order), size)
            for r in clients.list_clients(flt, offset, size)
        ]
        assert pages == order, size
    assert clients.list_clients(flt, 40, 10) == []
    everyone = ClientFilter(sort="revenue", status="")
    assert len(clients.list_clients(everyone, 0, None)) == 37
    tail = [r.id for r in clients.list_clients(everyone, 30, 10)]
    assert tail == [r.id for r in clients.list_clients(everyone, 0, None)][30:]


def test_deleting_a_client_removes_its_stored_files_unless_shared(db, tmp_path) -> None:
    only = tmp_path / "only.txt"
    only.write_bytes(b"solo de Alfa")
    shared = tmp_path / "shared.txt"
    shared.write_bytes(b"de los dos")
    alfa = make("Alfa SL")
    beta = make("Beta SL")
    attachments.attach_file(alfa, only)
    attachments.attach_file(alfa, shared)
    attachments.attach_file(beta, shared)
    store = config.attachments_dir(db.path)

    def blob(content: bytes):
        sha = hashlib.sha256(content).hexdigest()
        return store / sha[:2] / sha

    clients.delete_client(alfa)
    assert not blob(b"solo de Alfa").exists()
    assert blob(b"de los dos").exists()  # Beta still has it
    assert [d.filename for d in attachments.client_documents(beta)] == ["shared.txt"]
