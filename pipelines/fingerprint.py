"""The fingerprint stage: normalised text → exact hash, MinHash signatures and LSH band buckets.

Two MinHash *views* of a text are hashed, because a spinner destroys one and keeps the other:

* ``words``: word 3-shingles. Exact and partial copies keep them; a copy with a quarter of its
  words swapped keeps well under half of them.
* ``skeleton``: the sentence skeleton in the manner of SpotSigs and DSpin. Function words
  ("the", "of", "was"), numbers and capitalised names stay, every run of content words becomes
  one placeholder, and 8-grams of that sequence are shingled. A context-blind spinner swaps
  content words for synonyms and leaves exactly this skeleton standing; it is specific enough
  at 8 tokens that unrelated texts rarely share a gram.

Each view has its own MinHash and bands; the view number is folded into the bucket hash (like
the band number), so one ``lsh_buckets`` table and one index serve both, and a third view:
*anchors*, a content-defined sample of the skeleton grams that hold a name or number, indexed
as they are, so that a copy of part of a text is found too (:func:`anchor_hashes`).
Configuration is in domain terms (a Jaccard threshold per view); the LSH mechanics are derived
from it. Every bucket is one row written at a random place of the band index, so the views
carry only as many as find copies (``make bench-views`` counts what each setting retrieves).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Self

import numpy as np

from pipelines.stats import count, timed
from pipelines.textcache import cached_by_text

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

# Odd 64-bit multipliers (up to 8 positions) that combine the hashes of a shingle's words
# position-dependently.
_SHINGLE_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)  # fmt: skip

# A text is read a character class at a time, as arrays: the per-character and per-word
# Python loops (a regex scan, a span per match, a test per word) cost more than all the
# hashing that follows. An apostrophe between two word characters joins them ("don't").
_APOSTROPHES = (ord("'"), ord("’"))


def code_points(text: str) -> np.ndarray:
    """Return ``text``'s characters as an array of code points, one element per character."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


def _from_code_points(points: np.ndarray) -> str:
    if points.dtype == np.uint8:
        return points.tobytes().decode("ascii")
    return points.tobytes().decode("utf-32-le", "surrogatepass")


def _is_word_character(char: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern: letters, digits and the underscore."""
    return char.isalnum() or char == "_"


_TABLE_SIZE = 0x10000
"""Characters with a lookup table: the Basic Multilingual Plane, all but emoji and rarities."""


@lru_cache(maxsize=8)
def _class_table(test: Callable[[str], bool]) -> np.ndarray:
    """``test`` of every character of the Basic Multilingual Plane (64 KB, built once)."""
    return np.fromiter((test(chr(c)) for c in range(_TABLE_SIZE)), bool, _TABLE_SIZE)


def character_class(points: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    """Return, per code point, ``test`` of its character (from a table: one lookup each)."""
    table = _class_table(test)
    if points.dtype == np.uint8 or not len(points) or points.max() < _TABLE_SIZE:
        return table[points]
    inside = points < _TABLE_SIZE
    flags = np.empty(len(points), bool)
    flags[inside] = table[points[inside]]
    beyond = np.flatnonzero(~inside)
    flags[beyond] = [test(chr(c)) for c in points[beyond].tolist()]
    return flags


@dataclass(frozen=True, slots=True, eq=False)
class Tokens:
    """A text's words, normalised for comparison, with where each stands in the text."""

    words: tuple[str, ...]
    starts: np.ndarray
    """Per word: the offset of its first character (read-only)."""
    ends: np.ndarray
    """Per word: the offset just past its last character (read-only)."""

    def __len__(self) -> int:
        return len(self.words)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets per word."""
        return list(zip(self.starts.tolist(), self.ends.tolist(), strict=True))


@cached_by_text(512)
def tokenize(text: str) -> Tokens:
    """Split ``text`` into lower-cased NFKC words (runs of ``\\w``, inner apostrophes kept),
    remembering where each one stands.

    Cached: the fingerprint and match stages both need the new document's words.
    """
    points = code_points(text)
    in_word = character_class(points, _is_word_character)
    if len(points) > 2:
        middle = points[1:-1]
        apostrophe = (middle == _APOSTROPHES[0]) | (middle == _APOSTROPHES[1])
        in_word[1:-1] |= apostrophe & in_word[:-2] & in_word[2:]
    padded = np.zeros(len(points) + 2, np.int8)
    padded[1:-1] = in_word
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    # Lower-case the whole text once, blank out what is not a word and split: far cheaper
    # than a call per word. The words line up with the offsets unless lower-casing changed
    # the length (a rare "İ").
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    blanked = code_points(lowered).copy()
    blanked[~in_word] = ord(" ")  # no word holds a space: split() finds the words again
    words = _from_code_points(blanked).split()
    if not text.isascii():
        ascii_words = np.fromiter(map(str.isascii, words), bool, len(words))
        normalize = unicodedata.normalize
        for i in np.flatnonzero(~ascii_words).tolist():
            # NFKC folds compatibility forms (ligatures, full-width digits); casefold goes
            # further than lower() ("ß" → "ss").
            word = normalize("NFKC", text[starts[i] : ends[i]]).casefold()
            words[i] = word.replace("’", "'") if "’" in word else word
    for array in (starts, ends):
        array.flags.writeable = False  # shared by every caller of the cache
    return Tokens(tuple(words), starts, ends)


def exact_hash(words: tuple[str, ...] | list[str]) -> bytes:
    """Return a 16-byte hash of the normalised word sequence (equal texts in any template agree)."""
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()


def word_hash(word: str) -> int:
    """Return a stable 64-bit hash of one word (see :data:`WORD_HASHES` for many)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


class WordTable:
    """A per-word function's values, remembered, and looked up a whole text at a time.

    A dict read through ``map`` answers at C speed: a cached call per word cost more than all
    the hashing that follows it. Bounded: it starts afresh rather than hold over ``size`` words.
    """

    def __init__(self, function: Callable[[str], int], size: int = 200_000) -> None:
        self.function = function
        self.size = size
        self._known: dict[str, int] = {}

    def values(self, words: Sequence[str]) -> list[int]:
        """Return ``function(word)`` for each of ``words``."""
        known = self._known
        try:
            return list(map(known.__getitem__, words))
        except KeyError:  # words not met yet: most pages bring a dozen (names, mostly)
            pass
        missing = set(words).difference(known)
        if len(known) + len(missing) > self.size:
            known.clear()
            missing = set(words)
        function = self.function
        for word in missing:
            known[word] = function(word)
        return list(map(known.__getitem__, words))


WORD_HASHES = WordTable(word_hash)
"""Every word's :func:`word_hash`, remembered (a vocabulary repeats a lot)."""


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """Return the :func:`word_hash` of each word, as a uint64 array."""
    return np.array(WORD_HASHES.values(words), dtype=np.uint64)


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Mark, in a sorted array, the first element of each run of equal values."""
    first = np.empty(len(ordered), bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Return the distinct values, ascending: ``np.unique``, without the overhead that made
    it the dearest call in fingerprinting and profiling a page's few hundred words."""
    ordered = np.sort(values)
    return ordered[run_starts(ordered)]


def shingle_values(hashed: np.ndarray, size: int) -> np.ndarray:
    """Return the hash of every ``size``-shingle, in text order, from the words' hashes.

    A text shorter than one shingle yields one shingle of all its words, so that every
    non-empty text has a signature.
    """
    if not len(hashed):
        return np.zeros(0, dtype=np.uint64)
    size = min(size, len(hashed), len(_SHINGLE_MULTIPLIERS))
    count = len(hashed) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        combined ^= hashed[offset : offset + count] * _SHINGLE_MULTIPLIERS[offset]
    return combined


class MinHasher:
    """Computes MinHash signatures with ``num_perm`` multiply-shift hash functions."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self._a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(
            1
        )
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """Return the signature (uint32 × num_perm) of a set of shingle hashes.

        Repeats in ``shingles`` change nothing (a minimum is a minimum): no need to dedupe.
        """
        if shingles.size == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        # (a·x + b) mod 2^64, keeping the high 32 bits: a 2-universal family per permutation.
        # The minimum is taken before the shift, which keeps the order (one shift per
        # permutation instead of one per shingle).
        mixed = np.multiply.outer(shingles, self._a)
        mixed += self._b
        return (mixed.min(axis=0) >> np.uint64(32)).astype(np.uint32)


def signature_to_bytes(signature: np.ndarray) -> bytes:
    """Serialise a signature for a database column (4 bytes per permutation, little-endian)."""
    return signature.astype("<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    """Read back a signature written by :func:`signature_to_bytes`."""
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimate the Jaccard similarity of two shingle sets from their signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def _false_positive_area(threshold: float, bands: int, rows: int) -> float:
    s = np.linspace(0.0, threshold, 200)
    return float(np.trapezoid(1 - (1 - s**rows) ** bands, s))


def _false_negative_area(threshold: float, bands: int, rows: int) -> float:
    s = np.linspace(threshold, 1.0, 200)
    return float(np.trapezoid((1 - s**rows) ** bands, s))


@lru_cache(maxsize=64)
def lsh_params(
    threshold: float, num_perm: int, false_negative_weight: float = 0.7
) -> tuple[int, int]:
    """Choose (bands, rows) for a Jaccard ``threshold``, minimising weighted FP and FN areas.

    Missed copies cost more than extra candidates (verification throws those out), so false
    negatives weigh more by default.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            error = (1 - false_negative_weight) * _false_positive_area(
                threshold, bands, rows
            ) + false_negative_weight * _false_negative_area(threshold, bands, rows)
            if best is None or error < best[0]:
                best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


def band_buckets(signature: np.ndarray, bands: int, rows: int) -> list[tuple[int, int]]:
    """Return (band, bucket) per band; the bucket folds the band in, as a signed 63-bit integer."""
    data = signature.astype("<u4")
    result = []
    for band in range(bands):
        chunk = data[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        # Signed 63-bit so it fits a BIGINT column on every database.
        result.append((band, int.from_bytes(digest, "little") >> 1))
    return result


def view_band_buckets(
    signature: np.ndarray, bands: int, rows: int, view: int
) -> list[tuple[int, int]]:
    """Return (band id, bucket) per band of one view; view and band are folded into the hash.

    The band id is ``view * VIEW_STRIDE + band`` so the stored row still says where it came
    from; view 0 hashes exactly like :func:`band_buckets` (stored buckets stay valid).
    """
    if view == 0:
        return band_buckets(signature, bands, rows)
    data = signature.astype("<u4")
    result = []
    for band in range(bands):
        chunk = data[band * rows : (band + 1) * rows].tobytes()
        person = band.to_bytes(2, "little") + view.to_bytes(2, "little")
        digest = hashlib.blake2b(chunk, digest_size=8, person=person).digest()
        result.append((view * VIEW_STRIDE + band, int.from_bytes(digest, "little") >> 1))
    return result


VIEW_STRIDE = 1000
"""Band ids of view ``v`` are ``v * VIEW_STRIDE + band`` (fits the SMALLINT ``band`` column)."""

# Function words: a spinner mostly leaves them alone (its synonyms are for content words), so
# their order, with the gaps between them, survives spinning. Our own list. A spinner that
# swaps its adverbs and prepositions too ("after" → "subsequently") breaks some grams, not
# enough to lose a copy (make bench, whose spinner keeps only grammar words since session 13).
_STOPWORD_LIST = """\
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours shall may might must per
    since yet upon within without though although whether"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())

_OPENS_SENTENCE = frozenset('.!?:;"“”‘\n')
_QUOTE_MARK = re.compile(r"[\"“”‘’']|\n")
_SINGLE_MARKS = frozenset("‘’'")
PLACEHOLDER = "_"
BREAK = "|"
"""Skeleton symbol of a quoted word: quotations are cut out of the skeleton views."""


def quoted_mask(text: str, tokens: Tokens) -> np.ndarray:
    """Mark the tokens that stand inside quotation marks, paragraph by paragraph.

    Double marks (``"``, ``“ ”``): an opening mark without a closing one quotes to the end of
    its paragraph (news style reopens a long quote on every paragraph without closing the
    previous one). A closing mark with nothing open (a page that starts or cuts in mid-quote)
    quotes back to the start of its paragraph, or to the end of the paragraph's previous
    quotation: a stray mark after a closed quote must not turn the sentences before that quote
    into quotation (an excerpt cut before the stray mark would then disagree with its original
    about them). Straight quotes tell opening from closing by the space before them.

    Single marks (``'``, ``‘ ’``), British style, are apostrophes too ("don't", "the players'
    union", "’90s"). One opens a quotation only at a word's start (``‘`` or ``'`` after a
    space or bracket, before a letter; ``‘`` before a digit too) and closes it only at a
    word's end (after a non-space, not before a letter or digit); with nothing open, a closing
    mark is an apostrophe, and so is a straight opening one that nothing closes before the
    paragraph ends or a double mark comes ("rock 'n roll"). Inside a quotation, marks of the
    other kind are a quotation within it.
    """
    regions: list[tuple[int, int]] = []
    open_at: int | None = None
    open_mark = ""  # the mark that opened the open quotation
    unquoted_from = 0  # where this paragraph's text outside quotations last began
    for mark in _QUOTE_MARK.finditer(text):
        position, char = mark.start(), mark.group()
        if char == "\n":
            if open_at is not None and open_mark != "'":
                regions.append((open_at, position))
            open_at = None
            unquoted_from = position
            continue
        before = text[position - 1] if position else " "
        if char in _SINGLE_MARKS:
            after = text[position + 1 : position + 2] or " "
            if open_at is None:
                # a straight mark before a digit is an elision ("the '90s")
                opens = after.isalpha() or (char == "‘" and after.isdigit())
                if char != "’" and (before.isspace() or before in "([—-") and opens:
                    open_at, open_mark = position, char
            elif open_mark in _SINGLE_MARKS and not before.isspace() and not after.isalnum():
                regions.append((open_at, position))
                open_at = None
                unquoted_from = position
            continue
        if open_at is not None and open_mark in _SINGLE_MARKS:
            if open_mark == "‘":
                continue  # a quotation inside a single-quoted one
            open_at = None  # that straight mark was an apostrophe ("rock 'n roll")
        closing = char == "”" or (char == '"' and not before.isspace() and before not in "([—-")
        if open_at is not None:
            regions.append((open_at, position))
            open_at = None
            unquoted_from = position
        elif closing:
            regions.append((unquoted_from, position))
            unquoted_from = position
        else:
            open_at, open_mark = position, char
    if open_at is not None and open_mark != "'":
        regions.append((open_at, len(text)))
    if not regions:
        return np.zeros(len(tokens), bool)
    # The regions follow one another without overlapping: a word is inside the last one that
    # starts at or before it, if that one has not ended yet.
    bounds = np.array(regions, dtype=np.int64)
    last = np.searchsorted(bounds[:, 0], tokens.starts, side="right") - 1
    return (last >= 0) & (tokens.starts < bounds[np.maximum(last, 0), 1])


def stands_as_itself(text: str, tokens: Tokens) -> np.ndarray:
    """Mark the tokens the skeleton keeps as themselves: function words, numbers and names.

    A capitalised word counts as a name unless it opens a sentence (any word may stand there,
    a swapped one too): unless it is the first, or a sentence mark stands between it and the
    word before.
    """
    if not len(tokens):
        return np.zeros(0, bool)
    points = code_points(text)
    initials = points[tokens.starts]
    kept = np.fromiter(map(STOPWORDS.__contains__, tokens.words), bool, len(tokens))
    kept |= character_class(initials, str.isdigit)
    marks = np.zeros(len(points) + 1, np.int32)  # marks[i]: sentence marks in text[:i]
    np.cumsum(character_class(points, _OPENS_SENTENCE.__contains__), out=marks[1:])
    previous_ends = np.concatenate(([0], tokens.ends[:-1]))
    opens = marks[tokens.starts] > marks[previous_ends]
    opens[0] = True
    kept |= character_class(initials, str.isupper) & ~opens
    return kept


def skeleton_tokens(text: str, tokens: Tokens) -> list[str]:
    """Return one skeleton symbol per token: function words, numbers and names as themselves,
    other (content) words as ``_`` (see :func:`stands_as_itself`)."""
    kept = stands_as_itself(text, tokens)
    return [w if k else PLACEHOLDER for w, k in zip(tokens.words, kept, strict=True)]


def skeleton(text: str, tokens: Tokens, quoted: np.ndarray | None = None) -> list[str]:
    """Return the text's skeleton: function words, numbers and names, content runs as ``_``.

    Consecutive content words collapse into one placeholder, so a one-word synonym for a
    two-word phrase leaves the skeleton as it was. Quoted words (``quoted``) become a break.
    """
    symbols = np.array(skeleton_tokens(text, tokens), dtype=object)
    mask = None if quoted is None else np.asarray(quoted, dtype=bool)
    return list(collapse_skeleton(symbols, PLACEHOLDER, BREAK, mask))


def collapse_skeleton(
    symbols: np.ndarray, placeholder: object, gap: object, quoted: np.ndarray | None = None
) -> np.ndarray:
    """Turn per-token skeleton symbols (strings or their hashes) into the skeleton.

    Quoted tokens become ``gap``; a run of ``placeholder`` or of ``gap`` collapses to one.
    """
    if quoted is not None:
        symbols = np.where(quoted, np.array(gap, dtype=symbols.dtype), symbols)
    if len(symbols) < 2:
        return symbols
    # a symbol is dropped when it repeats the one before it (which was kept, or repeats too)
    repeat = (symbols[1:] == symbols[:-1]) & ((symbols[1:] == placeholder) | (symbols[1:] == gap))
    return symbols[np.concatenate(([True], ~repeat))]


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """A text's tokens with the per-token facts both fingerprinting and alignment read.

    Arrays, shared by every caller of :func:`analyse`: never written to.
    """

    tokens: Tokens
    word_hashes: np.ndarray
    """Per token: its :func:`word_hash` (uint64)."""
    quoted: np.ndarray
    """Per token: inside quotation marks (:func:`quoted_mask`)."""
    symbol_hashes: np.ndarray
    """Per token: the hash of its skeleton symbol, itself or ``_`` (:func:`stands_as_itself`)."""

    def skeleton_hashes(self) -> np.ndarray:
        """The hashes of the text's skeleton, quotations cut out (see :func:`skeleton`)."""
        return collapse_skeleton(self.symbol_hashes, PLACEHOLDER_HASH, _BREAK_HASH, self.quoted)


PLACEHOLDER_HASH = np.uint64(word_hash(PLACEHOLDER))
_BREAK_HASH = np.uint64(word_hash(BREAK))


@cached_by_text(512)
def analyse(text: str) -> TextAnalysis:
    """Return the (cached) tokens, quotation mask and skeleton symbols of ``text``.

    Cached like :func:`tokenize`: the match stage aligns the very text the fingerprint stage
    has just read.
    """
    tokens = tokenize(text)
    hashes = word_hashes(tokens.words)
    symbols = np.where(stands_as_itself(text, tokens), hashes, PLACEHOLDER_HASH)
    quoted = quoted_mask(text, tokens)
    for array in (hashes, symbols, quoted):
        array.flags.writeable = False  # shared by every caller of the cache
    return TextAnalysis(tokens, hashes, quoted, symbols)


@lru_cache(maxsize=1)
def _plain_symbol_hashes() -> np.ndarray:
    """The hashes of the skeleton symbols that are no anchor: function words and gaps."""
    return np.array(sorted({word_hash(s) for s in (*STOPWORDS, PLACEHOLDER, BREAK)}), np.uint64)


def names_or_numbers(symbol_hashes: np.ndarray) -> np.ndarray:
    """Mark the skeleton symbols (their hashes) that are a name or a number: neither a
    function word nor a gap."""
    plain = _plain_symbol_hashes()
    # np.isin sorts both arrays on every call; the plain symbols are sorted once
    nearest = plain[np.minimum(np.searchsorted(plain, symbol_hashes), len(plain) - 1)]
    return nearest != symbol_hashes


def anchor_hashes(
    hashed: np.ndarray, grams: np.ndarray, size: int, sample: int, cap: int
) -> list[int]:
    """Return sampled hashes of the skeleton ``size``-grams that hold a name or a number.

    ``hashed``: the skeleton's symbol hashes (:meth:`TextAnalysis.skeleton_hashes`); ``grams``:
    the hash of each of its ``size``-grams, in order (:func:`shingle_values`).
    Content-defined sampling (hash mod ``sample``) keeps the same grams in every text that
    has them, so a copy of any part of a text shares anchors in proportion to its length:
    containment, which MinHash's Jaccard cannot see for an excerpt or half of a stitched page.
    Grams must hold a name or number (generic function-word patterns would pair everything)
    and no quotation (independent reports quote the same words). Vectorised, and the sample
    is drawn first: only the sampled grams' windows are looked at.
    """
    if len(hashed) < size:
        return []
    # Mix once more so the sample does not depend on the low bits of the XOR alone.
    values = (grams * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(1)
    sampled = np.flatnonzero(values % np.uint64(sample) == 0)
    if not len(sampled):
        return []
    specials = np.concatenate(([0], np.cumsum(names_or_numbers(hashed), dtype=np.int32)))
    breaks = np.concatenate(([0], np.cumsum(hashed == _BREAK_HASH, dtype=np.int32)))
    # gram i covers symbols i .. i+size-1
    holds_special = specials[sampled + size] > specials[sampled]
    holds_break = breaks[sampled + size] > breaks[sampled]
    return [int(v) for v in sorted_unique(values[sampled[holds_special & ~holds_break]])[:cap]]


@dataclass(frozen=True, slots=True)
class FingerprintConfig:
    """What the fingerprint stage computes: shingle sizes, signature lengths, LSH thresholds."""

    shingle_size: int = 3
    num_perm: int = 40
    threshold: float = 0.25
    """Word-shingle Jaccard the word view's bands are tuned for (20 bands of 2 rows). The view
    finds what the skeleton views leave few grams of: a short run of paragraphs, or a text
    mostly made of quotations (the anchors find excerpts and halves of stitched pages, the
    skeleton view spun copies). Every band row is written at a random place of the band index,
    so rows a view does not earn cost ingest speed at scale (``make bench-views`` weighs them:
    10 bands missed 9 of 1,845 verbatim 40 % copies that 44 found, 20 bands miss 3)."""
    skeleton_size: int = 8
    """Tokens per skeleton gram: long enough that unrelated texts rarely share one."""
    skeleton_num_perm: int = 28
    skeleton_threshold: float = 0.25
    """Skeleton Jaccard the bands are tuned for (14 bands of 2 rows): a spun copy keeps most of
    its skeleton, a copy of 40 % of an original shares about 0.4 with it."""
    anchor_sample: int = 3
    """One skeleton anchor in this many is indexed (content-defined, the same in every text):
    a 3-sentence excerpt must keep two of them."""
    max_anchors: int = 512
    """At most this many anchors a text (the lowest hashes): a bound for a hostile page, far
    past an article's length. Below it a text keeps every anchor it samples, so an excerpt
    inside a long page keeps its own. With one in two and a cap of 64 (method 6), half the
    articles and every long page were cut to their lowest 64, whichever part of the page
    those came from: in ``make bench-shapes`` an excerpt inside three other articles was
    retrieved 0.78-0.87 of the time, 0.92-0.95 now; and one in three indexes fewer rows an
    article (80 against 85 on the bench)."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        """Read the ``FINGERPRINT_*`` settings (the stage's, and the extraction workers')."""
        default = cls()  # an unset setting keeps the field's default, kept in one place
        return cls(
            shingle_size=settings.getint("FINGERPRINT_SHINGLE_SIZE", default.shingle_size),
            num_perm=settings.getint("FINGERPRINT_NUM_PERM", default.num_perm),
            threshold=settings.getfloat("FINGERPRINT_THRESHOLD", default.threshold),
        )

    @property
    def bands_rows(self) -> tuple[int, int]:
        """The (bands, rows) of the word view, derived from its threshold."""
        return lsh_params(self.threshold, self.num_perm)

    @property
    def skeleton_bands_rows(self) -> tuple[int, int]:
        """The (bands, rows) of the skeleton view, derived from its threshold."""
        return lsh_params(self.skeleton_threshold, self.skeleton_num_perm)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything the match and store stages need to know about a text's identity."""

    text_hash: bytes
    minhash: bytes
    buckets: tuple[tuple[int, int], ...]
    word_count: int


@lru_cache(maxsize=8)
def _hasher(num_perm: int, seed: int = 1) -> MinHasher:
    return MinHasher(num_perm, seed)


def fingerprint_text(text: str, config: FingerprintConfig = FingerprintConfig()) -> Fingerprint:
    """Compute the exact hash, MinHash signature and band buckets of a body text."""
    analysis = analyse(text)
    words = analysis.tokens.words
    # Shingles in text order, repeats and all: a repeat cannot change a minimum.
    signature = _hasher(config.num_perm).signature(
        shingle_values(analysis.word_hashes, config.shingle_size)
    )
    bands, rows = config.bands_rows
    buckets = band_buckets(signature, bands, rows)
    shape_hashes = analysis.skeleton_hashes()
    if len(shape_hashes) >= config.skeleton_size:
        grams = shingle_values(shape_hashes, config.skeleton_size)
        skeleton_signature = _hasher(config.skeleton_num_perm, seed=2).signature(grams)
        buckets += view_band_buckets(skeleton_signature, *config.skeleton_bands_rows, view=1)
        anchors = anchor_hashes(
            shape_hashes, grams, config.skeleton_size, config.anchor_sample, config.max_anchors
        )
        buckets += [(2 * VIEW_STRIDE, anchor) for anchor in anchors]
    return Fingerprint(
        text_hash=exact_hash(words),
        minhash=signature_to_bytes(signature),
        buckets=tuple(buckets),
        word_count=len(words),
    )


class FingerprintPipeline:
    """Scrapy pipeline: fingerprint the extracted body text of each item."""

    def __init__(self, config: FingerprintConfig, stats: StatsCollector | None = None) -> None:
        self.config = config
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read ``FINGERPRINT_*`` settings."""
        return cls(FingerprintConfig.from_settings(crawler.settings), crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Attach the fingerprint of ``item.article.text`` (unless an extraction worker did)."""
        if item.article is None:
            raise ValueError("fingerprint stage got an item the extract stage did not fill")
        if item.fingerprint is None:
            with timed(self.stats, "fingerprint"):
                item.fingerprint = fingerprint_text(item.article.text, self.config)
        else:
            count(self.stats, "fingerprint/by_extract_worker")
        count(self.stats, "fingerprint/items")
        return item
