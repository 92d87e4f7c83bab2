"""observatory.store.search: safe FTS5 expressions, the index kept in sync, highlights, and the
views of migration 0003, on both engines (FTS5 on SQLite, the tsvector of 0008 on PostgreSQL):
the same words find the same changes and mark the same words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from observatory.store import changes, search
from observatory.store.changes import ChangeFilter
from observatory.store.db import make_engine
from observatory.store.models import Blob, ChangeDimension, ChangeRow, Snapshot, SourceState
from observatory.store.search import mark_words, match_expression, terms
from tests.engines import Databases


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
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
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


def found(engine: Engine, words: str, *, fts: search.Index | None = None) -> list[int]:
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
    if engine.dialect.name == "sqlite":
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
    assert found(engine, "sandbox", fts="like") == found(engine, "sandbox") == [ids[0]]
    fallback = changes.page_of_changes(
        engine, ChangeFilter(words="sandbox"), fts="like", highlight=True
    )
    assert "<mark>sandbox</mark>" in str(fallback.highlights[ids[0]].title)


def test_views_answer_the_common_questions(engine: Engine) -> None:
    add(engine, title="a", added=["x"], dimensions=["experimentation", "tools"])
    add(engine, title="b", added=["y", "z"], dimensions=["guidance"])
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT title, dimensions, experimentation, tools, guidance, added_text "
                "FROM v_changes ORDER BY id"
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            ("a", "experimentation,tools", 1, 1, 0, "x"),
            ("b", "guidance", 0, 0, 1, "y\nz"),
        ]
        month = datetime.now(UTC).strftime("%Y-%m")
        activity = conn.execute(text("SELECT * FROM v_source_activity")).all()
        assert [tuple(r) for r in activity] == [("s", month, 2)]
        dims = {d: n for d, m, n in conn.execute(text("SELECT * FROM v_dimension_month"))}
        assert dims == {"experimentation": 1, "tools": 1, "guidance": 1}
        health = conn.execute(text("SELECT source_id, status, checks_30d FROM v_source_health"))
        assert [tuple(r) for r in health] == [("s", "unchecked", 0)]
        added = conn.execute(text("SELECT added FROM changes ORDER BY id LIMIT 1")).scalar()
    # readable JSON in the file (SQLite's text), a json value on PostgreSQL
    assert (json.loads(added) if isinstance(added, str) else added) == ["x"]


def test_migration_downgrades_and_upgrades_on_sqlite(tmp_path: Path) -> None:
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


SEMANTICS = [  # (words, the titles of the changes they find, newest first)
    ("sandbox", ["AI-based sandbox", "Sandbox pilot"]),
    ("sand", []),  # whole words only
    ("sand*", ["AI-based sandbox", "Sandbox pilot"]),
    ("based", ["AI-based sandbox"]),  # hyphenated words are two words
    ("example", ["Notice"]),  # so are host names
    ("org", ["Notice"]),
    ("foo", ["Notice"]),  # and snake_case
    ("MEDICINES", ["Sandbox pilot"]),
    ("médicinés", ["Sandbox pilot"]),
    ('"regulatory sandbox"', ["Sandbox pilot"]),
    ('"sandbox regulatory"', []),
    ('"pilot article"', []),  # a phrase never spans two fields (title, location)
    ('"pilot article" OR notice', ["Notice"]),
    ("sandbox pilot OR notice", ["Notice", "Sandbox pilot"]),  # (sandbox AND pilot) OR notice
    ("notice OR sandbox pilot", ["Notice", "Sandbox pilot"]),  # notice OR (sandbox AND pilot)
    ("sandbox OR notice OR", ["Notice", "AI-based sandbox", "Sandbox pilot"]),
    ("sandbox -pilot", ["Sandbox pilot"]),  # no NOT: "-pilot" is the word "pilot"
    ('NEAR(sandbox pilot) title:x "unbalanced', []),
    ("_", []),
    ("it's", []),
    ("literac*", ["Notice"]),
    ("second text", ["Sandbox pilot"]),  # words of two added texts, ANDed
]


def test_the_same_words_find_the_same_changes(engine: Engine) -> None:
    by_id = {}
    for title, fields in (
        (
            "Sandbox pilot",
            {
                "location": "Article 4",
                "added": ["A regulatory sandbox for Médicines", "second text"],
            },
        ),
        ("AI-based sandbox", {"removed": ["Nothing else"]}),
        ("Notice", {"added": ["See example.org and foo_bar on AI literacy"]}),
    ):
        by_id[add(engine, title=title, **fields)] = title
    results = {words: [by_id[i] for i in found(engine, words)] for words, _ in SEMANTICS}
    assert results == dict(SEMANTICS)


@pytest.mark.parametrize(
    ("words", "title"),
    [
        ("sandbox", "Sandboxes and one <mark>sandbox</mark>, <mark>SANDBOX</mark>-ready"),
        (
            "sandbox*",
            "<mark>Sandboxes</mark> and one <mark>sandbox</mark>, <mark>SANDBOX</mark>-ready",
        ),
        ('"one sandbox"', "Sandboxes and <mark>one sandbox</mark>, SANDBOX-ready"),
    ],
)
def test_the_same_words_are_marked(engine: Engine, words: str, title: str) -> None:
    change = add(engine, title="Sandboxes and one sandbox, SANDBOX-ready", added=["a sandbox"])
    page = changes.page_of_changes(engine, ChangeFilter(words=words), highlight=True)
    assert [r.id for r in page.rows] == [change]
    assert str(page.highlights[change].title) == title
    assert "<mark>" in str(page.highlights[change].snippet)


def test_postgresql_migration_downgrades_and_upgrades(databases: Databases) -> None:
    """0008 removes its column, index and functions, and puts them back."""
    from alembic import command

    from observatory.store.db import alembic_config, migrate

    url = databases.new_postgresql(migrated=False)
    engine = make_engine(url)
    try:
        migrate(engine)
        assert search.full_text_index(engine) == "tsvector"
        command.downgrade(alembic_config(engine), "0007")
        assert search.full_text_index(engine) == "like"
        with engine.connect() as conn:
            functions = conn.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'observatory%'")
            ).scalar()
        assert functions == 0
        migrate(engine)
        assert search.full_text_index(engine) == "tsvector"
    finally:
        engine.dispose()
        databases.drop_postgresql(url)
