"""The client file's Overview tab: every field of the client, its tags, custom fields and
notes (`e` edits the client, `delete` deletes it, or says why not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ....i18n import _
from ...formatting import date as show_date
from ...formatting import local_datetime
from ...labels import METHOD_LABELS, label
from ...safe_text import lines, one_line
from .base import ClientTab


def overview_rows(data: Any) -> list[tuple[str, str]]:
    """Label and value of each field of a client file (`services.client_file.ClientFile`)."""
    d = data.detail.data
    rows: list[tuple[str, str]] = [
        (_("Legal name"), d.legal_name),
        (_("Trade name"), d.trade_name),
        (
            _("Kind"),
            (
                _("Client since {date}").format(date=show_date(data.detail.became_client_at))
                if d.kind == "client" and data.detail.became_client_at
                else (_("Client") if d.kind == "client" else _("Lead"))
            )
            + ("" if d.is_company else " · " + _("a person")),
        ),
        (_("Tax ID"), f"{d.tax_id} ({d.tax_id_country})" if d.tax_id else ""),
        (_("Email"), d.email),
        (_("Phone"), " · ".join(p for p in (d.phone, d.mobile) if p)),
        (_("Fax"), d.fax),
        (_("Website"), d.website),
        (_("Account owner"), data.detail.owner_login),
        (
            _("Payment"),
            _("{days} days · {method}").format(
                days=d.payment_days, method=label(METHOD_LABELS, d.payment_method)
            )
            + (f" · {d.iban}" if d.iban else ""),
        ),
        (_("Taxes"), taxes_text(d)),
        (_("Tags"), ", ".join(data.tags)),
    ]
    rows += [(field_label, value) for _key, field_label, value in data.custom]
    if data.merged_names:
        rows.append((_("Merged into this"), ", ".join(data.merged_names)))
    rows.append(
        (
            _("Last change"),
            _("{when} by {user}").format(
                when=local_datetime(data.detail.updated_at), user=data.detail.updated_by
            ),
        )
    )
    return rows


def taxes_text(d: Any) -> str:
    parts = []
    if d.vat_exempt:
        parts.append(_("exempt from IVA: {reason}").format(reason=d.exemption_reason))
    else:
        parts.append(_("IVA {rate} %").format(rate=f"{d.vat_rate.normalize():f}"))
    if d.irpf_rate:
        parts.append(_("IRPF {rate} %").format(rate=f"{d.irpf_rate.normalize():f}"))
    if d.recargo:
        parts.append(_("recargo de equivalencia"))
    return " · ".join(parts)


class OverviewTab(ClientTab):
    KEY = "overview"
    ACTIONS = frozenset({"edit", "delete"})

    def __init__(
        self,
        title: str,
        client_id: int,
        today: Any,
        *,
        edit_client: Callable[[], None],
        delete_client: Callable[[], None],
    ) -> None:
        super().__init__(title, client_id, today)
        self._edit_client = edit_client
        self._delete_client = delete_client

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="cf-overview"):
            with Vertical(id="cf-overview-rows"):
                yield Static(_("Loading…"))
            yield Static("", id="cf-notes")

    def focus_first(self) -> None:
        self.query_one("#cf-overview").focus()

    def edit(self) -> None:
        self._edit_client()

    def delete(self) -> None:
        self._delete_client()

    def show(self, data: Any) -> None:
        """Label and value side by side; a long value wraps under itself, not the labels."""
        rows = overview_rows(data)
        width = max(cell_len(text) for text, _value in rows) + 2
        box = self.query_one("#cf-overview-rows", Vertical)
        box.remove_children()
        widgets = []
        for text, value in rows:
            name = Static(Content(text), classes="cf-label")
            name.styles.width = width
            widgets.append(
                Horizontal(
                    name,
                    Static(Content(one_line(value) or "—"), classes="cf-value"),
                    classes="cf-row",
                )
            )
        box.mount_all(widgets)
        d = data.detail.data
        self.query_one("#cf-notes", Static).update(
            Content.assemble(
                (_("Notes") + "\n", "bold"),
                lines(d.notes) if d.notes else _("(none) — E edits the client"),
            )
        )
