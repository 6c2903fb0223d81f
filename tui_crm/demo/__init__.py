"""Realistic Spanish demo data, fast enough for the scale case (`tui-crm demo`; see
ARCHITECTURE.md, "Targets").

`generate_demo(clients, invoices, seed)` fills an opened, migrated and EMPTY
database with a believable business: its own settings and users, companies
(S.L., S.A., S.Coop. with valid CIFs) and freelancers (valid DNIs and NIEs)
across every Spanish province, contacts, tags, custom fields, a timeline with
follow-ups, projects, opportunities, a catalog, quotes, orders, three years of
issued invoices numbered without gaps per series and year, payments (many
settling several invoices), a few rectifying invoices, and the client search
index.

It follows the rules of the services it stands in for: invoices carry the frozen
client and issuer snapshot (`invoices.format_address`, `invoices.issuer_snapshot`),
numbers and issue dates grow together per series and year with `series_counter`
matching, totals are those of `money.document_totals`, statuses follow paid and
outstanding, a rectifying invoice is compensated against its original by a
zero-amount "compensation" payment (or refunded by a negative payment when the
original was already paid), client figures and `client_revenue` add up, and
leads have no invoices. A client buys in bursts and pays each burst with one
payment, so about one payment per ten invoices still gives believable days to pay.

How it stays fast (100,000 clients and 1,000,000 invoices, the scale case of `make bench`):
- ONE transaction on the raw sqlite3 connection with `synchronous=OFF`, a rollback
  journal instead of WAL (pages appended to an empty file need no journal), a 1 GB
  page cache, reads through a memory map and foreign-key checks off; every pragma is
  restored afterwards;
- the secondary indexes of the bulk tables are dropped first and recreated from the
  exact SQL read from `sqlite_master` (a sort beats a million random B-tree
  inserts); a trigger that maintains a derived table row by row is replaced by its
  migration's own backfill statement (see `replaceable_triggers`), run once at the end
  (those that only need `invoice_counted_by_date` read that narrow index);
- each invoice is fingerprinted (`services.evidence`) as it is written, never by a
  second pass over a million rows: its fiscal content is assembled in Python from
  values quoted by SQLite's own JSON functions, hashed while the other thread writes
  the lines, and staged for the invoice `INSERT ... SELECT`;
- plain tuples through `executemany`, and the wide rows (a million invoices, their
  lines) made by SQLite itself with `INSERT ... SELECT` from a narrow staging table
  fed by `zip` and a pool of precomputed line sets;
- two threads: SQLite releases the GIL while a statement runs, so the long ones (an
  `INSERT ... SELECT`, a `CREATE INDEX`) run in a second thread while the main thread
  builds the next rows in Python (`bulk.Background`), the VERI*FACTU records included;
- integer cents rounded exactly like `money.py` (ROUND_HALF_UP per line, tax per rate
  on the sum of the line bases); `tests/unit/test_demo.py` recomputes every invoice of a
  small run with `money.document_totals`;
- one `random.Random(seed)` used through `random()` and integer arithmetic on
  precomputed pools, never the global generator: a seed and a fixed `today` always
  give the same data.
"""

from .generator import VERIFACTU_DAYS, DemoSummary, ProgressCallback, generate_demo

__all__ = ["VERIFACTU_DAYS", "DemoSummary", "ProgressCallback", "generate_demo"]
