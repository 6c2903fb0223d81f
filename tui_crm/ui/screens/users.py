"""Users and roles (admin): who may do what on this database."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static

from ...i18n import _
from ...models import ROLES
from ...services.permissions import ROLE_LABELS
from ..formatting import local_datetime
from ..widgets.footer import Footer
from ..widgets.form import FieldSpec, FormScreen
from ..widgets.lazy_table import Column, LazyTable, Row


def _role_choices() -> list[tuple[str, str]]:
    return [(_(ROLE_LABELS[r]), r) for r in ROLES]


class UserSource:
    def count(self) -> int:
        from ...db import database
        from ...models import User

        with database.connection_context():
            return User.select().count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        from ...db import database
        from ...models import User

        with database.connection_context():
            users = list(User.select().order_by(User.login).offset(offset).limit(limit))
        return [
            Row(
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
            for u in users
        ]


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
        from ...services import users

        if self.login is None:
            return users.add_user(values["login"], values["role"], values["full_name"]).login
        return users.set_role(self.login, values["role"]).login


class UsersScreen(Screen[None]):
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
            UserSource(),
            id="users-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Users and roles")
        self.query_one(LazyTable).focus()
        self._load_server_groups()

    @work(thread=True, exclusive=True, exit_on_error=False, group="server-groups")
    def _load_server_groups(self) -> None:
        from ...db import database
        from ...services import users

        with database.connection_context():
            base = users.server_groups()
        if base:
            note = _(
                "On this PostgreSQL server a role is membership of {base}_admin, "
                "{base}_accounting, {base}_sales or {base}_readonly: the server enforces it, "
                "and a new user must already be a PostgreSQL login (createuser)."
            ).format(base=base)
            self.app.call_from_thread(self._add_note, note)

    def _add_note(self, note: str) -> None:
        from rich.markup import escape

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
            self._open_role_form(str(login))

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _open_role_form(self, login: str) -> None:
        from ...db import database
        from ...models import User

        with database.connection_context():
            user = User.get_or_none(User.login == login)
        if user is not None:
            self.app.call_from_thread(
                self.app.push_screen, UserForm(user.login, user.role, user.full_name), self._after
            )

    @on(LazyTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_toggle_active(self) -> None:
        login = self.query_one(LazyTable).selected_key
        if login is not None:
            self._toggle(str(login))

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _toggle(self, login: str) -> None:
        from ...db import database
        from ...models import User
        from ...services import users
        from ...services.errors import ServiceError

        try:
            with database.connection_context():
                user = User.get(User.login == login)
                users.set_active(login, not user.active)
        except ServiceError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        else:
            self.app.call_from_thread(self.query_one(LazyTable).refresh_rows)

    def action_back(self) -> None:
        self.app.pop_screen()
