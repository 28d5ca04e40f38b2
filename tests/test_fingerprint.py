"""Fingerprints: normalisation, exact hash, MinHash estimates, LSH parameters and buckets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipelines.fingerprint import (
    FingerprintConfig,
    MinHasher,
    band_buckets,
    estimate_jaccard,
    exact_hash,
    fingerprint_text,
    lsh_params,
    shingle_hashes,
    signature_from_bytes,
    signature_to_bytes,
    tokenize,
)

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
    signature = MinHasher(128).signature(shingle_hashes(tuple(VOCABULARY[:50]), 3))
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
    assert len(fingerprint.buckets) == config.bands_rows[0]
    assert fingerprint.word_count == 7
