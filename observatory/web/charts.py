"""Charts as inline SVG drawn on the server: no script, no external asset, readable without CSS.

Each bar has a ``<title>`` (a tooltip in browsers, read by screen readers) and every chart comes
with a table of the same figures in the page, so nothing is only visible as a picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from observatory.dimensions import COLOURS
from observatory.dimensions import FALLBACK_COLOUR as FALLBACK


def stacked_bars(
    months: Sequence[str],
    series: Mapping[str, Mapping[str, int]],
    labels: Mapping[str, str],
    *,
    width: int = 720,
    height: int = 220,
    title: str = "Changes per month",
) -> Markup:
    """One stacked bar per month, one colour per series (dimension), with a legend."""
    left, bottom, top = 40, 28, 12
    plot_h = height - bottom - top
    totals = [sum(series.get(key, {}).get(m, 0) for key in labels) for m in months]
    peak = max([*totals, 1])
    slot = (width - left - 8) / max(len(months), 1)
    bar_w = max(slot * 0.7, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" '
        'stroke="#9ca3af"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    for i, month in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(top + plot_h)
        for key in labels:
            count = series.get(key, {}).get(month, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(key, FALLBACK)}"><title>{escape(month)}: {count} '
                f"{escape(labels[key])}</title></rect>"
            )
        if len(months) <= 12 or i % 3 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'font-size="10">{escape(month)}</text>'
            )
    parts += legend(labels, x=float(left), y=height + 8)
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(labels: Mapping[str, str], *, x: float, y: float) -> list[str]:
    """A swatch and a label per series, in one row from (x, y)."""
    parts = []
    for key, label in labels.items():
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{COLOURS.get(key, FALLBACK)}"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="11">{escape(label)}</text>'
        )
        x += 16 + 7 * len(label)
    return parts


def single_bars(
    months: Sequence[str], counts: Mapping[str, int], *, title: str = "Changes per month"
) -> Markup:
    """One series (e.g. one source's changes per month)."""
    return stacked_bars(months, {"changes": counts}, {"changes": "changes"}, title=title)
