"""MIME bytes of a digest: the multipart message, its quoted-printable bodies, SMTP bytes.

The message is built by the ``email`` package, but its two bodies are quoted-printable encoded
here, piece by piece: quoted-printable encodes each line on its own, so the per-change entries
that ``render_digest`` shares between digests are encoded once per run (``QP_BUDGET``) and the
bytes are exactly what ``set_content(..., cte="quoted-printable")`` would have produced.
``smtp_bytes`` then serialises the message without pushing those bodies through the generator.
Nothing here touches the database or the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email import policy as email_policy
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from observatory.config import Subscriber
from observatory.digest.cache import BoundedCache
from observatory.digest.render import RenderedDigest
from observatory.store.models import as_utc
from observatory.templating import one_line

QP_BUDGET = 24_000_000  # characters of encoded entries kept per run


def build_message(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    *,
    mail_from: str,
    message_id: str,
    date: datetime,
    encoded: BoundedCache | None = None,
) -> EmailMessage:
    """A multipart/alternative message; every header is built by the email package.

    *encoded* (one per run) keeps the quoted-printable form of shared entries.
    """
    msg = EmailMessage()
    msg["Subject"] = one_line(rendered.subject)
    msg["From"] = parse_address(mail_from)
    msg["To"] = Address(display_name=one_line(subscriber.name or ""), addr_spec=subscriber.email)
    msg["Date"] = format_datetime(as_utc(date))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    # headers and structure from the email package; bodies encoded below, same bytes
    msg.set_content("", cte="quoted-printable")
    msg.add_alternative("", subtype="html", cte="quoted-printable")
    text_part, html_part = msg.iter_parts()
    max_len = msg.policy.max_line_length or 78
    cache = encoded if encoded is not None else BoundedCache(QP_BUDGET)
    text_part.set_payload(quoted_printable(rendered.text, rendered.text_pieces, max_len, cache))
    html_part.set_payload(quoted_printable(rendered.html, rendered.html_pieces, max_len, cache))
    return msg


def smtp_bytes(msg: EmailMessage) -> bytes:
    """``msg.as_bytes(policy=SMTP)``, without pushing the encoded bodies through the generator.

    The email package writes headers and structure around a short stand-in for each
    quoted-printable body, then the body goes in with CRLF line ends, which is what the
    generator would have written. A boundary cannot occur in a quoted-printable body ("==" is
    never produced), so the boundary chosen around the stand-ins is valid for the bodies.
    """
    parts = list(msg.iter_parts())
    if not parts or any(
        p.is_multipart() or p.get("Content-Transfer-Encoding") != "quoted-printable" for p in parts
    ):
        return msg.as_bytes(policy=email_policy.SMTP)
    bodies = [str(p.get_payload()) for p in parts]
    stand_ins = [f"{make_msgid()}-{index}\n" for index in range(len(parts))]
    try:
        for part, stand_in in zip(parts, stand_ins, strict=True):
            part.set_payload(stand_in)
        raw = msg.as_bytes(policy=email_policy.SMTP)
    finally:
        for part, body in zip(parts, bodies, strict=True):
            part.set_payload(body)
    markers = [stand_in.replace("\n", "\r\n").encode("ascii") for stand_in in stand_ins]
    if any(raw.count(marker) != 1 for marker in markers):  # cannot happen; never guess
        return msg.as_bytes(policy=email_policy.SMTP)
    for marker, body in zip(markers, bodies, strict=True):
        raw = raw.replace(marker, body.replace("\n", "\r\n").encode("ascii"))
    return raw


def _qp(text: str, max_len: int) -> str:
    """``set_content(text, cte="quoted-printable")``'s body: line ends normalised, then encoded."""
    lines = text.encode("utf-8").splitlines()
    return quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), max_len)


def quoted_printable(text: str, pieces: Sequence[str], max_len: int, cache: BoundedCache) -> str:
    """Encode *text*, given as *pieces* cut at line ends; shared pieces (odd ones) via *cache*.

    Encoding works line by line, so encoding the pieces and joining them gives the same
    string as encoding *text* whole.
    """
    cut_at_line_ends = all(p.endswith("\n") for p in pieces[:-1] if p)
    if not pieces or not text or not cut_at_line_ends or "".join(pieces) != text:
        return _qp(text, max_len)
    out = []
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        if index % 2:
            hit = cache.get((piece, max_len))
            if hit is None:
                hit = _qp(piece, max_len)
                cache.put((piece, max_len), hit)
            out.append(hit)
        else:
            out.append(_qp(piece, max_len))
    return "".join(out)


def parse_address(value: str) -> Address:
    """``Name <a@b.example>`` or ``a@b.example`` -> Address; ValueError when malformed."""
    from email.utils import parseaddr

    if "\r" in value or "\n" in value:
        raise ValueError(f"malformed address {value!r}")
    name, addr = parseaddr(value)
    if not addr or "@" not in addr:
        raise ValueError(f"malformed address {value!r}")
    return Address(display_name=one_line(name), addr_spec=addr)


def new_message_id(mail_from: str) -> str:
    return make_msgid(domain=parse_address(mail_from).domain or "observatory.invalid")
