"""The text-keyed caches: bounded by count and by characters, least recently used out first."""

from __future__ import annotations

import random
from threading import Thread

from copycat.demo.text import NewsWriter
from pipelines.extract import MAX_TEXT_CHARS
from pipelines.fingerprint import analyse, tokenize
from pipelines.textcache import TEXT_CACHE_CHARS, TextCache, cached_by_text


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: TextCache[int] = TextCache(entries=2, chars=100)
    cache.put("one", 1)
    cache.put("two", 2)
    assert cache.get("one") == 1  # "two" is now the oldest
    cache.put("three", 3)
    assert "two" not in cache and cache.get("one") == 1 and cache.get("three") == 3


def test_texts_are_evicted_until_their_length_fits() -> None:
    cache: TextCache[int] = TextCache(entries=100, chars=25)
    for i, text in enumerate(("a" * 10, "b" * 10, "c" * 10)):
        cache.put(text, i)
    assert "a" * 10 not in cache and len(cache) == 2 and cache.held_chars == 20
    cache.put("d" * 24, 3)  # room for it alone
    assert len(cache) == 1 and cache.held_chars == 24
    cache.put("e" * 26, 4)  # longer than the whole budget: not kept, nothing evicted for it
    assert "e" * 26 not in cache and "d" * 24 in cache
    cache.clear()
    assert len(cache) == 0 and cache.held_chars == 0


def test_a_cached_function_computes_each_kept_text_once() -> None:
    calls: list[str] = []

    @cached_by_text(entries=8, chars=1_000)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [shout("a"), shout("b"), shout("a")] == ["A", "B", "A"]
    assert calls == ["a", "b"]
    assert "a" in shout.cache


def test_long_pages_do_not_fill_memory_with_their_tokens() -> None:
    """Texts near the extract stage's bound: an entry-bounded cache of 512 would keep every
    one (some 15 MB of tokens and analysis each); this one keeps what fits its budget."""
    writer = NewsWriter(seed=4)
    story = "\n\n".join(writer.report(writer.event(), author="Ann Lee").text for _ in range(30))
    longest = (story * (MAX_TEXT_CHARS // len(story)))[: MAX_TEXT_CHARS - 10]
    for i in range(6):
        analyse(f"{i} {longest}")
    assert analyse.cache.held_chars <= TEXT_CACHE_CHARS
    assert tokenize.cache.held_chars <= TEXT_CACHE_CHARS
    assert f"5 {longest}" in analyse.cache and "0 " + longest not in analyse.cache


def test_threads_share_a_cache_safely() -> None:
    cache: TextCache[int] = TextCache(entries=50, chars=2_000)
    failures: list[BaseException] = []

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(20_000):
                text = "x" * rng.randint(1, 80)
                if cache.get(text) is None:
                    cache.put(text, len(text))
        except BaseException as error:  # pragma: no cover - the assertion reports it
            failures.append(error)

    threads = [Thread(target=hammer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) <= 50 and cache.held_chars <= 2_000
