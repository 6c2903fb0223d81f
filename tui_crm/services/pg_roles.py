"""PostgreSQL: the server enforces the roles, so psql obeys as the application does.

Each person connects as their own PostgreSQL role (peer authentication over the local
socket: no passwords), so who they are is the server's `session_user`. `tui-crm init`
(`install`) creates four group roles per database, named after it so two databases on
one server never share them:

    crm_<database>_admin  crm_<database>_accounting  crm_<database>_sales
    crm_<database>_readonly

and gives them exactly the rights of the application's roles (services/permissions.py):

- read-only: SELECT, nothing else;
- sales: clients, contacts, the timeline, projects, quotes, orders, the catalog, email,
  documents; invoices and their lines only while they are drafts (row-level security:
  no issuing, voiding or changing an issued invoice); no payments, no settings, no users;
- accounting: all of sales', any invoice (the guards below still hold), payments, the
  invoice counters, VERI*FACTU records;
- admin: everything, settings and users included.

Nobody (not even the tables' owner) updates, deletes or truncates the audit log, or
changes or deletes an issued invoice: triggers (migrations 8 and 12) refuse it. Only a
PostgreSQL superuser stands outside every guard, as on any server.

Roles are granted and revoked through `tui_crm_grant_role(login, role)`, a SECURITY
DEFINER function owned by whoever ran `init` (who may create roles): only members of the
admin group may call it. `tui_crm_role_of(login)` says which group someone is in.
"""

from __future__ import annotations

import re

from ..db import database, execute
from ..i18n import _
from .errors import PermissionDenied, RuleViolation

GROUPS = ("admin", "accounting", "sales", "readonly")

# What each group may do to each table, beyond reading (every group reads every table).
SALES_TABLES = (
    "client",
    "address",
    "contact",
    "custom_field_value",
    "tag",
    "client_tag",
    "client_search",
    "project",
    "opportunity",
    "activity",
    "activity_attendee",
    "comment_template",
    "product",
    "quote",
    "quote_line",
    "sales_order",
    "order_line",
    "recurring_invoice",
    "recurring_line",
    "email_message",
    "email_attachment",
    "payment_reminder",
    "document",
    "invoice_replaced",  # what a draft F3 replaces; frozen with the invoice by its triggers
)
DRAFT_TABLES = ("invoice", "invoice_line")  # sales: drafts only (row-level security)
ACCOUNTING_TABLES = (
    "payment",
    "payment_allocation",
    "series_counter",
    "client_revenue",
    "client_month_revenue",
    "expense",  # expenses.write: accounting and admin
)
ADMIN_TABLES = ("setting", "custom_field_def", "email_template", "user")
APPEND_ONLY = ("audit_log",)  # INSERT and SELECT, for every writing group
CHAIN_TABLES = ("audit_chain_head",)  # the audit chain's head: every writer moves it
READ_ONLY_TABLES = ("schema_version",)
# A table not named above (a later feature's) is read by all and written by accounting
# and admin: issuing and paying are theirs; name it above to say otherwise.


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:40]


def prefix() -> str:
    """`crm_<database>`: the group roles' common prefix for the open database."""
    return "crm_" + _safe(str(execute("SELECT current_database()").fetchone()[0]))


def group(role: str, base: str | None = None) -> str:
    return f"{base or prefix()}_{role}"


def session_login() -> str:
    """Who is connected: the server's session user (with peer authentication, the login)."""
    return str(execute("SELECT session_user").fetchone()[0])


def installed() -> bool:
    """Whether `init` set up the group roles on this database."""
    row = execute("SELECT to_regprocedure('tui_crm_role_of(text)') IS NOT NULL").fetchone()
    return bool(row[0])


def role_of(login: str) -> str | None:
    """The application role the server gives `login` (None: none of this database's groups)."""
    row = execute("SELECT tui_crm_role_of(?)", (login,)).fetchone()
    return row[0] if row and row[0] else None


def no_role(login: str) -> PermissionDenied:
    return PermissionDenied(
        _(
            "{login} has no role on this database; an admin grants one (Users and roles), "
            "or the server's administrator runs: GRANT {group} TO {login}"
        ).format(login=login, group=group("sales"))
    )


def grant(login: str, role: str | None) -> None:
    """Make `login` a member of exactly one group role (None: of none). The server checks
    that the caller is an admin and that `login` is a PostgreSQL role."""
    import peewee

    try:
        with database.atomic():
            execute("SELECT tui_crm_grant_role(?, ?)", (login, role))
    except peewee.DatabaseError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuleViolation(text) from None


# --- installing ------------------------------------------------------------------


def _tables() -> list[str]:
    return [
        r[0]
        for r in execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statements(base: str, tables: list[str], owner: str) -> list[str]:
    """The SQL that sets up the group roles of `base` on `tables` (idempotent)."""
    g = {role: _ident(group(role, base)) for role in GROUPS}
    names = {role: group(role, base) for role in GROUPS}
    everyone = ", ".join(g.values())
    writers = ", ".join(g[r] for r in ("admin", "accounting", "sales"))
    issuers = ", ".join(g[r] for r in ("admin", "accounting"))
    out: list[str] = []
    for role in GROUPS:
        out.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{names[role]}') THEN CREATE ROLE {g[role]} NOLOGIN; END IF; END $$"
        )
    checks = "\n".join(
        f"  IF pg_has_role(who, '{names[role]}', 'MEMBER') THEN RETURN '{role}'; END IF;"
        for role in GROUPS
    )
    out.append(
        "CREATE OR REPLACE FUNCTION tui_crm_role_of(who text) RETURNS text "
        "LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$\n"
        "BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = who) THEN RETURN NULL; END IF;\n"
        f"{checks}\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    out.append(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    out.append("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {writers}")
    for table in tables:
        t = _ident(table)
        out.append(f"REVOKE ALL ON {t} FROM {everyone}")
        out.append(f"GRANT SELECT ON {t} TO {everyone}")
        if table in READ_ONLY_TABLES:
            continue
        if table in APPEND_ONLY:
            out.append(f"GRANT INSERT ON {t} TO {writers}")
        elif table in CHAIN_TABLES:
            out.append(f"GRANT INSERT, UPDATE ON {t} TO {writers}")
        elif table == "user":
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {t} TO {g['admin']}")
            out.append(f'GRANT INSERT, UPDATE ("last_seen_at") ON {t} TO {writers}')
        elif table in ADMIN_TABLES:
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {t} TO {g['admin']}")
        elif table in SALES_TABLES or table in DRAFT_TABLES:
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {t} TO {writers}")
            if table == "client":  # deleting clients is an admin's (clients.delete)
                out.append(f"REVOKE DELETE ON {t} FROM {g['accounting']}, {g['sales']}")
        else:  # ACCOUNTING_TABLES and any table not named
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {t} TO {issuers}")
    # Row-level security: sales touch invoices (and their lines) only while drafts.
    if "invoice" in tables:
        out += _policies(
            "invoice",
            g,
            draft="status = 'draft'",
        )
    if "invoice_line" in tables:
        out += _policies(
            "invoice_line",
            g,
            draft="EXISTS (SELECT 1 FROM invoice i WHERE i.id = invoice_id AND i.status = 'draft')",
        )
    if "user" in tables:
        out += [
            'ALTER TABLE "user" ENABLE ROW LEVEL SECURITY',
            'DROP POLICY IF EXISTS tui_crm_read ON "user"',
            f'CREATE POLICY tui_crm_read ON "user" FOR SELECT TO {everyone} USING (true)',
            'DROP POLICY IF EXISTS tui_crm_admin ON "user"',
            f'CREATE POLICY tui_crm_admin ON "user" FOR ALL TO {g["admin"]} '
            "USING (true) WITH CHECK (true)",
            'DROP POLICY IF EXISTS tui_crm_self ON "user"',
            # others add only themselves, with the role the server gives them
            f'CREATE POLICY tui_crm_self ON "user" FOR INSERT TO {writers} '
            "WITH CHECK (login = session_user::text "
            "AND role = tui_crm_role_of(session_user::text))",
            'DROP POLICY IF EXISTS tui_crm_seen ON "user"',
            f'CREATE POLICY tui_crm_seen ON "user" FOR UPDATE TO {writers} '
            "USING (login = session_user::text) WITH CHECK (login = session_user::text)",
        ]
    revokes = "\n".join(
        f"  IF EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        f"JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = '{names[role]}' "
        f"AND u.rolname = who) AND new_role IS DISTINCT FROM '{role}' THEN "
        f"EXECUTE format('REVOKE %I FROM %I', '{names[role]}', who); END IF;"
        for role in GROUPS
    )
    out.append(
        "CREATE OR REPLACE FUNCTION tui_crm_grant_role(who text, new_role text) RETURNS void "
        "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$\n"
        "BEGIN\n"
        f"  IF NOT pg_has_role(session_user, '{names['admin']}', 'MEMBER') THEN\n"
        "    RAISE EXCEPTION 'only an admin grants roles' USING ERRCODE = '42501';\n"
        "  END IF;\n"
        "  IF new_role IS NOT NULL AND new_role NOT IN "
        "('admin', 'accounting', 'sales', 'readonly') THEN\n"
        "    RAISE EXCEPTION 'unknown role %', new_role USING ERRCODE = '22023';\n"
        "  END IF;\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = who AND rolcanlogin) THEN\n"
        "    RAISE EXCEPTION 'there is no PostgreSQL login role %: the server''s "
        "administrator creates it first (createuser %)', who, who USING ERRCODE = '42704';\n"
        "  END IF;\n"
        f"{revokes}\n"
        "  IF new_role IS NOT NULL THEN\n"
        f"    EXECUTE format('GRANT %I TO %I', '{base}_' || new_role, who);\n"
        "  END IF;\n"
        "END $$"
    )
    out.append("REVOKE ALL ON FUNCTION tui_crm_grant_role(text, text) FROM PUBLIC")
    out.append(f"GRANT EXECUTE ON FUNCTION tui_crm_grant_role(text, text) TO {g['admin']}")
    out.append("REVOKE ALL ON FUNCTION tui_crm_role_of(text) FROM PUBLIC")
    out.append(f"GRANT EXECUTE ON FUNCTION tui_crm_role_of(text) TO {everyone}")
    # the person who sets the database up is its first admin
    out.append(
        "DO $$ BEGIN IF NOT pg_has_role(session_user, "
        f"'{names['admin']}', 'MEMBER') THEN GRANT {g['admin']} TO {_ident(owner)}; END IF; "
        "END $$"
    )
    return out


def _policies(table: str, g: dict[str, str], *, draft: str) -> list[str]:
    t = _ident(table)
    everyone = ", ".join(g.values())
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tui_crm_read ON {t}",
        f"CREATE POLICY tui_crm_read ON {t} FOR SELECT TO {everyone} USING (true)",
        f"DROP POLICY IF EXISTS tui_crm_any ON {t}",
        f"CREATE POLICY tui_crm_any ON {t} FOR ALL TO {g['admin']}, {g['accounting']} "
        "USING (true) WITH CHECK (true)",
        f"DROP POLICY IF EXISTS tui_crm_drafts ON {t}",
        f"CREATE POLICY tui_crm_drafts ON {t} FOR ALL TO {g['sales']} "
        f"USING ({draft}) WITH CHECK ({draft})",
    ]


def install() -> str:
    """Create or refresh this database's group roles, privileges, policies and functions
    (`tui-crm init` on PostgreSQL; safe to run again after an upgrade). The one who runs
    it must own the tables and may create roles; they become an admin. Returns the
    group roles' prefix."""
    import peewee

    from ..models import User

    base = prefix()
    me = session_login()
    try:
        with database.atomic():
            cursor = database.cursor()
            for statement in statements(base, _tables(), me):
                cursor.execute(statement)  # no parameters: "%" is plain SQL here
            # colleagues already on the list keep their role, now the server's
            for user in User.select().where(User.active == True):  # noqa: E712
                exists = execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = ? AND rolcanlogin", (user.login,)
                ).fetchone()
                if exists and role_of(user.login) is None:
                    execute("SELECT tui_crm_grant_role(?, ?)", (user.login, user.role))
    except peewee.DatabaseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuleViolation(
            _(
                "cannot set up the PostgreSQL roles ({error}): run `tui-crm init` as the role "
                "that owns the tables and may create roles"
            ).format(error=first)
        ) from None
    return base
