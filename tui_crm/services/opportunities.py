"""Opportunities: possible sales in a pipeline (stage, amount, probability, expected close).

Rules:
- a title is required; the amount is not negative; the probability is 0–100 %;
- a lost opportunity needs the reason it was lost; won means 100 %, lost 0 %;
- a new opportunity without a probability gets the stage's usual one;
- the project, when given, is one of the same client's projects;
- edits carry the version the person started from; every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import N_, _
from ..models import OPPORTUNITY_STAGES, Opportunity, Project, User
from ..money import from_cents
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import live_client, parse_date, parse_int, parse_money, save_versioned
from .session import login
from .validation import one_line_errors

STAGE_LABELS = {
    "new": N_("new"),
    "qualified": N_("qualified"),
    "proposal": N_("proposal"),
    "negotiation": N_("negotiation"),
    "won": N_("won"),
    "lost": N_("lost"),
}
STAGE_PROBABILITY = {
    "new": 10,
    "qualified": 25,
    "proposal": 50,
    "negotiation": 75,
    "won": 100,
    "lost": 0,
}


@dataclass
class OpportunityData:
    title: str = ""
    stage: str = "new"
    amount: Decimal | str = Decimal("0.00")
    probability: int | str | None = None  # None: the stage's usual probability
    expected_close: dt.date | str | None = None
    lost_reason: str = ""
    project_id: int | None = None
    owner_login: str = ""
    notes: str = ""


@dataclass(frozen=True)
class OpportunityRow:
    id: int
    client_id: int
    version: int
    data: OpportunityData
    project_name: str

    @property
    def weighted(self) -> Decimal:
        """Amount times probability: what the pipeline expects from it."""
        return (Decimal(self.data.amount) * int(self.data.probability or 0) / 100).quantize(
            Decimal("0.01")
        )


def validate(client_id: int, data: OpportunityData) -> OpportunityData:
    """A cleaned copy, or ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    title = clean_input(str(data.title or ""))
    if not title:
        errors["title"] = _("is required")
    elif len(title) > 200:
        errors["title"] = _("is longer than {n} characters").format(n=200)
    if data.stage not in OPPORTUNITY_STAGES:
        errors["stage"] = _("must be one of {values}").format(values=", ".join(OPPORTUNITY_STAGES))
    amount = parse_money(data.amount, errors, "amount")
    if data.stage == "won":
        probability = 100
    elif data.stage == "lost":
        probability = 0
    elif data.probability in (None, ""):
        probability = STAGE_PROBABILITY.get(data.stage, 10)
    else:
        probability = parse_int(data.probability, errors, "probability", 0, 100)
    expected = parse_date(data.expected_close, errors, "expected_close")
    lost_reason = clean_input(str(data.lost_reason or ""))
    if data.stage == "lost" and not lost_reason:
        errors["lost_reason"] = _("say why it was lost")
    if len(lost_reason) > 200:
        errors["lost_reason"] = _("is longer than {n} characters").format(n=200)
    if data.stage != "lost":
        lost_reason = ""
    if data.project_id is not None:
        project = Project.get_or_none(Project.id == data.project_id)
        if project is None or project.client_id != client_id:
            errors["project_id"] = _("is not a project of this client")
    owner = clean_input(str(data.owner_login or ""))
    if owner and User.get_or_none(User.login == owner) is None:
        errors["owner_login"] = _("unknown user {login}").format(login=owner)
    errors.update(one_line_errors({"title": data.title, "lost_reason": data.lost_reason}))
    if errors:
        raise ValidationError(errors)
    return OpportunityData(
        title,
        data.stage,
        amount,
        probability,
        expected,
        lost_reason,
        data.project_id,
        owner,
        clean_input(str(data.notes or "")),
    )


def _columns(clean: OpportunityData) -> dict[str, object]:
    values = asdict(clean)
    owner = values.pop("owner_login")
    values["project"] = values.pop("project_id")
    user = User.get_or_none(User.login == owner) if owner else None
    values["owner"] = user.id if user else None
    return values


def _rows(where: str, params: tuple) -> list[OpportunityRow]:
    sql = (
        "SELECT o.id, o.client_id, o.version, o.title, o.stage, o.amount_cents, o.probability, "
        "o.expected_close, o.lost_reason, o.project_id, COALESCE(u.login, ''), o.notes, "
        "COALESCE(p.name, '') FROM opportunity o LEFT JOIN \"user\" u ON u.id = o.owner_id "
        "LEFT JOIN project p ON p.id = o.project_id WHERE "
        + where
        + " ORDER BY CASE o.stage WHEN 'won' THEN 1 WHEN 'lost' THEN 2 ELSE 0 END, "
        "o.expected_close IS NULL, o.expected_close, o.id DESC"
    )
    return [
        OpportunityRow(
            id=r[0],
            client_id=r[1],
            version=r[2],
            data=OpportunityData(
                title=r[3],
                stage=r[4],
                amount=from_cents(int(r[5])),
                probability=int(r[6]),
                expected_close=dt.date.fromisoformat(str(r[7])[:10]) if r[7] else None,
                lost_reason=r[8],
                project_id=r[9],
                owner_login=r[10],
                notes=r[11],
            ),
            project_name=r[12],
        )
        for r in execute(sql, params)
    ]


def list_opportunities(client_id: int) -> list[OpportunityRow]:
    """Open ones first (soonest expected close first), then won, then lost."""
    return _rows("o.client_id = ?", (client_id,))


def get_opportunity(opportunity_id: int) -> OpportunityRow:
    rows = _rows("o.id = ?", (opportunity_id,))
    if not rows:
        raise NotFound(_("opportunity {id} does not exist").format(id=opportunity_id))
    return rows[0]


def _audit_values(data: OpportunityData) -> dict[str, object]:
    return {k: v for k, v in asdict(data).items()}


@transactional
def create_opportunity(client_id: int, data: OpportunityData) -> int:
    """Add an opportunity to the pipeline (the owner defaults to whoever creates it)."""
    require("clients.write")
    client = live_client(client_id)
    if not data.owner_login:
        data = OpportunityData(**{**asdict(data), "owner_login": login()})
    clean = validate(client_id, data)
    row = Opportunity.create(client=client_id, updated_by=login(), **_columns(clean))
    audit.record(
        "create",
        "opportunity",
        row.id,
        client_id=client_id,
        changes={k: (None, v) for k, v in _audit_values(clean).items() if v not in ("", None)},
        summary=_("{title} for {client}").format(title=clean.title, client=client.legal_name),
    )
    return row.id


@transactional
def update_opportunity(opportunity_id: int, data: OpportunityData, expected_version: int) -> int:
    """Save an opportunity if nobody saved it meanwhile; returns the new version."""
    require("clients.write")
    current = get_opportunity(opportunity_id)
    live_client(current.client_id)
    clean = validate(current.client_id, data)
    version = save_versioned(
        Opportunity,
        opportunity_id,
        expected_version,
        _columns(clean),
        entity="opportunity",
        what=_("opportunity"),
    )
    before = _audit_values(current.data)
    audit.record(
        "update",
        "opportunity",
        opportunity_id,
        client_id=current.client_id,
        changes={k: (before[k], v) for k, v in _audit_values(clean).items() if before[k] != v},
        summary=clean.title,
    )
    return version


@transactional
def delete_opportunity(opportunity_id: int) -> None:
    """Remove an opportunity; quotes made from it keep existing."""
    require("clients.write")
    current = get_opportunity(opportunity_id)
    live_client(current.client_id)
    Opportunity.delete().where(Opportunity.id == opportunity_id).execute()
    audit.record(
        "delete",
        "opportunity",
        opportunity_id,
        client_id=current.client_id,
        changes={
            k: (v, None) for k, v in _audit_values(current.data).items() if v not in ("", None)
        },
        summary=current.data.title,
    )
