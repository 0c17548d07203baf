"""Fingerprints: normalisation, tokens, shingles, signatures."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylens.fingerprint import (
    content_hash,
    fingerprints,
    jaccard_estimate,
    normalize,
    shingle_hashes,
    signature,
    signatures,
    tokens,
)


def test_normalize_folds_quotes_dashes_case_space_and_nfkc():
    assert normalize("  Iraq’s “factor”\u00a0— ＡＢＣ\n\tDone ") == "iraq's \"factor\" - abc done"
    assert normalize("‘a’ – b") == normalize("'A' - B")
    assert normalize("") == ""
    assert normalize("e\u0301") == "\u00e9"  # NFKC composes


def test_content_hash_equal_for_cosmetic_variants_only():
    a = 'The US said "no" - twice.\n\nEnd.'
    b = "THE  US SAID “NO” — TWICE.\nEnd.  "
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a.replace("twice", "thrice"))
    assert content_hash(a) != content_hash(a.replace(".", ""))  # punctuation counts
    h = content_hash("")
    assert len(h) == 32 and int(h, 16) >= 0


def test_tokens_match_abbreviations_and_apostrophes():
    assert tokens("U.S. forces") == tokens("US forces") == ["us", "forces"]
    assert tokens("Iraq’s coalition") == tokens("Iraq's coalition") == ["iraqs", "coalition"]
    assert tokens("U.S.-led, al-Sudani; 3.5%") == ["us", "led", "al", "sudani", "35"]
    assert tokens("") == [] and tokens(" ... -- ") == []
    assert tokens("Café Zürich") == ["café", "zürich"]


def test_shingle_count_follows_tokens():
    for text, want in [("", 0), ("one", 1), ("one two", 1), ("one two three", 1),
                       ("one two three four five", 3)]:
        assert len(shingle_hashes(text)) == want
    t = "Rasool said the U.S.-led coalition has become a factor for instability."
    assert len(shingle_hashes(t)) == len(tokens(t)) - 2


_alphabet = st.sampled_from(list("abcXYZ019 .'’“”\"-—,\n\t\u00a0éÉßＡ_") + ["U.S.", " it's "])


@settings(max_examples=150, deadline=None)
@given(st.lists(_alphabet, max_size=60).map("".join))
def test_numba_tokenizer_agrees_with_tokens(text):
    # the shingles the kernel hashes are those of tokens(text), whatever the punctuation
    assert np.array_equal(shingle_hashes(text), shingle_hashes(" ".join(tokens(text))))
    # the batch digest is the hash of normalize(text)
    fp = fingerprints([text, normalize(text)])
    assert (fp.digest[0] == fp.digest[1]).all()
    assert f"{int(fp.digest[0, 0]):016x}{int(fp.digest[0, 1]):016x}" == content_hash(text)


def test_signature_batch_equals_single_and_is_deterministic():
    texts = ["the vehicle targeted was used by the popular mobilisation forces",
             "", "x", "Hamas said the strikes were a violation of sovereignty"]
    sigs, lengths = signatures(texts)
    assert sigs.shape == (4, 128) and sigs.dtype == np.uint16
    assert lengths.tolist() == [len(shingle_hashes(t)) for t in texts]
    for t, row in zip(texts, sigs):
        assert np.array_equal(signature(t), row)
    assert signatures(texts, num_perm=64)[0].shape == (4, 64)


def _random_text(rng: random.Random, n: int, vocab: list[str]) -> list[str]:
    return [rng.choice(vocab) for _ in range(n)]


def test_jaccard_estimate_tracks_true_jaccard():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)]
    errs = []
    for keep in (0.95, 0.8, 0.6, 0.3, 0.0):
        base = _random_text(rng, 400, vocab)
        other = [w if rng.random() < keep else rng.choice(vocab) for w in base]
        a, b = " ".join(base), " ".join(other)
        sa, sb = set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist())
        true = len(sa & sb) / len(sa | sb)
        sig = signatures([a, b])[0]
        errs.append(abs(jaccard_estimate(sig[0], sig[1]) - true))
    assert max(errs) < 0.13, errs
    assert np.mean(errs) < 0.06, errs


def test_samples_are_shared_between_texts_with_the_same_shingles():
    rng = random.Random(3)
    vocab = [f"v{i}" for i in range(2000)]
    story = _random_text(rng, 200, vocab)
    article = _random_text(rng, 250, vocab) + story + _random_text(rng, 250, vocab)
    fp = fingerprints([" ".join(story), " ".join(article)], sample_mod=8)
    s0 = set(fp.samples[fp.sample_offsets[0]:fp.sample_offsets[1]].tolist())
    s1 = set(fp.samples[fp.sample_offsets[1]:fp.sample_offsets[2]].tolist())
    assert 8 <= len(s0) <= 50  # ~1 in 8 of 198 shingles
    assert s0 <= s1


def test_bad_parameters_raise():
    with pytest.raises(ValueError):
        fingerprints(["a"], sample_mod=6)
    with pytest.raises(ValueError):
        signatures(["a"], num_perm=2)
    with pytest.raises(ValueError):
        jaccard_estimate(np.zeros(8, np.uint16), np.zeros(16, np.uint16))
