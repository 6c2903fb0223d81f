# ruff: noqa: E501
"""Meetings with a time, a place and attendees; leads with a source and a stage.

- `activity` gains `duration_minutes` (a meeting's length; its start is `occurred_at`),
  `place`, and what its calendar invitations need: `ical_uid` (stable for the life of
  the meeting), `ical_sequence` (incremented on every update sent) and `cancelled_at`;
- `activity_attendee`: who is invited to a meeting, a contact of the client or a
  colleague (a user), with the name and address the invitation went to;
- `client` gains `lead_source` (where a lead came from), `lead_stage` (new, contacted,
  qualified, lost) and `lead_lost_reason`; `client_lead_stage` walks the leads' board.
"""

NAME = "meetings with time and attendees, leads with a source and a stage"

_SQLITE = """
ALTER TABLE "activity" ADD COLUMN "duration_minutes" INTEGER;
ALTER TABLE "activity" ADD COLUMN "place" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "activity" ADD COLUMN "ical_uid" VARCHAR(120) NOT NULL DEFAULT '';
ALTER TABLE "activity" ADD COLUMN "ical_sequence" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "activity" ADD COLUMN "cancelled_at" DATETIME;
CREATE TABLE "activity_attendee" ("id" INTEGER NOT NULL PRIMARY KEY, "activity_id" INTEGER NOT NULL, "contact_id" INTEGER, "user_id" INTEGER, "name" VARCHAR(200) NOT NULL, "email" VARCHAR(254) NOT NULL, FOREIGN KEY ("activity_id") REFERENCES "activity" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL);
CREATE INDEX "activity_attendee_activity_id" ON "activity_attendee" ("activity_id");
ALTER TABLE "client" ADD COLUMN "lead_source" VARCHAR(60) NOT NULL DEFAULT '';
ALTER TABLE "client" ADD COLUMN "lead_stage" VARCHAR(10) NOT NULL DEFAULT 'new';
ALTER TABLE "client" ADD COLUMN "lead_lost_reason" VARCHAR(200) NOT NULL DEFAULT '';
CREATE INDEX "client_lead_stage" ON "client" ("lead_stage", "sort_name", "id") WHERE "kind" = 'lead' AND "status" <> 'merged';
"""

_POSTGRESQL = _SQLITE.replace(
    '"id" INTEGER NOT NULL PRIMARY KEY', '"id" SERIAL NOT NULL PRIMARY KEY'
).replace("DATETIME", "TIMESTAMP")


def statements(dialect: str) -> list[str]:
    text = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]


def up(db, dialect: str) -> None:
    for statement in statements(dialect):
        db.execute_sql(statement.rstrip(";"))
