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
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from observatory.digest.mime import parse_address
from observatory.digest.outbox import load_pending, pending_ids, record_attempt
from observatory.errors import DeliveryError, UsageError
from observatory.store import claims
from observatory.store.models import OutboxMessage, utcnow

SECURITY = ("starttls", "ssl", "none")
SEND_CLAIM = timedelta(minutes=15)  # longer than any SMTP exchange with its retries
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
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


class _Courier:
    """One SMTP connection, opened when first needed and reopened after a cut; each message
    ends in a named outcome that is recorded before the next one starts."""

    def __init__(
        self,
        engine: Engine,
        settings: SmtpSettings,
        context: ssl.SSLContext | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.engine, self.settings, self.context, self.sleep = engine, settings, context, sleep
        self.smtp: smtplib.SMTP | None = None
        self.report = DeliveryReport()

    def deliver(self, message: OutboxMessage) -> bool:
        """Send one message, retrying transient replies; False when the connection is gone."""
        assert message.id is not None
        for attempt in range(self.settings.retries + 1):
            try:
                smtp = self._connection()
            except (OSError, smtplib.SMTPException, DeliveryError) as exc:
                where = f"{self.settings.host}:{self.settings.port}"
                return self._cut(message, f"cannot connect to {where}: {_reply_code(exc)[1]}")
            try:
                smtp.sendmail(self.settings.mail_from, [message.subscriber], message.raw)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                code, reason = _reply_code(exc)
                if code is not None and 500 <= code < 600:
                    self._failed(message, reason)
                    return True
                if not self._retry_later(message, reason, attempt):
                    return True
            except (OSError, smtplib.SMTPException) as exc:  # session cut mid-message
                self.close()
                return self._cut(message, _reply_code(exc)[1], shown=message.subscriber)
            else:
                record_attempt(self.engine, message.id, state="sent")
                self.report.sent.append(message.message_id)
                return True
        return True

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = open_smtp(self.settings, self.context)
        return self.smtp

    def _failed(self, message: OutboxMessage, reason: str) -> None:
        """A permanent reply (5xx): the message fails and releases its changes."""
        assert message.id is not None
        record_attempt(self.engine, message.id, state="failed", error=reason)
        self.report.failed.append(message.message_id)
        self.report.errors.append(f"{message.subscriber}: {reason}")

    def _retry_later(self, message: OutboxMessage, reason: str, attempt: int) -> bool:
        """A transient reply (4xx): back off and try again (True), or leave it pending."""
        assert message.id is not None
        record_attempt(self.engine, message.id, state="pending", error=reason)
        self.close()  # a 421 closes the session; start clean either way
        if attempt < self.settings.retries:
            self.sleep(self.settings.backoff * 2**attempt)
            return True
        self.report.pending.append(message.message_id)
        self.report.errors.append(f"{message.subscriber}: {reason} (still pending)")
        return False

    def _cut(self, message: OutboxMessage, reason: str, shown: str = "") -> bool:
        """No connection, or it broke mid-message: this and the rest stay pending."""
        assert message.id is not None
        record_attempt(self.engine, message.id, state="pending", error=reason)
        self.report.errors.append(f"{shown}: {reason}" if shown else reason)
        return False

    def close(self, polite: bool = False) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit() if polite else self.smtp.close()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None


def deliver_pending(
    engine: Engine,
    settings: SmtpSettings,
    *,
    subscriber: str | None = None,
    context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every pending message (of one subscriber, or all) over one SMTP connection.

    Each message is claimed first (another sender, in this process or another, skips it while
    the claim holds; a claim left by a sender that died expires after ``SEND_CLAIM``), then
    read again: only a message still pending after the claim is sent."""
    courier = _Courier(engine, settings, context, sleep)
    messages = pending_ids(engine, subscriber)  # one message in memory at a time
    me = claims.new_holder()
    try:
        for index, (row_id, _) in enumerate(messages):
            if claims.take(engine, OUTBOX, row_id, now=utcnow(), ttl=SEND_CLAIM, holder=me):
                continue  # another sender has it
            try:
                message = load_pending(engine, row_id)
                delivered = message is None or courier.deliver(message)
            finally:
                claims.give_back(engine, OUTBOX, row_id, holder=me)
            if not delivered:
                courier.report.pending += [mid for _, mid in messages[index:]]
                break
    finally:
        courier.close(polite=True)
    return courier.report
