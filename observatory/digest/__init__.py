"""Digests: what each subscriber is owed, composed (pure), rendered, stored, delivered.

owed.py     the database read: each subscriber's pending changes and history
compose.py  pending changes -> the digest a subscriber should get (pure)
render.py   a digest -> subject, text and HTML (Jinja2, autoescaped)
cache.py    bounded caches of rendered and encoded entries, shared by one run
mime.py     the message bytes (email package; quoted-printable bodies)
outbox.py   stored messages, their claims on changes, their delivery state
smtp.py     delivery of pending messages over SMTP
send.py     a run: store what is owed, then deliver what is pending
"""

from observatory.digest.outbox import outbox_rows, pending_messages
from observatory.digest.owed import prepare_digests
from observatory.digest.render import make_environment, render_digest
from observatory.digest.send import store_new_digests
from observatory.digest.smtp import SmtpSettings, deliver_pending, smtp_settings_from_env

__all__ = [
    "SmtpSettings",
    "deliver_pending",
    "make_environment",
    "outbox_rows",
    "pending_messages",
    "prepare_digests",
    "render_digest",
    "smtp_settings_from_env",
    "store_new_digests",
]
