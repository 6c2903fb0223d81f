"""Users and roles (admin): who may do what on this database."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static

from ...i18n import _
from ...services import users
from ...services.permissions import ROLE_LABELS
from ..base import CrmScreen
from ..dialogs.form import FieldSpec, FormScreen
from ..formatting import local_datetime
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource


def _role_choices() -> list[tuple[str, str]]:
    from ...services.users import ROLES

    return [(_(ROLE_LABELS[r]), r) for r in ROLES]


def user_row(u: Any) -> Row:
    return Row(
        key=u.login,
        cells=(
            u.login,
            u.full_name,
            _(ROLE_LABELS.get(u.role, u.role)),
            _("yes") if u.active else _("no"),
            local_datetime(u.last_seen_at),
        ),
        style="" if u.active else "muted",
    )


class UserForm(FormScreen[str]):
    """New user (login and role) or a change of role."""

    def __init__(self, login: str | None = None, role: str = "sales", full_name: str = ""):
        super().__init__(
            {"login": login or "", "role": role, "full_name": full_name},
            title=_("Change role of {login}").format(login=login) if login else _("New user"),
        )
        self.login = login

    def fields(self) -> list[FieldSpec]:
        specs = [FieldSpec("role", _("Role"), "select", choices=_role_choices(), required=True)]
        if self.login is None:
            specs = [
                FieldSpec("login", _("Login name"), required=True, max_length=64),
                FieldSpec("full_name", _("Full name"), max_length=200),
                *specs,
            ]
        return specs

    def save(self, values: dict[str, Any]) -> str:
        if self.login is None:
            return users.add_user(values["login"], values["role"], values["full_name"]).login
        return users.set_role(self.login, values["role"]).login


class UsersScreen(CrmScreen[None]):
    """Admins add colleagues, change roles and deactivate those who left."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", _("New user"), id="new"),
        Binding("e", "edit", _("Change role"), id="edit"),
        Binding("d", "toggle_active", _("Activate/deactivate"), id="toggle_active"),
        Binding("escape", "back", _("Back"), id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            _(
                "Roles: admin (everything), accounting (invoices, payments), sales (clients, "
                "quotes, draft invoices), read-only."
            ),
            classes="screen-help",
            id="users-help",
        )
        yield LazyTable(
            [
                Column("login", _("Login"), 16),
                Column("name", _("Name"), 24, flex=True),
                Column("role", _("Role"), 12),
                Column("active", _("Active"), 7),
                Column("seen", _("Last seen"), 17, priority=1),
            ],
            LoadedSource(users.list_users, user_row),
            id="users-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Users and roles")
        self.query_one(LazyTable).focus()
        self.run_service(users.server_groups, self._add_note, group="server-groups")

    def _add_note(self, base: str) -> None:
        """On PostgreSQL, the server's groups are the roles."""
        from rich.markup import escape

        if not base:
            return
        note = _(
            "On this PostgreSQL server a role is membership of {base}_admin, "
            "{base}_accounting, {base}_sales or {base}_readonly: the server enforces it, "
            "and a new user must already be a PostgreSQL login (createuser)."
        ).format(base=base)
        help_text = self.query_one("#users-help", Static)
        help_text.update(escape(str(help_text.content) + " " + note))

    def _after(self, result: object) -> None:
        if result:
            self.notify(_("Saved."))
            self.query_one(LazyTable).refresh_rows()

    def action_new(self) -> None:
        self.app.push_screen(UserForm(), self._after)

    def action_edit(self) -> None:
        login = self.query_one(LazyTable).selected_key
        if login is not None:
            self.run_service(
                lambda: users.get_user(str(login)),
                lambda user: self.app.push_screen(
                    UserForm(user.login, user.role, user.full_name), self._after
                ),
                group="user",
                exclusive=True,
            )

    @on(LazyTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_toggle_active(self) -> None:
        login = self.query_one(LazyTable).selected_key
        if login is not None:

            def toggle() -> Any:
                return users.set_active(str(login), not users.get_user(str(login)).active)

            self.run_service(
                toggle,
                lambda _user: self.query_one(LazyTable).refresh_rows(),
                group="user",
                exclusive=True,
            )

    def action_back(self) -> None:
        self.app.pop_screen()
