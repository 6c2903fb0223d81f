"""Leads that move: where a lead came from, its stage, the board by stage, conversion.

Rules:
- a lead is a client record of kind "lead" (services.clients); it has a source (free
  text, e.g. "web", "referral", "trade fair": 60 characters at most) and a stage: new,
  contacted, qualified or lost;
- a lost lead needs the reason it was lost; moving it out of "lost" clears the reason;
- advancing goes new → contacted → qualified; a qualified lead advances by becoming a
  client (`convert_lead`);
- converting keeps the lead's history: it is the same record, so its timeline, contacts,
  documents, quotes and audit stay where they were; a note on the timeline says when it
  became a client and where it came from;
- moves carry the version the person saw (a colleague's change meanwhile is a conflict);
  every change is audited on the client's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..db import execute, transactional
from ..i18n import N_, _
from ..models import LEAD_STAGES, Client
from ..models.base import utcnow
from ..text import clean_input, has_control
from . import audit
from .errors import ConflictError, ConflictInfo, RuleViolation, ValidationError
from .permissions import require
from .records import live_client
from .session import login

STAGE_LABELS = {
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "qualified": N_("Qualified"),
    "lost": N_("Lost"),
}
NEXT_STAGE = {"new": "contacted", "contacted": "qualified"}
PREVIOUS_STAGE = {"contacted": "new", "qualified": "contacted", "lost": "qualified"}
SOURCE_LIMIT = 60


@dataclass(frozen=True)
class LeadCard:
    client_id: int
    version: int
    name: str
    source: str
    stage: str
    lost_reason: str
    last_activity_at: dt.datetime | None
    email: str
    phone: str


_SELECT = (
    "SELECT c.id, c.version, c.legal_name, c.lead_source, c.lead_stage, c.lead_lost_reason, "
    "c.last_activity_at, c.email, c.phone FROM client c "
)
_LEADS = "c.kind = 'lead' AND c.status <> 'merged'"


def _moment(value: object) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _card(r: tuple) -> LeadCard:
    return LeadCard(
        r[0],
        r[1],
        r[2],
        r[3] or "",
        r[4] or "new",
        r[5] or "",
        _moment(r[6]),
        r[7] or "",
        r[8] or "",
    )


def count_by_stage() -> dict[str, int]:
    """How many leads (active or archived, not merged) are in each stage."""
    found = dict.fromkeys(LEAD_STAGES, 0)
    for stage, n in execute(
        f"SELECT c.lead_stage, COUNT(*) FROM client c WHERE {_LEADS} GROUP BY c.lead_stage"
    ):
        found[stage if stage in found else "new"] += int(n)
    return found


def list_stage(stage: str, offset: int = 0, limit: int | None = 200) -> list[LeadCard]:
    """One column of the board: the leads in `stage`, by name (the partial index of m0014)."""
    if stage not in LEAD_STAGES:
        raise ValidationError(
            {"stage": _("must be one of {values}").format(values=", ".join(LEAD_STAGES))}
        )
    sql = f"{_SELECT}WHERE {_LEADS} AND c.lead_stage = ? ORDER BY c.sort_name, c.id"
    params: list[Any] = [stage]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_card(r) for r in execute(sql, params)]


def board(limit: int = 200) -> dict[str, list[LeadCard]]:
    """Every column of the board (the first `limit` leads of each)."""
    return {stage: list_stage(stage, 0, limit) for stage in LEAD_STAGES}


def get_lead(client_id: int) -> LeadCard:
    live_client(client_id)  # the one-line NotFound
    return _card(execute(f"{_SELECT}WHERE c.id = ?", (client_id,)).fetchone())


def lead_rows(stage: str | None = None):
    """Every lead with its source and stage (the `report leads` command), board order."""
    for name in LEAD_STAGES if stage is None else (stage,):
        for card in list_stage(name, 0, None):
            yield {
                "client": card.name,
                "client_id": card.client_id,
                "source": card.source,
                "stage": card.stage,
                "lost_reason": card.lost_reason,
                "email": card.email,
                "phone": card.phone,
            }


def _conflict(client: Client) -> ConflictError:
    return ConflictError(
        ConflictInfo("client", client.id, client.updated_by, client.updated_at, {}),
        _("{name} was changed by {user} meanwhile; reload and try again").format(
            name=client.legal_name, user=client.updated_by
        ),
    )


def _load_lead(client_id: int, expected_version: int | None) -> Client:
    client = live_client(client_id)
    if client.kind != "lead":
        raise RuleViolation(
            _("{name} is already a client, not a lead").format(name=client.legal_name)
        )
    if expected_version is not None and client.version != expected_version:
        raise _conflict(client)
    return client


def _save(client: Client, values: dict[str, Any], summary: str) -> int:
    changes = {k: (getattr(client, k), v) for k, v in values.items() if getattr(client, k) != v}
    if not changes:
        return client.version
    Client.update(
        version=Client.version + 1, updated_at=utcnow(), updated_by=login(), **values
    ).where(Client.id == client.id).execute()
    audit.record(
        "update", "client", client.id, client_id=client.id, changes=changes, summary=summary[:200]
    )
    return client.version + 1


@transactional
def move_lead(
    client_id: int, stage: str, reason: str = "", expected_version: int | None = None
) -> int:
    """Put a lead in `stage` (lost needs the reason); returns the new version."""
    require("clients.write")
    if stage not in LEAD_STAGES:
        raise ValidationError(
            {"stage": _("must be one of {values}").format(values=", ".join(LEAD_STAGES))}
        )
    reason = clean_input(str(reason or ""))
    if stage == "lost":
        if not reason:
            raise ValidationError({"reason": _("say why the lead was lost")})
        if has_control(reason) or len(reason) > 200:
            raise ValidationError(
                {"reason": _("must be one line of at most {n} characters").format(n=200)}
            )
    client = _load_lead(client_id, expected_version)
    values = {"lead_stage": stage, "lead_lost_reason": reason if stage == "lost" else ""}
    summary = _("{name}: lead {stage}").format(name=client.legal_name, stage=_(STAGE_LABELS[stage]))
    return _save(client, values, summary)


@transactional
def advance_lead(client_id: int, expected_version: int | None = None) -> str:
    """The next stage (new → contacted → qualified); returns it. A qualified lead advances
    by becoming a client; a lost one moves back by hand."""
    require("clients.write")
    client = _load_lead(client_id, expected_version)
    stage = client.lead_stage or "new"
    if stage == "qualified":
        raise RuleViolation(
            _("{name} is qualified: make it a client to move on").format(name=client.legal_name)
        )
    if stage == "lost":
        raise RuleViolation(
            _("{name} was lost: move it back to a stage by hand").format(name=client.legal_name)
        )
    nxt = NEXT_STAGE[stage]
    move_lead(client_id, nxt, expected_version=client.version)
    return nxt


@transactional
def set_source(client_id: int, source: str, expected_version: int | None = None) -> int:
    """Where a lead came from (free text); returns the new version."""
    require("clients.write")
    source = clean_input(str(source or ""))
    if has_control(source):
        raise ValidationError({"source": _("must be one line, without control characters")})
    if len(source) > SOURCE_LIMIT:
        raise ValidationError({"source": _("is longer than {n} characters").format(n=SOURCE_LIMIT)})
    client = live_client(client_id)
    if expected_version is not None and client.version != expected_version:
        raise _conflict(client)
    return _save(client, {"lead_source": source}, client.legal_name)


@transactional
def convert_lead(client_id: int) -> int:
    """The lead becomes a client, keeping its history (the same record); a note on its
    timeline says so. Returns the timeline entry's id."""
    from . import clients, timeline

    require("clients.write")
    client = _load_lead(client_id, None)
    source, stage = client.lead_source, client.lead_stage or "new"
    clients.convert_to_client(client_id)
    text = _("Became a client (a lead since {date}; source: {source}; last stage: {stage}).")
    return timeline.create_activity(
        client_id,
        timeline.ActivityData(
            kind="note",
            subject=_("Became a client"),
            body=text.format(
                date=client.created_at.date().isoformat() if client.created_at else "",
                source=source or "–",
                stage=_(STAGE_LABELS.get(stage, stage)),
            ),
        ),
    )
