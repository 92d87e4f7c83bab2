"""Values a poll loads only when it records changes: the taxonomy and the milestone matcher.

Reading taxonomy.yaml and the milestone registry (and importing the tagger and the matcher)
costs more than a whole poll of an unchanged page, so ``observatory check`` of pages that did
not change never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from observatory.config import Config

if TYPE_CHECKING:
    from observatory.milestones import Matcher
    from observatory.tagging import Taxonomy

T = TypeVar("T")


class Deferred(Generic[T]):
    """A value loaded when first needed, once, whichever worker thread asks first: reading the
    taxonomy and the milestone registry costs more than a whole poll of an unchanged page."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load, self._lock = load, threading.Lock()
        self._value: list[T] = []

    def get(self) -> T:
        with self._lock:
            if not self._value:
                self._value.append(self._load())
            return self._value[0]


def deferred_taxonomy(config: Config) -> Deferred[Taxonomy]:
    """The taxonomy *config* names (or the packaged one), read at the first change to tag."""

    def load() -> Taxonomy:
        from observatory.tagging import load_taxonomy

        return load_taxonomy(config.taxonomy_path)

    return Deferred(load)


def deferred_matcher(config: Config) -> Deferred[Matcher]:
    """The milestones of the registry and of *config*, read at the first change to link."""

    def load() -> Matcher:
        from observatory.milestones import Matcher, load_milestones

        return Matcher(load_milestones(config))

    return Deferred(load)
