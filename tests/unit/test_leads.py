"""Leads that move: source, stage (lost with a reason), the board by stage, converting a
lead into a client with its history; `tui-crm report leads`."""

from __future__ import annotations

import json

import pytest
from invoicing_support import make_client

from tui_crm.db import execute
from tui_crm.services import leads, timeline
from tui_crm.services.errors import ConflictError, RuleViolation, ValidationError
from tui_crm.services.session import Actor, set_actor


@pytest.fixture
def pipeline(db):
    ana = make_client("Ana Lead SL", "B60889649", kind="lead")
    beto = make_client("Beto Lead SL", "A58818501", kind="lead")
    known = make_client("Cliente Hecho SL", "12345678Z", kind="client")
    return {"ana": ana, "beto": beto, "known": known}


def test_board_by_stage_and_moves(pipeline) -> None:
    assert leads.count_by_stage() == {"new": 2, "contacted": 0, "qualified": 0, "lost": 0}
    assert [c.name for c in leads.board()["new"]] == ["Ana Lead SL", "Beto Lead SL"]
    leads.set_source(pipeline["ana"], "feria de Jaén")
    assert leads.advance_lead(pipeline["ana"]) == "contacted"
    assert leads.advance_lead(pipeline["ana"]) == "qualified"
    with pytest.raises(RuleViolation):
        leads.advance_lead(pipeline["ana"])  # qualified: becomes a client to move on
    columns = leads.board()
    assert [c.name for c in columns["qualified"]] == ["Ana Lead SL"]
    assert columns["qualified"][0].source == "feria de Jaén"
    with pytest.raises(ValidationError) as refused:
        leads.move_lead(pipeline["beto"], "lost")
    assert "reason" in refused.value.errors
    leads.move_lead(pipeline["beto"], "lost", "eligió a la competencia")
    assert leads.get_lead(pipeline["beto"]).lost_reason == "eligió a la competencia"
    with pytest.raises(RuleViolation):
        leads.advance_lead(pipeline["beto"])
    leads.move_lead(pipeline["beto"], "contacted")
    assert leads.get_lead(pipeline["beto"]).lost_reason == ""
    changes = [
        json.loads(r[0])
        for r in execute(
            "SELECT changes FROM audit_log WHERE entity = 'client' AND entity_id = ? ORDER BY id",
            (str(pipeline["beto"]),),
        )
    ]
    assert {"lead_stage": ["new", "lost"], "lead_lost_reason": ["", "eligió a la competencia"]} in [
        {k: v for k, v in c.items() if k.startswith("lead_")} for c in changes
    ]


def test_a_stale_move_is_a_conflict_and_clients_are_not_leads(pipeline) -> None:
    version = leads.get_lead(pipeline["ana"]).version
    leads.advance_lead(pipeline["ana"], version)
    with pytest.raises(ConflictError):
        leads.move_lead(pipeline["ana"], "qualified", expected_version=version)
    with pytest.raises(RuleViolation):
        leads.move_lead(pipeline["known"], "contacted")
    with pytest.raises(ValidationError):
        leads.set_source(pipeline["ana"], "x" * 61)


def test_readonly_may_not_move(pipeline) -> None:
    set_actor(Actor("mirona", "readonly"))
    from tui_crm.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        leads.move_lead(pipeline["ana"], "contacted")


def test_converting_keeps_the_history(pipeline) -> None:
    call = timeline.create_activity(
        pipeline["ana"], timeline.ActivityData(kind="call", subject="primera llamada")
    )
    leads.set_source(pipeline["ana"], "web")
    leads.advance_lead(pipeline["ana"])
    note = leads.convert_lead(pipeline["ana"])
    row = execute(
        "SELECT kind, lead_source FROM client WHERE id = ?", (pipeline["ana"],)
    ).fetchone()
    assert row == ("client", "web")
    entries = {r.id: r for r in timeline.list_timeline(pipeline["ana"])}
    assert call in entries and note in entries  # the same record: nothing moved, nothing lost
    assert "web" in entries[note].body and "Contacted" in entries[note].body
    assert leads.count_by_stage()["contacted"] == 0
    with pytest.raises(RuleViolation):
        leads.convert_lead(pipeline["ana"])


def test_cli_report_leads(cli, pipeline, db) -> None:
    leads.set_source(pipeline["ana"], "web")
    leads.move_lead(pipeline["beto"], "lost", "precio")
    result = cli("--db", db, "report", "leads", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["client"], r["source"], r["stage"], r["lost_reason"]) for r in rows] == [
        ("Ana Lead SL", "web", "new", ""),
        ("Beto Lead SL", "", "lost", "precio"),
    ]
    lost = json.loads(cli("--db", db, "report", "leads", "--stage", "lost", "--format",
                          "json").stdout)  # fmt: skip
    assert [r["client"] for r in lost] == ["Beto Lead SL"]
