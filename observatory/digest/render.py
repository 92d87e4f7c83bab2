"""A composed digest -> subject, plain text and HTML, with Jinja2 templates. Pure.

Every template is autoescaped except the plain-text part (``*.txt.j2``), where HTML entities
would corrupt the text; the text part never goes into a header, and scraped strings are
flattened to one line where they are titles.

Rendering many digests over the same changes is dominated by the per-change entries, so the
packaged templates render each entry with a ``change_entry`` macro called through
``change_block``: a ``FragmentCache`` shared by one run renders each (change, template, time
zone, public URL, detail level) once and hands the same string to every later digest. The cache
is bounded (least recently used entries go first) and checks that a hit is for the very same
change dict, so it never serves a stale entry (the cache itself lives in
``observatory.digest.cache``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from observatory import dimensions
from observatory.digest.cache import FragmentCache
from observatory.digest.compose import Digest, Group, subject_of
from observatory.store.models import as_utc
from observatory.templating import base_environment, one_line, safe_url

CONTEXT_WORDS = 12  # unchanged words kept on each side of an edit
CUT_SLACK = 5  # cut only when that hides more than this many words
MAX_RUN_WORDS = 120  # longest added/removed run shown in full
MAX_DETAILED = 50  # changes shown with their words; the next ones as one line each
MAX_LISTED = 300  # changes listed at all; the summary counts every change


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


def local_time(value: datetime | str | None, timezone: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(value).astimezone(ZoneInfo(timezone)).strftime("%d %b %Y, %H:%M %Z")


def make_environment(templates: str | Path | None = None) -> jinja2.Environment:
    """User templates (``settings.templates``) first, then the packaged defaults."""
    env = base_environment(templates)
    env.filters.update(ops=change_ops, marked=marked_text)
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
        "milestones": digest.milestones,
        "milestone_link": (lambda v: f"{base}/milestones/{v.milestone.id}") if base else None,
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
