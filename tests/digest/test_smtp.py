"""Delivery against a real SMTP server on loopback (aiosmtpd), read back with the email parser."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from observatory.cli.main import main
from observatory.config import Config
from observatory.config.schedules import parse_schedule
from observatory.digest import (
    SmtpSettings,
    deliver_pending,
    outbox_rows,
    smtp_settings_from_env,
    store_new_digests,
)
from observatory.digest.smtp import DeliveryReport
from observatory.store.db import make_engine
from tests.digest.test_compose import MAIL_FIXTURES, add_change, mail_config, seed_sources


def send_digests(
    engine: Engine, config: Config, settings: SmtpSettings, **delivery: Any
) -> DeliveryReport:
    """What ``observatory digest --send`` does: store what is owed, then deliver."""
    store_new_digests(engine, config, settings, subscriber=delivery.get("subscriber"))
    return deliver_pending(engine, settings, **delivery)


FROM = "Observatory <observatory@example.org>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Handler:
    """Records accepted messages; can answer RCPT with scripted codes or hold DATA."""

    rcpt_replies: list[str] = field(default_factory=list)  # consumed one per RCPT
    hold: threading.Event | None = None  # DATA waits until set (and then drops the message)
    in_data: threading.Event = field(default_factory=threading.Event)
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    rcpt_seen: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_seen += 1
        if self.rcpt_replies:
            reply = self.rcpt_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold is not None:
            self.in_data.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.02)
            return "451 dropped"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted"


class SMTPServer:
    def __init__(self, handler: Handler, port: int | None = None, **kw: Any) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **kw)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def settings(self, security: str = "none", **kw: Any) -> SmtpSettings:
        return SmtpSettings(
            host="127.0.0.1",
            port=self.port,
            security=security,
            mail_from=FROM,
            timeout=5,
            backoff=0.01,
            **kw,
        )

    def env(self) -> dict[str, str]:
        return smtp_env(self.port)


def smtp_env(port: int) -> dict[str, str]:
    return {
        "OBSERVATORY_SMTP_HOST": "127.0.0.1",
        "OBSERVATORY_SMTP_PORT": str(port),
        "OBSERVATORY_SMTP_SECURITY": "none",
        "OBSERVATORY_MAIL_FROM": FROM,
        "OBSERVATORY_SMTP_RETRY_BACKOFF": "0.01",
    }


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Engine, Config, str]]:
    """A fresh database (each engine in turn: the outbox and its claims on SQLite and on
    PostgreSQL) with the mail fixtures' sources; its URL for the CLI."""
    engine = make_engine(db_url)
    config = mail_config()
    seed_sources(engine, config)
    yield engine, config, db_url
    engine.dispose()


def run_cli(db: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        main,
        ["--config", str(MAIL_FIXTURES / "sources.yaml"), "--db", db, *args],
        env=env,
        catch_exceptions=False,
    )


def test_filters_both_parts_and_headers(world: tuple[Engine, Config, str]) -> None:
    engine, _config, db = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    add_change(
        engine,
        "eurlex-ai-act",
        title="<script>alert(1)</script>\r\nBcc: evil@example.com",
        location="Article 57",
        dimensions=("experimentation",),
    )
    with SMTPServer(Handler()) as server:
        result = run_cli(db, "digest", "--send", env=server.env())
        assert result.exit_code == 0, result.output
        got = {rcpts[0]: msg for rcpts, msg in server.handler.received}
    assert sorted(got) == ["act@example.org", "all@example.org", "guidance@example.org"]
    assert all(len(rcpts) == 1 for rcpts, _ in server.handler.received)
    everything = got["all@example.org"]
    assert everything.get_content_type() == "multipart/alternative"
    assert everything["Subject"] == "Observatory: 2 changes in Guidance, Experimentation"
    assert str(everything["To"]) == "Ana Everything <all@example.org>"
    assert everything["Bcc"] is None and "evil" not in str(dict(everything.items()))
    text = everything.get_body(("plain",))
    html = everything.get_body(("html",))
    assert text is not None and html is not None
    html_text = html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text and "<script" not in html_text
    assert "Bcc: evil@example.com" in text.get_content()  # harmless in a body
    assert "Article 57" not in got["guidance@example.org"].get_body(("plain",)).get_content()
    assert "EMA" not in got["act@example.org"]["Subject"]
    rows = outbox_rows(engine)
    assert {r["state"] for r in rows} == {"sent"}
    assert {r["message_id"] for r in rows} == {m["Message-ID"] for m in got.values()}
    # nothing new: no second message
    with SMTPServer(Handler()) as server:
        assert run_cli(db, "digest", "--send", env=server.env()).exit_code == 0
        assert server.handler.received == []


def test_server_down_then_up_delivers_each_once(world: tuple[Engine, Config, str]) -> None:
    engine, _config, db = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    port = free_port()
    env = smtp_env(port)
    down = run_cli(db, "digest", "--send", env=env)
    assert down.exit_code == 1
    assert "cannot connect" in down.output
    rows = outbox_rows(engine)
    assert len(rows) == 2 and {r["state"] for r in rows} == {"pending"}  # act@ follows eurlex
    with SMTPServer(Handler(), port) as server:
        up = run_cli(db, "digest", "--send", env=env)
        assert up.exit_code == 0, up.output
        assert run_cli(db, "digest", "--send", env=env).exit_code == 0
        ids = [m["Message-ID"] for _, m in server.handler.received]
    assert sorted(ids) == sorted(r["message_id"] for r in rows)  # the stored ones, once each
    assert {r["state"] for r in outbox_rows(engine)} == {"sent"}


def test_transient_451_is_retried(world: tuple[Engine, Config, str]) -> None:
    engine, config, _ = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    handler = Handler(rcpt_replies=["451 4.3.0 try again later"])
    sleeps: list[float] = []
    with SMTPServer(handler) as server:
        report = send_digests(
            engine, config, server.settings(), subscriber="all@example.org", sleep=sleeps.append
        )
    assert report.ok and len(report.sent) == 1
    assert len(handler.received) == 1 and sleeps == [0.01]
    (row,) = outbox_rows(engine)
    assert row["state"] == "sent" and row["attempts"] == 2


def test_permanent_550_fails_without_retry(world: tuple[Engine, Config, str]) -> None:
    engine, _config, db = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    handler = Handler(rcpt_replies=["550 5.1.1 no such user"])
    with SMTPServer(handler) as server:
        result = run_cli(
            db, "digest", "--send", "--subscriber", "all@example.org", env=server.env()
        )
    assert result.exit_code == 1
    assert handler.rcpt_seen == 1 and handler.received == []
    (row,) = outbox_rows(engine)
    assert row["state"] == "failed" and row["attempts"] == 1
    assert "550 5.1.1 no such user" in row["last_error"]
    listed = run_cli(db, "outbox", "--format", "json")
    assert '"state": "failed"' in listed.output


def test_killed_between_store_and_send_sends_once(world: tuple[Engine, Config, str]) -> None:
    engine, _config, db = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    hold = threading.Event()
    handler = Handler(hold=hold)
    with SMTPServer(handler) as server:
        env = {**os.environ, **server.env()}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from observatory.cli.main import main; main()",
                "--config",
                str(MAIL_FIXTURES / "sources.yaml"),
                "--db",
                db,
                "digest",
                "--send",
                "--subscriber",
                "all@example.org",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert handler.in_data.wait(20), "the digest never reached the server"
            proc.send_signal(signal.SIGKILL)  # dies in the middle of the SMTP transaction
            proc.wait(10)
        finally:
            hold.set()
            if proc.poll() is None:
                proc.kill()
        time.sleep(0.1)
    (stored,) = outbox_rows(engine)
    assert stored["state"] == "pending"
    with SMTPServer(Handler()) as server:
        assert run_cli(db, "digest", "--send", env=server.env()).exit_code == 0
        mine = [m for r, m in server.handler.received if r == ["all@example.org"]]
    assert [m["Message-ID"] for m in mine] == [stored["message_id"]]
    assert [r["state"] for r in outbox_rows(engine) if r["id"] == stored["id"]] == ["sent"]


def test_starttls_with_verified_certificate(world: tuple[Engine, Config, str]) -> None:
    engine, config, _ = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    with SMTPServer(Handler(), tls_context=server_ctx, require_starttls=True) as server:
        # first without trusting the test CA: verification fails, nothing is sent
        send_digests(
            engine,
            config,
            server.settings("starttls"),
            subscriber="all@example.org",
            context=client_ctx,
        )
        assert server.handler.received == []
        assert outbox_rows(engine)[0]["state"] == "pending"
        assert "CERTIFICATE_VERIFY_FAILED" in (outbox_rows(engine)[0]["last_error"] or "")
        ca.configure_trust(client_ctx)
        report = deliver_pending(engine, server.settings("starttls"), context=client_ctx)
    assert report.ok and len(server.handler.received) == 1


def test_starttls_not_offered_is_refused(world: tuple[Engine, Config, str]) -> None:
    engine, config, _ = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    with SMTPServer(Handler()) as server:
        report = send_digests(
            engine, config, server.settings("starttls"), subscriber="all@example.org"
        )
        assert server.handler.rcpt_seen == 0
    assert not report.ok and "does not offer STARTTLS" in report.errors[0]
    assert outbox_rows(engine)[0]["state"] == "pending"


def test_preview_marks_nothing(world: tuple[Engine, Config, str], tmp_path: Path) -> None:
    engine, _, db = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    out = tmp_path / "d.html"
    result = run_cli(
        db, "digest", "--preview", "--subscriber", "all@example.org", "--out", str(out)
    )
    assert result.exit_code == 0
    assert "Subject: Observatory: 1 change in Guidance" in result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert outbox_rows(engine) == []
    assert run_cli(db, "digest", "--preview", "--subscriber", "x@example.org").exit_code == 2
    assert run_cli(db, "digest").exit_code == 2


def test_smtp_settings_from_env(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    settings = smtp_settings_from_env(
        {
            "OBSERVATORY_MAIL_FROM": FROM,
            "OBSERVATORY_SMTP_PASSWORD_FILE": str(secret),
            "OBSERVATORY_SMTP_SECURITY": "ssl",
        }
    )
    assert (settings.password, settings.port, settings.security) == ("s3cret", 465, "ssl")
    assert "s3cret" not in repr(settings)
    for bad in (
        {},
        {"OBSERVATORY_MAIL_FROM": FROM, "OBSERVATORY_SMTP_SECURITY": "tls"},
        {"OBSERVATORY_MAIL_FROM": "no address\r\nBcc: x@y"},
    ):
        with pytest.raises(Exception) as info:
            smtp_settings_from_env(bad)
        assert getattr(info.value, "exit_code", None) == 2


def test_schedule_of_fixture_subscribers_parse() -> None:
    for sub in mail_config().subscribers:
        parse_schedule(sub.schedule, sub.timezone or "Europe/Amsterdam")


@dataclass
class PeerHandler(Handler):
    """Also records which client connection (peer address) carried each accepted message."""

    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def test_all_pending_messages_share_one_smtp_session(world: tuple[Engine, Config, str]) -> None:
    engine, config, _ = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    add_change(engine, "eurlex-ai-act", title="Article 57 added", location="Article 57")
    handler = PeerHandler()
    with SMTPServer(handler) as server:
        report = send_digests(engine, config, server.settings())
    assert report.ok and len(report.sent) == 3 and len(handler.received) == 3
    assert len(set(handler.peers)) == 1  # one connection for every message
    rows = outbox_rows(engine)
    assert [(r["state"], r["attempts"]) for r in rows] == [("sent", 1)] * 3
    assert all(r["sent_at"] for r in rows)


def test_reconnects_after_a_cut_session_and_marks_each_after_acceptance(
    world: tuple[Engine, Config, str],
) -> None:
    engine, config, _ = world
    add_change(engine, "ema-ai", dimensions=("guidance",))
    add_change(engine, "eurlex-ai-act", title="Article 57 added", location="Article 57")
    # the second RCPT gets 421 (the server closes the session): that message is retried on a
    # new connection; the first stays sent, and nothing is marked sent before it was accepted
    handler = PeerHandler(rcpt_replies=["250 OK", "421 4.3.2 closing"])
    with SMTPServer(handler) as server:
        report = send_digests(engine, config, server.settings(), sleep=lambda _: None)
    assert report.ok and len(report.sent) == 3 and len(handler.received) == 3
    assert len(set(handler.peers)) == 2
    attempts = sorted(r["attempts"] for r in outbox_rows(engine))
    assert attempts == [1, 1, 2]
    assert sorted(m["Message-ID"] for _, m in handler.received) == sorted(report.sent)


def test_stored_bytes_are_what_the_email_package_would_write(
    world: tuple[Engine, Config, str],
) -> None:
    """The spliced bodies of ``smtp_bytes`` parse back to the rendered parts."""
    from observatory.digest.outbox import store_digest
    from observatory.digest.owed import prepare_digests
    from observatory.digest.render import make_environment, render_digest

    engine, config, _ = world
    add_change(engine, "ema-ai", title="Émission <b>&</b> ünïcode — ok", dimensions=("tools",))
    (digest, *_) = prepare_digests(engine, config, subscriber="all@example.org")
    rendered = render_digest(digest, make_environment(), public_url=config.settings.public_url)
    row = store_digest(engine, digest, rendered, mail_from=FROM)
    assert row is not None
    parsed = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    # on the wire every line ends in CRLF; decoded, the parts are the rendered strings
    assert text.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html
    assert b"\r\n" in row.raw and b"\n" not in row.raw.replace(b"\r\n", b"")
