"""The typed configuration: sources, subscribers, milestones and the whole ``Config``.

A model refuses unknown keys and bad values with a message that ``config.parse`` turns into a
``ConfigError`` naming the file, the line and the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from observatory import dimensions
from observatory.config.base import Strict
from observatory.config.schedules import check_timezone, parse_due, parse_schedule
from observatory.config.settings import Settings
from observatory.errors import NotFoundError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_EMAIL = re.compile(
    r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


MAX_INTERVAL = 366 * 86_400.0  # the longest `every` (seconds)


def parse_duration(value: str | int | float) -> float:
    """``30s``, ``15m``, ``6h``, ``1d`` (or a number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 15m, 6h, 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 0 < seconds <= MAX_INTERVAL:  # NaN fails too; a huge one would overflow the scheduler
        raise ValueError(f"invalid duration {value!r}: must be more than 0 and at most 366d")
    return seconds


def _check_css(selector: str) -> str:
    """A selector the extractors can run (cssselect), else ValueError."""
    from observatory.extract import check_selector  # only when a source has a selector

    return check_selector(selector)


def _check_cron(expr: str) -> str:
    """A five-field crontab with cron's weekday numbering (0 or 7 = Sunday)."""
    if len(expr.split()) != 5:
        raise ValueError(f"invalid cron expression {expr!r}: use five fields, e.g. '0 7 * * 1-5'")
    try:
        parse_schedule(expr)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expr!r}: {exc}") from None
    return expr


def infer_kind(url: str) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith(".pdf"):
        return "pdf"
    if path.endswith((".xml", ".rss", ".atom")) or path.rstrip("/").endswith(("/feed", "/rss")):
        return "feed"
    return "page"


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"invalid id {v!r}: use lower-case letters, digits, '-', '_' or '.'")
    return v


def _check_url(v: str) -> str:
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"bad URL scheme in {v!r}: only http and https are fetched")
    if not parts.hostname:
        raise ValueError(f"URL {v!r} has no host")
    return v


def _check_email(v: str) -> str:
    if not _EMAIL.match(v):
        raise ValueError(f"malformed email address {v!r}")
    return v


def _keeping(check: Callable[[str], object]) -> Callable[[str], str]:
    """A validator that runs *check* (it raises ValueError) and keeps the value as written."""

    def validate(value: str) -> str:
        check(value)
        return value

    return validate


# Each value checked by one function, named once (pydantic reports the field and the message).
SourceId = Annotated[str, AfterValidator(_check_id)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]
Css = Annotated[str, AfterValidator(_check_css)]
Duration = Annotated[str, AfterValidator(_keeping(parse_duration))]
Cron = Annotated[str, AfterValidator(_check_cron)]
DimensionKeys = Annotated[list[str], AfterValidator(dimensions.check_keys)]
Email = Annotated[str, AfterValidator(_check_email)]
DigestSchedule = Annotated[str, AfterValidator(_keeping(parse_schedule))]
TimeZone = Annotated[str, AfterValidator(check_timezone)]


def _as_text(value: object) -> object:
    """YAML reads ``due: 2025-08-02`` as a date and ``due: 2028`` as a number: keep the text."""
    if isinstance(value, date) or (isinstance(value, int) and not isinstance(value, bool)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def _check_day(v: str) -> str:
    if parse_due(v)[1] is not None:
        raise ValueError(f"invalid date {v!r} (use a day: 2025-07-18)")
    return v


def _check_phrases(phrases: list[str]) -> list[str]:
    if not phrases or any(not p.strip() for p in phrases):
        raise ValueError("give at least one phrase, none of them empty")
    return phrases


Due = Annotated[str, BeforeValidator(_as_text), AfterValidator(_keeping(parse_due))]
Day = Annotated[str, BeforeValidator(_as_text), AfterValidator(_check_day)]
Text = Annotated[str, Field(min_length=1)]


class Source(Strict):
    id: SourceId
    url: HttpUrl
    kind: Literal["page", "listing", "feed", "pdf"] | None = None
    name: str | None = None
    select: Css | None = None
    ignore: list[Css] = Field(default_factory=list)
    items: Css | None = None
    every: Duration | None = None
    cron: Cron | None = None
    dimensions: DimensionKeys = Field(default_factory=list)
    enabled: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if self.every and self.cron:
            raise ValueError("give either 'every' or 'cron', not both")
        if self.effective_kind == "listing" and not self.items:
            raise ValueError("a listing needs 'items' (CSS of one listing item)")
        return self

    @property
    def effective_kind(self) -> str:
        return self.kind or infer_kind(self.url)

    @property
    def interval_seconds(self) -> float | None:
        if self.cron:
            return None
        return parse_duration(self.every or "6h")

    @property
    def display_name(self) -> str:
        return self.name or self.id


class Subscriber(Strict):
    email: Email
    name: str | None = None
    dimensions: DimensionKeys = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    schedule: DigestSchedule = "daily 07:00"
    timezone: TimeZone | None = None


class Milestone(Strict):
    """An expected deliverable: what, who, by when, on what basis, and how to recognise it."""

    id: SourceId
    title: Text
    owner: Text
    due: Due  # 2025-08-02, 2026-Q1, 2024-H2 or 2028 (a period is due on its last day)
    basis: Text
    dimensions: Annotated[DimensionKeys, Field(min_length=1)]
    match: Annotated[list[str], AfterValidator(_check_phrases)]
    sources: list[SourceId] = Field(default_factory=list)
    link: HttpUrl | None = None
    quote: str | None = None  # the basis, verbatim
    delivered: Day | None = None  # delivered on this day, known outside the change history


class Config(Strict):
    sources: list[Source] = Field(default_factory=list)
    subscribers: list[Subscriber] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    path: str | None = None

    def source(self, source_id: str) -> Source:
        """The source with this id; ``NotFoundError`` (exit 2) when there is none."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise NotFoundError(f"unknown source id {source_id!r} (see `observatory sources`)")

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent if self.path else Path.cwd()

    @property
    def taxonomy_path(self) -> Path | None:
        """``settings.taxonomy`` relative to the file's folder; None: the packaged taxonomy."""
        taxonomy = self.settings.taxonomy
        return self.base_dir / taxonomy if taxonomy else None

    @property
    def templates_path(self) -> Path | None:
        """``settings.templates`` relative to the file's folder; None: the packaged templates."""
        templates = self.settings.templates
        return self.base_dir / templates if templates else None
