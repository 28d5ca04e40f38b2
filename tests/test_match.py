"""Verification and direction: copies of each kind pair up, independent reports do not."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from copycat.demo.spinner import spin
from copycat.demo.text import Article, NewsWriter
from pipelines.fingerprint import tokenize
from pipelines.match import (
    DocumentView,
    MatchConfig,
    align,
    classify,
    decide_direction,
    redundant_pairs,
    verify,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def writer() -> NewsWriter:
    return NewsWriter(seed=21)


def _doc(
    article: Article | str,
    url: str,
    *,
    site: str | None = None,
    id: int | None = None,
    published: datetime | None = None,
    links: tuple[str, ...] = (),
    role: str = "unknown",
) -> DocumentView:
    text = article if isinstance(article, str) else article.text
    return DocumentView(
        id=id,
        url=url,
        site=site or url.split("/", 3)[0] + "//" + url.split("/", 3)[2],
        text=text,
        published_at=published,
        first_seen_at=published,
        links=links,
        site_role=role,
    )


def test_verbatim_copy_is_paired_with_full_coverage(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    verdict = verify(
        _doc(original.text, "https://copy.example/a-b-c", published=T0 + timedelta(hours=3)),
        _doc(original, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is not None
    assert verdict.new_is_copy
    assert verdict.kind == "verbatim"
    assert verdict.copy_coverage == verdict.original_coverage == 1.0
    assert verdict.evidence["substitutions"] == []


def test_partial_copy_covers_the_copy_not_the_original(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    keep = original.paragraphs[2 : 2 + max(3, int(len(original.paragraphs) * 0.4))]
    copy_text = "\n\n".join([*writer.filler(2), *keep])
    verdict = verify(
        _doc(copy_text, "https://copy.example/a-b-c", published=T0 + timedelta(hours=3)),
        _doc(original, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is not None
    assert verdict.kind == "partial"
    assert verdict.copy_coverage > 0.6
    assert verdict.original_coverage < 0.8


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_spun_copy_is_found_with_its_swapped_words(writer: NewsWriter, rate: float) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    spun, swaps = spin(original.text, rate, random.Random(int(rate * 100)))
    verdict = verify(
        _doc(spun, "https://copy.example/a-b-c", published=T0 + timedelta(hours=3)),
        _doc(original, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is not None
    assert verdict.kind == "spun"
    assert verdict.spin_rate > 0
    seen = {(s["original"], s["copy"]) for s in verdict.evidence["substitutions"]}
    made = {(a.lower(), b.lower()) for a, b in swaps}
    assert seen & made, "the evidence names swaps the spinner really made"


def test_aligned_passages_point_at_the_same_words_in_both_texts(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    copy_text = "Breaking. " + original.text
    verdict = verify(
        _doc(copy_text, "https://copy.example/a-b-c", published=T0 + timedelta(hours=1)),
        _doc(original, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is not None
    for passage in verdict.evidence["passages"]:
        c0, c1 = passage["copy_chars"]
        o0, o1 = passage["original_chars"]
        assert tokenize(copy_text[c0:c1]).words == tokenize(original.text[o0:o1]).words


def test_independent_reports_of_one_event_are_not_paired(writer: NewsWriter) -> None:
    event = writer.event()
    first = writer.report(event, author="Ann Lee", quotes=(0, 1))
    second = writer.report(event, author="Bo Chen", quotes=(0, 1))
    # They share the quoted statements word for word: a real overlap, but not a copy.
    shared = align(tokenize(first.text), tokenize(second.text), MatchConfig(min_passage_words=8))
    assert shared.passages
    verdict = verify(
        _doc(second, "https://other.example/p-q-r", published=T0 + timedelta(hours=1)),
        _doc(first, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is None


def test_follow_up_story_is_not_a_copy(writer: NewsWriter) -> None:
    event = writer.event()
    report = writer.report(event, author="Ann Lee")
    follow = writer.follow_up(event, author="Ann Lee")
    a = align(tokenize(report.text), tokenize(follow.text))
    assert max(a.a_coverage, a.b_coverage) < 0.5


def test_direction_prefers_a_credit_link_over_time(writer: NewsWriter) -> None:
    text = writer.report(writer.event(), author="Ann Lee").text
    original = _doc(text, "https://news.example/x-y-z", id=1, published=T0 + timedelta(days=1))
    copy = _doc(
        text,
        "https://copy.example/a-b-c",
        published=T0,  # a backdated copy: the credit link still says who the original is
        links=("https://news.example/x-y-z",),
    )
    a_is_copy, rule, _ = decide_direction(copy, original)
    assert a_is_copy and rule == "credit_link"


def test_direction_uses_roles_then_time() -> None:
    a = _doc("x", "https://a.example/1", published=T0, role="copycat")
    b = _doc("x", "https://b.example/1", id=2, published=T0 + timedelta(hours=1), role="source")
    assert decide_direction(a, b)[:2] == (True, "site_role")
    a = _doc("x", "https://a.example/1", published=T0 + timedelta(hours=2))
    assert decide_direction(a, b)[:2] == (True, "earlier_published")
    a = _doc("x", "https://a.example/1", published=T0 - timedelta(hours=2))
    assert decide_direction(a, b)[:2] == (False, "earlier_published")


def test_direction_is_the_same_whichever_arrives_first(writer: NewsWriter) -> None:
    text = writer.report(writer.event(), author="Ann Lee").text
    early = _doc(text, "https://news.example/x-y-z", published=T0)
    late = _doc(text, "https://copy.example/a-b-c", published=T0 + timedelta(hours=5))
    stored_early = _doc(text, early.url, id=1, published=T0)
    stored_late = _doc(text, late.url, id=1, published=T0 + timedelta(hours=5))
    first_way = verify(late, stored_early)
    other_way = verify(early, stored_late)
    assert first_way is not None and first_way.new_is_copy
    assert other_way is not None and not other_way.new_is_copy


def test_classify_kinds() -> None:
    assert classify(1.0, 1.0, 0.0) == "verbatim"
    assert classify(1.0, 0.4, 0.0) == "partial"
    assert classify(0.9, 0.9, 0.2, swaps=30) == "spun"


def test_a_pair_between_two_copies_of_one_original_is_redundant() -> None:
    # 1 is the original; 2 and 3 copy it; 2 and 3 also match each other.
    siblings = {(2, 1): 0.95, (3, 1): 0.97, (3, 2): 0.93}
    assert redundant_pairs(siblings) == {(3, 2)}


def test_a_copy_of_a_copy_is_kept_when_it_is_closer_to_the_copy() -> None:
    # 3 copied the spun copy 2 (score 0.99 with it), not the original 1 (0.7).
    chain = {(2, 1): 0.8, (3, 1): 0.7, (3, 2): 0.99}
    assert redundant_pairs(chain) == set()
