"""Load and validate ``sources.yaml`` into typed models.

Every setting is declared once, in ``SETTINGS``, with its default and help; the README's
configuration reference is checked against it by ``tests/test_docs.py``. A bad file raises
``ConfigError`` naming the file, the line or source id, and the problem; nothing else runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import soupsieve
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from observatory import dimensions
from observatory.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_EMAIL = re.compile(
    r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


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
    if seconds <= 0:
        raise ValueError(f"invalid duration {value!r}: must be positive")
    return seconds


def _check_css(selector: str, field_name: str) -> str:
    try:
        soupsieve.compile(selector)
    except Exception as exc:  # soupsieve raises SelectorSyntaxError and friends
        first_line = str(exc).splitlines()[0]
        raise ValueError(
            f"invalid CSS selector in {field_name}: {selector!r} ({first_line})"
        ) from None
    return selector


def _check_cron(expr: str) -> str:
    """A five-field crontab with cron's weekday numbering (0 or 7 = Sunday)."""
    from observatory.config.schedules import parse_schedule

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: str
    url: str
    kind: Literal["page", "listing", "feed", "pdf"] | None = None
    name: str | None = None
    select: str | None = None
    ignore: list[str] = Field(default_factory=list)
    items: str | None = None
    every: str | None = None
    cron: str | None = None
    dimensions: list[str] = Field(default_factory=list)
    enabled: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"invalid id {v!r}: use lower-case letters, digits, '-', '_' or '.'")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"bad URL scheme in {v!r}: only http and https are fetched")
        if not parts.hostname:
            raise ValueError(f"URL {v!r} has no host")
        return v

    @field_validator("select", "items")
    @classmethod
    def _css(cls, v: str | None, info: Any) -> str | None:
        return None if v is None else _check_css(v, info.field_name)

    @field_validator("ignore")
    @classmethod
    def _ignore(cls, v: list[str]) -> list[str]:
        return [_check_css(s, "ignore") for s in v]

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return None if v is None else _check_cron(v)

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, v: list[str]) -> list[str]:
        return dimensions.check_keys(v)

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


class Subscriber(_Strict):
    email: str
    name: str | None = None
    dimensions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    schedule: str = "daily 07:00"
    timezone: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError(f"malformed email address {v!r}")
        return v

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, v: list[str]) -> list[str]:
        return dimensions.check_keys(v)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        from observatory.config.schedules import parse_schedule

        parse_schedule(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        from observatory.config.schedules import check_timezone

        return None if v is None else check_timezone(v)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "per_host_delay",
        1.0,
        "Seconds between two requests to one host (0 allowed). Requests to one host never overlap.",
    ),
    Setting("timeout", 30.0, "Total deadline of one request in seconds, body included."),
    Setting("max_bytes", 20_000_000, "Cap on a decompressed response body in bytes."),
    Setting("max_redirects", 5, "Redirects followed per request, each re-checked."),
    Setting("retries", 2, "Extra attempts after a timeout, a 429 or a 5xx."),
    Setting("retry_backoff", 2.0, "First back-off in seconds; doubles on each retry."),
    Setting("retry_after_cap", 120.0, "Longest Retry-After honoured, in seconds."),
    Setting("concurrency", 8, "Sources polled at once (across hosts)."),
    Setting("respect_robots", True, "Obey robots.txt of each host."),
    Setting(
        "user_agent",
        "Observatory/0.1 (+https://github.com/observatory-eu/observatory)",
        "User-Agent sent with every request; keep a contact URL in it.",
    ),
    Setting(
        "recheck_on_change",
        True,
        "Fetch again at once when a change is found and "
        "ignore blocks that differ between the two fetches (volatile content).",
    ),
    Setting("pdf_max_pages", 400, "Pages of a PDF that are read."),
    Setting("pdf_timeout", 60.0, "Seconds allowed to extract text from one PDF."),
    Setting("taxonomy", None, "Path of a taxonomy.yaml that replaces the packaged one."),
    Setting("timezone", "Europe/Amsterdam", "Time zone of digest schedules."),
    Setting("templates", None, "Folder of Jinja2 templates that override the packaged ones."),
    Setting("public_url", None, "Public address of the web view, for links in digests."),
)
_SETTING_NAMES = {s.name for s in SETTINGS}


class Settings(_Strict):
    per_host_delay: float = 1.0
    timeout: float = 30.0
    max_bytes: int = 20_000_000
    max_redirects: int = 5
    retries: int = 2
    retry_backoff: float = 2.0
    retry_after_cap: float = 120.0
    concurrency: int = 8
    respect_robots: bool = True
    user_agent: str = SETTINGS[9].default
    recheck_on_change: bool = True
    pdf_max_pages: int = 400
    pdf_timeout: float = 60.0
    taxonomy: str | None = None
    timezone: str = "Europe/Amsterdam"
    templates: str | None = None
    public_url: str | None = None

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
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class Config(_Strict):
    sources: list[Source] = Field(default_factory=list)
    subscribers: list[Subscriber] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    path: str | None = None

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent if self.path else Path.cwd()


def yaml_line(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``path`` (keys and indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                match = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def read_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of a YAML text; ConfigError on bad syntax."""
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"YAML syntax error: {problem}", path=path, line=mark.line + 1 if mark else None
        ) from None


def parse_config(text: str, path: str = "sources.yaml") -> Config:
    """Parse and validate the text of a sources.yaml; raise ConfigError on any problem."""
    data, tree = read_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "expected a mapping with 'sources', 'subscribers' and 'settings'", path=path
        )
    unknown_settings = (
        set((data.get("settings") or {}).keys()) - _SETTING_NAMES
        if isinstance(data.get("settings"), dict)
        else set()
    )
    for key in sorted(unknown_settings):
        raise ConfigError(
            f"unknown setting {key!r}", path=path, line=yaml_line(tree, ("settings", key))
        )
    for key in ("sources", "subscribers"):
        if data.get(key) is None:
            data.pop(key, None)
    if data.get("settings") is None:
        data.pop("settings", None)
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise _config_error(exc, data, tree, path) from None
    _check_references(config, tree, path)
    return config


def _config_error(
    exc: ValidationError, data: dict[str, Any], tree: yaml.Node | None, path: str
) -> ConfigError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    source_id = None
    if len(loc) >= 2 and loc[0] in ("sources", "subscribers") and isinstance(loc[1], int):
        entries = data.get(loc[0]) or []
        if loc[1] < len(entries) and isinstance(entries[loc[1]], dict):
            entry = entries[loc[1]]
            source_id = entry.get("id") if loc[0] == "sources" else entry.get("email")
    field = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
    if err["type"] == "missing":
        message = f"missing required key {loc[-1]!r}"
    elif err["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
        message = f"{field}: {message}"
    if loc and loc[0] == "subscribers" and source_id:
        message = f"subscriber {source_id}: {message}"
        source_id = None
    return ConfigError(message, path=path, source_id=source_id, line=yaml_line(tree, loc))


def _check_references(config: Config, tree: yaml.Node | None, path: str) -> None:
    seen: dict[str, int] = {}
    for index, source in enumerate(config.sources):
        if source.id in seen:
            raise ConfigError(
                f"duplicate source id (first at entry {seen[source.id] + 1})",
                path=path,
                source_id=source.id,
                line=yaml_line(tree, ("sources", index)),
            )
        seen[source.id] = index
    for index, sub in enumerate(config.subscribers):
        for sid in sub.sources:
            if sid not in seen:
                raise ConfigError(
                    f"subscriber {sub.email}: unknown source id {sid!r}",
                    path=path,
                    line=yaml_line(tree, ("subscribers", index, "sources")),
                )


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", path=str(p)) from None
    return parse_config(text, str(p))
