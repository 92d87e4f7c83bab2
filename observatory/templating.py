"""The one Jinja2 setup that digests and web pages share, with the filters both use.

User templates (``settings.templates``) are looked up first, then the packaged defaults
(``observatory/templates``, a link to the top-level ``templates/`` folder). Autoescaping is on for
every template except plain-text ones (``*.txt.j2``), where HTML escaping would corrupt the text;
a user's own templates are escaped the same way.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jinja2

PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def one_line(value: object) -> str:
    """Collapse every run of whitespace (CR/LF included) to one space."""
    return " ".join(str(value or "").split())


def safe_url(url: object) -> str | None:
    """The URL if it is http(s), else None (no javascript:, data: or relative links)."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") and "\n" not in text else None


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith(".txt.j2")


def base_environment(templates: str | Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGED_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(one_line=one_line, safe_url=safe_url)
    return env
