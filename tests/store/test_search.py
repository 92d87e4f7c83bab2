"""observatory.search: safe FTS5 expressions, the index kept in sync by triggers, highlights,
and the views of migration 0003."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from observatory.store import changes
from observatory.store.changes import ChangeFilter
from observatory.store.db import open_db
from observatory.store.models import Blob, ChangeDimension, ChangeRow, Snapshot, SourceState
from observatory.store.search import mark_words, match_expression, terms


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("sandbox", '"sandbox"'),
        ("regulatory sandbox", '"regulatory" "sandbox"'),
        ('"regulatory sandbox" pilot', '"regulatory sandbox" "pilot"'),
        ("literac*", '"literac"*'),
        ("a OR b", '"a" OR "b"'),
        ("OR a OR", '"a"'),
        ('NEAR(a b) title:x "unbalanced', '"NEAR(a" "b)" "title:x" "unbalanced"'),
        ("* ( ^ -", ""),
        ("", ""),
    ],
)
def test_match_expression_quotes_every_term(words: str, expected: str) -> None:
    assert match_expression(words) == expected


def test_terms_and_marking() -> None:
    assert terms('"a b" c*') == [("a b", True, False), ("c", False, True)]
    marked = str(mark_words("<b>Sandbox</b> pilot", "sandbox"))
    assert marked == "&lt;b&gt;<mark>Sandbox</mark>&lt;/b&gt; pilot"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_db(str(tmp_path / "s.db"))
    with Session(engine) as session:
        session.add(SourceState(id="s", url="https://example.org/", kind="page"))
        session.add(Blob(hash="h", data=b"x", size=1))
        session.flush()
        session.add(
            Snapshot(
                id=1,
                source_id="s",
                fetched_at=datetime.now(UTC),
                url="https://example.org/",
                fingerprint="f",
                blob_hash="h",
            )
        )
        session.commit()
    yield engine
    engine.dispose()


def add(engine: Engine, **fields: Any) -> int:
    with Session(engine) as session:
        row = ChangeRow(
            source_id="s", snapshot_id=1, detected_at=datetime.now(UTC), kind="added", **fields
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        for dimension in row.dimensions:
            session.add(ChangeDimension(change_id=row.id, dimension=dimension))
        session.commit()
        assert row.id is not None
        return row.id


def found(engine: Engine, words: str, *, fts: bool = True) -> list[int]:
    page = changes.page_of_changes(engine, ChangeFilter(words=words), fts=fts, highlight=True)
    return [r.id for r in page.rows if r.id is not None]


def test_index_follows_inserts_updates_and_deletes(engine: Engine) -> None:
    first = add(engine, title="Sandbox", added=["An AI regulatory sandbox for medicines"])
    second = add(engine, title="Literacy", removed=["AI literacy of staff"], location="Article 4")
    assert found(engine, "sandbox") == [first]
    assert found(engine, "literacy") == [second]
    assert found(engine, "article") == [second], "the location is indexed"
    assert found(engine, "medicine*") == [first]
    assert found(engine, "Médicines") == [first], "diacritics folded"
    with Session(engine) as session:
        row = session.get(ChangeRow, first)
        assert row is not None
        row.added = ["A testing facility"]
        session.add(row)
        session.commit()
    assert found(engine, "sandbox") == [first], "the title still says Sandbox"
    assert found(engine, "medicines") == []
    assert found(engine, "facility") == [first]
    with Session(engine) as session:
        session.delete(session.get(ChangeRow, second))
        session.commit()
    assert found(engine, "literacy") == []
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO changes_fts(changes_fts) VALUES ('integrity-check')"))


def test_highlights_and_like_fallback_agree(engine: Engine) -> None:
    ids = [
        add(engine, title="<script>x</script> sandbox", added=["one regulatory sandbox pilot"]),
        add(engine, title="other", added=["nothing to see"]),
    ]
    page = changes.page_of_changes(engine, ChangeFilter(words="sandbox"), highlight=True)
    mark = page.highlights[ids[0]]
    assert str(mark.title) == "&lt;script&gt;x&lt;/script&gt; <mark>sandbox</mark>"
    assert "<mark>" in str(mark.snippet)
    assert found(engine, "sandbox", fts=False) == found(engine, "sandbox") == [ids[0]]
    fallback = changes.page_of_changes(
        engine, ChangeFilter(words="sandbox"), fts=False, highlight=True
    )
    assert "<mark>sandbox</mark>" in str(fallback.highlights[ids[0]].title)


def test_views_answer_the_common_questions(engine: Engine, tmp_path: Path) -> None:
    add(engine, title="a", added=["x"], dimensions=["experimentation", "tools"])
    add(engine, title="b", added=["y"], dimensions=["guidance"])
    conn = sqlite3.connect(tmp_path / "s.db")
    rows = conn.execute(
        "SELECT title, dimensions, experimentation, tools, guidance, added_text "
        "FROM v_changes ORDER BY id"
    ).fetchall()
    assert rows == [("a", "experimentation,tools", 1, 1, 0, "x"), ("b", "guidance", 0, 0, 1, "y")]
    month = datetime.now(UTC).strftime("%Y-%m")
    assert conn.execute("SELECT * FROM v_source_activity").fetchall() == [("s", month, 2)]
    dims = dict((d, n) for d, _m, n in conn.execute("SELECT * FROM v_dimension_month").fetchall())
    assert dims == {"experimentation": 1, "tools": 1, "guidance": 1}
    health = conn.execute("SELECT source_id, status, checks_30d FROM v_source_health").fetchall()
    assert health == [("s", "unchecked", 0)]
    assert json.loads(conn.execute("SELECT added FROM changes LIMIT 1").fetchone()[0]) == ["x"]
    conn.close()


def test_migration_downgrades_and_upgrades(tmp_path: Path) -> None:
    from alembic import command

    from observatory.store.db import alembic_config, make_engine, migrate

    engine = make_engine(str(tmp_path / "m.db"))
    migrate(engine)
    command.downgrade(alembic_config(engine), "0002")
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert "changes_fts" not in names and "v_changes" not in names
    migrate(engine)
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert {"changes_fts", "v_changes", "v_source_activity", "v_dimension_month"} <= names
    engine.dispose()
