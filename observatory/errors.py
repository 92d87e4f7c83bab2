"""Every error the observatory raises on purpose, in one tree.

    ObservatoryError                 base; ``exit_code`` says what the CLI exits with
    ├── ConfigError                  sources.yaml or taxonomy.yaml is invalid (exit 2)
    ├── UsageError                   a bad argument on the command line (exit 2)
    │   └── NotFoundError            a lookup by id found nothing: source, subscriber, change
    ├── FetchError                   a poll could not get good content (exit 1)
    │   ├── TransientFetchError      worth retrying: timeout, connection reset, 429, 5xx
    │   └── PermanentFetchError      not worth retrying now: 4xx, too large, blocked target,
    │                                disallowed by robots.txt, bad scheme, too many redirects
    ├── ExtractError                 bytes that could not become a Document: the select
    │                                region matches nothing, an empty body, a bad PDF (exit 1)
    ├── DeliveryError                a digest could not be delivered (exit 1)
    ├── StoreError                   the database failed: a migration, a fault, missing data
    │   └── SupersededError          a poll found its source's last version changed under it
    ├── LeaseHeld                    another live process holds the scheduler lease (exit 1)
    └── LeaseLost                    our scheduler lease was taken over (exit 1)

Errors carry their context (file, source id, URL) so that the one boundary that prints them, the
CLI, can name what went wrong. A failed poll is recorded as an ``error`` outcome on the source, not
raised past the pipeline.
"""

from __future__ import annotations

from typing import Any


class ObservatoryError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, source_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source_id = source_id

    def __str__(self) -> str:
        if self.source_id:
            return f"source {self.source_id!r}: {self.message}"
        return self.message


class ConfigError(ObservatoryError):
    exit_code = 2

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.path, self.line = path, line

    def __str__(self) -> str:
        where = self.path or "configuration"
        if self.line is not None:
            where += f", line {self.line}"
        if self.source_id:
            where += f", source {self.source_id!r}"
        return f"{where}: {self.message}"


class UsageError(ObservatoryError):
    exit_code = 2


class NotFoundError(UsageError, LookupError):
    """A lookup by id found nothing (the one way every lookup fails)."""


class FetchError(ObservatoryError):
    def __init__(
        self, message: str, *, url: str | None = None, status: int | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.url, self.status = url, status


class TransientFetchError(FetchError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    pass


class ExtractError(ObservatoryError):
    pass


class DeliveryError(ObservatoryError):
    pass


class StoreError(ObservatoryError):
    """The database could not do what was asked (not bad input: exit 1)."""


class SupersededError(StoreError):
    """Another poll of the same source recorded a newer version first: this one writes nothing."""


class LeaseHeld(ObservatoryError):
    """Another live process holds the scheduler lease of this database."""


class LeaseLost(ObservatoryError):
    """Our lease was taken over (we were frozen past its expiry); stop scheduling."""
