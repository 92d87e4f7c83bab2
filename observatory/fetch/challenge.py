"""A bot-protection challenge is not the page: say so, instead of "empty body".

Sites behind a web application firewall answer scripted clients with a challenge meant for a
browser's JavaScript. EUR-Lex (AWS WAF behind CloudFront) sends ``HTTP 202`` with an empty body
and ``x-amzn-waf-action: challenge`` (a real capture is in
``../shared/corpus/pages/eur-lex.europa.eu/waf-challenge_…txt``); Cloudflare marks its
challenges with ``cf-mitigated: challenge``. No retry helps: the error tells the operator to
watch the document where machines are welcome (for EUR-Lex acts, the Publications Office's
CELLAR: ``https://publications.europa.eu/resource/celex/<CELEX>``).
"""

from __future__ import annotations

from collections.abc import Mapping

BLOCKED = "blocked by the site's bot protection"
_MARKERS = (("x-amzn-waf-action", "AWS WAF"), ("cf-mitigated", "Cloudflare"))


def bot_challenge(status: int, headers: Mapping[str, str]) -> str | None:
    """The error message when a response is a bot-protection challenge, else None."""
    for header, firewall in _MARKERS:
        action = headers.get(header)
        if action is not None:
            what = action.strip() or "challenge"
            return f"{BLOCKED} ({firewall} {what}, HTTP {status}): not the page's content"
    return None
