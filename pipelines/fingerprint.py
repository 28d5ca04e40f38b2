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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Self

import numpy as np

from pipelines.stats import count, timed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

# Words, with inner apostrophes kept ("don't"); digits are words too, since names and numbers are
# what a copy keeps.
_WORD = re.compile(r"\w+(?:['’]\w+)*")

_MASK64 = (1 << 64) - 1
# Odd 64-bit multipliers (up to 8 positions) that combine the hashes of a shingle's words
# position-dependently.
_SHINGLE_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's words, normalised for comparison, with their character spans in the text."""

    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.words)


@lru_cache(maxsize=512)
def tokenize(text: str) -> Tokens:
    """Split ``text`` into lower-cased NFKC words, remembering where each one stands.

    Cached: the fingerprint and match stages both need the new document's words.
    """
    spans = [match.span() for match in _WORD.finditer(text)]
    # Lower-case the whole text once and slice it: far cheaper than a call per word. Slices
    # line up with the spans unless lower-casing changed the length (a rare "İ").
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    words = [lowered[start:end] for start, end in spans]
    if not text.isascii():
        normalize = unicodedata.normalize
        for i, word in enumerate(words):
            if not word.isascii():
                # NFKC folds compatibility forms (ligatures, full-width digits); casefold
                # goes further than lower() ("ß" → "ss").
                start, end = spans[i]
                word = normalize("NFKC", text[start:end]).casefold()
                words[i] = word.replace("’", "'") if "’" in word else word
    return Tokens(tuple(words), tuple(spans))


def exact_hash(words: tuple[str, ...] | list[str]) -> bytes:
    """Return a 16-byte hash of the normalised word sequence (equal texts in any template agree)."""
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()


@lru_cache(maxsize=200_000)
def word_hash(word: str) -> int:
    """Return a stable 64-bit hash of one word (cached: a vocabulary repeats a lot)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """Return the :func:`word_hash` of each word, as a uint64 array."""
    # map() over the cached function, not a generator: this runs for every word of every page.
    return np.fromiter(map(word_hash, words), dtype=np.uint64, count=len(words))


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


def shingle_hashes(hashed: np.ndarray, size: int) -> np.ndarray:
    """Return the distinct 64-bit hashes of the ``size``-shingles, from the tokens' hashes."""
    return np.unique(shingle_values(hashed, size))


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
        """Return the signature (uint32 × num_perm) of a set of shingle hashes."""
        if shingles.size == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        # (a·x + b) mod 2^64, keeping the high 32 bits: a 2-universal family per permutation.
        mixed = shingles[:, None] * self._a[None, :] + self._b[None, :]
        return (mixed >> np.uint64(32)).astype(np.uint32).min(axis=0)


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

# Function words: a spinner leaves them alone (it only has synonyms for content words), so
# their order, with the gaps between them, survives spinning. Our own list.
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

_OPENS_SENTENCE = frozenset('.!?:;"“”\n')
PLACEHOLDER = "_"
BREAK = "|"
"""Skeleton symbol of a quoted word: quotations are cut out of the skeleton views."""


def quoted_mask(text: str, tokens: Tokens) -> list[bool]:
    """Mark the tokens that stand inside quotation marks, paragraph by paragraph.

    An opening mark without a closing one quotes to the end of its paragraph (news style
    reopens a long quote on every paragraph without closing the previous one). A closing mark
    with nothing open (a page that starts or cuts in mid-quote) quotes back to the start of its
    paragraph, or to the end of the paragraph's previous quotation: a stray mark after a
    closed quote must not turn the sentences before that quote into quotation (an excerpt cut
    before the stray mark would then disagree with its original about them). Straight quotes
    tell opening from closing by the space before them.
    """
    inside = [False] * len(tokens)
    regions: list[tuple[int, int]] = []
    open_at: int | None = None
    unquoted_from = 0  # where this paragraph's text outside quotations last began
    for mark in re.finditer(r"[\"“”]|\n", text):
        position, char = mark.start(), mark.group()
        if char == "\n":
            if open_at is not None:
                regions.append((open_at, position))
                open_at = None
            unquoted_from = position
            continue
        before = text[position - 1] if position else " "
        closing = char == "”" or (char == '"' and not before.isspace() and before not in "([—-")
        if open_at is not None:
            regions.append((open_at, position))
            open_at = None
            unquoted_from = position
        elif closing:
            regions.append((unquoted_from, position))
            unquoted_from = position
        else:
            open_at = position
    if open_at is not None:
        regions.append((open_at, len(text)))
    regions.sort()
    region = 0
    for i, (start, _) in enumerate(tokens.spans):
        while region < len(regions) and regions[region][1] < start:
            region += 1
        if region == len(regions):
            break
        if regions[region][0] <= start < regions[region][1]:
            inside[i] = True
    return inside


def stands_as_itself(text: str, tokens: Tokens) -> list[bool]:
    """Mark the tokens the skeleton keeps as themselves: function words, numbers and names.

    A capitalised word counts as a name unless it opens a sentence (any word may stand there,
    a swapped one too). A loop, not numpy: for a page's few hundred tokens it is the faster.
    """
    kept: list[bool] = []
    previous_end = 0
    for word, (start, end) in zip(tokens.words, tokens.spans, strict=True):
        between = text[previous_end:start]
        previous_end = end
        first = text[start]
        if word in STOPWORDS or first.isdigit():
            kept.append(True)
            continue
        opens = not kept or not _OPENS_SENTENCE.isdisjoint(between)
        kept.append(first.isupper() and not opens)
    return kept


def skeleton_tokens(text: str, tokens: Tokens) -> list[str]:
    """Return one skeleton symbol per token: function words, numbers and names as themselves,
    other (content) words as ``_`` (see :func:`stands_as_itself`)."""
    kept = stands_as_itself(text, tokens)
    return [w if k else PLACEHOLDER for w, k in zip(tokens.words, kept, strict=True)]


def skeleton(text: str, tokens: Tokens, quoted: Sequence[bool] | None = None) -> list[str]:
    """Return the text's skeleton: function words, numbers and names, content runs as ``_``.

    Consecutive content words collapse into one placeholder, so a one-word synonym for a
    two-word phrase leaves the skeleton as it was. Quoted words (``quoted``) become a break.
    """
    symbols = np.array(skeleton_tokens(text, tokens), dtype=object)
    mask = None if quoted is None else np.array(quoted, dtype=bool)
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


@lru_cache(maxsize=512)
def analyse(text: str) -> TextAnalysis:
    """Return the (cached) tokens, quotation mask and skeleton symbols of ``text``.

    Cached like :func:`tokenize`: the match stage aligns the very text the fingerprint stage
    has just read.
    """
    tokens = tokenize(text)
    hashes = word_hashes(tokens.words)
    kept = np.fromiter(stands_as_itself(text, tokens), bool, len(tokens))
    symbols = np.where(kept, hashes, PLACEHOLDER_HASH)
    quoted = np.fromiter(quoted_mask(text, tokens), bool, len(tokens))
    for array in (hashes, symbols, quoted):
        array.flags.writeable = False  # shared by every caller of the cache
    return TextAnalysis(tokens, hashes, quoted, symbols)


@lru_cache(maxsize=1)
def _plain_symbol_hashes() -> np.ndarray:
    """The hashes of the skeleton symbols that are no anchor: function words and gaps."""
    return np.array(sorted({word_hash(s) for s in (*STOPWORDS, PLACEHOLDER, BREAK)}), np.uint64)


def anchor_hashes(hashed: np.ndarray, size: int, sample: int, cap: int) -> list[int]:
    """Return sampled hashes of the skeleton ``size``-grams that hold a name or a number.

    ``hashed``: the skeleton's symbol hashes (:meth:`TextAnalysis.skeleton_hashes`).
    Content-defined sampling (hash mod ``sample``) keeps the same grams in every text that
    has them, so a copy of any part of a text shares anchors in proportion to its length:
    containment, which MinHash's Jaccard cannot see for an excerpt or half of a stitched page.
    Grams must hold a name or number (generic function-word patterns would pair everything)
    and no quotation (independent reports quote the same words). Vectorised: hashing one gram
    at a time cost more than the rest of the fingerprint.
    """
    if len(hashed) - size + 1 <= 0:
        return []
    combined = shingle_values(hashed, size)
    special = ~np.isin(hashed, _plain_symbol_hashes())
    breaks = hashed == _BREAK_HASH

    def window_sum(flags: np.ndarray) -> np.ndarray:
        totals = np.concatenate(([0], np.cumsum(flags, dtype=np.int32)))
        return totals[size:] - totals[:-size]

    # Mix once more so the sample does not depend on the low bits of the XOR alone.
    values = (combined * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(1)
    keep = (window_sum(special) > 0) & (window_sum(breaks) == 0) & (values % sample == 0)
    return [int(v) for v in np.unique(values[keep])[:cap]]


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
    anchor_sample: int = 2
    """One skeleton anchor in this many is indexed (content-defined, the same in every text):
    a 3-sentence excerpt must keep two of them."""
    max_anchors: int = 64

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
    shingles = shingle_hashes(analysis.word_hashes, config.shingle_size)
    signature = _hasher(config.num_perm).signature(shingles)
    bands, rows = config.bands_rows
    buckets = band_buckets(signature, bands, rows)
    shape_hashes = analysis.skeleton_hashes()
    if len(shape_hashes) >= config.skeleton_size:
        skeleton_signature = _hasher(config.skeleton_num_perm, seed=2).signature(
            shingle_hashes(shape_hashes, config.skeleton_size)
        )
        buckets += view_band_buckets(skeleton_signature, *config.skeleton_bands_rows, view=1)
        anchors = anchor_hashes(
            shape_hashes, config.skeleton_size, config.anchor_sample, config.max_anchors
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
