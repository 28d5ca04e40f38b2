"""Passage alignment that survives spinning, reordering and quoting: the verification step.

Two texts are cut into sentences. Each sentence gets two small feature sets:

* *content keys*: its content words, crudely stemmed (so "announced" meets "announces"), plus
  numbers and names. A spinner swaps some of these, never all: at half the content words
  swapped, half of the keys survive;
* *skeleton grams*: 3-grams of its function-word skeleton (function words, numbers and names,
  each run of content words one placeholder), which a context-blind spinner leaves intact.

A sentence of one text aligns with the sentence of the other that shares most content keys,
when both the content overlap and the skeleton overlap are high enough; sentences may match in
any order (a reworked copy reorders paragraphs). Neighbouring aligned sentences are merged into
passages with character offsets in both texts.

Quoted speech is discounted: words inside quotation marks (and a sentence that is mostly a
quote, with its "he said") count neither as aligned nor in the totals, because independent
reports of one event quote the same statement; a shared quote is not a copy. Coverage, the share
of a text's own (unquoted) words that the other explains, is what the verdict rests on.

Profiles are cached per text, so a stored article is tokenised once per process, not once per
comparison. A profile also holds its sentences' features as hashed arrays, so that comparing
two profiles (every sentence of one against every sentence of the other) is a few array
operations rather than a loop over words. The hashes are stable (not Python's per-process
``hash``), so a profile serialises to a few kilobytes (:func:`profile_bytes`) that any process
can load back (:func:`load_profile`) instead of profiling the text again: the match stage
stores it with the article, and the worker processes of a crawl, each with its own cache,
share it through the database.
"""

from __future__ import annotations

import difflib
import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby, pairwise

import numpy as np

from pipelines.fingerprint import (
    PLACEHOLDER_HASH,
    STOPWORDS,
    Tokens,
    WordTable,
    analyse,
    names_or_numbers,
    run_starts,
    shingle_values,
    sorted_unique,
    tokenize,
    word_hash,
)
from pipelines.textcache import TextCache, cached_by_text

# A sentence ends at the whitespace after a sentence mark (and any closing quote or bracket),
# or at a line break; a cut falls where the whitespace ends. The mark is matched, not looked
# behind for, and the lookahead lets the regex engine skip to the next candidate character:
# a look-behind, or an alternation alone, is tried at every character.
_SENTENCE_BREAK = re.compile(r"(?=[.!?\n])(?:[.!?][\"”’')\]]*\s+|\n+)")
_SUFFIXES = ("ings", "ing", "ied", "ies", "ed", "es", "s", "ly")
MAX_SENTENCE_WORDS = 60
"""Longer "sentences" (lists, run-on text) are cut, so one never swallows a whole passage."""


def stem(word: str) -> str:
    """Return a crude stem: inflections a spinner changes ("rose"/"rises" stay apart) go."""
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a profile: its token range and countable (unquoted) words.

    Its features (content keys, skeleton grams) live in the profile's :class:`FeatureIndex`.
    """

    start: int
    end: int
    words: int
    """Words that count towards coverage (0 for a quote)."""
    paragraph: int
    quote: bool = False
    """Mostly a quotation: it may align (an excerpt keeps its quotes) but explains nothing."""


@dataclass(frozen=True, slots=True)
class FeatureIndex:
    """One feature set per sentence (content keys, or skeleton grams), as hashed arrays.

    ``hashes``/``sentence`` list every (feature, sentence) entry, grouped by sentence; the
    other arrays group the same entries by hash, for lookups from another text. Hashes are
    stable 32-bit values (:func:`content_feature`, :func:`gram_features`): the same in every
    process, so that a profile can be stored and loaded. Two features of one pair of texts
    colliding is a one-in-a-hundred-thousand event that moves a sentence's overlap by one.
    """

    hashes: np.ndarray
    sentence: np.ndarray
    distinct: np.ndarray
    """The distinct hashes, ascending."""
    first: np.ndarray
    """Per distinct hash: where its entries start in ``by_hash``."""
    holders: np.ndarray
    """Per distinct hash: how many sentences have it."""
    by_hash: np.ndarray
    """The sentence of every entry, entries ordered by hash."""
    sizes: np.ndarray
    """Features per sentence."""

    @classmethod
    def of(cls, sentence: np.ndarray, hashes: np.ndarray, sentences: int) -> FeatureIndex:
        """Index (sentence, feature hash) entries, sorted by sentence, distinct per sentence."""
        sizes = np.bincount(sentence, minlength=sentences).astype(np.int32)
        return cls.from_sizes(sizes, hashes)

    @classmethod
    def from_sizes(cls, sizes: np.ndarray, hashes: np.ndarray) -> FeatureIndex:
        """Index feature hashes listed sentence by sentence, ``sizes[i]`` for sentence i."""
        # int32 where it will do: a profile is cached, thousands at a time
        sentence = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        first = np.flatnonzero(run_starts(ordered)).astype(np.int32)
        holders = np.empty_like(first)
        holders[:-1] = first[1:] - first[:-1]
        holders[-1:] = len(ordered) - first[-1:]
        return cls(
            hashes,
            sentence,
            ordered[first],
            first,
            holders,
            sentence[order],
            sizes,
        )

    def entries(self, rows: range) -> slice:
        """Where the entries of the sentences ``rows`` lie in ``hashes`` and ``sentence``: one
        slice, since they are listed sentence by sentence."""
        first = int(self.sizes[: rows.start].sum())
        return slice(first, first + int(self.sizes[rows.start : rows.stop].sum()))

    def features(self, sentence: int) -> np.ndarray:
        """The distinct feature hashes of one sentence."""
        return self.hashes[self.entries(range(sentence, sentence + 1))]

    def shared_count(self, other: FeatureIndex) -> int:
        """Return how many distinct features the two texts share."""
        return len(np.intersect1d(self.distinct, other.distinct, assume_unique=True))

    def shared_with(self, other: FeatureIndex, rows: range | None = None) -> np.ndarray:
        """Return the matrix of features shared by each sentence here (those in ``rows``, or
        all) and each sentence there."""
        if rows is None or (rows.start == 0 and rows.stop == len(self.sizes)):
            hashes, sentence = self.hashes, self.sentence
            rows = range(len(self.sizes))
        else:
            taken = self.entries(rows)
            hashes, sentence = self.hashes[taken], self.sentence[taken] - rows.start
        count, columns = len(rows), len(other.sizes)
        if not len(other.distinct) or not len(hashes):
            return np.zeros((count, columns), dtype=np.int64)
        at = np.minimum(np.searchsorted(other.distinct, hashes), len(other.distinct) - 1)
        found = np.where(other.distinct[at] == hashes, other.holders[at], 0)
        total = int(found.sum())
        if total == 0:
            return np.zeros((count, columns), dtype=np.int64)
        # one entry per (feature here, same feature there): its sentence on each side
        ends_found = np.cumsum(found)
        positions = np.repeat(other.first[at] - ends_found + found, found) + np.arange(total)
        here = np.repeat(sentence.astype(np.int64), found)
        there = other.by_hash[positions]
        return np.bincount(here * columns + there, minlength=count * columns).reshape(
            count, columns
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """What alignment needs to know about one text, computed once and cached."""

    text: str
    sentences: tuple[Sentence, ...]
    words: int
    """Countable words: the text's words outside quotations."""
    token_count: int
    content: FeatureIndex
    """The sentences' content keys."""
    grams: FeatureIndex
    """The sentences' skeleton grams."""
    quote: np.ndarray
    """Per sentence: mostly a quotation."""
    alignable: np.ndarray
    """Per sentence: may be aligned to (it has countable words, or is a quotation)."""
    specific: np.ndarray
    """Per sentence: holds a name or a number outside quotations. Boilerplate lines ("share
    this post and let us know what you think") hold none."""

    @property
    def tokens(self) -> Tokens:
        """The text's words and their spans (not kept: only the evidence of a pair needs them)."""
        return tokenize(self.text)

    @property
    def names_or_numbers(self) -> np.ndarray:
        """Per word: a name or a number, which a spinner leaves as it is (not kept either)."""
        return _token_names_or_numbers(self.text)


@cached_by_text(256)
def _token_names_or_numbers(text: str) -> np.ndarray:
    marked = names_or_numbers(analyse(text).symbol_hashes)
    marked.flags.writeable = False  # shared by every caller of the cache
    return marked


def _sentence_ranges(text: str, tokens: Tokens) -> list[tuple[int, int, int]]:
    """Return (first token, end token, paragraph number) per sentence.

    A sentence break before a token starts a sentence there (a paragraph break also starts a
    paragraph); a sentence that reaches :data:`MAX_SENTENCE_WORDS` is cut.
    """
    if not len(tokens):
        return []
    cuts = [m.end() for m in _SENTENCE_BREAK.finditer(text)]
    paragraph_cuts = {m.end() for m in re.finditer(r"\n\s*\n|\n", text)}
    # The token each cut falls before (a cut after the last token starts nothing).
    at = np.searchsorted(tokens.starts, cuts, side="left").tolist()
    new_paragraph: set[int] = {i for i, cut in zip(at, cuts, strict=True) if cut in paragraph_cuts}
    ranges: list[tuple[int, int, int]] = []
    start = paragraph = 0
    # the last boundary is the text's end, which closes the last sentence
    for boundary in [*sorted({i for i in at if i < len(tokens)}), len(tokens)]:
        while boundary - start > MAX_SENTENCE_WORDS:
            ranges.append((start, start + MAX_SENTENCE_WORDS, paragraph))
            start += MAX_SENTENCE_WORDS
        if boundary > start:
            ranges.append((start, boundary, paragraph))
            start = boundary
        if boundary in new_paragraph:
            paragraph += 1
    return ranges


def content_key(word: str) -> str:
    """Return the content key of a word: its stem, or "" for a function word or a letter."""
    return stem(word) if word not in STOPWORDS and len(word) > 1 else ""


def content_feature(word: str) -> int:
    """Return the stable 32-bit hash of a word's content key (0: the word has none)."""
    key = content_key(word)
    return (word_hash(key) >> 32) or 1 if key else 0


CONTENT_FEATURES = WordTable(content_feature)
"""Every word's :func:`content_feature`, remembered."""


def gram_features(symbols: np.ndarray) -> np.ndarray:
    """Return the stable 32-bit hash of every skeleton 3-gram, from the symbols' word hashes."""
    return (shingle_values(symbols, 3) >> np.uint64(32)).astype(np.uint32)


def _per_sentence(sentence: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated (sentence, hash) entries: a sentence's features are a set."""
    combined = sorted_unique((sentence.astype(np.int64) << 32) | hashes.astype(np.int64))
    return (combined >> 32).astype(np.int32), (combined & 0xFFFFFFFF).astype(np.uint32)


def _compute_profile(text: str) -> Profile:
    analysis = analyse(text)
    tokens = analysis.tokens
    ranges = _sentence_ranges(text, tokens)
    count = len(ranges)
    if not count:
        empty = FeatureIndex.of(np.zeros(0, np.int32), np.zeros(0, np.uint32), 0)
        nothing = np.zeros(0, dtype=np.int64)
        none = nothing.astype(bool)
        return _assemble(text, (), nothing, none, none, len(tokens), empty, empty)
    starts = np.fromiter((r[0] for r in ranges), np.int64, count)
    lengths = np.fromiter((r[1] - r[0] for r in ranges), np.int64, count)
    quoted = analysis.quoted
    quoted_words = np.add.reduceat(quoted.astype(np.int64), starts)
    # A sentence that is mostly a quote is the quote plus its attribution: discount it all.
    is_quote = quoted_words * 2 >= lengths
    countable = np.where(is_quote, 0, lengths - quoted_words)
    of_token = np.repeat(np.arange(count, dtype=np.int32), lengths)
    named = _token_names_or_numbers(text) & ~quoted
    specific = np.add.reduceat(named.astype(np.int64), starts) > 0

    # Content keys: a partly quoted sentence keeps only its own words' keys.
    keys = np.array(CONTENT_FEATURES.values(tokens.words), np.uint32)
    partly_quoted = (quoted_words > 0) & ~is_quote
    kept = (keys != 0) & ~(quoted & partly_quoted[of_token])
    content = FeatureIndex.of(*_per_sentence(of_token[kept], keys[kept]), count)

    # Skeleton 3-grams, within sentences, a run of content words being one placeholder.
    symbols = analysis.symbol_hashes
    placeholder = symbols == PLACEHOLDER_HASH
    repeat = np.zeros(len(tokens), dtype=bool)
    repeat[1:] = placeholder[1:] & placeholder[:-1] & (of_token[1:] == of_token[:-1])
    collapsed, collapsed_of = symbols[~repeat], of_token[~repeat]
    grams = gram_features(collapsed)
    whole = collapsed_of[:-2] == collapsed_of[2:] if len(collapsed) >= 3 else np.zeros(0, bool)
    grams_index = FeatureIndex.of(*_per_sentence(collapsed_of[:-2][whole], grams[whole]), count)

    sentences = tuple(
        Sentence(start, start + length, words, paragraph, quote)
        for (start, _, paragraph), length, words, quote in zip(
            ranges, lengths.tolist(), countable.tolist(), is_quote.tolist(), strict=True
        )
    )
    return _assemble(
        text, sentences, countable, is_quote, specific, len(tokens), content, grams_index
    )


def _assemble(
    text: str,
    sentences: tuple[Sentence, ...],
    countable: np.ndarray,
    quote: np.ndarray,
    specific: np.ndarray,
    token_count: int,
    content: FeatureIndex,
    grams: FeatureIndex,
) -> Profile:
    """Build a profile, deriving its totals from the per-sentence countable words and quotes."""
    return Profile(
        text=text,
        sentences=sentences,
        words=int(countable.sum()),
        token_count=token_count,
        content=content,
        grams=grams,
        quote=quote,
        alignable=(countable > 0) | quote,
        specific=specific,
    )


PROFILE_CACHE_SIZE = 8192
PROFILE_CACHE_CHARS = 64_000_000
"""Characters of text whose profiles a process keeps: 8,192 articles of 3 KB need 25 M; the
bound holds a run of pages near the extract stage's 1 M characters to some 400 MB."""
_cache: TextCache[Profile] = TextCache(PROFILE_CACHE_SIZE, PROFILE_CACHE_CHARS)


def profile(text: str) -> Profile:
    """Return the (cached) alignment profile of ``text``."""
    return _cache.get(text) or _cache.put(text, _compute_profile(text))


def is_profiled(text: str) -> bool:
    """Whether ``text``'s profile is in this process's cache."""
    return text in _cache


def clear_profiles() -> None:
    """Empty this process's profile cache (as a new process starts)."""
    _cache.clear()


PROFILE_FORMAT = 3
"""Version of :func:`profile_bytes`' layout and of what goes into it (tokenisation, sentence
cuts, features, hashes): a stored profile of another version is not loaded, the text is
profiled again. Bump it with any change that moves a profile (a test pins one). 2: which
sentences are specific (method 5); 3: quotations in single marks are quotations (method 6)."""

_HEADER = struct.Struct("<4sHIIIIII")
_MAGIC = b"CCPF"
_SENTENCE_BYTES = 4 * 4 + 1 + 1 + 4 + 4
"""Per sentence: start, end, words, paragraph (int32), quote and specific (uint8), two feature
counts."""


def profile_bytes(found: Profile) -> bytes:
    """Serialise a profile for the database: a header, then its arrays (about 4 KB a page)."""
    count = len(found.sentences)
    columns = np.array(
        [(s.start, s.end, s.words, s.paragraph) for s in found.sentences], dtype=np.int32
    ).reshape(count, 4)
    header = _HEADER.pack(
        _MAGIC,
        PROFILE_FORMAT,
        zlib.crc32(found.text.encode()),
        len(found.text),
        count,
        found.token_count,
        len(found.content.hashes),
        len(found.grams.hashes),
    )
    return b"".join(
        (
            header,
            columns.T.astype("<i4").tobytes(),
            found.quote.astype(np.uint8).tobytes(),
            found.specific.astype(np.uint8).tobytes(),
            found.content.sizes.astype("<i4").tobytes(),
            found.grams.sizes.astype("<i4").tobytes(),
            found.content.hashes.astype("<u4").tobytes(),
            found.grams.hashes.astype("<u4").tobytes(),
        )
    )


def load_profile(text: str, data: bytes) -> Profile | None:
    """Return ``text``'s profile from :func:`profile_bytes` output, and cache it.

    None if ``data`` is of another format version or of another text (a stale row): the
    caller profiles the text itself.
    """
    cached = _cache.get(text)
    if cached is not None:
        return cached
    if len(data) < _HEADER.size:
        return None
    magic, version, crc, length, count, token_count, content_size, grams_size = _HEADER.unpack_from(
        data
    )
    expected = _HEADER.size + _SENTENCE_BYTES * count + 4 * (content_size + grams_size)
    if magic != _MAGIC or version != PROFILE_FORMAT or length != len(text) or len(data) != expected:
        return None
    if crc != zlib.crc32(text.encode()):
        return None
    at = _HEADER.size

    def take(dtype: str, size: int) -> np.ndarray:
        nonlocal at
        array = np.frombuffer(data, dtype=dtype, count=size, offset=at)
        at += array.nbytes
        return array

    starts, ends, words, paragraphs = take("<i4", 4 * count).reshape(4, count)
    quote = take("u1", count).astype(bool)
    specific = take("u1", count).astype(bool)
    content_sizes, grams_sizes = take("<i4", count), take("<i4", count)
    content = FeatureIndex.from_sizes(content_sizes, take("<u4", content_size))
    grams = FeatureIndex.from_sizes(grams_sizes, take("<u4", grams_size))
    sentences = tuple(
        map(Sentence, starts.tolist(), ends.tolist(), words.tolist(), paragraphs.tolist(),
            quote.tolist())
    )  # fmt: skip
    return _cache.put(
        text, _assemble(text, sentences, words, quote, specific, token_count, content, grams)
    )


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Sentence-match thresholds (domain terms: how alike two sentences must be)."""

    min_content_overlap: float = 0.3
    """Share of the smaller sentence's content keys the other must have too."""
    min_skeleton_overlap: float = 0.4
    """Share of the smaller sentence's skeleton grams the other must have too."""
    strong_content_overlap: float = 0.7
    """A sentence sharing this much content aligns whatever its skeleton (light rewording)."""
    min_shared_keys: int = 3
    min_run_similarity: float = 0.8
    """Mean sentence similarity an excerpt (a run of aligned sentences) must reach."""
    min_covering_similarity: float = 0.6
    """A sentence pair this alike counts towards coverage. A looser one (the same names and
    numbers in other words: two reports of one event, a team list) still aligns, but
    explains nothing: in copies, even at half the words spun, under 1 % of the aligned
    sentences are that loose."""
    min_run_keys: int = 5
    """Content keys a sentence needs to carry an excerpt. A short generic line ("share this
    post with your thoughts") is boilerplate that many pages hold, in any order; like a
    quotation it may link a run but adds nothing to it."""
    min_named_run_keys: int = 3
    """Content keys a short sentence that names something needs to carry an excerpt ("The
    contract went to Northfield."): boilerplate names nothing (method 7)."""


@dataclass(frozen=True, slots=True)
class SentencePair:
    """Sentence ``a`` of one text aligned with sentence ``b`` of the other (or, when a
    rewriter joined two sentences into one, two sentences of one text from ``a`` or ``b`` on
    with one of the other: :func:`join_split_sentences`)."""

    a: int
    b: int
    similarity: float
    a_span: int = 1
    """Sentences of the first text in the pair, from ``a`` on."""
    b_span: int = 1
    """Sentences of the second text in the pair, from ``b`` on."""

    @property
    def a_range(self) -> range:
        """The first text's sentences in the pair."""
        return range(self.a, self.a + self.a_span)

    @property
    def b_range(self) -> range:
        """The second text's sentences in the pair."""
        return range(self.b, self.b + self.b_span)

    @property
    def a_last(self) -> int:
        """The first text's last sentence in the pair."""
        return self.a + self.a_span - 1

    @property
    def b_last(self) -> int:
        """The second text's last sentence in the pair."""
        return self.b + self.b_span - 1

    @property
    def sentences(self) -> int:
        """Sentences the pair stands for: of the text whose two were joined in the other."""
        return max(self.a_span, self.b_span)


MAX_BLOCK_CELLS = 1 << 20
"""Sentence pairs scored at once. Two huge pages (a hostile one, a long archive page) are
aligned a block of the first one's sentences at a time, so that memory stays at some tens of
megabytes however long they are: two pages of 1.3 million characters each, scored in one
matrix, took 4 GB. An article against an article is one block."""
TOP_CANDIDATES = 3
"""Sentences of the other text a sentence is compared with: those sharing most content keys."""


def match_sentences(
    a: Profile, b: Profile, config: AlignConfig = AlignConfig()
) -> list[SentencePair]:
    """Align each countable sentence of ``a`` with its best sentence of ``b``, in any order.

    A sentence's candidates are the three sentences of ``b`` sharing most content keys with it
    (the first in ``b`` on a tie); the best of those that pass the overlap thresholds wins.
    """
    if not a.sentences or not b.sentences:
        return []
    step = max(1, MAX_BLOCK_CELLS // len(b.sentences))
    blocks = [
        _scored_candidates(a, b, range(start, min(start + step, len(a.sentences))), config)
        for start in range(0, len(a.sentences), step)
    ]
    pairs: list[SentencePair] = []
    used_b: set[int] = set()
    for rows, top, similarity in blocks:
        for i, candidates, scores in zip(rows, top, similarity, strict=True):
            best: SentencePair | None = None
            for j, score in zip(candidates, scores, strict=True):
                if score < 0:
                    continue
                if (
                    best is None
                    or score > best.similarity
                    or (score == best.similarity and best.b in used_b and j not in used_b)
                ):
                    best = SentencePair(i, j, score)
            if best is not None:
                pairs.append(best)
                used_b.add(best.b)
    return pairs


def _scored_candidates(
    a: Profile, b: Profile, block: range, config: AlignConfig
) -> tuple[list[int], list[list[int]], list[list[float]]]:
    """For the sentences of ``a`` in ``block`` that share enough content keys with some
    sentence of ``b``: their numbers, their :data:`TOP_CANDIDATES` in ``b`` (most keys shared
    first, the first in ``b`` on a tie) and each candidate's similarity (-1: it fails the
    overlap thresholds)."""
    shared = a.content.shared_with(b.content, block)
    shared[:, ~b.alignable] = 0
    shared[a.content.sizes[block.start : block.stop] < config.min_shared_keys, :] = 0
    kept = np.flatnonzero((shared >= config.min_shared_keys).any(axis=1))
    if not len(kept):
        return [], [], []
    shared = shared[kept]
    rows = kept + block.start
    top = _top_columns(shared, TOP_CANDIDATES)
    similarity = _similarities(
        np.take_along_axis(shared, top, axis=1),
        np.minimum(a.content.sizes[rows, None], b.content.sizes[top]),
        np.take_along_axis(a.grams.shared_with(b.grams, block)[kept], top, axis=1),
        np.minimum(a.grams.sizes[rows, None], b.grams.sizes[top]),
        b.quote[top] == a.quote[rows, None],
        config,
    )
    return rows.tolist(), top.tolist(), similarity.tolist()


def _similarities(
    keys_shared: np.ndarray,
    fewer_keys: np.ndarray,
    grams_shared: np.ndarray,
    fewer_grams: np.ndarray,
    same_kind: np.ndarray,
    config: AlignConfig,
) -> np.ndarray:
    """Similarity of sentence pairs from the content keys and skeleton grams they share and
    the smaller side's counts of each (-1: the pair fails the overlap thresholds, or one is a
    quotation and the other is not)."""
    content = np.divide(
        keys_shared, fewer_keys, out=np.zeros(keys_shared.shape), where=fewer_keys > 0
    )
    shape = np.divide(
        grams_shared, fewer_grams, out=np.zeros(grams_shared.shape), where=fewer_grams > 0
    )
    passes = (
        (keys_shared >= config.min_shared_keys)
        & same_kind
        & (content >= config.min_content_overlap)
        & ((content >= config.strong_content_overlap) | (shape >= config.min_skeleton_overlap))
    )
    return np.where(passes, (content + shape) / 2, -1.0)


def _pair_similarity(a: Profile, b: Profile, i: int, j: int, config: AlignConfig) -> float:
    """The similarity of sentence ``i`` of ``a`` and ``j`` of ``b`` (-1: they do not align),
    as :func:`match_sentences` scores its candidates."""
    keys = len(np.intersect1d(a.content.features(i), b.content.features(j)))
    grams = len(np.intersect1d(a.grams.features(i), b.grams.features(j)))
    return float(
        _similarities(
            np.array(keys),
            np.array(min(a.content.sizes[i], b.content.sizes[j])),
            np.array(grams),
            np.array(min(a.grams.sizes[i], b.grams.sizes[j])),
            np.array(a.quote[i] == b.quote[j]),
            config,
        )
    )


def _parts_of(whole: np.ndarray, first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two sentences are two parts of ``whole`` (content keys each): what each shares
    with it is mostly its own. Near-identical template lines share the same words of it."""
    one, other = np.intersect1d(first, whole), np.intersect1d(second, whole)
    common = len(np.intersect1d(one, other))
    return common * 2 <= min(len(one), len(other))


def join_split_sentences(
    a: Profile, b: Profile, pairs: list[SentencePair], config: AlignConfig = AlignConfig()
) -> list[SentencePair]:
    """Pair two neighbouring sentences of one text with the one sentence of the other that
    holds them both (a rewriter joined them: "..., he said; the company..."), in either text;
    ``pairs`` as :func:`match_sentences` gives them, in ``a``'s order.

    :func:`match_sentences` aligns a sentence with one sentence: a joined sentence of ``a``
    takes one of its two parts in ``b`` and leaves the other unaligned, and both parts in
    ``a`` of a sentence joined in ``b`` align with it, one of them explaining nothing. Joined
    here, the pair covers both parts, continues its run and diffs as one sentence. Two
    sentences are joined only if each aligns with the whole one on its own, neither is a
    quotation, and they are different parts of it (:func:`_parts_of`).
    """
    taken_b = {pair.b for pair in pairs}
    narrative = ~(a.quote.astype(bool))

    def keys(side: Profile, sentence: int) -> np.ndarray:
        return side.content.features(sentence)

    def with_other_part(pair: SentencePair) -> SentencePair:
        """``pair`` with the neighbour of its ``b`` sentence that is the rest of its ``a``."""
        for other in (pair.b + 1, pair.b - 1):
            if not (0 <= other < len(b.sentences)) or other in taken_b:
                continue
            if not b.alignable[other] or b.quote[other]:
                continue
            similarity = _pair_similarity(a, b, pair.a, other, config)
            if similarity >= 0 and _parts_of(keys(a, pair.a), keys(b, pair.b), keys(b, other)):
                taken_b.add(other)
                return SentencePair(
                    pair.a, min(pair.b, other), (pair.similarity + similarity) / 2, b_span=2
                )
        return pair

    joined: list[SentencePair] = []
    position = 0
    while position < len(pairs):
        pair = pairs[position]
        after = pairs[position + 1] if position + 1 < len(pairs) else None
        if (
            after is not None
            and after.a == pair.a + 1
            and after.b == pair.b
            and narrative[pair.a]
            and narrative[after.a]
            and _parts_of(keys(b, pair.b), keys(a, pair.a), keys(a, after.a))
        ):
            joined.append(
                SentencePair(pair.a, pair.b, (pair.similarity + after.similarity) / 2, a_span=2)
            )
            position += 2
            continue
        joined.append(with_other_part(pair) if narrative[pair.a] else pair)
        position += 1
    return joined


def _top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the ``k`` highest scores, highest first, the first column on a
    tie: a stable sort's first ``k``, found in time linear in the row's length."""
    columns = scores.shape[1]
    if columns <= k:
        return np.argsort(-scores, axis=1, kind="stable")
    # a key unique in its row: the score, then the earlier column
    key = scores * columns + np.arange(columns - 1, -1, -1)
    top = np.argpartition(-key, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(key, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of text aligned between two documents, as word and character ranges in each."""

    a_words: tuple[int, int]
    b_words: tuple[int, int]
    a_chars: tuple[int, int]
    b_chars: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two texts line up: aligned passages, the words swapped inside them, coverages.

    :func:`align_profiles` fills in what a verdict needs (coverages, runs, order); the
    evidence (``passages`` and the word diff) comes from :func:`with_evidence`, only for the
    pairs kept.
    """

    passages: tuple[Passage, ...]
    substitutions: tuple[tuple[str, str], ...]
    a_coverage: float
    b_coverage: float
    aligned_words: int
    swapped_words: int
    longest_run: int = 0
    """Most sentences aligned one after another in both texts (an excerpt's length)."""
    run_words: int = 0
    """Countable words of the copy side in that longest run."""
    quoted_run: int = 0
    """Most sentences aligned one after another that are quotations, or narrative sentences
    copied word for word or spun, with at least one of each (a quote-heavy excerpt's length)."""
    quoted_run_words: int = 0
    """Countable words of the narrative copied in that run."""
    specific_aligned: int = 0
    """Aligned sentences outside quotations, alike enough to count towards coverage, that hold
    a name or a number on either side: what pages sharing only boilerplate lines lack."""
    reordered: bool = False
    """Aligned sentences appear in a different order in the two texts."""
    covered_words: int = 0
    """Countable words aligned, on the side with fewer."""
    quotes_aligned: int = 0
    """Quotation sentences aligned (they explain nothing unless there are many)."""
    whole_coverage: float = 0.0
    """Share of all words, quotations included, aligned on the better-covered side."""
    least_whole_coverage: float = 0.0
    """The same on the less-covered side."""
    in_order: float = 0.0
    """Share of aligned sentences that follow a neighbour in both texts (copies keep runs,
    even reworked ones within a paragraph; texts written from one template line up at random)."""
    copied_sentences: int = 0
    """Aligned narrative sentences (each explaining its own sentence of the other text, with
    enough content keys to carry an excerpt) copied word for word or spun
    (:func:`copied_or_spun`). Counted by :func:`with_copied_sentences`, only for a pair whose
    verdict hangs on it: it costs a word diff per sentence."""
    copied_words: int = 0
    """Countable words of those sentences."""
    copied_specific: int = 0
    """Those of them that hold a name or a number on either side."""
    pairs: tuple[SentencePair, ...] = ()
    """The aligned sentences, in the order of the first text."""

    @property
    def spin_rate(self) -> float:
        """Share of aligned words that were swapped for other words."""
        return self.swapped_words / self.aligned_words if self.aligned_words else 0.0


def _passages(a: Profile, b: Profile, pairs: list[SentencePair]) -> list[Passage]:
    """Merge aligned sentences that follow each other in both texts into passages."""
    result: list[Passage] = []
    run: list[SentencePair] = []
    a_tokens, b_tokens = a.tokens, b.tokens

    def close() -> None:
        if not run:
            return
        a0, a1 = a.sentences[run[0].a].start, a.sentences[run[-1].a_last].end
        b0, b1 = b.sentences[run[0].b].start, b.sentences[run[-1].b_last].end
        result.append(
            Passage(
                a_words=(a0, a1),
                b_words=(b0, b1),
                a_chars=(int(a_tokens.starts[a0]), int(a_tokens.ends[a1 - 1])),
                b_chars=(int(b_tokens.starts[b0]), int(b_tokens.ends[b1 - 1])),
            )
        )

    for pair in sorted(pairs, key=lambda p: p.a):
        if run and pair.a == run[-1].a_last + 1 and pair.b == run[-1].b_last + 1:
            run.append(pair)
            continue
        close()
        run = [pair]
    close()
    return result


LOCKSTEP = frozenset({(1, 1), (2, 2)})
"""Steps between aligned sentences that keep two texts in step: the next sentence of both, or
one sentence left out on both sides (too short to align, or mangled)."""
RUN_STEPS = LOCKSTEP | {(1, 2), (2, 1)}
"""Steps that keep an excerpt's run: also one sentence left out on one side, or two sentences
of one text that are one in the other (a paragraph break without a full stop, lost when the
copy joined the paragraphs)."""


def _chains(
    ordered: Sequence[SentencePair], steps: frozenset[tuple[int, int]]
) -> list[list[SentencePair]]:
    """Cut aligned sentences, in the first text's order, into chains whose every step from
    one pair to the next (in the first text, in the second) is one of ``steps``."""
    chains: list[list[SentencePair]] = []
    for pair in ordered:
        if chains:
            last = chains[-1][-1]
            if (pair.a - last.a_last, pair.b - last.b_last) in steps:
                chains[-1].append(pair)
                continue
        chains.append([pair])
    return chains


MAX_NEIGHBOUR_LINKS = 2
"""Most unaligned neighbours a run takes in at each end (:func:`_with_copied_neighbours`)."""


def _with_copied_neighbours(
    a: Profile, b: Profile, chains: list[list[SentencePair]], aligned: list[SentencePair]
) -> list[list[SentencePair]]:
    """Extend each chain at both ends by the sentences next to it in both texts that are
    aligned with nothing and yet copied word for word or spun.

    They share too few content words to align on their own: a short one ("This is more than
    a theory."), or one whose content words the spinner swapped all but two of ("And he
    repeated the feat" → "And he perennial the exploit"). Next to a copied run, in both texts,
    they are part of what was copied, and count as its aligned sentences do: a short one links
    the run and adds no words; a longer one adds its words, and, being less alike than a run's
    mean asks, is one of the sentences that must each be copied (it is).
    """
    taken_a = {i for pair in aligned for i in pair.a_range}
    taken_b = {j for pair in aligned for j in pair.b_range}

    def link(i: int, j: int) -> SentencePair | None:
        if not (0 <= i < len(a.sentences) and 0 <= j < len(b.sentences)):
            return None
        if i in taken_a or j in taken_b or a.sentences[i].quote or b.sentences[j].quote:
            return None
        pair = SentencePair(i, j, 0.0)
        return pair if _sentence_copied(a, b, pair) else None

    extended = []
    for chain in chains:
        before: list[SentencePair] = []
        after: list[SentencePair] = []
        for _ in range(MAX_NEIGHBOUR_LINKS):
            first = before[0] if before else chain[0]
            found = link(first.a - 1, first.b - 1)
            if found is None:
                break
            before.insert(0, found)
        for _ in range(MAX_NEIGHBOUR_LINKS):
            last = after[-1] if after else chain[-1]
            found = link(last.a_last + 1, last.b_last + 1)
            if found is None:
                break
            after.append(found)
        extended.append([*before, *chain, *after])
    return extended


def _longest_run(
    a: Profile, b: Profile, chains: list[list[SentencePair]], config: AlignConfig
) -> tuple[int, int]:
    """Return the longest chain of consecutive aligned sentences and its countable words.

    Aligned quotations, and sentences with fewer than ``config.min_run_keys`` content keys
    (``min_named_run_keys`` if they name something), count as links of the chain (an excerpt
    keeps its quotes) but add no words; a chain needs two other sentences to count at all, so
    reports sharing a quote and its "he said" make no chain, and neither do pages sharing a
    few generic lines.
    """
    min_similarity = config.min_run_similarity
    best = (0, 0)
    copied: dict[SentencePair, bool] = {}

    def is_copied(pair: SentencePair) -> bool:
        if pair not in copied:
            copied[pair] = _sentence_copied(a, b, pair)
        return copied[pair]

    for chain in chains:
        words = unquoted = 0
        similar = 0.0
        weak: list[SentencePair] = []  # counted sentences less alike than an excerpt's mean
        length = 0
        for pair in chain:
            length += pair.sentences
            keys = _span_keys(a, pair.a_range)
            if not a.sentences[pair.a].quote and (
                keys >= config.min_run_keys
                or (keys >= config.min_named_run_keys and _span_names(a, pair.a_range))
            ):
                words += _span_words(a, pair.a_range)
                unquoted += pair.sentences
                similar += pair.similarity * pair.sentences
                if pair.similarity < min_similarity:
                    weak.append(pair)
            if unquoted < 2 or (length, words) <= best:
                continue
            # An excerpt is taken word for word or spun, not rewritten: edited sentences (an
            # outlet reusing its own background paragraphs, rephrased) make no excerpt. A
            # sentence spun at a third of its words is less alike than the mean asks, but
            # still copied one word for one (the word diff only when the mean falls short).
            if similar / unquoted >= min_similarity or all(map(is_copied, weak)):
                best = (length, words)
    return best


MAX_SWAP_WORDS = 4
"""Longest run of words a spinner swaps at once, on either side: a word for a phrase ("proof"
→ "test copy"), or two neighbouring words each for a word or a phrase ("murder sentences" →
"garble judgment of conviction"), which a spinner swapping half the words often does (3
before method 9)."""


MAX_PHRASE_EXTRA_WORDS = 2
"""Most words a synonym phrase adds beside a word it keeps ("late" → "of late", "sales" →
"gross sales"): a diff sees them added, not swapped."""


def swapped_spans(
    a_words: Sequence[str], b_words: Sequence[str], longest: int
) -> list[tuple[int, int]] | None:
    """Return the spans of words swapped one for one between two sentences, the spinner's
    usual work, or None if that is not how they differ: they have the same length, at least
    half their words are the same in the same places, and no run of swapped words is longer
    than ``longest``. Seen without a diff (a diff of such sentences finds the same spans)."""
    if len(a_words) != len(b_words):
        return None
    spans: list[tuple[int, int]] = []
    swapped = 0
    position = 0
    for differs, run in groupby(x != y for x, y in zip(a_words, b_words, strict=True)):
        size = sum(1 for _ in run)
        if differs:
            if size > longest:
                return None
            spans.append((position, position + size))
            swapped += size
        position += size
    return spans if swapped * 2 <= len(a_words) else None


def copied_or_spun(
    a_words: Sequence[str],
    b_words: Sequence[str],
    a_fixed: Sequence[bool] = (),
    b_fixed: Sequence[bool] = (),
) -> bool:
    """Whether one sentence is the other copied word for word or spun: words swapped one for
    one (or for a short phrase), none moved (a word the diff sees swapped that is elsewhere in
    the other sentence was moved; since method 9), and at least half left as they were. A reporter
    writing the same facts in their own words adds, drops and moves them. A synonym phrase that
    keeps its word ("late" → "of late") looks added to a diff: up to
    :data:`MAX_PHRASE_EXTRA_WORDS` such words at a place count, no more of them in all than
    words swapped, and none a name or a number (method 8).

    ``a_fixed``/``b_fixed`` mark the words that are names or numbers: a spinner leaves those
    alone, so a sentence that has other ones in their place ("on Thursday" → "on Wednesday",
    "in Oakbrook" → "in Hartmouth") tells other facts in the same frame, not a spun copy. A
    name on one side only is no such sign: a context-blind spinner puts in capitalised
    synonyms ("more" → "Thomas More").
    """
    if a_words == b_words:
        return True

    def fixed(mask: Sequence[bool], start: int, end: int) -> bool:
        return any(mask[start:end])

    spans = swapped_spans(a_words, b_words, MAX_SWAP_WORDS)
    if spans is not None:
        return not any(
            fixed(a_fixed, k, k + 1) and fixed(b_fixed, k, k + 1)
            for start, end in spans
            for k in range(start, end)
        )
    a_counts, b_counts = Counter(a_words), Counter(b_words)

    def moved(i1: int, i2: int, j1: int, j2: int) -> bool:
        """Whether a word the diff sees swapped, added or dropped is in the other sentence as
        often as in its own: it was moved there, not swapped for a synonym."""
        return any(
            w not in STOPWORDS and b_counts[w] >= a_counts[w] for w in a_words[i1:i2]
        ) or any(w not in STOPWORDS and a_counts[w] >= b_counts[w] for w in b_words[j1:j2])

    kept = swapped = added = 0
    matcher = difflib.SequenceMatcher(None, a_words, b_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        size = max(i2 - i1, j2 - j1)
        if op == "equal":
            kept += size
        elif moved(i1, i2, j1, j2):
            return False
        elif (
            op == "replace"
            and size <= MAX_SWAP_WORDS
            and not (fixed(a_fixed, i1, i2) and fixed(b_fixed, j1, j2))
        ):
            swapped += size
        elif (
            op in ("insert", "delete")
            and size <= MAX_PHRASE_EXTRA_WORDS
            and not (fixed(a_fixed, i1, i2) or fixed(b_fixed, j1, j2))
        ):
            added += size
        else:
            return False
    return kept * 2 >= len(a_words) and added <= swapped


def _span_words(side: Profile, span: range) -> int:
    """Countable words of the sentences ``span`` of ``side``."""
    return sum(side.sentences[i].words for i in span)


def _span_keys(side: Profile, span: range) -> int:
    """Content keys of the sentences ``span`` of ``side``."""
    return int(side.content.sizes[span.start : span.stop].sum())


def _span_names(side: Profile, span: range) -> bool:
    """Whether one of the sentences ``span`` of ``side`` names something (outside quotes)."""
    return bool(side.specific[span.start : span.stop].any())


def _span_tokens(side: Profile, span: range) -> slice:
    """The tokens of the sentences ``span`` of ``side``."""
    return slice(side.sentences[span.start].start, side.sentences[span.stop - 1].end)


def _sentence_copied(a: Profile, b: Profile, pair: SentencePair) -> bool:
    """Whether aligned sentences ``pair`` are one copied word for word or spun from the other
    (:func:`copied_or_spun`; names and numbers only looked up when the words differ). Two
    sentences joined into one are compared as one: the joined one's words are theirs."""
    mine, theirs = _span_tokens(a, pair.a_range), _span_tokens(b, pair.b_range)
    a_words = a.tokens.words[mine]
    b_words = b.tokens.words[theirs]
    if a_words == b_words:
        return True
    return copied_or_spun(
        a_words,
        b_words,
        a.names_or_numbers[mine].tolist(),
        b.names_or_numbers[theirs].tolist(),
    )


def _narrative(side: Profile, span: range, min_keys: int) -> bool:
    """Whether sentences (one, or two joined in the other text) are the reporter's own text,
    long enough to prove copying: not a quotation (independent reports share those), with
    ``min_keys`` content keys (a short generic line is boilerplate that many pages hold)."""
    return not side.sentences[span.start].quote and _span_keys(side, span) >= min_keys


def unaligned_reporting(side: Profile, aligned: Iterable[int]) -> int:
    """Countable words of ``side``'s sentences that the other text has no sentence for and
    that name something, outside quotations: reporting of its own. What a copy adds to the
    text it took is mostly page chrome ("share this post with your thoughts"), which names
    nothing; what an original has that a cut-down copy lacks is its reporting."""
    taken = set(aligned)
    return sum(
        sentence.words
        for index, sentence in enumerate(side.sentences)
        if index not in taken and side.specific[index] and not sentence.quote
    )


def _names_something(a: Profile, b: Profile, pair: SentencePair) -> bool:
    """Whether either side of aligned sentences holds a name or a number outside quotations."""
    return _span_names(a, pair.a_range) or _span_names(b, pair.b_range)


def _quoted_excerpt(
    a: Profile, b: Profile, chains: list[list[SentencePair]], min_keys: int
) -> tuple[int, int]:
    """Return the longest run of quotations and copied narrative, and the narrative's
    countable words.

    An excerpt of a quote-heavy article is mostly quotations, which independent reports share
    too; what they do not share is the reporter's own sentences between the quotations, copied
    word for word or spun (:func:`copied_or_spun`). A run counts quotations and such sentences
    (with ``min_keys`` content keys); a narrative sentence written otherwise, or left out, ends
    it; a short generic line links it but does not count.
    """
    best = (0, 0)

    def narrative_left_out(previous: SentencePair, pair: SentencePair) -> bool:
        """Whether a narrative sentence of either text lies between two aligned ones."""
        return (
            pair.a - previous.a_last == 2 and _narrative(a, range(pair.a - 1, pair.a), min_keys)
        ) or (pair.b - previous.b_last == 2 and _narrative(b, range(pair.b - 1, pair.b), min_keys))

    for chain in chains:
        if not any(a.sentences[pair.a].quote for pair in chain):
            continue  # no quotation: the narrative is for the other excerpt rule to weigh
        length = words = quotes = 0
        for position, pair in enumerate(chain):
            if position > 0 and narrative_left_out(chain[position - 1], pair):
                length = words = quotes = 0  # a narrative sentence left out was not copied
            sentence = a.sentences[pair.a]
            if sentence.quote:
                length += 1
                quotes += 1
            elif _narrative(a, pair.a_range, min_keys):
                if not _sentence_copied(a, b, pair):
                    length = words = quotes = 0
                    continue
                length += pair.sentences
                words += _span_words(a, pair.a_range)
            if quotes and words:
                best = max(best, (length, words))
    return best


MAX_DIFF_SWAP_WORDS = 4
"""Longest run of words the evidence shows as one substitution (longer runs are rewriting)."""


def _diff(
    a: Profile, b: Profile, pairs: list[SentencePair]
) -> tuple[int, int, list[tuple[str, str]]]:
    """Word-diff aligned sentences: (aligned content words, swapped ones, substitutions a → b).

    Only content words count: the spin rate is the share of them a spinner replaced.
    """
    a_words, b_words = a.tokens.words, b.tokens.words
    aligned = swapped = 0
    substitutions: list[tuple[str, str]] = []
    for pair in pairs:
        wa = a_words[_span_tokens(a, pair.a_range)]
        wb = b_words[_span_tokens(b, pair.b_range)]
        if wa == wb:  # copied word for word, the common case: nothing to diff
            aligned += sum(w not in STOPWORDS for w in wa)
            continue
        spans = swapped_spans(wa, wb, MAX_DIFF_SWAP_WORDS)
        if spans is not None:  # spun one for one, the next commonest: no diff either
            aligned += sum(w not in STOPWORDS for w in wa)
            for start, end in spans:
                swapped += sum(w not in STOPWORDS for w in wa[start:end])
                substitutions.append((" ".join(wa[start:end]), " ".join(wb[start:end])))
            continue
        matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            content = sum(w not in STOPWORDS for w in wa[i1:i2])
            if op == "equal":
                aligned += content
            elif op == "replace" and max(i2 - i1, j2 - j1) <= MAX_DIFF_SWAP_WORDS:
                aligned += content
                swapped += content
                substitutions.append((" ".join(wa[i1:i2]), " ".join(wb[j1:j2])))
    return aligned, swapped, substitutions


def _explaining(pairs: Iterable[SentencePair], min_similarity: float) -> list[SentencePair]:
    """The aligned sentences alike enough to count towards coverage, one per sentence of b.

    A sentence of b explains one sentence of a: of several a-sentences that align with it
    (near-identical template lines, "share this post and let us know what you think"), the
    most alike counts.
    """
    explained: dict[int, SentencePair] = {}
    for pair in pairs:
        if pair.similarity >= min_similarity and (
            pair.b not in explained or pair.similarity > explained[pair.b].similarity
        ):
            explained[pair.b] = pair
    return list(explained.values())


def align_profiles(a: Profile, b: Profile, config: AlignConfig = AlignConfig()) -> Alignment:
    """Align two profiled texts; coverages count only words outside quotations, in sentence
    pairs alike enough to be copied (see :class:`AlignConfig`)."""
    pairs = join_split_sentences(a, b, match_sentences(a, b, config), config)
    covering = _explaining(pairs, config.min_covering_similarity)
    # each sentence once, however many pairs it is in: a pair holding two joined sentences of
    # b starts at the first, and a line of b's template aligned with the second is kept too
    explained_a = {i for p in covering for i in p.a_range}
    explained_b = {j for p in covering for j in p.b_range}
    covered_a = sum(a.sentences[i].words for i in explained_a)
    covered_b = sum(b.sentences[j].words for j in explained_b)
    specific_aligned = sum(
        1 for p in covering if not a.sentences[p.a].quote and _names_something(a, b, p)
    )
    ordered = sorted(pairs, key=lambda p: p.a)
    runs = _chains(ordered, RUN_STEPS)
    longest, run_words = _longest_run(a, b, _with_copied_neighbours(a, b, runs, pairs), config)
    quoted_run, quoted_run_words = _quoted_excerpt(a, b, runs, config.min_run_keys)
    whole_a = sum(a.sentences[i].end - a.sentences[i].start for i in explained_a)
    whole_b = sum(b.sentences[j].end - b.sentences[j].start for j in explained_b)
    wholes = (whole_a / a.token_count if a.token_count else 0.0,
              whole_b / b.token_count if b.token_count else 0.0)  # fmt: skip
    reordered = any(x.b > y.b for x, y in pairwise(ordered))
    linked = sum(len(chain) for chain in _chains(ordered, LOCKSTEP) if len(chain) > 1)
    in_order = linked / len(pairs) if pairs else 0.0
    return Alignment(
        passages=(),
        substitutions=(),
        a_coverage=min(1.0, covered_a / a.words) if a.words else 0.0,
        b_coverage=min(1.0, covered_b / b.words) if b.words else 0.0,
        aligned_words=0,
        swapped_words=0,
        longest_run=longest,
        run_words=run_words,
        quoted_run=quoted_run,
        quoted_run_words=quoted_run_words,
        specific_aligned=specific_aligned,
        reordered=reordered,
        covered_words=min(covered_a, covered_b),
        quotes_aligned=sum(a.sentences[p.a].quote for p in pairs),
        whole_coverage=max(wholes),
        least_whole_coverage=min(wholes),
        in_order=in_order,
        pairs=tuple(ordered),
    )


def with_evidence(a: Profile, b: Profile, alignment: Alignment) -> Alignment:
    """Return ``alignment`` with its passages and word diff (for the pairs kept: it costs)."""
    aligned, swapped, substitutions = _diff(a, b, list(alignment.pairs))
    return replace(
        alignment,
        passages=tuple(_passages(a, b, list(alignment.pairs))),
        substitutions=tuple(substitutions),
        aligned_words=aligned,
        swapped_words=swapped,
    )


def with_copied_sentences(
    a: Profile, b: Profile, alignment: Alignment, config: AlignConfig = AlignConfig()
) -> Alignment:
    """Return ``alignment`` with its narrative sentences copied word for word or spun counted
    (:attr:`Alignment.copied_sentences`): what proves a copy whose sentences kept no order."""
    copied = words = specific = 0
    for pair in _explaining(alignment.pairs, config.min_covering_similarity):
        # (aligned sentences are quotations on both sides or on neither: match_sentences)
        if _narrative(a, pair.a_range, config.min_run_keys) and _sentence_copied(a, b, pair):
            copied += pair.sentences
            words += _span_words(a, pair.a_range)
            specific += _names_something(a, b, pair)
    return replace(alignment, copied_sentences=copied, copied_words=words, copied_specific=specific)


def align(a: Tokens | str, b: Tokens | str, config: AlignConfig = AlignConfig()) -> Alignment:
    """Align two texts (strings) completely, with the word diff; a convenience for callers."""
    pa = profile(a if isinstance(a, str) else " ".join(a.words))
    pb = profile(b if isinstance(b, str) else " ".join(b.words))
    return with_evidence(pa, pb, align_profiles(pa, pb, config))
