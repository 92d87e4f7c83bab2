"""web: full-text index over the changed text (SQLite FTS5) and views for the common questions

    changes_fts           FTS5 index of title, location, added and removed text, external content
                          (read through the view changes_fts_content, so no text is stored twice),
                          kept in sync with ``changes`` by three triggers
    v_changes             one row per change with its source name and dimensions flattened:
                          a comma list plus one 0/1 column per dimension key
    v_source_activity     changes per source per month (``YYYY-MM``)
    v_dimension_month     changes per dimension per month
    v_source_health       each source with its state, checks and errors in the last 30 days

PostgreSQL gets the views (same columns) but no FTS table: search falls back to LIKE there.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DIMENSION_KEYS = ("guidance", "tools", "collaboration", "experimentation")


def _joined(dialect: str, column: str) -> str:
    """The JSON list of texts in *column* as one string, one text per line."""
    if dialect == "sqlite":
        return f"(SELECT group_concat(value, char(10)) FROM json_each({column}))"
    return f"(SELECT string_agg(value, E'\\n') FROM json_array_elements_text({column}))"


def _views(dialect: str) -> list[str]:
    month = (
        "substr(c.detected_at, 1, 7)"
        if dialect == "sqlite"
        else "to_char(c.detected_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    )
    dims_list = (
        "(SELECT group_concat(dimension, ',') FROM "
        "(SELECT dimension FROM change_dimensions WHERE change_id = c.id ORDER BY dimension))"
        if dialect == "sqlite"
        else "(SELECT string_agg(dimension, ',' ORDER BY dimension) "
        "FROM change_dimensions WHERE change_id = c.id)"
    )
    flags = ",\n".join(
        f"  CASE WHEN EXISTS (SELECT 1 FROM change_dimensions d WHERE d.change_id = c.id "
        f"AND d.dimension = '{key}') THEN 1 ELSE 0 END AS {key}"
        for key in DIMENSION_KEYS
    )
    recent = "datetime('now', '-30 days')" if dialect == "sqlite" else "now() - interval '30 days'"
    return [
        f"""CREATE VIEW v_changes AS
SELECT c.id, c.detected_at, c.source_id, COALESCE(NULLIF(s.name, ''), s.id) AS source_name,
  c.kind, c.location, c.title, c.url, {dims_list} AS dimensions,
{flags},
  {_joined(dialect, "c.added")} AS added_text,
  {_joined(dialect, "c.removed")} AS removed_text,
  c.snapshot_id, c.previous_snapshot_id
FROM changes c JOIN sources s ON s.id = c.source_id""",
        f"""CREATE VIEW v_source_activity AS
SELECT c.source_id, {month} AS month, count(*) AS changes
FROM changes c GROUP BY c.source_id, {month}""",
        f"""CREATE VIEW v_dimension_month AS
SELECT d.dimension, {month} AS month, count(*) AS changes
FROM change_dimensions d JOIN changes c ON c.id = d.change_id
GROUP BY d.dimension, {month}""",
        f"""CREATE VIEW v_source_health AS
SELECT s.id AS source_id, COALESCE(NULLIF(s.name, ''), s.id) AS name, s.url, s.status,
  s.last_checked_at, s.last_change_at, s.error_since, s.last_error,
  (SELECT count(*) FROM checks k WHERE k.source_id = s.id AND k.started_at >= {recent})
    AS checks_30d,
  (SELECT count(*) FROM checks k WHERE k.source_id = s.id AND k.outcome = 'error'
    AND k.started_at >= {recent}) AS errors_30d
FROM sources s""",
    ]


VIEW_NAMES = ("v_changes", "v_source_activity", "v_dimension_month", "v_source_health")


def _fts_statements() -> list[str]:
    added, removed = _joined("sqlite", "new.added"), _joined("sqlite", "new.removed")
    old_added, old_removed = _joined("sqlite", "old.added"), _joined("sqlite", "old.removed")
    insert_new = (
        "INSERT INTO changes_fts(rowid, title, location, added, removed) "
        f"VALUES (new.id, new.title, new.location, {added}, {removed});"
    )
    delete_old = (
        "INSERT INTO changes_fts(changes_fts, rowid, title, location, added, removed) "
        f"VALUES ('delete', old.id, old.title, old.location, {old_added}, {old_removed});"
    )
    return [
        f"""CREATE VIEW changes_fts_content AS
SELECT c.id, c.title, c.location, {_joined("sqlite", "c.added")} AS added,
  {_joined("sqlite", "c.removed")} AS removed
FROM changes c""",
        "CREATE VIRTUAL TABLE changes_fts USING fts5(title, location, added, removed, "
        "content='changes_fts_content', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER changes_fts_insert AFTER INSERT ON changes BEGIN {insert_new} END",
        f"CREATE TRIGGER changes_fts_delete AFTER DELETE ON changes BEGIN {delete_old} END",
        "CREATE TRIGGER changes_fts_update AFTER UPDATE OF title, location, added, removed "
        f"ON changes BEGIN {delete_old} {insert_new} END",
        # index the changes already there ('rebuild' cannot read a view as its content)
        "INSERT INTO changes_fts(rowid, title, location, added, removed) "
        "SELECT id, title, location, added, removed FROM changes_fts_content",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _views(dialect):
        op.execute(statement)
    if dialect == "sqlite":
        for statement in _fts_statements():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("changes_fts_insert", "changes_fts_delete", "changes_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS changes_fts")
        op.execute("DROP VIEW IF EXISTS changes_fts_content")
    for view in reversed(VIEW_NAMES):
        op.execute(f"DROP VIEW IF EXISTS {view}")
