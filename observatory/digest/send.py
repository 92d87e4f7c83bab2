"""The first half of a digest run: render and store what each subscriber is owed.

``observatory digest --send`` and the service's schedule both run ``store_new_digests`` and
then ``smtp.deliver_pending`` (which also sends what earlier runs left pending). Digests are
rendered one at a time; the entries they share are rendered and encoded once per run (both
caches are bounded and dropped at the end).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from observatory.config import Config
from observatory.digest.cache import BoundedCache, FragmentCache
from observatory.digest.mime import QP_BUDGET
from observatory.digest.outbox import store_digest
from observatory.digest.owed import iter_digests
from observatory.digest.render import make_environment, render_digest
from observatory.digest.smtp import SmtpSettings


def store_new_digests(
    engine: Engine,
    config: Config,
    settings: SmtpSettings,
    *,
    subscriber: str | None = None,
    now: datetime | None = None,
) -> int:
    """Render and store (not send) the digests owed now; the number stored."""
    env = make_environment(config.templates_path)
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
