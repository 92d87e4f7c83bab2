"""PostgreSQL full-text search: a tsvector column on changes, a GIN index, the word functions

SQLite has had its FTS5 index since 0003; this revision gives PostgreSQL the same search with the
same meaning (``observatory.store.search``):

    observatory_words(text)       the words of a text as FTS5's ``unicode61 remove_diacritics 2``
                                  tokenizer finds them: decomposed (NFD), diacritics dropped,
                                  lower-cased, split at every character that is not a letter or a
                                  digit (so ``example.org`` is two words and ``AI-based`` two)
    observatory_search_vector()   title, location, added and removed text as one tsvector, each
                                  word at its position, one unused position between two fields
                                  (a phrase never matches across them, as in FTS5's columns)
    observatory_phrase(text, bool) what the user typed for one term as a tsquery: its words in
                                  a row (``<->``), the last one a prefix when asked
    changes.search_vector         generated (STORED) from the row by observatory_search_vector,
                                  so every writer keeps it in sync; GIN index ix_changes_search

The vector is built by hand ('word':position, ...) rather than by to_tsvector, whose parser
would keep ``example.org``, URLs and hyphenated words whole and so differ from FTS5. Limits that
FTS5 has not: positions stop at 16383 (tsvector's limit), words of 2048 bytes or more and the
words past the first ~500 KB of a change are not indexed (a tsvector holds at most 1 MB).
Needs a UTF-8 database (``normalize``); letters are those of the database's locale (C.UTF-8 or
a language locale: every script; plain C: ASCII only).

On SQLite this revision changes nothing.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A word as a quoted tsvector/tsquery lexeme: 'it''s' (backslashes doubled, quotes doubled).
_QUOTED = "'''' || replace(replace(w, '\\', '\\\\'), '''', '''''') || ''''"

_WORDS = r"""
CREATE FUNCTION observatory_words(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(w ORDER BY n), '{}')
  FROM regexp_split_to_table(
         lower(regexp_replace(normalize(coalesce(t, ''), NFD), '[\u0300-\u036f]+', '', 'g')),
         '[^[:alnum:]]+') WITH ORDINALITY AS s(w, n)
  WHERE w <> '' AND octet_length(w) < 2048
$$"""

_JOINED = (
    "CASE WHEN json_typeof({0}) = 'array' THEN "
    "(SELECT string_agg(value, E'\\n') FROM json_array_elements_text({0})) END"
)

_VECTOR = f"""
CREATE FUNCTION observatory_search_vector(title text, location text, added json, removed json)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg({_QUOTED} || ':' || least(pos, 16383), ' '), '')::tsvector
  FROM (
    SELECT w, row_number() OVER (ORDER BY part, n) + part AS pos,
           sum(octet_length(w) + 8) OVER (ORDER BY part, n) AS size
    FROM (
      SELECT 1 AS part, w, n FROM unnest(observatory_words(title)) WITH ORDINALITY AS u(w, n)
      UNION ALL
      SELECT 2, w, n FROM unnest(observatory_words(location)) WITH ORDINALITY AS u(w, n)
      UNION ALL
      SELECT 3, w, n FROM unnest(observatory_words({_JOINED.format("added")}))
        WITH ORDINALITY AS u(w, n)
      UNION ALL
      SELECT 4, w, n FROM unnest(observatory_words({_JOINED.format("removed")}))
        WITH ORDINALITY AS u(w, n)
    ) AS words
  ) AS placed
  WHERE size < 500000
$$"""

_PHRASE = f"""
CREATE FUNCTION observatory_phrase(term text, prefix boolean) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_agg(
           {_QUOTED} || CASE WHEN prefix AND n = cardinality(ws) THEN ':*' ELSE '' END,
           ' <-> ' ORDER BY n)::tsquery
  FROM observatory_words(term) AS ws, unnest(ws) WITH ORDINALITY AS u(w, n)
$$"""

_COLUMN = (
    "ALTER TABLE changes ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(observatory_search_vector(title, location, added, removed)) STORED"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (_WORDS, _VECTOR, _PHRASE, _COLUMN):
        op.execute(statement)
    op.execute("CREATE INDEX ix_changes_search ON changes USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_changes_search")
    op.execute("ALTER TABLE changes DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP FUNCTION IF EXISTS observatory_phrase(text, boolean)")
    op.execute("DROP FUNCTION IF EXISTS observatory_search_vector(text, text, json, json)")
    op.execute("DROP FUNCTION IF EXISTS observatory_words(text)")
