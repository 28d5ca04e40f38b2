"""A cache of values computed from texts, bounded by the texts' total length as well as their count.

Tokens, analyses and alignment profiles take memory in proportion to their text (a profile
some 5 bytes a character, tokens and their analysis some 15), and a cache keyed by a text also
keeps the text itself. An LRU bounded by entries alone is sized for articles of a few
kilobytes; a run of pages near the extract stage's 1 M characters (a hostile site's) would make
the same 512 entries hold gigabytes. This one evicts the least recently used entries until
both bounds hold. It is thread-safe: ``copycat ingest`` fingerprints in one thread while
another matches.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import update_wrapper
from threading import Lock
from typing import Generic, TypeVar

Value = TypeVar("Value")

TEXT_CACHE_CHARS = 4_000_000
"""Characters of text a function's cache keeps by default: 512 articles of 3 KB need 1.5 M; a
few pages near the extract stage's 1 M characters fill it (their tokens and analysis take some
15 bytes a character)."""


class TextCache(Generic[Value]):
    """The values of the texts met last, newest last, within ``entries`` and ``chars``."""

    def __init__(self, entries: int, chars: int) -> None:
        self.entries = entries
        self.chars = chars
        self._values: OrderedDict[str, Value] = OrderedDict()
        self._held = 0
        """Characters of the texts held."""
        self._lock = Lock()

    def get(self, text: str) -> Value | None:
        """The value stored for ``text``, if any (it becomes the most recently used)."""
        with self._lock:
            found = self._values.get(text)
            if found is not None:
                self._values.move_to_end(text)
            return found

    def put(self, text: str, value: Value) -> Value:
        """Store ``value`` for ``text`` and return it; evict the oldest beyond the bounds.

        A text longer than the whole budget is not kept at all.
        """
        with self._lock:
            if text in self._values:
                self._values.move_to_end(text)
                self._values[text] = value
                return value
            if len(text) > self.chars:
                return value
            self._values[text] = value
            self._held += len(text)
            while len(self._values) > self.entries or self._held > self.chars:
                oldest, _ = self._values.popitem(last=False)
                self._held -= len(oldest)
            return value

    def __contains__(self, text: str) -> bool:
        return text in self._values

    def __len__(self) -> int:
        return len(self._values)

    @property
    def held_chars(self) -> int:
        """Characters of the texts held."""
        return self._held

    def clear(self) -> None:
        """Forget every entry (as a new process starts)."""
        with self._lock:
            self._values.clear()
            self._held = 0


class TextCachedFunction(Generic[Value]):
    """A function of one text whose results are kept in a :class:`TextCache` (``cache``)."""

    def __init__(self, function: Callable[[str], Value], entries: int, chars: int) -> None:
        self.function = function
        self.cache: TextCache[Value] = TextCache(entries, chars)
        update_wrapper(self, function)

    def __call__(self, text: str) -> Value:
        found = self.cache.get(text)
        return found if found is not None else self.cache.put(text, self.function(text))


def cached_by_text(
    entries: int, chars: int = TEXT_CACHE_CHARS
) -> Callable[[Callable[[str], Value]], TextCachedFunction[Value]]:
    """Decorate a function of one text to remember its results (see :class:`TextCache`)."""

    def decorate(function: Callable[[str], Value]) -> TextCachedFunction[Value]:
        return TextCachedFunction(function, entries, chars)

    return decorate
