"""The fingerprint stage: normalised text → exact hash, MinHash signature and LSH band buckets.

Configuration is in domain terms (a Jaccard ``threshold``); the LSH mechanics (how many bands of
how many rows) are derived from it. Signatures serialise to compact bytes for a database column.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Self

import numpy as np

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import ArticleItem

# Words, with inner apostrophes kept ("don't"); digits are words too, since names and numbers are
# what a copy keeps.
_WORD = re.compile(r"\w+(?:['’]\w+)*")

_MASK64 = (1 << 64) - 1
# Odd 64-bit multipliers that combine the hashes of a shingle's words position-dependently.
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


def tokenize(text: str) -> Tokens:
    """Split ``text`` into lower-cased NFKC words, remembering where each one stands."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        words.append(unicodedata.normalize("NFKC", match.group()).casefold().replace("’", "'"))
        spans.append(match.span())
    return Tokens(tuple(words), tuple(spans))


def exact_hash(words: tuple[str, ...] | list[str]) -> bytes:
    """Return a 16-byte hash of the normalised word sequence (equal texts in any template agree)."""
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()


@lru_cache(maxsize=200_000)
def word_hash(word: str) -> int:
    """Return a stable 64-bit hash of one word (cached: a vocabulary repeats a lot)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def shingle_hashes(words: tuple[str, ...] | list[str], size: int) -> np.ndarray:
    """Return the distinct 64-bit hashes of the word ``size``-shingles of ``words``.

    A text shorter than one shingle yields one shingle of all its words, so that every
    non-empty text has a signature.
    """
    if not words:
        return np.zeros(0, dtype=np.uint64)
    size = min(size, len(words), len(_SHINGLE_MULTIPLIERS))
    hashed = np.fromiter((word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    count = len(words) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        combined ^= hashed[offset : offset + count] * _SHINGLE_MULTIPLIERS[offset]
    return np.unique(combined)


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


@dataclass(frozen=True, slots=True)
class FingerprintConfig:
    """What the fingerprint stage computes: shingle size, signature length and LSH threshold."""

    shingle_size: int = 3
    num_perm: int = 128
    threshold: float = 0.2

    @property
    def bands_rows(self) -> tuple[int, int]:
        """The (bands, rows) derived from the threshold."""
        return lsh_params(self.threshold, self.num_perm)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything the match and store stages need to know about a text's identity."""

    text_hash: bytes
    minhash: bytes
    buckets: tuple[tuple[int, int], ...]
    word_count: int


@lru_cache(maxsize=8)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def fingerprint_text(text: str, config: FingerprintConfig = FingerprintConfig()) -> Fingerprint:
    """Compute the exact hash, MinHash signature and band buckets of a body text."""
    words = tokenize(text).words
    signature = _hasher(config.num_perm).signature(shingle_hashes(words, config.shingle_size))
    bands, rows = config.bands_rows
    return Fingerprint(
        text_hash=exact_hash(words),
        minhash=signature_to_bytes(signature),
        buckets=tuple(band_buckets(signature, bands, rows)),
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
        settings = crawler.settings
        config = FingerprintConfig(
            shingle_size=settings.getint("FINGERPRINT_SHINGLE_SIZE", 3),
            num_perm=settings.getint("FINGERPRINT_NUM_PERM", 128),
            threshold=settings.getfloat("FINGERPRINT_THRESHOLD", 0.2),
        )
        return cls(config, crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        """Attach the fingerprint of ``item.article.text``."""
        if item.article is None:
            raise ValueError("fingerprint stage got an item the extract stage did not fill")
        item.fingerprint = fingerprint_text(item.article.text, self.config)
        if self.stats is not None:
            self.stats.inc_value("fingerprint/items")
        return item
