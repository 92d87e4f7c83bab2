"""Service logging: one line per poll and per delivery, for a terminal or for a log collector.

``setup_logging()`` configures the stdlib root logger once. The format is human-readable by
default and one JSON object per line with ``OBSERVATORY_LOG_FORMAT=json`` (what container log
drivers and Loki/ELK ingest). Structured fields travel in ``extra={"fields": {...}}`` so that the
same call yields ``key=value`` pairs on a terminal and JSON keys in a collector; stdlib logging is
enough for that, so no structlog dependency.

    2026-06-01T07:00:02Z INFO  poll ema-ai changed changes=2 http=200 duration_s=0.41
    {"ts": "2026-06-01T07:00:02Z", "level": "info", "logger": "observatory.service",
     "event": "poll ema-ai changed", "event_type": "poll", "source": "ema-ai", "outcome":
     "changed", "changes": 2, "http": 200, "duration_s": 0.41}
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import IO, Any

LOG_FORMATS = ("text", "json")
_IN_MESSAGE = frozenset({"event_type", "source", "outcome", "subscriber"})  # text: said already
log = logging.getLogger("observatory.service")


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _text_value(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


class TextFormatter(logging.Formatter):
    """``time LEVEL message key=value ...``; the message is the event and its subject."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in _fields(record).items() if k not in _IN_MESSAGE}
        pairs = " ".join(f"{k}={_text_value(v)}" for k, v in fields.items())
        line = f"{_timestamp(record)} {record.levelname:<5} {record.getMessage()}"
        line = f"{line} {pairs}" if pairs else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event (the message) and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def log_format(env: dict[str, str] | None = None) -> str:
    value = (env if env is not None else os.environ).get("OBSERVATORY_LOG_FORMAT", "text")
    value = value.strip().lower() or "text"
    return value if value in LOG_FORMATS else "text"


def setup_logging(fmt: str | None = None, stream: IO[str] | None = None) -> None:
    """Route every logger (ours, APScheduler's, uvicorn's) to one handler in one format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if (fmt or log_format()) == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(os.environ.get("OBSERVATORY_LOG_LEVEL", "INFO").upper())
    # APScheduler logs every job start and finish at INFO; our own poll line says it better.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # a line per job: ours says it
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def event(level: int, message: str, **fields: Any) -> None:
    log.log(level, message, extra={"fields": fields})


def log_poll(
    source_id: str,
    outcome: str,
    *,
    changes: int,
    http_status: int | None,
    duration: float,
    error: str | None,
    lag: float | None = None,
) -> None:
    fields: dict[str, Any] = {"event_type": "poll", "source": source_id, "outcome": outcome}
    fields |= {"changes": changes, "http": http_status, "duration_s": round(duration, 3)}
    if lag is not None:  # a cluster poll: seconds from its due time to its start
        fields["lag_s"] = round(lag, 3)
    if error:
        fields["error"] = error
    level = logging.WARNING if outcome == "error" else logging.INFO
    event(level, f"poll {source_id} {outcome}", **fields)


def log_result(result: Any, lag: float | None = None) -> None:
    """The log line of a ``pipeline.CheckResult`` (scheduler and cluster alike)."""
    log_poll(
        result.source_id,
        result.outcome,
        changes=result.changes,
        http_status=result.http_status,
        duration=result.duration,
        error=result.error,
        lag=lag,
    )


def log_delivery(
    subscriber: str, *, sent: int, pending: int, failed: int, errors: list[str]
) -> None:
    fields: dict[str, Any] = {"event_type": "delivery", "subscriber": subscriber}
    fields |= {"sent": sent, "pending": pending, "failed": failed}
    if errors:
        fields["error"] = "; ".join(errors)
    outcome = "ok" if not (pending or failed) else "incomplete"
    level = logging.INFO if outcome == "ok" else logging.WARNING
    event(level, f"delivery {subscriber} {outcome}", **fields)
