"""Items of listings and feeds, and linked documents (PDFs): matched by key, not by position.

Items are matched by ``Item.key``: one Change per new, removed or modified item (title or summary
changed; a change of the date alone is noise), location ``"Items"``. A document newly linked
from the watched region, or no longer linked, is one Change at ``LINKS_LOCATION``.
"""

from __future__ import annotations

from collections.abc import Sequence

from observatory.diff._model import Change, Kind, Op, snippet
from observatory.diff.words import word_diff
from observatory.document import Item
from observatory.noise import mask_noise, normalise_text

LINKS_LOCATION = "Linked documents"


def diff_links(old_links: Sequence[str], new_links: Sequence[str]) -> list[Change]:
    before, after = set(old_links), set(new_links)
    return [_link_change("added", link) for link in new_links if link not in before] + [
        _link_change("removed", link) for link in old_links if link not in after
    ]


def _link_change(kind: Kind, link: str) -> Change:
    name = link.rstrip("/").rsplit("/", 1)[-1] or link
    added = kind == "added"
    return Change(
        kind,
        LINKS_LOCATION,
        f"New linked document: {name}" if added else f"Linked document removed: {name}",
        added=[link] if added else [],
        removed=[] if added else [link],
        diff=[("+" if added else "-", link)],
        item_link=link,
    )


def _item_words(item: Item) -> str:
    return normalise_text(f"{item.title} {item.summary}")


def diff_items(old_items: Sequence[Item], new_items: Sequence[Item]) -> list[Change]:
    old_by_key: dict[str, Item] = {}
    for item in old_items:
        old_by_key.setdefault(item.key, item)
    new_by_key: dict[str, Item] = {}
    for item in new_items:
        new_by_key.setdefault(item.key, item)
    changes: list[Change] = []
    for key, item in new_by_key.items():
        before = old_by_key.get(key)
        if before is None:
            changes.append(_item_change("added", "New item", item, [], [item.text]))
        elif mask_noise(_item_words(before)) != mask_noise(_item_words(item)):
            ops = word_diff(_item_words(before), _item_words(item))
            changes.append(
                _item_change("modified", "Item modified", item, [before.text], [item.text], ops)
            )
    for key, item in old_by_key.items():
        if key not in new_by_key:
            changes.append(_item_change("removed", "Removed item", item, [item.text], []))
    return changes


def _item_change(
    kind: Kind,
    what: str,
    item: Item,
    removed: list[str],
    added: list[str],
    ops: list[Op] | None = None,
) -> Change:
    if ops is None:
        ops = [("+", t) for t in added] + [("-", t) for t in removed]
    return Change(
        kind=kind,
        location="Items",
        title=snippet(f"{what}: {normalise_text(item.title)}", 160),
        added=added,
        removed=removed,
        diff=ops,
        item_link=item.link or None,
    )
