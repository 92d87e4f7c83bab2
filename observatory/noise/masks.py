"""Noise rules: what changes on every fetch (or only in a stamp) must never become a change.

Every comparison in Observatory (snapshot fingerprints, the block diff) looks at text through
``mask_noise``, which first normalises and then replaces noise by placeholders:

* **Normalisation** - Unicode NFC; no-break and other Unicode spaces become a plain space;
  zero-width spaces, word joiners, BOMs and soft hyphens are removed; runs of whitespace
  (re-wrapped lines included) collapse to one space; ends are stripped.
* **Clock times, anywhere** -> ``<TIME>``: ``14:30``, ``2:05 pm``, ``09:15:02 CET``, ``3 p.m.``,
  ``10.30 am``, ``3pm`` (English forms; ``14h30`` is not recognised).
  Consequence: a deadline that moves only from 12:00 to 17:00 on the same day is not reported.
* **Machine timestamps, anywhere** -> ``<TIMESTAMP>``: ISO 8601 date-times (``2024-01-31T14:30Z``).
* **Relative times and copyright years, anywhere**: ``3 hours ago`` -> ``<AGO>``;
  ``© 1995-2024`` -> ``© <YEAR>``.
* **Dates, only where they look like stamps** -> ``<DATE>``. A date in prose is content: "open
  until 31 January 2024" -> "until 30 April 2024" is a real change and is kept. A date is a stamp
  when
  - it directly follows a stamp word (optionally "on"/"at" and ":" or a dash between): updated,
    last updated, modified, last modified, reviewed, revised, published, first published, posted,
    generated, retrieved, accessed, printed, created, released;
    but not after "be" ("will be published on 3 May" is a plan, not a stamp);
  - or it follows ``date:`` (also "Publication date:", "Date of publication:"), unless the word
    before ``date`` makes it substantive (closing, deadline, due, effective, expiry, submission,
    application, start, end, entry-into-force, opening, cut-off, target, meeting, event ...);
  - or it follows "as of" at the start of the text, after a bracket or separator, or after
    correct/accurate/data/information/figures/status/situation ("Data as of 3 May 2024");
    "shall apply as of 2 August 2026" is content;
  - or the whole text is just a date (optionally a weekday before and a time after, also
    ``10/05/2017 - 11:32``).
  Dates are recognised in English forms: ``31 January 2024``, ``31st of Jan. 2024``,
  ``January 31, 2024``, ``January 2024``, ``31/01/2024``, ``31.01.24``, ``2024-01-31``.
* **Counters** -> ``<COUNT>``: the number of views, comments, downloads, reads, likes,
  shares, hits, visits or replies: ``Number of views (4099)``, ``(4099) Comments``,
  ``Comments: 12``, ``Viewed 12 times``, and ``4,099 views`` when that is (nearly) the whole text;
  "the consultation received 300 comments" in a longer text is content.
* **Random-looking tokens, anywhere** -> ``<TOKEN>``: UUIDs; hex runs of 8+ characters mixing
  letters and digits (request ids, hashes, cache busters); base64-like runs of 16+ characters
  ``[A-Za-z0-9+/_-]`` holding a digit, a lower- and an upper-case letter (nonces, CSRF tokens).
  Only words where a digit touches a letter are examined (true of any random token of that
  length in practice). Words, legal references (``ST-15698-2022-INIT``, ``2019/1020``) and ELI
  paths do not qualify.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

Span = tuple[int, int, str]

_INVISIBLE_CHARS = "\u200b\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)"
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:{_WEEKDAY}?"
    rf"(?:{_DAY}\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+{_DAY},?\s+\d{{4}}"
    rf"|{_MONTH}\.?,?\s+\d{{4}}"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))(?![\w/-]))"
)
_TIME = (
    r"(?<![\w:.])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
    r"(?:\s?[ap]\.?m\b\.?)?(?:\s?(?:utc|gmt|cest|cet|bst|eest|eet|z\b|[+-]\d\d:?\d\d))?(?![\w:])"
    r"|(?<![\w:.])(?:1[0-2]|0?\d)(?:\.[0-5]\d)?\s?[ap]\.?m\b\.?"
)
_FILLER = r"(?:\s+(?:on|at))?\s*[:\-–—]?\s*"
_STAMP_VERBS = (
    *("updated", "modified", "reviewed", "revised", "published", "posted", "generated"),
    *("retrieved", "accessed", "printed", "created", "released"),
)
_AMPM_HINTS = ("am ", "am.", "am,", " pm", "pm ", "pm.", "pm,", "a.m", "p.m")
_SHORT = 80  # a block longer than this is never "just a date"

_DIGIT_RE = re.compile(r"[0-9]")
_DATE_NAMES = (
    *("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    *("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
)
_DATE_NAME_RE = re.compile(  # whole words only: "decision" and "monitor" are no dates
    rf"\b(?:{_MONTH}|(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?)\b", re.I
)
_TOKEN_HINT_RE = re.compile(r"[0-9](?:(?<=[A-Za-z][0-9])|(?=[A-Za-z]))")  # digit by a letter
_TIMESTAMP_RE = re.compile(
    r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:z|[+-]\d\d:?\d\d)?(?![\w:])", re.I
)
_TIME_RE = re.compile(_TIME, re.I)
# Matched right after a trigger ("updated", "as of", "date") that str.find located.
_AFTER_VERB_RE = re.compile(rf"{_FILLER}(?P<date>{_DATE})", re.I)
_AFTER_LABEL_RE = re.compile(
    rf"(?:\s+of\s+(?:publication|issue|last\s+update|update|revision))?\s*:\s*(?P<date>{_DATE})",
    re.I,
)
_ONLY_DATE_RE = re.compile(
    rf"[(\[]?{_DATE}(?:\s*[,\-–—|]?\s*(?:at\s+)?(?:{_TIME}))?[)\]]?\.?", re.I
)
# A stamp's label standing alone (its date sits in the next element): "Last Updated:".
_STAMP_LABEL_RE = re.compile(
    r"(?:(?:this\s+)?(?:page|content|site|document|information|data)\s+(?:was\s+)?)?"
    r"(?:(?:(?:last|first)\s+|date\s+(?:last\s+)?)?(?:updated|modified|reviewed|revised|published|posted)"
    r"|(?:all\s+)?(?:figures|data|information|status)\s+(?:correct\s+)?as\s+of"
    r"|date(?:\s+of\s+(?:publication|last\s+update|update|revision))?|as\s+of)"
    r"(?:\s+(?:on|at))?\s*[:\-–—]?",
    re.I,
)
_COUNTED = r"(?:views?|comments?|downloads?|reads?|likes?|shares?|hits|visits?|replies|reactions)"
_COUNT = r"\d(?:[\d,.\u202f\u00a0]*\d)?"
_COUNTER_RE = re.compile(
    rf"\b{_COUNTED}\s*(?::\s*\(?|\()\s*(?P<a>{_COUNT})"  # views (4099), Comments: 12
    rf"|\(\s*(?P<b>{_COUNT})\s*\)\s*{_COUNTED}\b"  # (4099) Comments
    rf"|\bviewed\s+(?P<c>{_COUNT})\s+times\b",  # viewed 12 times
    re.I,
)
_BARE_COUNTER_RE = re.compile(  # "4,099 views" at the start or after a separator
    rf"(?:^|(?<=[|·•/(\-–—])|(?<=[|·•/(\-–—]\s)){_COUNT}(?=\s+{_COUNTED}\b)", re.I
)
_COUNTER_WORDS = ("view", "comment", "download", "read", "like", "share", "hit", "visit", "repl")
_COUNTER_SHORT = 40  # a bare "4,099 views" is a counter only in a text this short
_AGO_RE = re.compile(
    r"\b\d+\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b",
    re.I,
)
_COPYRIGHT_RE = re.compile(r"(?<=©)\s*\d{4}(?:\s*[-–]\s*\d{4})?|(?<=\(c\))\s*\d{4}", re.I)
_UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX_RE = re.compile(r"(?<![\w-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?![\w-])", re.I)
_B64_RE = re.compile(
    r"(?<![\w+/-])(?=[\w+/-]*\d)(?=[\w+/-]*[a-z])(?=[\w+/-]*[A-Z])[\w+/-]{16,}={0,2}(?![\w+/=-])"
)

_SUBSTANTIVE_DATE = frozenset(
    {
        *("closing", "deadline", "due", "effective", "expiry", "expiration", "submission"),
        *("application", "applications", "start", "end", "entry", "force", "opening"),
        *("cut-off", "cutoff", "target", "meeting", "event", "hearing", "session", "launch"),
        *("registration", "delivery", "payment", "completion", "commencement", "award"),
    }
)
_AS_OF_STAMP_WORDS = frozenset(
    {"correct", "accurate", "data", "information", "figures", "status", "situation"}
)


def normalise_text(text: str) -> str:
    """NFC, invisible characters removed, all whitespace runs (nbsp included) -> one space."""
    # Fast path: printable means no whitespace but the ASCII space, no invisible characters.
    plain = text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
    if plain and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        return text
    return " ".join(normalised_words(text))


def normalised_words(text: str) -> list[str]:
    """The words of ``normalise_text(text)``."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if any(c in text for c in _INVISIBLE_CHARS):
            text = text.translate(_INVISIBLE)
    return text.split()


def _word_before(text: str, pos: int) -> str:
    """The word (lower case) or separator character just before *pos*; "" at the start."""
    head = text[max(0, pos - 40) : pos].rstrip()
    if not head:
        return "" if pos <= 40 else "?"
    if head[-1] in "([|·•—–-:;":
        return head[-1]
    return head.rsplit(" ", 1)[-1].lower().strip(",.")


def _occurrences(low: str, word: str) -> Iterator[int]:
    """Start of each occurrence of *word* in *low* that does not continue another word."""
    pos = low.find(word)
    while pos != -1:
        if pos == 0 or not (low[pos - 1].isalnum() or low[pos - 1] in "-_"):
            yield pos
        pos = low.find(word, pos + 1)


def _stamp_dates(text: str, low: str) -> Iterator[Span]:
    for verb in _STAMP_VERBS:
        for pos in _occurrences(low, verb) if verb in low else ():
            m = _AFTER_VERB_RE.match(text, pos + len(verb))
            if m and _word_before(text, pos) != "be":  # "will be published on" is a plan
                yield m.start("date"), m.end("date"), "<DATE>"
    for pos in _occurrences(low, "date") if "date" in low else ():
        m = _AFTER_LABEL_RE.match(text, pos + 4)
        before = _word_before(text, pos)
        if m and before not in _SUBSTANTIVE_DATE and not before.endswith("-force"):
            yield m.start("date"), m.end("date"), "<DATE>"
    for pos in _occurrences(low, "as of") if "as of" in low else ():
        m = _AFTER_VERB_RE.match(text, pos + 5)
        before = _word_before(text, pos)
        if m and (not before or len(before) == 1 or before in _AS_OF_STAMP_WORDS):
            yield m.start("date"), m.end("date"), "<DATE>"


def noise_spans(text: str) -> list[Span]:
    """Non-overlapping ``(start, end, placeholder)`` spans of noise in *normalised* text.

    Every kind of noise holds a digit; cheap substring tests decide which patterns to run.
    """
    if not _DIGIT_RE.search(text):
        return []
    if len(text) <= _SHORT and _ONLY_DATE_RE.fullmatch(text):
        return [(0, len(text), "<DATE>")]
    low = text.lower()
    found: list[Span] = []
    if ":" in text:
        found += ((m.start(), m.end(), "<TIMESTAMP>") for m in _TIMESTAMP_RE.finditer(text))
    if ":" in text or any(h in low for h in _AMPM_HINTS) or low.endswith(("am", "pm")):
        found += ((m.start(), m.end(), "<TIME>") for m in _TIME_RE.finditer(text))
    found += _stamp_dates(text, low)
    if " ago" in low:
        found += ((m.start(), m.end(), "<AGO>") for m in _AGO_RE.finditer(text))
    if "©" in text or "(c)" in low:
        found += ((m.start(), m.end(), " <YEAR>") for m in _COPYRIGHT_RE.finditer(text))
    if any(word in low for word in _COUNTER_WORDS):
        found += _counter_spans(text)
    found += _token_spans(text)
    if not found:
        return found
    found.sort(key=lambda s: (s[0], -s[1]))
    spans: list[Span] = []
    for span in found:
        if not spans or span[0] >= spans[-1][1]:
            spans.append(span)
    return spans


def _counter_spans(text: str) -> Iterator[Span]:
    """View, comment and download counters: the number only (the label is content)."""
    for m in _COUNTER_RE.finditer(text):
        group = m.lastgroup or "a"
        yield m.start(group), m.end(group), "<COUNT>"
    if len(text) <= _COUNTER_SHORT:
        yield from ((m.start(), m.end(), "<COUNT>") for m in _BARE_COUNTER_RE.finditer(text))


def is_stamp_label(text: str) -> bool:
    """Is *text* only the label of a stamp ("Last updated:", "All figures as of")?"""
    return len(text) <= 60 and _STAMP_LABEL_RE.fullmatch(normalise_text(text)) is not None


def _token_spans(text: str) -> Iterator[Span]:
    """Random-looking tokens; only words where a digit touches a letter are examined."""
    done = -1
    for hint in _TOKEN_HINT_RE.finditer(text):
        if hint.start() < done:
            continue
        start = text.rfind(" ", 0, hint.start()) + 1
        done = text.find(" ", hint.start())
        done = len(text) if done == -1 else done
        word = text[start:done]
        for pattern in (_UUID_RE, _HEX_RE, _B64_RE):
            for m in pattern.finditer(word):
                yield start + m.start(), start + m.end(), "<TOKEN>"


def mask_noise(text: str) -> str:
    """Normalised *text*, time/date stamps and random-looking tokens replaced by placeholders."""
    return mask_normalised(normalise_text(text))


def mask_normalised(text: str) -> str:
    """``mask_noise`` for text that ``normalise_text`` already produced."""
    spans = noise_spans(text)
    return apply_spans(text, spans) if spans else text


def apply_spans(text: str, spans: list[Span]) -> str:
    """*text* with each noise span replaced by its placeholder."""
    parts: list[str] = []
    pos = 0
    for start, end, placeholder in spans:
        parts.append(text[pos:start])
        parts.append(placeholder)
        pos = end
    parts.append(text[pos:])
    return "".join(parts).strip()


def may_hold_noise(text: str) -> bool:
    """False when no part of a noise span can be in *text* (no digit, ©, month or weekday)."""
    if _DIGIT_RE.search(text) or "©" in text:
        return True
    low = text.lower()
    return any(name in low for name in _DATE_NAMES) and bool(_DATE_NAME_RE.search(text))


def differs_only_by_noise(old: str, new: str) -> bool:
    """True when *old* and *new* are equal once normalised and masked (identical texts included)."""
    return old == new or mask_noise(old) == mask_noise(new)
