"""The milestones as a timeline in inline SVG, drawn on the server: no script, no external asset.

One mark per milestone at its due day, coloured (and shaped, for readers who do not tell the
colours apart) by status; a period's span is drawn as a bar ending at its due day. Marks that
would overlap go to the next free lane. A dashed line marks the day the statuses are computed
for. Every mark links to the milestone's page and has a ``<title>``; the page also shows a
table of the same figures, so nothing is only visible as a picture.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from observatory.milestones import STATUSES, MilestoneView

STATUS_COLOURS = {
    "upcoming": "#2563eb",
    "due": "#d97706",
    "overdue": "#dc2626",
    "delivered": "#16a34a",
}
WIDTH, LEFT, RIGHT, TOP, LANE, GAP = 960, 24, 24, 40, 15, 13


def _x(day: date, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span


def _lanes(spans: Sequence[tuple[float, float]]) -> list[int]:
    """For marks spanning (start x, due x), in order of due x: the first lane where each does
    not touch the mark before it."""
    last: list[float] = []
    out = []
    for start, x in spans:
        lane = next((i for i, end in enumerate(last) if start - end >= GAP), len(last))
        if lane == len(last):
            last.append(x)
        last[lane] = x
        out.append(lane)
    return out


def _mark(v: MilestoneView, x: float, y: float, start: date, end: date) -> str:
    colour = STATUS_COLOURS[v.status]
    tip = f"{v.milestone.title} — due {v.due_label} — {v.status}"
    if v.delivered_at:
        tip += f" on {v.delivered_at.isoformat()}"
    parts = [f'<a href="/milestones/{escape(v.milestone.id)}" class="mark status-{v.status}">']
    parts.append(f"<title>{escape(tip)}</title>")
    if v.period:
        first = _period_start(v.period)
        x0 = _x(max(first, start), start, end)
        parts.append(
            f'<rect x="{x0:.1f}" y="{y - 2:.1f}" width="{max(x - x0, 1):.1f}" height="4" '
            f'fill="{colour}" opacity="0.35"/>'
        )
    if v.status == "overdue":  # a square
        parts.append(
            f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
        )
    elif v.status == "upcoming":  # a ring
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="{colour}" '
            'stroke-width="2"/>'
        )
    else:  # due, delivered: a disc
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>')
    parts.append("</a>")
    return "".join(parts)


def _period_start(period: str) -> date:
    year = int(period[:4])
    if "-Q" in period:
        return date(year, (int(period[-1]) - 1) * 3 + 1, 1)
    if "-H" in period:
        return date(year, 1 if period.endswith("1") else 7, 1)
    return date(year, 1, 1)


def timeline(
    views: Sequence[MilestoneView], today: date, *, title: str, label: str = "today"
) -> Markup:
    """The SVG of *views* (sorted or not) with the line of *today* (named *label*)."""
    ordered = sorted(views, key=lambda v: (v.due, v.milestone.id))
    years = [v.due.year for v in ordered] + [today.year]
    start, end = date(min(years), 1, 1), date(max(years), 12, 31)
    xs = [_x(v.due, start, end) for v in ordered]
    starts = [
        _x(max(_period_start(v.period), start), start, end) if v.period else x
        for v, x in zip(ordered, xs, strict=True)
    ]
    lanes = _lanes(list(zip(starts, xs, strict=True)))
    height = TOP + LANE * (max(lanes, default=0) + 1) + 44
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart timeline">',
        f"<title>{escape(title)}</title>",
    ]
    for year in range(start.year, end.year + 1):
        x = _x(date(year, 1, 1), start, end)
        parts.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 30}" stroke="#d9e2ec"/>'
            f'<text x="{x + 4:.1f}" y="14" font-size="11" fill="#52606d">{year}</text>'
        )
    tx = _x(today, start, end)
    parts.append(
        f'<line x1="{tx:.1f}" y1="18" x2="{tx:.1f}" y2="{height - 30}" stroke="#111827" '
        f'stroke-width="1.5" stroke-dasharray="4 3" class="today"><title>{today.isoformat()}'
        f"</title></line>"
        f'<text x="{tx + 4:.1f}" y="30" font-size="11" font-weight="bold">'
        f"{escape(label)} {today.isoformat()}</text>"
    )
    for v, x, lane in zip(ordered, xs, lanes, strict=True):
        parts.append(_mark(v, x, TOP + 8 + lane * LANE, start, end))
    parts += _legend(ordered, height - 16)
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(views: Sequence[MilestoneView], y: float) -> list[str]:
    counts = Counter(v.status for v in views)
    parts, x = [], float(LEFT)
    for status in STATUSES:
        label = f"{status} ({counts[status]})"
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{x + 14}" y="{y}" font-size="11">{escape(label)}</text>'
        )
        x += 24 + 7 * len(label)
    return parts
