"""Bloom filters over band-index buckets: which buckets a sealed part of the index may hold.

A filter answers "may this bucket be there?": never "no" for a bucket that is, "yes" for one
that is not at about the false-positive rate it was sized for. Configured in those terms (a
rate); the bit count (in steps of a fifth, so that filters of about as many buckets have one
size) and the number of hash functions are derived from it and the number of buckets.
Buckets are already 64-bit hashes; they are mixed once more (SplitMix64's finaliser) so that
the filter does not depend on how well their halves were spread. The mixed word picks a
512-bit block; each hash function's bit in it comes from nine bits of its own, cut from
further mixed words.

A :class:`FilterStack` checks one document's buckets against many filters at once, in one
vectorised gather: that is the band index's lookup of its sealed epochs (see
``pipelines.epochs``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt

__all__ = ["BucketFilter", "FilterStack", "blocked_false_positive_rate"]

_FORMAT = 2
"""Version of the serialised filter and of where its bits are: 2 since in-block positions are
independent (format 1 spread them by double hashing, an arithmetic progression in the block
that let through ~3 × the buckets the blocked design does; see :func:`_blocks_and_offsets`)."""
_HEADER = struct.Struct("<BBxxIQ")  # format, hash functions, pad, 512-bit blocks, buckets
_LOG2_BLOCK = 9
_BLOCK = 1 << _LOG2_BLOCK
_WORDS = _BLOCK // 64
_MAX_HASHES = 16
_MAX_BLOCKS = 1 << 32
_SLICES_PER_WORD = 64 // _LOG2_BLOCK
"""A bucket's bit offsets in its block are cut from further 64-bit words, seven a word."""
_SLICE_SHIFTS = np.arange(_SLICES_PER_WORD, dtype=np.uint64) * np.uint64(_LOG2_BLOCK)
_FURTHER_WORDS = np.array(
    [
        (0x9E3779B97F4A7C15 * w) % (1 << 64)
        for w in range(1, -(-_MAX_HASHES // _SLICES_PER_WORD) + 1)
    ],
    dtype=np.uint64,
)
"""What each further word adds to the mixed hash before mixing again: a multiple of
SplitMix64's increment (2^64 / the golden ratio), as SplitMix64 steps its state."""
_LOW_HALF = np.uint64(0xFFFFFFFF)
_OFFSET_MASK = np.uint64(_BLOCK - 1)
_ALL_EIGHT = np.uint64(0x0101010101010101)
"""Eight true bytes read as one little- or big-endian 64-bit word."""
_SPLITMIX = (np.uint64(30), np.uint64(0xBF58476D1CE4E5B9), np.uint64(27),
             np.uint64(0x94D049BB133111EB), np.uint64(31))  # fmt: skip


def _mixed(buckets: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser over the buckets (signed or not), as unsigned 64-bit words."""
    return _finalised(np.array(buckets, dtype=np.int64).view(np.uint64))


def _finalised(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser, in place over ``z`` (of any shape), which it returns.

    Arrays wrap around on overflow without a warning (only numpy's scalars warn), which is
    the arithmetic modulo 2^64 the finaliser means.
    """
    first_shift, first_factor, second_shift, second_factor, last_shift = _SPLITMIX
    z ^= z >> first_shift
    z *= first_factor
    z ^= z >> second_shift
    z *= second_factor
    z ^= z >> last_shift
    return z


def _blocks_and_offsets(
    buckets: npt.ArrayLike, hashes: int, blocks: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Each bucket's block, and its bits' offsets in it: one column per hash function.

    Blocked: all of a bucket's bits lie in one 512-bit block (a cache line), chosen by the
    mixed hash's low half. Checking a bucket against a filter then reads one cache line
    instead of one per hash function; the price is a higher false-positive rate for the same
    bits (blocks are not all equally full). In the block, each hash function takes nine bits
    of its own, cut from further words (the mixed hash plus a multiple of SplitMix64's
    increment, mixed again), seven a word. Double hashing (first + i × step) would need only
    17 bits, but its arithmetic progressions overlap each other's, and a bucket one step along
    from a held one finds all but one of its bits set.
    """
    z = _mixed(buckets)
    words = -(-hashes // _SLICES_PER_WORD)
    further = _finalised(z[:, None] + _FURTHER_WORDS[None, :words])
    slices = (further[:, :, None] >> _SLICE_SHIFTS) & _OFFSET_MASK
    offsets = slices.reshape(len(z), words * _SLICES_PER_WORD)[:, :hashes]  # none: (0, hashes)
    return (z & _LOW_HALF) % np.uint64(blocks), offsets


def _positions(buckets: npt.ArrayLike, hashes: int, blocks: int) -> npt.NDArray[np.intp]:
    """Bit positions in the whole filter, one row per bucket and one column per hash
    function (see :func:`_blocks_and_offsets`)."""
    block, offsets = _blocks_and_offsets(buckets, hashes, blocks)
    return ((block << np.uint64(_LOG2_BLOCK))[:, None] | offsets).astype(np.intp)


def _blocks_and_masks(
    buckets: npt.ArrayLike, hashes: int, blocks: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint64]]:
    """Each bucket's block number, and the bits it needs set there as eight 64-bit words."""
    block, offsets = _blocks_and_offsets(buckets, hashes, blocks)
    flags = np.zeros((len(offsets), _BLOCK), dtype=bool)
    flags[np.arange(len(offsets))[:, None], offsets.astype(np.intp)] = True
    masks = np.packbits(flags, axis=1, bitorder="little").view("<u8").astype(np.uint64)
    return block.astype(np.intp), masks


def _size_step(blocks: float) -> int:
    """``blocks`` rounded up to a size step: 2^(n/4) for some n (steps of ~19 %).

    Filters of sets of about one size get one size, so that they stack; and a filter is at
    most a fifth larger than it needs to be.
    """
    return max(1, math.ceil(2 ** (math.ceil(4 * math.log2(blocks) - 1e-9) / 4) - 1e-9))


def hashes_for(false_positive_rate: float) -> int:
    """Hash functions for a false-positive rate: log2(1/rate), the optimum at the bits sized
    for it. It depends on the rate alone, so every filter built for one rate has as many,
    and filters of one size stack (see :class:`FilterStack`)."""
    return min(_MAX_HASHES, max(1, round(math.log2(1 / false_positive_rate))))


def blocked_false_positive_rate(buckets_per_block: float, hashes: int) -> float:
    """The false-positive rate of a blocked filter whose blocks hold ``buckets_per_block``
    buckets on average, each setting ``hashes`` independent bits of its block.

    A bucket that is not held passes if its block has its bits set; a block's load is
    Poisson-distributed around the mean, and fuller blocks let more through.
    """
    if buckets_per_block <= 0:
        return 0.0
    unset = 1 - 1 / _BLOCK
    rate, load = 0.0, 0
    # terms past the mean plus 12 standard deviations add nothing a float holds
    while load <= buckets_per_block + 12 * math.sqrt(buckets_per_block) + 12:
        share = math.exp(
            load * math.log(buckets_per_block) - buckets_per_block - math.lgamma(load + 1)
        )
        rate += share * (1 - unset ** (hashes * load)) ** hashes
        load += 1
    return rate


@dataclass(frozen=True, slots=True, eq=False)
class BucketFilter:
    """A Bloom filter of a set of buckets, packed into bytes (bit i is bit i % 8 of byte i // 8)."""

    bits: npt.NDArray[np.uint8]
    hashes: int
    blocks: int
    """512-bit blocks."""
    buckets: int
    """How many buckets went in (with repeats), for the log and the false-positive estimate."""

    @classmethod
    def of(cls, buckets: Sequence[int] | npt.NDArray[np.int64], false_positive_rate: float) -> Self:
        """Build the filter of ``buckets``, sized for ``false_positive_rate``."""
        if not 0.0 < false_positive_rate < 1.0:
            raise ValueError(f"a false-positive rate is in (0, 1), not {false_positive_rate}")
        count = len(buckets)
        wanted = count * math.log(1 / false_positive_rate) / math.log(2) ** 2
        blocks = min(_MAX_BLOCKS, _size_step(max(1.0, wanted / _BLOCK)))
        hashes = hashes_for(false_positive_rate)
        # Blocks unevenly full let more through than the bits' count says: a step larger
        # until the blocked design keeps to the rate asked (at 0.1 % the first size does).
        while (
            blocks < _MAX_BLOCKS
            and blocked_false_positive_rate(count / blocks, hashes) > false_positive_rate
        ):
            blocks = min(_MAX_BLOCKS, _size_step(blocks + 1))
        flags = np.zeros(blocks * _BLOCK, dtype=bool)
        if count:
            flags[_positions(buckets, hashes, blocks).ravel()] = True
        return cls(np.packbits(flags, bitorder="little"), hashes, blocks, count)

    def __contains__(self, bucket: int) -> bool:
        positions = _positions([bucket], self.hashes, self.blocks)[0]
        return bool(np.all((self.bits[positions >> 3] >> (positions & 7)) & 1))

    @property
    def expected_false_positive_rate(self) -> float:
        """The rate a bucket that is not in the filter still passes: the blocked filter's,
        averaged over how many buckets a block holds (Poisson around their mean)."""
        return blocked_false_positive_rate(self.buckets / self.blocks, self.hashes)

    def words(self) -> npt.NDArray[np.uint64]:
        """The bits as (blocks, 8) little-endian 64-bit words: word w of a block holds its
        bits 64w to 64w + 63."""
        return self.bits.view("<u8").reshape(-1, _WORDS).astype(np.uint64, copy=False)

    def to_bytes(self) -> bytes:
        """Serialise the filter: a 12-byte header and the bit array."""
        header = _HEADER.pack(_FORMAT, self.hashes, self.blocks, self.buckets)
        return header + self.bits.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Read a filter written by :meth:`to_bytes`."""
        version, hashes, blocks, count = _HEADER.unpack_from(data)
        if version != _FORMAT:
            raise ValueError(f"bucket filter of format {version}, this code reads {_FORMAT}")
        bits = np.frombuffer(data, dtype=np.uint8, offset=_HEADER.size)
        if len(bits) != blocks * _BLOCK // 8:
            raise ValueError("bucket filter truncated or padded")
        return cls(bits, hashes, blocks, count)


class FilterStack:
    """Filters checked together: which of them may hold each of a document's buckets.

    Filters of one shape (bit count, hash functions) are kept block by block: block j of
    every filter side by side. A document's bucket is then checked against all of them in
    one contiguous read, instead of one cache miss a filter, so that checking a hundred
    sealed epochs costs little more than checking one. Filters built for one false-positive
    rate have one shape, or two (rows an epoch vary), so there are few groups. Filters added
    are laid out at the next check, all at once: adding a hundred one by one would copy the
    growing array a hundred times.
    """

    def __init__(self) -> None:
        self._groups: dict[tuple[int, int], tuple[list[int], npt.NDArray[np.uint64]]] = {}
        """(blocks, hashes) → the filters' keys, and their blocks as (blocks, filters, 8)."""
        self._pending: list[tuple[int, BucketFilter]] = []

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._groups.values()) + len(self._pending)

    def add(self, key: int, bucket_filter: BucketFilter) -> None:
        """Add ``bucket_filter`` under ``key`` (what :meth:`hits` reports it by)."""
        self._pending.append((key, bucket_filter))

    def _lay_out(self) -> None:
        by_shape: dict[tuple[int, int], list[tuple[int, BucketFilter]]] = {}
        for key, bucket_filter in self._pending:
            by_shape.setdefault((bucket_filter.blocks, bucket_filter.hashes), []).append(
                (key, bucket_filter)
            )
        self._pending = []
        for shape, added in by_shape.items():
            keys, blocks = self._groups.get(shape, ([], None))
            columns = [bucket_filter.words()[:, None, :] for _, bucket_filter in added]
            if blocks is not None:
                columns.insert(0, blocks)
            self._groups[shape] = ([*keys, *(key for key, _ in added)], np.concatenate(columns, 1))

    def hits(self, buckets: Sequence[int]) -> list[tuple[int, int]]:
        """The (key, bucket) pairs whose filter says the bucket may be there."""
        if self._pending:
            self._lay_out()
        if not buckets or not self._groups:
            return []
        found: list[tuple[int, int]] = []
        for (size, hashes), (keys, blocks) in self._groups.items():
            block, mask = _blocks_and_masks(buckets, hashes, size)
            wanted = mask[:, None, :]  # (buckets, 1, 8)
            held = np.equal(np.bitwise_and(blocks[block], wanted), wanted)  # (buckets, filters, 8)
            # all eight words hold the bits: eight true bytes, read as one word (np.all over a
            # short last axis took twice as long)
            present = held.view(np.uint64)[..., 0] == _ALL_EIGHT  # (buckets, filters)
            for row, column in zip(*np.nonzero(present), strict=True):
                found.append((keys[column], buckets[row]))
        return found

    def keys(self) -> Iterable[int]:
        """The keys of the filters held."""
        for keys, _ in self._groups.values():
            yield from keys
        for key, _ in self._pending:
            yield key
