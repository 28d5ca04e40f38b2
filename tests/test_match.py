"""Verification and direction: copies of each kind pair up, independent reports do not."""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scrapy.settings import Settings

from copycat.demo.spinner import spin
from copycat.demo.text import Article, NewsWriter
from pipelines.align import (
    MAX_BLOCK_CELLS,
    MAX_SENTENCE_WORDS,
    PROFILE_FORMAT,
    AlignConfig,
    FeatureIndex,
    Profile,
    _sentence_ranges,
    _top_columns,
    align,
    align_profiles,
    clear_profiles,
    copied_or_spun,
    is_profiled,
    join_split_sentences,
    load_profile,
    match_sentences,
    profile,
    profile_bytes,
    swapped_spans,
    with_evidence,
)
from pipelines.direction import reporting_direction, text_direction
from pipelines.fingerprint import (
    VIEW_STRIDE,
    FingerprintConfig,
    analyse,
    fingerprint_text,
    names_or_numbers,
    tokenize,
)
from pipelines.match import (
    DocumentView,
    MatchConfig,
    MatchVerdict,
    classify,
    covers,
    decide_direction,
    is_copy,
    judge,
    mark_stitched,
    own_shares,
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


def _verify_later_copy(
    copy: str,
    original: Article | str,
    copy_url: str = "https://copy.example/a-b-c",
    original_url: str = "https://news.example/x-y-z",
) -> MatchVerdict | None:
    """Verify a copy published three hours after its stored original (id 1)."""
    return verify(
        _doc(copy, copy_url, published=T0 + timedelta(hours=3)),
        _doc(original, original_url, id=1, published=T0),
    )


def test_verbatim_copy_is_paired_with_full_coverage(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    verdict = _verify_later_copy(original.text, original)
    assert verdict is not None
    assert verdict.new_is_copy
    assert verdict.kind == "verbatim"
    assert verdict.copy_coverage == verdict.original_coverage == 1.0
    assert verdict.evidence["substitutions"] == []


def test_partial_copy_covers_the_copy_not_the_original(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    keep = original.paragraphs[2 : 2 + max(3, int(len(original.paragraphs) * 0.4))]
    copy_text = "\n\n".join([*writer.filler(2), *keep])
    verdict = _verify_later_copy(copy_text, original)
    assert verdict is not None
    assert verdict.kind == "partial"
    assert verdict.copy_coverage > 0.6
    assert verdict.original_coverage < 0.8


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_spun_copy_is_found_with_its_swapped_words(writer: NewsWriter, rate: float) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    spun, swaps = spin(original.text, rate, random.Random(int(rate * 100)))
    verdict = _verify_later_copy(spun, original)
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
    shared = align(first.text, second.text)
    assert shared.passages, "the shared quotes line up"
    assert max(shared.a_coverage, shared.b_coverage) < 0.3, "but quotes explain nothing"
    verdict = verify(
        _doc(second, "https://other.example/p-q-r", published=T0 + timedelta(hours=1)),
        _doc(first, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is None


def test_follow_up_story_is_not_a_copy(writer: NewsWriter) -> None:
    event = writer.event()
    report = writer.report(event, author="Ann Lee")
    follow = writer.follow_up(event, author="Ann Lee")
    a = align(report.text, follow.text)
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
    assert decide_direction(a, b)[:2] == (True, "trusted_date")
    a = _doc("x", "https://a.example/1", published=T0 - timedelta(hours=2))
    assert decide_direction(a, b)[:2] == (False, "trusted_date")


def test_our_first_seen_time_beats_a_page_claim() -> None:
    # The copy claims an earlier date, but we saw the original a day before the copy.
    original = DocumentView(
        id=1,
        url="https://news.example/1",
        site="https://news.example",
        text="x",
        published_at=T0 + timedelta(hours=5),
        published_source="meta",
        first_seen_at=T0,
    )
    copy = DocumentView(
        url="https://copy.example/1",
        site="https://copy.example",
        text="x",
        published_at=T0 - timedelta(days=3),
        published_source="json-ld",
        first_seen_at=T0 + timedelta(days=1),
    )
    assert decide_direction(copy, original)[:2] == (True, "first_seen")
    # Seen in the same crawl: a feed date outranks what the page claims about itself.
    copy = DocumentView(
        url="https://copy.example/1",
        site="https://copy.example",
        text="x",
        published_at=T0 + timedelta(hours=6),
        published_source="feed",
        first_seen_at=T0 + timedelta(hours=1),
    )
    original = DocumentView(
        id=1,
        url="https://news.example/1",
        site="https://news.example",
        text="x",
        published_at=T0 + timedelta(hours=1),
        published_source="sitemap",
        first_seen_at=T0,
    )
    assert decide_direction(copy, original)[:2] == (True, "trusted_date")


def test_a_credit_line_naming_the_source_decides_direction(writer: NewsWriter) -> None:
    text = writer.report(writer.event(), author="Ann Lee").text
    original = DocumentView(
        id=1, url="https://www.courier.example/n/1", site="https://www.courier.example",
        text=text, site_name="The Courier", published_at=T0 + timedelta(days=2),
    )  # fmt: skip
    copy = _doc(text + "\n\nSource: The Courier", "https://copy.example/1", published=T0)
    a_is_copy, rule, _ = decide_direction(copy, original)
    assert a_is_copy and rule == "credit_name"


def test_text_evidence_points_at_the_side_with_odd_swapped_words() -> None:
    swaps = [
        ("said", "aforesaid"),
        ("rose", "rosebush"),
        ("told", "instructed"),
        ("cut", "slashed"),
    ]
    assert text_direction([(b, a) for a, b in swaps]) is True
    assert text_direction(swaps) is False
    assert text_direction(swaps[:1]) is None


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


def test_undated_the_side_holding_reporting_the_other_lacks_is_the_original(
    writer: NewsWriter,
) -> None:
    """No dates, no credit, no swaps, and the copy stored first: a cut-down copy among page
    lines names nothing the original lacks, while the original holds the reporting it cut."""
    original = writer.report(writer.event(), author="Ann Lee")
    kept = list(original.paragraphs[: max(3, len(original.paragraphs) // 2)])
    copy = "\n\n".join([*writer.filler(2), *kept, *writer.filler(1)])
    verdict = verify(
        _doc(original, "https://news.example/x-y-z"),
        _doc(copy, "https://copy.example/a-b-c", id=1),
    )
    assert verdict is not None and not verdict.new_is_copy
    assert verdict.direction_rule == "own_reporting"
    copy_words, original_words = verdict.evidence["direction"]["own_reporting_words"][::-1]
    assert copy_words == 0 and original_words >= 30
    # a copy holding reporting of its own (another story's paragraphs: a stitched page) says
    # nothing that way: the one stored first stays the original
    other = writer.report(writer.event(), author="Bo Reyes")
    stitched = "\n\n".join([*kept, *other.paragraphs[:3]])
    verdict = verify(
        _doc(original, "https://news.example/x-y-z"),
        _doc(stitched, "https://copy.example/a-b-c", id=1),
    )
    assert verdict is not None and verdict.direction_rule == "first_stored"


def test_reporting_direction_needs_all_of_it_on_one_side() -> None:
    assert reporting_direction((0, 45)) is True
    assert reporting_direction((45, 0)) is False
    assert reporting_direction((0, 20)) is None  # too little to tell
    assert reporting_direction((5, 200)) is None  # the copy names things of its own


def test_classify_kinds() -> None:
    assert classify(1.0, 1.0, 0.0) == "verbatim"
    assert classify(1.0, 0.4, 0.0) == "partial"
    assert classify(0.9, 0.9, 0.2, swaps=30) == "spun"
    assert classify(0.8, 0.7, 0.1, swaps=5, reordered=True) == "reworked"


def test_half_spun_copy_with_reordered_paragraphs_is_reworked(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    paragraphs = list(original.paragraphs)
    kept = [paragraphs[i] for i in range(len(paragraphs)) if i != 1]
    kept = [*writer.filler(1), kept[2], kept[0], kept[1], *kept[3:]]
    spun, _ = spin("\n\n".join(kept), 0.5, random.Random(3))
    verdict = _verify_later_copy(spun, original)
    assert verdict is not None and verdict.new_is_copy
    assert verdict.kind == "reworked"
    assert verdict.evidence["reordered"]


def _narrative_excerpt(article: Article) -> str:
    """Three sentences of an article's own narrative (its second to fourth outside the
    paragraphs that quote), as one paragraph."""
    body = [p for p in article.paragraphs if '"' not in p and "“" not in p]
    return ". ".join(" ".join(body).split(". ")[1:4]) + "."


def test_an_excerpt_of_three_sentences_in_a_longer_page_is_found(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee")
    excerpt = _narrative_excerpt(original)
    page = "\n\n".join([*writer.filler(6), excerpt, *writer.filler(4)])
    verdict = _verify_later_copy(page, original)
    assert verdict is not None and verdict.new_is_copy
    assert verdict.copy_coverage < 0.5
    assert verdict.evidence["longest_run_sentences"] >= 3


def test_an_excerpt_inside_other_articles_is_a_candidate_and_a_copy() -> None:
    """Three sentences of a story as one paragraph among two other stories (a round-up page
    of over a thousand words): the page keeps the excerpt's anchors, so the story is a
    candidate, and the three sentences in a run pair though they are a tenth of the page."""
    writer = NewsWriter(seed=5)
    story = writer.report(writer.event(), author="Ann Lee")
    excerpt = _narrative_excerpt(story)
    other_stories = [writer.report(writer.event(), author="Bo Chen") for _ in range(2)]
    hosts = [p for other in other_stories for p in other.paragraphs]
    page = "\n\n".join([*hosts[: len(hosts) // 2], excerpt, *hosts[len(hosts) // 2 :]])
    page_print = fingerprint_text(page)
    anchors = [bucket for band, bucket in page_print.buckets if band // VIEW_STRIDE == 2]
    assert len(anchors) > 64  # the lowest 64, method 6's cap, kept none of the excerpt's
    shared = set(page_print.buckets) & set(fingerprint_text(story.text).buckets)
    assert len(shared) >= MatchConfig().min_shared_bands
    verdict = _verify_later_copy(page, story, copy_url="https://roundup.example/week")
    assert verdict is not None and verdict.new_is_copy
    assert verdict.copy_coverage < 0.2
    assert verdict.evidence["longest_run_sentences"] >= 3


def test_quotes_spliced_into_another_story_are_not_a_copy(writer: NewsWriter) -> None:
    first = writer.report(writer.event(), author="Ann Lee", quotes=(0, 1))
    other = writer.report(writer.event(), author="Bo Chen")
    # Only the quoted sentences (with their "she said"): those are what both reports share.
    quoted = re.findall(r'[^.!?"]*"[^"]+"[^.!?"]*[.!?]?', first.text)
    assert quoted
    mixed = [*other.paragraphs[:2], " ".join(quoted), *other.paragraphs[2:]]
    verdict = verify(
        _doc("\n\n".join(mixed), "https://other.example/p", published=T0 + timedelta(hours=1)),
        _doc(first, "https://news.example/x-y-z", id=1, published=T0),
    )
    assert verdict is None


def test_a_page_stitched_from_two_originals_names_both(writer: NewsWriter) -> None:
    one = writer.report(writer.event(), author="Ann Lee")
    two = writer.report(writer.event(), author="Bo Chen")
    half_one = one.paragraphs[: len(one.paragraphs) * 2 // 3]
    half_two = two.paragraphs[: len(two.paragraphs) * 2 // 3]
    page = "\n\n".join([*half_one, *half_two])
    new = _doc(page, "https://copy.example/s", published=T0 + timedelta(hours=5))
    verdicts = [
        verify(new, _doc(one, "https://news.example/1", id=1, published=T0)),
        verify(new, _doc(two, "https://paper.example/2", id=2, published=T0)),
    ]
    assert all(v is not None and v.new_is_copy for v in verdicts)
    stitched = mark_stitched([v for v in verdicts if isinstance(v, MatchVerdict)])
    assert [v.kind for v in stitched] == ["stitched", "stitched"]
    boundary = len("\n\n".join(half_one))
    for verdict, own_half in zip(stitched, (0, 1), strict=True):
        parts = verdict.evidence["copy_parts"]
        inside = sum(e - s for s, e in parts if (s >= boundary) == bool(own_half))
        assert inside > 0.8 * sum(e - s for s, e in parts), "each covers its own part"


def test_own_shares_count_each_overlapping_span() -> None:
    """The share of a copy's parts no other original's parts cover, an overlap counted once per
    span overlapping (three originals explaining one run leave each of them less than none)."""
    assert own_shares([[(0, 100)], [(50, 150)], [(200, 300)]]) == [0.5, 0.5, 1.0]
    assert own_shares([[(0, 100)]] * 3) == [-1.0, -1.0, -1.0]
    assert own_shares([[(0, 40), (60, 100)], [(30, 70)], []]) == [0.75, 0.5, 1.0]


def test_own_shares_of_many_long_parts_come_from_one_sweep() -> None:
    """Fifty originals of 2,000 passages each: comparing every passage with every other would
    take some ten billion steps."""
    interleaved = [[(i * 100 + k, i * 100 + k + 2) for i in range(2_000)] for k in range(0, 100, 2)]
    assert own_shares(interleaved) == [1.0] * 50
    # each run of 4 shares its halves with its neighbours' runs (the first and last, one half)
    shifted = [[(i * 100 + k, i * 100 + k + 4) for i in range(2_000)] for k in range(0, 96, 2)]
    assert own_shares(shifted) == [0.5] + [0.0] * 46 + [0.5]


def test_a_pair_between_two_copies_of_one_original_is_redundant() -> None:
    # 1 is the original; 2 and 3 copy it; 2 and 3 also match each other.
    siblings = {(2, 1): 0.95, (3, 1): 0.97, (3, 2): 0.93}
    assert redundant_pairs(siblings) == {(3, 2)}
    # A few points closer to the fellow copy is extraction noise, not copying the copy.
    near = {(2, 1): 1.0, (3, 1): 0.58, (3, 2): 0.63}
    assert redundant_pairs(near) == {(3, 2)}


def test_a_copy_of_a_copy_is_kept_when_it_is_closer_to_the_copy() -> None:
    # 3 copied the spun copy 2 (score 0.99 with it), not the original 1 (0.7).
    chain = {(2, 1): 0.8, (3, 1): 0.7, (3, 2): 0.99}
    assert redundant_pairs(chain) == set()


def test_an_archive_ingested_later_keeps_its_own_dates() -> None:
    # The original came in with an archive a week after we crawled the copy: its record's date,
    # not our ingest time, says when it was published.
    copy = DocumentView(
        url="https://copy.example/1", site="https://copy.example", text="x",
        published_at=T0 + timedelta(hours=4), published_source="feed", first_seen_at=T0,
    )  # fmt: skip
    original = DocumentView(
        id=1, url="https://news.example/1", site="https://news.example", text="x",
        published_at=T0, published_source="input", first_seen_at=T0 + timedelta(days=7),
    )  # fmt: skip
    assert decide_direction(copy, original)[:2] == (True, "trusted_date")


def test_a_bare_date_does_not_beat_a_time_on_the_same_day() -> None:
    original = DocumentView(
        id=1, url="https://news.example/1", site="https://news.example", text="x",
        published_at=T0 + timedelta(hours=2), published_source="input", first_seen_at=T0,
    )  # fmt: skip
    # The copy's page only says which day it is from (midnight): no evidence against the
    # original's exact time that same day; our ingest order decides instead.
    day = T0.replace(hour=0, minute=0)
    copy = DocumentView(
        url="https://copy.example/1", site="https://copy.example", text="x",
        published_at=day, published_source="trafilatura", first_seen_at=T0 + timedelta(hours=3),
    )  # fmt: skip
    assert decide_direction(copy, original)[:2] == (True, "first_seen")
    yesterday = DocumentView(
        url="https://copy.example/1", site="https://copy.example", text="x",
        published_at=day - timedelta(days=1), published_source="trafilatura",
        first_seen_at=T0 + timedelta(hours=3),
    )  # fmt: skip
    assert decide_direction(yesterday, original)[:2] == (False, "page_date")


def test_the_feature_index_counts_exactly_the_features_two_sentences_share() -> None:
    rng = random.Random(5)

    def sentences(count: int) -> list[frozenset[int]]:
        return [frozenset(rng.sample(range(40), rng.randint(0, 12))) for _ in range(count)]

    def index(sets: list[frozenset[int]]) -> FeatureIndex:
        entries = [
            (i, feature * 104_729) for i, features in enumerate(sets) for feature in features
        ]
        sentence = np.array([i for i, _ in entries], dtype=np.int32)
        return FeatureIndex.of(sentence, np.array([h for _, h in entries], np.uint32), len(sets))

    for _ in range(50):
        ours, theirs = sentences(rng.randint(0, 9)), sentences(rng.randint(0, 9))
        shared = index(ours).shared_with(index(theirs))
        assert shared.tolist() == [[len(a & b) for b in theirs] for a in ours]
        assert index(ours).shared_count(index(theirs)) == len(
            frozenset().union(*ours) & frozenset().union(*theirs)
        )


def _alignment_facts(a: Profile, b: Profile) -> tuple[float, float, int, float, tuple[object, ...]]:
    found = align_profiles(a, b)
    return (found.a_coverage, found.b_coverage, found.longest_run, found.in_order, found.pairs)


def test_a_profile_loaded_from_its_bytes_aligns_as_the_computed_one(writer: NewsWriter) -> None:
    original = writer.report(writer.event(), author="Ann Lee").text
    spun, _ = spin(original, 0.3, random.Random(4))
    computed = profile(spun)
    data = profile_bytes(computed)
    expected = _alignment_facts(computed, profile(original))
    clear_profiles()  # as in another process
    assert not is_profiled(spun)
    loaded = load_profile(spun, data)
    assert loaded is not None and loaded is not computed and is_profiled(spun)
    assert loaded.sentences == computed.sentences and loaded.words == computed.words
    assert _alignment_facts(loaded, profile(original)) == expected
    assert expected[0] > 0.5  # a copy: the loaded profile carries the alignment that finds it


def test_a_stored_profile_of_another_text_or_format_is_not_used(writer: NewsWriter) -> None:
    text = writer.report(writer.event(), author="Ann Lee").text
    data = profile_bytes(profile(text))
    clear_profiles()
    edited = text.replace(".", "!", 1)
    assert load_profile(edited, data) is None  # same length, another text: the checksum says so
    other_format = data[:4] + (PROFILE_FORMAT + 1).to_bytes(2, "little") + data[6:]
    assert load_profile(text, other_format) is None
    assert load_profile(text, data[:-4]) is None and load_profile(text, b"") is None
    assert not is_profiled(text)
    assert load_profile(text, data) is not None


PINNED_PROFILE_TEXT = (
    'The harbour council approved a new budget on Tuesday after a long debate. "We had no '
    'choice," said Mayor Ellen Marsh, who chairs it. Spending on the ferry rises by 12 per '
    "cent.\n\nOpponents said the plan ignores the northern villages, and will vote against "
    "it again in March when the second reading is due."
)


def test_profiles_stay_what_earlier_versions_stored() -> None:
    # Stored profiles are loaded by later runs: any change to what a profile holds must come
    # with a PROFILE_FORMAT bump, which makes them profile the text again.
    data = profile_bytes(profile(PINNED_PROFILE_TEXT))
    assert (PROFILE_FORMAT, len(data), hashlib.sha256(data).hexdigest()[:16]) == (
        3,
        394,
        "239519bd29bbaeb8",
    )


def test_sentences_break_at_stops_paragraphs_and_the_length_cap() -> None:
    run_on = " ".join(f"w{i}" for i in range(128))
    text = f"One two three. Four five!\n\nSix seven {run_on}"
    ranges = _sentence_ranges(text, tokenize(text))
    assert MAX_SENTENCE_WORDS == 60
    assert ranges == [(0, 3, 0), (3, 5, 0), (5, 65, 1), (65, 125, 1), (125, 135, 1)]
    # a cut that falls after the last word starts nothing; a text of one word is one sentence
    assert _sentence_ranges("Done.\n\n", tokenize("Done.\n\n")) == [(0, 1, 0)]
    assert _sentence_ranges("", tokenize("")) == []


def test_sentences_alike_only_in_names_and_numbers_explain_nothing() -> None:
    # Two reports of one team announcement: the same names and score, told in other words.
    first = (
        "Wales coach Mike Ruddock has made two changes from the team that beat Italy 38-8 for "
        "the trip to France on Saturday. Kevin Morgan replaces the injured Hal Luscombe on the "
        "right wing at the Stade de France. Ryan Jones starts at blindside flanker ahead of "
        "Jonathan Thomas, who drops to the bench."
    )
    second = (
        "Mike Ruddock kept faith with most of the side that crushed Italy 38-8 in Rome, naming "
        "Wales for France with two changes. Hal Luscombe misses out hurt, so Kevin Morgan comes "
        "onto the right wing for the Stade de France. Jonathan Thomas makes way and Ryan Jones "
        "will wear the blindside flanker shirt."
    )
    a, b = profile(first), profile(second)
    loose = align_profiles(a, b, AlignConfig(min_covering_similarity=0.0))
    assert loose.pairs and loose.a_coverage > 0.2  # they do align, loosely
    alignment = align_profiles(a, b)
    assert max(p.similarity for p in alignment.pairs) < AlignConfig().min_covering_similarity
    assert alignment.a_coverage == alignment.b_coverage == 0.0


def test_pages_sharing_a_run_of_generic_lines_are_no_excerpt() -> None:
    shared = (
        "Don't forget to share this post with your thoughts. Many of you have been getting in "
        "touch about this for days. This is what we know so far about this story."
    )
    council = (
        "The council voted on the budget on Monday after a long debate in the chamber. "
        f"{shared} Residents said the rise in fees was steeper than they had expected from the "
        "plan. The leader of the opposition group called the vote a betrayal of the promises "
        "made at the election. Officials will publish the final figures for every ward before "
        "the end of next week."
    )
    storm = (
        "A storm closed the coast road near the harbour for most of the afternoon on Tuesday. "
        f"{shared} Engineers said repairs to the sea wall would take until the end of the month. "
        "Fishing boats stayed in port while the wind gusted above sixty miles an hour along the "
        "bay. The ferry company cancelled its evening crossings and promised refunds to every "
        "passenger."
    )
    a, b = profile(council), profile(storm)
    counted = align_profiles(a, b, AlignConfig(min_run_keys=0))
    assert (counted.longest_run, counted.run_words) == (3, 31)  # what the rule is for
    alignment = align_profiles(a, b)
    assert alignment.run_words == 0
    # and the lines hold no name or number: no specific text of either page is shared
    assert counted.specific_aligned == alignment.specific_aligned == 0
    assert not is_copy(alignment) and not is_copy(counted)


def test_a_sentence_explains_one_sentence_of_the_other_text() -> None:
    """Template lines that differ by a word or two all align with the one such line of another
    page; it explains one of them, so pages sharing a template do not cover each other."""
    lines = (
        "Do not forget to share this post and let us know what you think of it.",
        "Do not forget to leave a comment below and let us know what you think of it.",
        "Do not forget to tell your friends about this post and let us know what you think.",
    )
    quoted = (
        '"The harbour wall held through the night and nobody was hurt," the coastguard said. '
        '"We will inspect every mooring before the ferries sail again," she added.'
    )
    page = "\n\n".join((lines[0], quoted, lines[1], lines[2]))
    other = "\n\n".join(
        (
            "The council will publish its budget for the coming year on Thursday morning.",
            lines[0],
            "Fees for parking in the town centre are expected to rise for the third year.",
        )
    )
    a, b = profile(page), profile(other)
    alignment = align_profiles(a, b)
    on_one_line = [p for p in alignment.pairs if p.similarity >= 0.6]
    assert len(on_one_line) == 3 and len({p.b for p in on_one_line}) == 1
    assert alignment.a_coverage == pytest.approx(a.sentences[0].words / a.words)
    assert alignment.a_coverage < 0.5 and not is_copy(alignment)


def test_a_sentence_aligns_with_its_own_copy_before_a_shorter_one_it_contains() -> None:
    """A later, shorter sentence of the original whose words all recur in a longer one is as
    alike to it by containment; the longer one's own copy, met first, keeps it, so a copied run
    of three sentences stays one run (before method 8 the shorter one took it, cutting the
    run in two)."""
    run = (
        "Storm Ada closed the harbour at Portwell on Monday and kept the ferries in port. "
        "Ferry operator Lin Marsh said crossings to the islands would resume on Thursday. "
        "Harbour master Ken Obi said the damage to the pier appeared to be minor."
    )
    original = "\n\n".join(
        (
            "Portwell has had its wettest autumn since records began in the town.",
            run,
            "Divers checked the pier's footings on Tuesday. The damage to the pier appeared to "
            "be minor. The council will meet to discuss repairs on Friday.",
        )
    )
    copy = "\n\n".join((run, "Send us your photos of the storm where you live."))
    a, b = profile(copy), profile(original)
    alignment = align_profiles(a, b)
    assert [(p.a, p.b) for p in alignment.pairs] == [(0, 1), (1, 2), (2, 3)]
    assert alignment.longest_run == 3 and is_copy(alignment)


def _reports(writer: NewsWriter, count: int) -> list[str]:
    return [writer.report(writer.event(), author="Ann Lee").text for _ in range(count)]


def _reshuffled(reports: list[str], others: list[str], seed: int) -> str:
    """Another page holding ``reports`` in another order, every other one spun, among others."""
    rng = random.Random(seed)
    texts = [spin(text, 0.3, rng)[0] if i % 2 else text for i, text in enumerate(reports)]
    texts += others
    rng.shuffle(texts)
    return "\n\n".join(texts)


def test_long_pages_are_aligned_in_blocks_with_the_same_result(
    writer: NewsWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = _reports(writer, 12)
    a = profile("\n\n".join(reports))
    b = profile(_reshuffled(reports, _reports(writer, 4), seed=3))
    whole = match_sentences(a, b)
    assert len(whole) > len(a.sentences) * 0.8  # nearly every sentence has its own
    assert len(a.sentences) * len(b.sentences) <= MAX_BLOCK_CELLS  # that was one block
    monkeypatch.setattr("pipelines.align.MAX_BLOCK_CELLS", 3 * len(b.sentences) + 1)
    assert match_sentences(a, b) == whole  # three sentences of a at a time


def test_aligning_two_huge_pages_takes_bounded_memory(writer: NewsWriter) -> None:
    """Two pages of some 4,000 sentences: scored in one matrix, each of its copies took
    128 MB (two pages of 1.3 M characters took 4 GB in all)."""
    reports = _reports(writer, 100)
    a = profile("\n\n".join(reports))
    b = profile(_reshuffled(reports, _reports(writer, 10), seed=5))
    assert len(a.sentences) > 3_500 and len(b.sentences) > 3_500
    tracemalloc.start()
    try:
        pairs = match_sentences(a, b)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(pairs) > len(a.sentences) * 0.8
    assert peak < 64 * 2**20


def test_top_columns_are_a_stable_sorts_first() -> None:
    scores = np.random.default_rng(7).integers(0, 4, size=(200, 40))  # many ties
    expected = np.argsort(-scores, axis=1, kind="stable")
    for k in (1, 3, 39, 40, 41):
        assert (_top_columns(scores, k) == expected[:, :k]).all()


def test_pages_sharing_boilerplate_lines_around_other_stories_are_no_copy() -> None:
    """Two copycat pages in one network's template: the same lines around two different
    quote-heavy stories. The lines are most of each page's own text, in order, but hold no
    name or number: nothing specific is shared."""
    template = (
        "Do not forget to share this post and let us know what you think of it.",
        "Stay with us for further news as the story develops through the day.",
        "This is everything you need to know about the latest news right now.",
        "Comments are open at the bottom of the page for your thoughts.",
    )
    storm = (
        '"The harbour wall held through the night and nobody was hurt," the coastguard said. '
        '"We will inspect every mooring before the ferries sail again," she added.'
    )
    budget = (
        '"Every ward will see its share of the money before the summer," the leader said. '
        '"Nobody should expect the fees to fall this year," he added.'
    )
    first = "\n\n".join((*template[:2], storm, *template[2:]))
    second = "\n\n".join((*template[:2], budget, *template[2:]))
    alignment = align_profiles(profile(first), profile(second))
    assert alignment.a_coverage > 0.9 and alignment.in_order == 1.0
    assert alignment.specific_aligned == 0
    assert not is_copy(alignment)


INTERVIEW_QUOTES = [
    '"My agent has spoken with the club and it will be resolved soon," he said.',
    '"I think we will reach a good agreement for both sides in the coming weeks," he added.',
    '"There are not many bigger and better clubs than this one in the whole of Europe," he said.',
    '"It has always been my ambition to play for a big club and to win trophies here," he added.',
    '"I am happy here but nobody knows what the future will bring for any player," he said.',
]
OWN_REPORTING = [
    "The club confirmed on Friday that talks over a new contract for the winger began last month.",
    "His current deal runs until the summer of next year and several clubs in Spain are watching.",
    "The manager has said that he wants to keep his best young players together for the long term.",
    "Supporters have voiced concern after two senior players left the club in the last window.",
    "The winger has scored eleven goals in all competitions this season, his best since joining.",
    "He joined from a Portuguese side three years ago for a fee that was a record for a teenager.",
    "A club spokesman declined to comment on the progress of the negotiations on Friday.",
    "The team face a difficult run of fixtures, with three away games in the next ten days.",
]


def test_a_report_quoting_a_whole_short_interview_is_not_its_copy() -> None:
    interview = "The winger spoke to reporters at the training ground on Friday.\n\n" + "\n\n".join(
        INTERVIEW_QUOTES
    )
    own, quotes = OWN_REPORTING, INTERVIEW_QUOTES
    report = "\n\n".join([*own[:4], *quotes[:2], *own[4:6], *quotes[2:], *own[6:]])
    alignment = align_profiles(profile(report), profile(interview))
    # every quotation of the interview, in order: most of the interview, little of the report
    assert alignment.quotes_aligned == 5 and alignment.whole_coverage > 0.7
    assert alignment.least_whole_coverage < 0.5
    assert not is_copy(alignment)
    # the interview as a page of its own, under a line of the copycat's: a copy
    page = "Transfer news round-up.\n\n" + interview
    assert is_copy(align_profiles(profile(page), profile(interview)))


TRANSFER_STORY = [
    OWN_REPORTING[0],
    OWN_REPORTING[1],
    INTERVIEW_QUOTES[0],
    "The winger, who turns twenty on Sunday, has started every league game for the club since "
    "the manager arrived in March.",
    INTERVIEW_QUOTES[1],
    OWN_REPORTING[3],
    OWN_REPORTING[5],
]
ROUND_UP = [
    "A busy week of transfer talk ended with no signing confirmed by any of the big clubs.",
    "Fans of the city's other side are still waiting for news of a new goalkeeper this month.",
    "The league's new rules on loans come into force at the start of the next window.",
    "Several managers have complained about the fixture list over the winter holiday period.",
]


def _excerpt_page(*excerpt: str) -> str:
    """A round-up page holding the sentences ``excerpt`` in one paragraph."""
    return "\n\n".join((*ROUND_UP[:3], " ".join(excerpt), ROUND_UP[3]))


def test_an_excerpt_of_quotations_and_the_reporters_narrative_is_a_copy() -> None:
    story = profile("\n\n".join(TRANSFER_STORY))
    page = _excerpt_page(*TRANSFER_STORY[2:5])
    alignment = align_profiles(profile(page), story)
    # two quotations and one sentence of narrative: no excerpt by the narrative alone
    assert alignment.longest_run == 0 and alignment.a_coverage < 0.5
    assert (alignment.quoted_run, alignment.quoted_run_words) == (3, 21)
    assert is_copy(alignment)
    verdict = _verify_later_copy(
        page,
        "\n\n".join(TRANSFER_STORY),
        copy_url="https://roundup.example/week",
        original_url="https://news.example/winger-talks",
    )
    assert verdict is not None and verdict.new_is_copy and verdict.kind == "partial"
    assert verdict.evidence["quoted_run_sentences"] == 3


def test_reports_sharing_quotations_around_their_own_narrative_are_no_copy() -> None:
    """An independent report quotes the same two lines, with the same facts between them in
    its own words: clauses moved, words added and dropped. That is not the reporter's text."""
    story = profile("\n\n".join(TRANSFER_STORY))
    for narrative in (
        "The winger has started every league game for the club since the manager arrived in "
        "March, and he turns twenty on Sunday.",
        "The winger, who will be twenty on Sunday, has started all of the club's league games "
        "since the arrival of the manager in March.",
    ):
        page = _excerpt_page(INTERVIEW_QUOTES[0], narrative, INTERVIEW_QUOTES[1])
        alignment = align_profiles(profile(page), story)
        assert alignment.quotes_aligned == 2 and alignment.quoted_run < 3
        assert not is_copy(alignment)


def test_quotations_around_the_reporters_narrative_spun_are_a_copy() -> None:
    story = profile("\n\n".join(TRANSFER_STORY))
    spun = (
        "The winger, who turns twenty on Sunday, has commenced every league match for the "
        "society since the director arrived in March."
    )
    alignment = align_profiles(
        profile(_excerpt_page(INTERVIEW_QUOTES[0], spun, INTERVIEW_QUOTES[1])), story
    )
    assert alignment.quoted_run == 3 and is_copy(alignment)


HARBOUR_QUOTES = [
    "‘We will spend four million pounds on the Northfield sea wall before 2028,’ said Ann Marsh.",
    "‘The ferry terminal at Kingsbridge needs the new breakwater most of all,’ she added.",
    "‘Crews in Eastholme have waited for these repairs since the storms of 2024,’ she said.",
]


def test_reports_sharing_quotations_in_single_marks_are_no_copy() -> None:
    """British style quotes in single marks; a report quoting the same three statements, one
    after another as the story does, around its own reporting, is no copy of the story."""
    story = "\n\n".join((*HARBOUR_STORY[:2], *HARBOUR_QUOTES, *HARBOUR_STORY[4:]))
    report = "\n\n".join((*ROUND_UP[:2], *HARBOUR_QUOTES, *ROUND_UP[2:]))
    alignment, copied = judge(profile(report), profile(story))
    assert alignment.quotes_aligned == 3 and alignment.longest_run == 0
    assert not copied
    # a copy of the story, quotations and all, is still one
    page = "\n\n".join((ROUND_UP[0], story))
    assert judge(profile(page), profile(story))[1]


def test_copied_or_spun_tells_swapped_words_from_rewriting() -> None:
    def same(copy: str) -> bool:
        original = "The club said the winger would sign a new deal before the end of the month."
        return copied_or_spun(tokenize(original).words, tokenize(copy).words)

    assert same("The club said the winger would sign a new deal before the end of the month.")
    assert same(
        "The society said the winger would autograph a new bargain before the end of the month."
    )
    # two neighbouring words swapped, one of them for a phrase: four words for two (method 9)
    assert same(
        "The club said the winger would sign a fresh piece of business before the end of the month."
    )
    # five words for one: rewritten
    assert not same(
        "The club said the winger would put pen to paper on a new deal before the end of the month."
    )
    # words moved, not swapped: the diff's "swaps" are words found elsewhere in the other
    assert not same("Before the end of the month the winger would sign a new deal, the club said.")
    # a word swapped at one place and kept at another is swapped, not moved
    twice = "The club said the deal was done and the winger said he was happy."
    assert copied_or_spun(
        tokenize(twice).words,
        tokenize("The club stated the deal was done and the winger said he was happy.").words,
    )
    assert not same("The club said the winger would sign a deal before the end of the month.")
    # a synonym phrase that keeps its word ("month" → "calendar month") adds one (method 8);
    # words added where nothing is swapped are an editor's
    assert same(
        "The society stated the winger would autograph a new business deal before the end of "
        "the calendar month."
    )
    assert not same(
        "The club said the winger would sign a new business deal before the end of the "
        "calendar month."
    )
    # fewer than half the words left as they were
    assert not same(
        "The team stated the player could agree a fresh contract ahead of the close of the month."
    )


def test_swapped_spans_are_the_spinners_one_for_one_swaps() -> None:
    original = tokenize("The club said the winger would sign a new deal before May.").words
    spun = tokenize("The society said the winger would autograph a fresh bargain before May.").words
    assert swapped_spans(original, spun, longest=4) == [(1, 2), (6, 7), (8, 10)]
    assert swapped_spans(original, spun, longest=1) is None  # "new deal" → "fresh bargain"
    assert swapped_spans(original, original, longest=4) == []
    assert swapped_spans(original, original[1:], longest=4) is None  # a word dropped
    rewritten = tokenize("A team stated a player could agree a fresh contract ahead of May.").words
    assert swapped_spans(original, rewritten, longest=4) is None  # under half kept
    # the evidence lists them in order, as the word diff of such sentences would
    evidence = align(
        "Harbour United said the winger Tom Ash would autograph a fresh bargain before May.",
        "Harbour United said the winger Tom Ash would sign a new deal before May.",
    )
    assert evidence.substitutions == (("autograph", "sign"), ("fresh bargain", "new deal"))


def test_other_names_or_numbers_in_a_sentence_are_other_facts_not_spinning() -> None:
    def same(original: str, copy: str) -> bool:
        a, b = analyse(original), analyse(copy)
        return copied_or_spun(
            a.tokens.words,
            b.tokens.words,
            names_or_numbers(a.symbol_hashes).tolist(),
            names_or_numbers(b.symbol_hashes).tolist(),
        )

    original = "The plans were made public by the board in Oakbrook on Thursday evening."
    # a spinner swaps words and leaves names and numbers alone
    assert same(original, "The plans were set out by the board in Oakbrook on Thursday night.")
    # a report written from the same frame about another place, another day
    other_place = "The plans were made public by the board in Hartmouth on Thursday evening."
    other_day = "The figures were set out by the board in Oakbrook on Monday evening."
    assert not same(original, other_place)
    assert not same(original, other_day)
    assert not same("Waiting lists grew by 12 per cent.", "Waiting lists grew by 15 per cent.")
    # a name or number added is a fact added, even among swaps
    assert not same(
        original, "The plans were set out by the board in Oakbrook on Thursday evening at 9."
    )


HARBOUR_STORY = [
    "The harbour board met on Monday to agree the budget for the next five years.",
    "Engineers from Northfield presented three plans for repairing the old sea wall.",
    "The cheapest would cost four million pounds and take until the spring of 2028 to finish.",
    "Board members chose the second plan, which adds a new breakwater beside the ferry terminal.",
    "Fishing crews said they had waited for the repairs since the storms of last winter.",
    "The council will hold a final vote on the harbour budget in May.",
]


def test_an_excerpt_that_leaves_out_one_sentence_of_the_original_is_one_run() -> None:
    excerpt = (HARBOUR_STORY[1], HARBOUR_STORY[2], HARBOUR_STORY[4])  # the fourth cut
    alignment = align_profiles(profile(_excerpt_page(*excerpt)), profile(" ".join(HARBOUR_STORY)))
    first = alignment.pairs[0].a
    assert [(p.a - first, p.b) for p in alignment.pairs] == [(0, 1), (1, 2), (2, 4)]
    assert alignment.longest_run == 3 and alignment.a_coverage < 0.5
    assert is_copy(alignment)


def test_an_excerpt_spun_at_a_third_of_its_words_is_one_run() -> None:
    """Spun one word for one, its sentences are less alike than an excerpt's mean asks (0.8),
    but each is copied: the run holds. The same facts edited (words added, dropped, moved)
    make none."""
    spun = (
        "Technologists from Northfield offered three schemes for mending the old sea barrier.",
        "The cheapest would price four million pounds and take until the springtime of 2028 to "
        "end.",
        "Board members picked the second scheme, which attaches a new jetty beside the ferry "
        "depot.",
    )
    story = profile(" ".join(HARBOUR_STORY))
    alignment = align_profiles(profile(_excerpt_page(*spun)), story)
    similarities = [pair.similarity for pair in alignment.pairs]
    assert len(similarities) == 3 and sum(similarities) / 3 < AlignConfig().min_run_similarity
    assert alignment.longest_run == 3 and alignment.a_coverage < 0.5
    assert is_copy(alignment)
    edited = (
        "Engineers from Northfield have now presented the board with three plans for the "
        "repair of the sea wall.",
        "The cheapest of them would cost about four million pounds and would take until spring "
        "2028.",
        "Members of the board chose the second of the plans, adding a breakwater next to the "
        "ferry terminal.",
    )
    alignment = align_profiles(profile(_excerpt_page(*edited)), story)
    assert len(alignment.pairs) == 3 and alignment.longest_run == 0
    assert not is_copy(alignment)


def test_short_sentences_naming_something_carry_an_excerpt() -> None:
    """A run of one long sentence and two short ones that name something is an excerpt; two
    short generic lines in their place ("share this story") carry nothing."""
    short = ("The contract went to Northfield.", "Work on the new wall starts in June 2026.")
    story = [*HARBOUR_STORY[:3], *short, *HARBOUR_STORY[3:]]
    alignment = align_profiles(profile(_excerpt_page(*story[2:5])), profile(" ".join(story)))
    assert (alignment.longest_run, alignment.run_words) == (3, 30)
    assert alignment.a_coverage < 0.5 and is_copy(alignment)
    generic = ("Share this story with your friends.", "Tell us what you think below.")
    story = [*HARBOUR_STORY[:3], *generic, *HARBOUR_STORY[3:]]
    alignment = align_profiles(profile(_excerpt_page(*story[2:5])), profile(" ".join(story)))
    assert len(alignment.pairs) == 3 and alignment.longest_run == 0
    assert not is_copy(alignment)


COUNCIL_STORY = [
    "The council met in Eastbury on Tuesday to set the budget for the coming year.",
    "Engineers from Northfield presented three plans for repairing the old sea wall that evening.",
    "The cheapest would cost four million pounds and take until the spring of 2028 to finish.",
    "Nobody was surprised.",
    "Board members chose the second plan after a long debate that ran past midnight.",
]


def test_a_short_sentence_copied_next_to_a_run_makes_it_an_excerpt() -> None:
    """Two long sentences and a short one copied after them (word for word or spun) are an
    excerpt of three: the short one shares too few words to align, but it is the original's
    next sentence in both texts. A short line of the page's own in its place adds nothing."""
    story = profile(" ".join(COUNCIL_STORY))
    for short in ("Nobody was surprised.", "Nobody was astonished."):
        page = profile(_excerpt_page(*COUNCIL_STORY[1:3], short))
        alignment = align_profiles(page, story)
        assert len(alignment.pairs) == 2  # the short sentence aligns with nothing
        assert (alignment.longest_run, alignment.run_words) == (3, 30)
        assert alignment.a_coverage < 0.5 and is_copy(alignment)
    own_line = profile(_excerpt_page(*COUNCIL_STORY[1:3], "Readers wrote in."))
    alignment = align_profiles(own_line, story)
    assert alignment.longest_run == 2 and not is_copy(alignment)
    # a short sentence links a run; it does not make one of a single long sentence
    alone = profile(_excerpt_page(COUNCIL_STORY[2], "Nobody was surprised."))
    assert align_profiles(alone, story).longest_run == 0


def test_a_sentence_spun_past_aligning_next_to_a_run_makes_it_an_excerpt() -> None:
    """A sentence whose content words were nearly all swapped shares too few to align, but
    spun one word for one next to a copied run, in both texts, it is the run's third."""
    cheered = "The crowd cheered loudly when the vote was finally announced."
    story = profile(" ".join((*COUNCIL_STORY[:3], cheered, *COUNCIL_STORY[4:])))
    spun = "The throng applauded noisily when the ballot was finally proclaimed."
    page = profile(_excerpt_page(*COUNCIL_STORY[1:3], spun))
    alignment = align_profiles(page, story)
    assert len(alignment.pairs) == 2  # one content word left in common: it aligns with nothing
    # it is copied (spun), with enough content words to count: its ten words count too
    assert (alignment.longest_run, alignment.run_words) == (3, 40) and is_copy(alignment)


def _joined(first: str, second: str) -> str:
    """Two sentences as one, as a rewriter joins them: "... wall; the cheapest ..."."""
    return f"{first.removesuffix('.')}; {second[0].lower()}{second[1:]}"


def test_sentences_joined_two_by_two_pair_with_both_their_parts() -> None:
    """A run of four sentences copied as two, each two joined: each joined sentence pairs
    with both of its parts, so the run is four sentences long, and the original's four are
    covered, in both directions. Before method 9 a joined sentence aligned with one part, and
    the run, cut into steps of two, was none."""
    story = profile(" ".join(HARBOUR_STORY))
    joined = (_joined(*HARBOUR_STORY[1:3]), _joined(*HARBOUR_STORY[3:5]))
    page = profile(_excerpt_page(*joined))
    alignment = align_profiles(page, story)
    first = alignment.pairs[0].a
    assert [(p.a - first, p.b, p.a_span, p.b_span) for p in alignment.pairs] == [
        (0, 1, 1, 2),
        (1, 3, 1, 2),
    ]
    assert alignment.longest_run == 4 and alignment.a_coverage < 0.5 and is_copy(alignment)
    assert alignment.b_coverage == pytest.approx(
        sum(story.sentences[i].words for i in range(1, 5)) / story.words
    )
    evidence = with_evidence(page, story, alignment)
    assert evidence.swapped_words == 0 and len(evidence.passages) == 1
    # the other way round: two sentences of the story with one of the page
    reverse = align_profiles(story, page)
    assert [(p.a, p.a_span, p.b_span) for p in reverse.pairs] == [(1, 2, 1), (3, 2, 1)]
    assert reverse.longest_run == 4 and is_copy(reverse)
    assert reverse.a_coverage == pytest.approx(alignment.b_coverage)


def test_a_joined_sentence_spun_diffs_as_one_sentence() -> None:
    """The evidence of a joined sentence lists the words swapped in both of its parts."""
    story = profile(" ".join(HARBOUR_STORY))
    spun = _joined(
        "Technologists from Northfield offered three plans for repairing the old sea wall.",
        "The cheapest would price four million pounds and take until the spring of 2028 to end.",
    )
    page = profile(_excerpt_page(spun, _joined(*HARBOUR_STORY[3:5])))
    evidence = with_evidence(page, story, align_profiles(page, story))
    assert set(evidence.substitutions) == {
        ("technologists", "engineers"),
        ("offered", "presented"),
        ("price", "cost"),
        ("end", "finish"),
    }


def test_neighbouring_lines_that_share_the_same_words_of_one_line_are_not_joined() -> None:
    """Two template lines next to each other both align with one such line of another page:
    they share the same part of it, so they are two copies of it, not two parts of one."""
    lines = (
        "Do not forget to leave a comment below and let us know what you think of it.",
        "Do not forget to tell your friends about this post and let us know what you think.",
    )
    one = profile(" ".join(("The council will publish its budget on Thursday.", *lines)))
    other = profile("Do not forget to share this post and let us know what you think of it.")
    pairs = match_sentences(one, other)
    assert [(p.a, p.b) for p in pairs] == [(1, 0), (2, 0)]
    assert join_split_sentences(one, other, pairs) == pairs


def test_sentences_copied_out_of_order_are_a_copy() -> None:
    """Every other sentence of the story, each a paragraph of its own, last first: no run and
    no order left, but each sentence is the story's own."""
    copy = "\n\n".join((HARBOUR_STORY[4], HARBOUR_STORY[2], HARBOUR_STORY[0]))
    story = " ".join(HARBOUR_STORY)
    alignment, copied = judge(profile(copy), profile(story))
    assert alignment.in_order == 0.0 and alignment.longest_run == 0
    assert (alignment.copied_sentences, alignment.copied_specific) == (3, 2)
    assert copied
    verdict = _verify_later_copy(
        copy,
        story,
        copy_url="https://digest.example/harbour",
        original_url="https://news.example/harbour-budget",
    )
    assert verdict is not None and verdict.new_is_copy and verdict.copy_coverage == 1.0


def test_the_same_facts_in_other_words_out_of_order_are_no_copy() -> None:
    """A report giving three of the story's facts in its own words, in another order: it covers
    the story's sentences, but none is copied (clauses moved, words added and dropped)."""
    report = "\n\n".join(
        (
            "Since the storms of last winter, fishing crews have been waiting for the repairs, "
            "they said.",
            "Finished by the spring of 2028, the cheapest plan would cost about four million "
            "pounds.",
            "On Monday the harbour board met and agreed its budget for the coming five years.",
        )
    )
    alignment, copied = judge(profile(report), profile(" ".join(HARBOUR_STORY)))
    assert covers(alignment) and alignment.in_order == 0.0
    assert alignment.copied_sentences == 0
    assert not copied


def test_template_lines_and_one_shared_background_sentence_are_no_copy() -> None:
    """Two copycat pages in one template around two stories that reuse one background
    sentence, edited: the page lines and that sentence are copied, in no order, and cover most
    of both pages; but only the one sentence names anything, and template lines are no copy."""
    template = [
        "Do not forget to share this post and let us know what you think.",
        "Stay with us for more updates on this story throughout the day.",
        "Our readers have been writing to us about this since the news broke.",
    ]
    harbour = [
        *HARBOUR_STORY[:2],
        "When the old pier finally closed in 2019, the town lost about 300 jobs and two ferry "
        "routes.",
    ]
    school = [
        "Parents in Eastbrook have asked the council to keep the village school open.",
        "When the old pier eventually closed in 2019, the town lost about 300 jobs and two ferry "
        "lines.",
    ]
    page = "\n\n".join([template[2], *harbour, template[1], template[0]])
    other = "\n\n".join([template[0], template[1], *school, template[2]])
    alignment, copied = judge(profile(other), profile(page))
    assert covers(alignment) and alignment.in_order == 0.0
    assert (alignment.copied_sentences, alignment.copied_specific) == (4, 1)
    assert not copied


def test_a_narrative_sentence_left_out_between_quotations_ends_their_run() -> None:
    """A report with a sentence of its own where the story has its narrative, then the next
    quotation and a background line both carry: the quotations are not linked by copied text."""
    story = profile("\n\n".join(TRANSFER_STORY))
    own = "Reporters waited outside the gates of the training ground for most of the morning."
    page = _excerpt_page(INTERVIEW_QUOTES[0], own, INTERVIEW_QUOTES[1], TRANSFER_STORY[5])
    alignment = align_profiles(profile(page), story)
    assert [(p.a - alignment.pairs[0].a, p.b) for p in alignment.pairs] == [(0, 2), (2, 4), (3, 5)]
    assert alignment.quoted_run == 2
    assert not is_copy(alignment)


def test_a_crawl_and_an_ingest_match_with_the_same_thresholds() -> None:
    """The project's settings (a crawl's) and the configs' defaults (``copycat ingest``'s)
    agree: one corpus crawled or ingested gets the same pairs."""
    settings = Settings()
    settings.setmodule("crawler.settings")
    assert MatchConfig.from_settings(settings) == MatchConfig()
    assert FingerprintConfig.from_settings(settings) == FingerprintConfig()
