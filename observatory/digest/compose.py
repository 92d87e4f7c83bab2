"""Pending changes per subscriber -> a rendered digest (subject, plain text, HTML). Pure.

``compose_digest`` decides whether a subscriber has news (changes not yet sent to them, a
source that started failing, or one that recovered since their last digest) and gathers it;
``render_digest`` turns it into text with Jinja2 templates. Every template is autoescaped
except the plain-text part (``*.txt.j2``), where HTML entities would corrupt the text; the text
part never goes into a header, and scraped strings are flattened to one line where they are
titles. Nothing here touches the database or the network.

Rendering many digests over the same changes is dominated by the per-change entries, so the
packaged templates render each entry with a ``change_entry`` macro called through
``change_block``: a ``FragmentCache`` shared by one run renders each (change, template, time
zone, public URL, detail level) once and hands the same string to every later digest. The cache
is bounded (least recently used entries go first) and checks that a hit is for the very same
change dict, so it never serves a stale entry (the cache itself lives in ``observatory.cache``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

from observatory import dimensions
from observatory.config import Subscriber
from observatory.digest.cache import FRAGMENT_BUDGET as FRAGMENT_BUDGET  # re-exported
from observatory.digest.cache import BoundedCache as BoundedCache  # re-exported
from observatory.digest.cache import FragmentCache
from observatory.store.models import SourceState, as_utc, iso
from observatory.templating import base_environment

CONTEXT_WORDS = 12  # unchanged words kept on each side of an edit
CUT_SLACK = 5  # cut only when that hides more than this many words
MAX_RUN_WORDS = 120  # longest added/removed run shown in full
MAX_DETAILED = 50  # changes shown with their words; the next ones as one line each
MAX_LISTED = 300  # changes listed at all; the summary counts every change


@dataclass(frozen=True)
class SourceNotice:
    source_id: str
    name: str
    url: str
    error_since: datetime | None
    last_error: str | None
    news: bool  # started failing since the subscriber's last digest


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    changes: list[dict[str, Any]]


@dataclass(frozen=True)
class Digest:
    subscriber: Subscriber
    timezone: str
    generated_at: datetime
    changes: list[dict[str, Any]]
    groups: list[Group]
    failing: list[SourceNotice]
    recovered: list[SourceNotice]
    source_names: Mapping[str, str]
    source_status: dict[str, str | None] = field(default_factory=dict)

    @cached_property
    def change_ids(self) -> list[int]:
        return [int(c["id"]) for c in self.changes]


@dataclass(frozen=True)
class RenderedDigest:
    """Subject and both parts; ``*_pieces`` cut a part at line ends (frame, entry, frame, ...).

    The pieces join to the part; entries (odd indices) are shared strings from the
    ``FragmentCache``, so later steps can reuse work done on them. Empty when not cut.
    """

    subject: str
    text: str
    html: str
    text_pieces: tuple[str, ...] = ()
    html_pieces: tuple[str, ...] = ()


READING_ORDER = itemgetter("source", "detected_at", "id")  # sort key of a digest's changes


def one_line(value: object) -> str:
    """Collapse every run of whitespace (CR/LF included) to one space."""
    return " ".join(str(value or "").split())


def matches(subscriber: Subscriber, change: Mapping[str, Any]) -> bool:
    return matcher(subscriber)(change)


def matcher(subscriber: Subscriber) -> Callable[[Mapping[str, Any]], bool]:
    """``matches`` for one subscriber, with their filters turned into sets once."""
    sources = frozenset(subscriber.sources)
    dimensions = frozenset(subscriber.dimensions)

    def match(change: Mapping[str, Any]) -> bool:
        if sources and change["source"] not in sources:
            return False
        return not dimensions or not dimensions.isdisjoint(change["dimensions"])

    return match


def group_changes(subscriber: Subscriber, changes: Iterable[Mapping[str, Any]]) -> list[Group]:
    """Each change once, under its first followed dimension; untagged ones under "Other"."""
    allowed = list(subscriber.dimensions) or list(dimensions.KEYS)
    buckets: dict[str, list[dict[str, Any]]] = {key: [] for key in [*allowed, dimensions.OTHER]}
    for change in changes:
        tags = change["dimensions"]
        key = dimensions.OTHER
        if tags:
            for dimension in allowed:
                if dimension in tags:
                    key = dimension
                    break
        buckets[key].append(change)  # type: ignore[arg-type]
    return [Group(key, dimensions.label(key), rows) for key, rows in buckets.items() if rows]


def _status(states: Iterable[SourceState], followed: set[str] | None) -> dict[str, SourceState]:
    return {s.id: s for s in states if followed is None or s.id in followed}


def compose_digest(
    subscriber: Subscriber,
    changes: Sequence[Mapping[str, Any]],
    states: Iterable[SourceState],
    previous_status: Mapping[str, str | None] | None,
    *,
    timezone: str,
    now: datetime | None = None,
) -> Digest | None:
    """The digest *subscriber* should get now, or None when nothing is new for them.

    *changes* are the changes not yet sent to them (``change_to_dict`` form); *previous_status*
    is the ``source_status`` of their last pending or sent digest (None if there was none).
    """
    followed = set(subscriber.sources) if subscriber.sources else None
    current = _status(states, followed)
    previous = dict(previous_status or {})
    mine = sorted(filter(matcher(subscriber), changes), key=READING_ORDER)
    failing, recovered, status = [], [], {}
    for sid, state in current.items():
        if state.status == "error":
            since = iso(state.error_since)
            status[sid] = since
            news = sid not in previous or previous[sid] != since
            failing.append(
                SourceNotice(
                    sid, state.name or sid, state.url, state.error_since, state.last_error, news
                )
            )
        elif state.status == "ok":
            status[sid] = None
            if previous.get(sid):
                recovered.append(SourceNotice(sid, state.name or sid, state.url, None, None, True))
    if not mine and not recovered and not any(n.news for n in failing):
        return None
    names = {s.id: s.name or s.id for s in current.values()}
    return Digest(
        subscriber,
        timezone,
        now or datetime.now(UTC),
        mine,  # type: ignore[arg-type]
        group_changes(subscriber, mine),
        failing,
        recovered,
        names,
        status,
    )


def subject_of(digest: Digest) -> str:
    parts = []
    if digest.changes:
        n = len(digest.changes)
        labels = ", ".join(
            dimensions.SHORT_LABELS.get(g.key, dimensions.OTHER_LABEL) for g in digest.groups
        )
        parts.append(f"{n} change{'s' if n != 1 else ''} in {labels}")
    new_failures = sum(1 for n in digest.failing if n.news)
    if new_failures:
        parts.append(f"{new_failures} source{'s' if new_failures != 1 else ''} failing")
    if digest.recovered:
        parts.append(f"{len(digest.recovered)} recovered")
    return "Observatory: " + "; ".join(parts)


def condense(
    ops: Sequence[Sequence[str]], context: int = CONTEXT_WORDS, max_run: int = MAX_RUN_WORDS
) -> list[tuple[str, str]]:
    """Word ops for display: long unchanged stretches cut to *context* words around each edit."""
    out: list[tuple[str, str]] = []
    for index, (tag, text) in enumerate((str(op[0]), str(op[1])) for op in ops):
        if text == "\n":
            out.append(("\n", ""))
            continue
        words = text.split()
        if tag == "=":
            first, last = index == 0, index == len(ops) - 1
            if first and not last and len(words) > context + CUT_SLACK:
                out += [("…", "…"), ("=", " ".join(words[-context:]))]
                continue
            if last and not first and len(words) > context + CUT_SLACK:
                out += [("=", " ".join(words[:context])), ("…", "…")]
                continue
            if not first and not last and len(words) > 2 * context + CUT_SLACK:
                out += [
                    ("=", " ".join(words[:context])),
                    ("…", "…"),
                    ("=", " ".join(words[-context:])),
                ]
                continue
        if len(words) > max_run:
            words = [*words[:max_run], "…"]
        out.append((tag, " ".join(words)))
    return out


def change_ops(change: Mapping[str, Any]) -> list[tuple[str, str]]:
    ops = change.get("diff") or (
        [("+", t) for t in change.get("added", [])] + [("-", t) for t in change.get("removed", [])]
    )
    return condense(ops)


def marked_text(change: Mapping[str, Any]) -> str:
    """The change's words as plain text: ``[-removed-]`` and ``{+added+}``."""
    parts = []
    for tag, text in change_ops(change):
        if tag == "\n":
            parts.append("¶")
        elif tag == "+":
            parts.append(f"{{+{text}+}}")
        elif tag == "-":
            parts.append(f"[-{text}-]")
        else:
            parts.append(text)
    return one_line(" ".join(parts))


def safe_url(url: object) -> str | None:
    """The URL if it is http(s), else None (no javascript:, data: or relative links)."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") and "\n" not in text else None


def local_time(value: datetime | str | None, timezone: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(value).astimezone(ZoneInfo(timezone)).strftime("%d %b %Y, %H:%M %Z")


def make_environment(templates: str | Path | None = None) -> jinja2.Environment:
    """User templates (``settings.templates``) first, then the packaged defaults."""
    env = base_environment(templates)
    env.filters.update(one_line=one_line, safe_url=safe_url, ops=change_ops, marked=marked_text)
    return env


def _listed_groups(groups: Sequence[Group], limit: int) -> list[Group]:
    """The groups cut to the first *limit* changes in reading order (a huge digest stays short)."""
    out, left = [], limit
    for group in groups:
        if left <= 0:
            break
        out.append(Group(group.key, group.label, group.changes[:left]))
        left -= len(out[-1].changes)
    return out


def _dimension_counts(digest: Digest) -> list[tuple[str, int]]:
    """(dimension, changes tagged with it) in the canonical order, followed ones only."""
    counts = Counter(chain.from_iterable(map(itemgetter("dimensions"), digest.changes)))
    followed = digest.subscriber.dimensions or list(dimensions.KEYS)
    return [(key, counts[key]) for key in dimensions.KEYS if counts[key] and key in followed]


def _source_counts(digest: Digest) -> Counter[str]:
    """Changes per source name, names in order of first appearance (``most_common`` ties)."""
    names: Counter[str] = Counter()
    for source, count in Counter(map(itemgetter("source"), digest.changes)).items():
        names[digest.source_names.get(source, source)] += count
    return names


def render_digest(
    digest: Digest,
    env: jinja2.Environment,
    *,
    public_url: str | None = None,
    fragments: FragmentCache | None = None,
) -> RenderedDigest:
    """Subject, text and HTML of *digest*; pass one *fragments* cache to every call of a run."""
    base = (safe_url(public_url) or "").rstrip("/") or None
    shown = _listed_groups(digest.groups, MAX_LISTED)
    tz = digest.timezone
    context = {
        "digest": digest,
        "subscriber": digest.subscriber,
        "subject": subject_of(digest),
        "groups": shown,
        "detailed_ids": set([c["id"] for g in shown for c in g.changes][:MAX_DETAILED]),
        "not_listed": len(digest.changes) - sum(len(g.changes) for g in shown),
        "by_dimension": _dimension_counts(digest),
        "by_source": _source_counts(digest),
        "dimension_labels": dimensions.LABELS,
        "base_url": base,
        "web_link": (lambda change: f"{base}/changes/{change['id']}") if base else None,
        "when": lambda value: local_time(value, tz),
        "generated": local_time(digest.generated_at, tz),
    }
    cache = fragments if fragments is not None else FragmentCache()
    text, text_pieces = _render(env, "digest.txt.j2", context, cache)
    html, html_pieces = _render(env, "digest.html.j2", context, cache)
    return RenderedDigest(
        subject=one_line(context["subject"]),
        text=text,
        html=html,
        text_pieces=text_pieces,
        html_pieces=html_pieces,
    )


def _render(
    env: jinja2.Environment, name: str, context: dict[str, Any], cache: FragmentCache
) -> tuple[str, tuple[str, ...]]:
    """Render template *name*; its ``change_block(c, macro)`` calls go through *cache*."""
    digest: Digest = context["digest"]
    detailed_ids: set[int] = context["detailed_ids"]
    base: str | None = context["base_url"]
    used: list[str] = []

    def change_block(change: Mapping[str, Any], macro: Callable[..., str]) -> str:
        source_name = digest.source_names.get(change["source"], change["source"])
        detailed = change["id"] in detailed_ids
        key = (name, change["id"], digest.timezone, base, detailed, source_name)
        fragment = cache.get(key, change)
        if fragment is None:
            fragment = macro(
                change,
                source_name,
                local_time(change["detected_at"], digest.timezone),
                detailed,
                f"{base}/changes/{change['id']}" if base else None,
            )
            cache.put(key, fragment, change)
        used.append(fragment)
        return fragment

    out = env.get_template(name).render({**context, "change_block": change_block})
    return out, _pieces(out, used)


def _pieces(out: str, fragments: Sequence[str]) -> tuple[str, ...]:
    """*out* cut around each fragment (in order), or () when a cut would not fall at a line end."""
    pieces: list[str] = []
    pos = 0
    for fragment in fragments:
        at = out.find(fragment, pos)
        if at < 0:
            return ()
        pieces += [out[pos:at], fragment]
        pos = at + len(fragment)
    pieces.append(out[pos:])
    if any(p and not p.endswith("\n") for p in pieces[:-1]):
        return ()
    return tuple(pieces)
