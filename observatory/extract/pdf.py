"""The ``pdf`` extractor: text per page with pypdf, in a bounded child process.

pypdf is pure Python and a hostile PDF can make it spin or balloon, so the parse runs in a
child Python process with an address-space limit (``RLIMIT_AS``, 1 GiB) and is killed past the
``pdf_timeout`` deadline; at most ``pdf_max_pages`` pages are read. Each page's text is cut into
paragraphs located ``Page N``, or under the legal headings (``Article 5``) when the PDF uses them
(the text extractor's ``Locator``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from observatory.document import Document
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, require_body
from observatory.extract.legal import heading_of
from observatory.extract.text import Locator

MEMORY_LIMIT = 1 << 30  # bytes of address space for the parsing child
_SENTENCE_END = re.compile(r"[.!?:;]['’”)]?$")


def _page_text(page: Any) -> str:
    """Layout mode keeps the blank lines between paragraphs; plain mode is the fallback."""
    try:
        return str(page.extract_text(extraction_mode="layout") or "")
    except Exception:
        return str(page.extract_text() or "")


def child_main() -> None:
    """Entry point of the parsing child: PDF bytes on stdin -> JSON on stdout."""
    import io
    import logging
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    max_pages = int(sys.argv[1])
    try:
        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.CRITICAL)
        reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()))
        pages = [_page_text(page) for page in reader.pages[:max_pages]]
        result: dict[str, object] = {"pages": pages, "total": len(reader.pages)}
    except MemoryError:
        result = {"error": "the PDF needs more memory than allowed"}
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(result))


_CHILD = "from observatory.extract.pdf import child_main; child_main()"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def read_pages(body: bytes, *, max_pages: int, timeout: float) -> tuple[list[str], int]:
    """(text of the first ``max_pages`` pages, total page count), parsed in a bounded child.

    A subprocess rather than multiprocessing: it does not re-import the caller's ``__main__``.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(max_pages)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        out, err = child.communicate(body, timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise ExtractError(f"PDF parsing took longer than {timeout:g} s and was stopped") from None
    try:
        result = json.loads(out or b"{}")
    except ValueError:
        result = {}
    if "pages" in result:
        return [str(p) for p in result["pages"]], int(result["total"])
    if "error" in result:
        raise ExtractError(f"unreadable PDF: {result['error']}")
    last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    raise ExtractError(f"PDF parser died (exit {child.returncode}): {last[0]}")


def page_paragraphs(text: str) -> list[str]:
    """A page's text -> paragraphs: split at blank lines, headings, and short sentence ends."""
    paragraphs: list[str] = []
    current: list[str] = []
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    width = max((len(ln) for ln in lines), default=0)

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in lines:
        if not line:
            close()
        elif heading_of(line) is not None:
            close()
            paragraphs.append(line)
        else:
            current.append(line)
            if _SENTENCE_END.search(line) and len(line) < 0.8 * width:
                close()
    close()
    return paragraphs


def extract_pdf(body: bytes, opts: ExtractOptions) -> Document:
    require_body(body, "PDF")
    if b"%PDF-" not in body[:1024]:
        raise ExtractError("not a PDF (no %PDF- header)")
    pages, total = read_pages(body, max_pages=opts.pdf_max_pages, timeout=opts.pdf_timeout)
    locator = Locator()
    for number, text in enumerate(pages, start=1):
        for paragraph in page_paragraphs(text):
            locator.feed(paragraph, fallback=f"Page {number}")
    locator.finish()
    if not any(b.text for b in locator.blocks):
        raise ExtractError("the PDF has no extractable text (scanned images?)")
    meta = {"extractor": "pdf", "pages": total, "pages_read": len(pages)}
    return Document(blocks=tuple(locator.blocks), meta=meta)
