"""The ``settings:`` of sources.yaml: every setting declared once, with default and help.

``Settings`` is the typed model; ``SETTINGS`` lists its fields (name, default, help) for the
README's reference table, which ``tests/test_docs.py`` checks against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from observatory.config.base import Strict

DEFAULT_USER_AGENT = "Observatory/0.1 (+https://github.com/observatory-eu/observatory)"


def _seconds(default: float, description: str, *, deadline: bool, high: float = 86_400) -> Any:
    """A finite number of seconds up to *high*; 0 allowed unless it is a deadline (a deadline
    of 0 would fail every poll)."""
    if deadline:
        return Field(default=default, gt=0, le=high, allow_inf_nan=False, description=description)
    return Field(default=default, ge=0, le=high, allow_inf_nan=False, description=description)


def _count(default: int, description: str, *, low: int, high: int) -> Any:
    return Field(default=default, ge=low, le=high, description=description)


def _no_control(value: str | None) -> str | None:
    """Header and URL values: no CR, LF or other control character (header injection)."""
    if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters (line breaks, tabs, ...)")
    return value


class Settings(Strict):
    per_host_delay: float = _seconds(
        1.0,
        "Seconds between two requests to one host (0 allowed). Requests to one host never overlap.",
        high=3_600,
        deadline=False,
    )
    timeout: float = _seconds(
        30.0, "Total deadline of one request in seconds, body included.", high=3_600, deadline=True
    )
    max_bytes: int = _count(
        20_000_000, "Cap on a decompressed response body in bytes.", low=1, high=2_000_000_000
    )
    max_redirects: int = _count(
        5, "Redirects followed per request, each re-checked.", low=0, high=20
    )
    retries: int = _count(2, "Extra attempts after a timeout, a 429 or a 5xx.", low=0, high=10)
    retry_backoff: float = _seconds(
        2.0, "First back-off in seconds; doubles on each retry.", high=3_600, deadline=False
    )
    retry_after_cap: float = _seconds(
        120.0, "Longest Retry-After honoured, in seconds.", deadline=False
    )
    concurrency: int = _count(8, "Sources polled at once (across hosts).", low=1, high=256)
    poll_timeout: float = _seconds(
        600.0,
        "Longest one poll may take (fetches, extraction, diff); beyond, it is an error on the "
        "source.",
        deadline=True,
    )
    respect_robots: bool = Field(default=True, description="Obey robots.txt of each host.")
    user_agent: Annotated[str, AfterValidator(_no_control)] = Field(
        default=DEFAULT_USER_AGENT,
        min_length=1,
        max_length=500,
        description="User-Agent sent with every request; keep a contact URL in it.",
    )
    recheck_on_change: bool = Field(
        default=True,
        description=(
            "Fetch again at once when a change is found and "
            "ignore blocks that differ between the two fetches (volatile content)."
        ),
    )
    pdf_max_pages: int = _count(400, "Pages of a PDF that are read.", low=1, high=100_000)
    pdf_timeout: float = _seconds(
        60.0, "Seconds allowed to extract text from one PDF.", high=3_600, deadline=True
    )
    taxonomy: str | None = Field(
        default=None,
        description="Path of a taxonomy.yaml that replaces the packaged one.",
    )
    timezone: str = Field(default="Europe/Amsterdam", description="Time zone of digest schedules.")
    templates: str | None = Field(
        default=None, description="Folder of Jinja2 templates that override the packaged ones."
    )
    public_url: Annotated[str | None, AfterValidator(_no_control)] = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+",
        description="Public address of the web view, for links in digests and feed ids.",
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from observatory.config.schedules import check_timezone

        return check_timezone(v)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(name, field.default, field.description or "")
    for name, field in Settings.model_fields.items()
)
