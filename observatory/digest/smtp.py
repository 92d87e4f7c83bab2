"""Outbox delivery over SMTP: each stored message is sent as stored, and marked sent only once
the server has accepted it.

Settings come from the environment (``OBSERVATORY_SMTP_*``, ``OBSERVATORY_MAIL_FROM``); TLS is
always verified, and with ``starttls`` a server that does not offer STARTTLS is refused rather
than used in plain text. Outcomes per message:

    accepted (2xx)                      -> sent
    transient reply (4xx)               -> retried with doubling back-off, then left pending
    permanent reply (5xx)               -> failed, with the server's reason; its changes released
    no connection / crash / cut session -> pending; the next run sends the same bytes again

The one window left is a crash after the server accepted a message and before it was marked
sent; SMTP itself cannot close it, so that message would go out twice.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from observatory.config import Config
from observatory.digest.compose import BoundedCache, FragmentCache, make_environment, render_digest
from observatory.digest.outbox import (
    QP_BUDGET,
    iter_digests,
    load_pending,
    parse_address,
    pending_ids,
    record_attempt,
    store_digest,
)
from observatory.errors import DeliveryError, UsageError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"
    mail_from: str = "observatory@localhost"
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0


def smtp_settings_from_env(env: Mapping[str, str] | None = None) -> SmtpSettings:
    """Read ``OBSERVATORY_SMTP_*`` and ``OBSERVATORY_MAIL_FROM``; UsageError (exit 2) if bad."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(f"OBSERVATORY_{name}", "").strip()
        return value or None

    security = (get("SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY:
        raise UsageError(f"OBSERVATORY_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
    password = env.get("OBSERVATORY_SMTP_PASSWORD") or None
    if password is None and get("SMTP_PASSWORD_FILE"):
        try:
            password = Path(get("SMTP_PASSWORD_FILE") or "").read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read OBSERVATORY_SMTP_PASSWORD_FILE: {exc}") from None
    mail_from = get("MAIL_FROM")
    if mail_from is None:
        raise UsageError("set OBSERVATORY_MAIL_FROM to the sender address of digests")
    try:
        parse_address(mail_from)
        port = int(get("SMTP_PORT") or DEFAULT_PORTS[security])
        retries = int(get("SMTP_RETRIES") or 3)
        backoff = float(get("SMTP_RETRY_BACKOFF") or 2.0)
    except ValueError as exc:
        raise UsageError(f"bad SMTP setting: {exc}") from None
    return SmtpSettings(
        host=get("SMTP_HOST") or "localhost",
        port=port,
        user=get("SMTP_USER"),
        password=password,
        security=security,
        mail_from=mail_from,
        retries=max(retries, 0),
        backoff=max(backoff, 0.0),
    )


def open_smtp(settings: SmtpSettings, context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """A logged-in connection; TLS verified; STARTTLS required unless security is ``none``."""
    context = context or ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"{settings.host}:{settings.port} does not offer STARTTLS; "
                    "refusing to send in plain text"
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.pending and not self.failed


def _reply_code(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, reply = next(iter(exc.recipients.values()))
        return code, f"{code} {reply.decode(errors='replace')}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return exc.smtp_code, f"{exc.smtp_code} {text}"
    return None, str(exc) or type(exc).__name__


def deliver_pending(
    engine: Engine,
    settings: SmtpSettings,
    *,
    subscriber: str | None = None,
    context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every pending message (of one subscriber, or all) over one SMTP connection."""
    report = DeliveryReport()
    smtp: smtplib.SMTP | None = None
    messages = pending_ids(engine, subscriber)  # one message in memory at a time
    try:
        for index, (row_id, _) in enumerate(messages):
            message = load_pending(engine, row_id)
            if message is None:
                continue
            assert message.id is not None
            for attempt in range(settings.retries + 1):
                try:
                    if smtp is None:
                        smtp = open_smtp(settings, context)
                except (OSError, smtplib.SMTPException, DeliveryError) as exc:
                    reason = (
                        f"cannot connect to {settings.host}:{settings.port}: {_reply_code(exc)[1]}"
                    )
                    record_attempt(engine, message.id, state="pending", error=reason)
                    report.errors.append(reason)
                    report.pending += [mid for _, mid in messages[index:]]
                    return report
                try:
                    smtp.sendmail(settings.mail_from, [message.subscriber], message.raw)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    code, reason = _reply_code(exc)
                    if code is not None and 500 <= code < 600:
                        record_attempt(engine, message.id, state="failed", error=reason)
                        report.failed.append(message.message_id)
                        report.errors.append(f"{message.subscriber}: {reason}")
                        break
                    record_attempt(engine, message.id, state="pending", error=reason)
                    _drop(smtp)  # a 421 closes the session; start clean either way
                    smtp = None
                    if attempt < settings.retries:
                        sleep(settings.backoff * 2**attempt)
                        continue
                    report.pending.append(message.message_id)
                    report.errors.append(f"{message.subscriber}: {reason} (still pending)")
                except (OSError, smtplib.SMTPException) as exc:  # session cut mid-message
                    reason = _reply_code(exc)[1]
                    record_attempt(engine, message.id, state="pending", error=reason)
                    _drop(smtp)
                    smtp = None
                    report.errors.append(f"{message.subscriber}: {reason}")
                    report.pending += [mid for _, mid in messages[index:]]
                    return report
                else:
                    record_attempt(engine, message.id, state="sent")
                    report.sent.append(message.message_id)
                    break
    finally:
        if smtp is not None:
            _drop(smtp, polite=True)
    return report


def _drop(smtp: smtplib.SMTP | None, polite: bool = False) -> None:
    if smtp is None:
        return
    try:
        smtp.quit() if polite else smtp.close()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def store_new_digests(
    engine: Engine,
    config: Config,
    settings: SmtpSettings,
    *,
    subscriber: str | None = None,
    now: datetime | None = None,
) -> int:
    """Render and store (not send) the digests owed now; the number stored.

    Digests are rendered one at a time; the entries they share are rendered and encoded once
    per run (both caches are bounded and dropped at the end).
    """
    env = make_environment(_templates_dir(config))
    fragments, encoded = FragmentCache(), BoundedCache(QP_BUDGET)
    stored = 0
    for digest in iter_digests(engine, config, subscriber=subscriber, now=now):
        rendered = render_digest(
            digest, env, public_url=config.settings.public_url, fragments=fragments
        )
        if store_digest(
            engine, digest, rendered, mail_from=settings.mail_from, now=now, encoded=encoded
        ):
            stored += 1
    return stored


def send_digests(
    engine: Engine,
    config: Config,
    settings: SmtpSettings,
    *,
    subscriber: str | None = None,
    now: datetime | None = None,
    context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Store what is owed now, then deliver everything pending (earlier leftovers included)."""
    store_new_digests(engine, config, settings, subscriber=subscriber, now=now)
    return deliver_pending(engine, settings, subscriber=subscriber, context=context, sleep=sleep)


def _templates_dir(config: Config) -> Path | None:
    if not config.settings.templates:
        return None
    return config.base_dir / config.settings.templates
