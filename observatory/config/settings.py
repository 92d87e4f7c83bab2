"""The ``settings:`` of sources.yaml: every setting declared once, with default and help.

``Settings`` is the typed model; ``SETTINGS`` lists its fields (name, default, help) for the
README's reference table, which ``tests/test_docs.py`` checks against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from observatory.config.base import Strict

DEFAULT_USER_AGENT = "Observatory/0.1 (+https://github.com/observatory-eu/observatory)"


class Settings(Strict):
    per_host_delay: float = Field(
        default=1.0,
        description=(
            "Seconds between two requests to one host (0 allowed). "
            "Requests to one host never overlap."
        ),
    )
    timeout: float = Field(
        default=30.0, description="Total deadline of one request in seconds, body included."
    )
    max_bytes: int = Field(
        default=20_000_000, description="Cap on a decompressed response body in bytes."
    )
    max_redirects: int = Field(
        default=5, description="Redirects followed per request, each re-checked."
    )
    retries: int = Field(default=2, description="Extra attempts after a timeout, a 429 or a 5xx.")
    retry_backoff: float = Field(
        default=2.0, description="First back-off in seconds; doubles on each retry."
    )
    retry_after_cap: float = Field(
        default=120.0, description="Longest Retry-After honoured, in seconds."
    )
    concurrency: int = Field(default=8, description="Sources polled at once (across hosts).")
    respect_robots: bool = Field(default=True, description="Obey robots.txt of each host.")
    user_agent: str = Field(
        default=DEFAULT_USER_AGENT,
        description="User-Agent sent with every request; keep a contact URL in it.",
    )
    recheck_on_change: bool = Field(
        default=True,
        description=(
            "Fetch again at once when a change is found and "
            "ignore blocks that differ between the two fetches (volatile content)."
        ),
    )
    pdf_max_pages: int = Field(default=400, description="Pages of a PDF that are read.")
    pdf_timeout: float = Field(
        default=60.0, description="Seconds allowed to extract text from one PDF."
    )
    taxonomy: str | None = Field(
        default=None, description="Path of a taxonomy.yaml that replaces the packaged one."
    )
    timezone: str = Field(default="Europe/Amsterdam", description="Time zone of digest schedules.")
    templates: str | None = Field(
        default=None, description="Folder of Jinja2 templates that override the packaged ones."
    )
    public_url: str | None = Field(
        default=None, description="Public address of the web view, for links in digests."
    )

    @field_validator("per_host_delay", "retry_backoff", "retry_after_cap")
    @classmethod
    def _non_negative(cls, v: float) -> float:
        if v < 0:
            raise ValueError("must be 0 or more")
        return v

    @field_validator("timeout", "pdf_timeout")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be more than 0")
        return v

    @field_validator("max_bytes", "concurrency", "pdf_max_pages")
    @classmethod
    def _positive_int(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("must be more than 0")
        return v

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
