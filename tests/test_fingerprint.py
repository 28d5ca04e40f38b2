"""Fingerprints: normalisation, exact hash, MinHash estimates, LSH parameters and buckets."""

from __future__ import annotations

import hashlib
import random
import re

import numpy as np
import pytest

from copycat.demo.spinner import spin
from copycat.demo.text import NewsWriter
from pipelines.fingerprint import (
    BREAK,
    VIEW_STRIDE,
    Fingerprint,
    FingerprintConfig,
    MinHasher,
    WordTable,
    band_buckets,
    estimate_jaccard,
    exact_hash,
    fingerprint_text,
    lsh_params,
    quoted_mask,
    shingle_values,
    signature_from_bytes,
    signature_to_bytes,
    skeleton,
    tokenize,
    view_band_buckets,
    word_hashes,
)
from pipelines.match import METHOD_VERSION

VOCABULARY = [f"word{i}" for i in range(400)]


def _words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(VOCABULARY) for _ in range(n)]


def test_tokenize_keeps_spans_and_normalises_case_and_apostrophes() -> None:
    text = "The Mayor’s  office SAID: 42 buses."
    tokens = tokenize(text)
    assert tokens.words == ("the", "mayor's", "office", "said", "42", "buses")
    assert [text[s:e] for s, e in tokens.spans] == [
        "The",
        "Mayor’s",
        "office",
        "SAID",
        "42",
        "buses",
    ]


# Characters a word mask can get wrong: apostrophes at edges and doubled, the underscore, a
# combining accent, letters and digits outside ASCII, outside the Basic Multilingual Plane
# (mathematical bold, an emoji), a length-changing lower case ("İ"), and no words at all.
TRICKY_TEXTS = [
    "don't ’tis o’neill '' a''b x' 'y",
    "snake_case _lead trail_ __",
    "cafe\u0301 naïve ﬁne ＡＢＣ １２ ٣٤",
    "𝐁old 𝟐𝟎 and 😀 emoji😀inside",
    "İstanbul STRAßE",
    "",
    " .,;\n\n— ",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tokens_are_runs_of_word_characters_with_inner_apostrophes(text: str) -> None:
    # the definition the array scan must keep: Python's own \w, inner apostrophes joined
    expected = [m.span() for m in re.finditer(r"\w+(?:['’]\w+)*", text)]
    tokens = tokenize(text)
    assert tokens.spans == expected
    assert len(tokens.words) == len(expected)
    assert all(" " not in word and word for word in tokens.words)


def test_word_table_remembers_values_up_to_its_size() -> None:
    calls: list[str] = []

    def length(word: str) -> int:
        calls.append(word)
        return len(word)

    table = WordTable(length, size=3)
    assert table.values(["a", "bb", "a"]) == [1, 2, 1]
    assert table.values(["bb", "a"]) == [2, 1]
    assert sorted(calls) == ["a", "bb"]  # each word computed once (in no set order)
    assert table.values(["ccc"]) == [3]  # three words: full, not over
    assert calls[2:] == ["ccc"]
    assert table.values(["dddd", "a"]) == [4, 1]  # a fourth would be over: it starts afresh
    assert sorted(calls[3:]) == ["a", "dddd"]  # "a" was forgotten and is computed again
    assert table.values(["a", "dddd"]) == [1, 4] and len(calls) == 5


def test_exact_hash_ignores_template_whitespace_and_case() -> None:
    a = tokenize("Rain fell on the town.\n\nRoads closed.").words
    b = tokenize("rain  fell on the TOWN  roads closed").words
    assert exact_hash(a) == exact_hash(b)
    assert exact_hash(a) != exact_hash(tokenize("Rain fell on the city. Roads closed.").words)
    assert len(exact_hash(a)) == 16


def test_minhash_estimates_jaccard_within_tolerance() -> None:
    rng = random.Random(3)
    hasher = MinHasher(256)
    for _ in range(5):
        base = set(range(2000))
        other = set(rng.sample(sorted(base), 1000)) | set(range(5000, 5000 + rng.randint(0, 1000)))
        true = len(base & other) / len(base | other)
        a = hasher.signature(np.array(sorted(base), dtype=np.uint64) * np.uint64(2654435761))
        b = hasher.signature(np.array(sorted(other), dtype=np.uint64) * np.uint64(2654435761))
        assert abs(estimate_jaccard(a, b) - true) < 0.1


def test_signature_round_trips_through_bytes() -> None:
    signature = MinHasher(128).signature(shingle_values(word_hashes(VOCABULARY[:50]), 3))
    data = signature_to_bytes(signature)
    assert len(data) == 4 * 128
    assert np.array_equal(signature_from_bytes(data), signature)


@pytest.mark.parametrize("threshold", [0.2, 0.3, 0.5, 0.8])
def test_lsh_params_fit_the_signature_and_move_with_the_threshold(threshold: float) -> None:
    bands, rows = lsh_params(threshold, 128)
    assert bands * rows <= 128
    # The S-curve's midpoint (1/b)^(1/r) sits near the threshold asked for.
    assert abs((1 / bands) ** (1 / rows) - threshold) < 0.15


def test_lsh_params_reject_a_threshold_outside_0_1() -> None:
    with pytest.raises(ValueError):
        lsh_params(1.5, 128)


def test_similar_texts_share_buckets_and_unrelated_do_not() -> None:
    rng = random.Random(11)
    original = _words(rng, 600)
    copy = list(original)
    for i in rng.sample(range(len(copy)), 30):  # 5 % of the words changed
        copy[i] = rng.choice(VOCABULARY)
    unrelated = _words(rng, 600)
    fp_original, fp_copy, fp_other = (
        fingerprint_text(" ".join(w)) for w in (original, copy, unrelated)
    )
    shared = set(fp_original.buckets) & set(fp_copy.buckets)
    assert len(shared) >= 3
    assert not set(fp_original.buckets) & set(fp_other.buckets)


def test_buckets_fold_in_the_band_number() -> None:
    signature = np.zeros(128, dtype=np.uint32)  # every band has the same rows
    buckets = band_buckets(signature, 8, 16)
    assert len({bucket for _, bucket in buckets}) == 8
    assert all(0 <= bucket < 2**63 for _, bucket in buckets)


def test_fingerprint_config_derives_bands_from_threshold() -> None:
    config = FingerprintConfig(threshold=0.5)
    fingerprint = fingerprint_text("one two three four five six seven", config)
    word_view = [b for band, b in fingerprint.buckets if band < VIEW_STRIDE]
    assert len(word_view) == config.bands_rows[0]
    assert fingerprint.word_count == 7


def test_views_fold_the_view_into_the_bucket() -> None:
    signature = np.arange(64, dtype=np.uint32)
    word = band_buckets(signature, 32, 2)
    assert view_band_buckets(signature, 32, 2, view=0) == word
    skeleton_view = view_band_buckets(signature, 32, 2, view=1)
    assert {band // VIEW_STRIDE for band, _ in skeleton_view} == {1}
    assert not {b for _, b in word} & {b for _, b in skeleton_view}


def test_skeleton_keeps_function_words_names_and_numbers() -> None:
    text = "Officials told Maria Lopez that 42 buses were late. The council agreed."
    shape = skeleton(text, tokenize(text))
    assert shape == ["_", "maria", "lopez", "that", "42", "_", "were", "_", "the", "_"]


def quoted(text: str) -> list[str]:
    """The words of ``text`` that :func:`quoted_mask` marks."""
    tokens = tokenize(text)
    return [w for w, q in zip(tokens.words, quoted_mask(text, tokens), strict=True) if q]


def test_quoted_words_are_cut_out_of_the_skeleton() -> None:
    text = 'Ann Lee said: "We will not give up on Redley," at the meeting.'
    assert quoted(text) == ["we", "will", "not", "give", "up", "on", "redley"]
    tokens = tokenize(text)
    assert BREAK in skeleton(text, tokens, quoted_mask(text, tokens))


def test_a_stray_closing_mark_quotes_back_only_to_the_previous_quotation() -> None:
    # a page that starts in mid-quote: back to the start of the paragraph
    assert quoted('First part of it," she said.') == ["first", "part", "of", "it"]
    # after a closed quotation, a stray mark does not swallow the sentences before that quote
    text = 'The board met on Monday. He said: "We will not sell," he told them at noon."'
    assert quoted(text) == ["we", "will", "not", "sell", "he", "told", "them", "at", "noon"]


def test_single_marks_quote_and_apostrophes_do_not() -> None:
    # British style, curly and straight
    assert quoted("‘We will not sell,’ she said. The players’ union didn’t agree.") == [
        "we", "will", "not", "sell",
    ]  # fmt: skip
    assert quoted("'We will not sell,' she said. The players' union didn't agree.") == [
        "we", "will", "not", "sell",
    ]  # fmt: skip
    # apostrophes alone quote nothing: contractions, possessives, elisions
    assert quoted("James' team won in the '90s and the ’00s, didn't they? Rock 'n roll.") == []
    # a quotation within a quotation, either way round
    assert quoted("He said: ‘I told him “no” twice.’ Then he left.") == [
        "i", "told", "him", "no", "twice",
    ]  # fmt: skip
    assert quoted("“I said ‘no’ to him,” she added. It’s over.") == ["i", "said", "no", "to", "him"]
    # unclosed, as news style reopens a long quotation on each paragraph: to the paragraph's end
    assert quoted("‘It was a long night for all of us.\n\nThe crowd left.") == [
        "it", "was", "a", "long", "night", "for", "all", "of", "us",
    ]  # fmt: skip


def _view(fingerprint: Fingerprint, view: int) -> set[int]:
    return {b for band, b in fingerprint.buckets if band // VIEW_STRIDE == view}


def test_spun_copies_and_excerpts_keep_skeleton_buckets() -> None:
    writer = NewsWriter(seed=4)
    original = writer.report(writer.event(), author="Ann Lee")
    spun, _ = spin(original.text, 0.5, random.Random(2))
    fp_original, fp_spun = fingerprint_text(original.text), fingerprint_text(spun)
    # Half the spinnable words swapped: word shingles mostly die, the skeleton stands.
    assert len(_view(fp_original, 1) & _view(fp_spun, 1)) >= 4
    assert len(_view(fp_original, 2) & _view(fp_spun, 2)) >= 0.5 * len(_view(fp_original, 2))
    # A few paragraphs inside an unrelated page still share anchors (containment).
    page = "\n\n".join([*writer.filler(8), *original.paragraphs[2:5], *writer.filler(5)])
    assert len(_view(fp_original, 2) & _view(fingerprint_text(page), 2)) >= 2
    other = writer.report(writer.event(), author="Bo Chen")
    assert not _view(fp_original, 2) & _view(fingerprint_text(other.text), 2)


# Buckets stored by earlier versions must still be found: a change to how a text is hashed
# changes every stored row (it needs a method version and a rematch), so it must be deliberate.
PINNED_TEXT = (
    "The mayor of Eastbrook, Jane Holloway, said on Tuesday that 42 new buses would run by "
    "March. \u201cWe have waited long enough,\u201d she told reporters at the depot.\n\n"
    "Critics on the council said the plan cost too much. The transport board will vote on "
    "the budget in April, and a decision on fares is expected after that. Officials from the "
    "Northfield depot were not available for comment on Wednesday evening."
)


def test_fingerprints_stay_what_earlier_versions_stored() -> None:
    fingerprint = fingerprint_text(PINNED_TEXT)
    digest = hashlib.sha256(repr(fingerprint.buckets).encode()).hexdigest()[:16]
    # These pins belong to one method version: new pins come with a new version (7 samples
    # one anchor in three, with no cap an article reaches; 8 and 9 changed verification alone).
    assert METHOD_VERSION == "sentence-align/9"
    assert (len(fingerprint.buckets), digest) == (45, "062664306e04c599")
    assert fingerprint.text_hash.hex() == "95b991a4e9b71c0bcbcf77575a5c4887"
    assert hashlib.sha256(fingerprint.minhash).hexdigest()[:16] == "1bdc674a0110c13c"


def test_a_long_page_keeps_every_anchor_it_samples_up_to_a_hostile_bound() -> None:
    """Anchors are not cut to the lowest few of a page: an excerpt inside a long one keeps its
    own. Only a page past any article's length is bounded."""
    writer = NewsWriter(seed=9)
    config = FingerprintConfig()
    stories = [writer.report(writer.event(), author="Ann Lee").text for _ in range(40)]
    one = _view(fingerprint_text(stories[0], config), 2)
    two = _view(fingerprint_text("\n\n".join(stories[:2]), config), 2)
    assert one <= two  # the first story's anchors are all still there beside the second's
    hostile = _view(fingerprint_text("\n\n".join(stories), config), 2)
    assert len(hostile) == config.max_anchors
