"""Bag-of-n-grams features and their sparse TF-IDF, shared by the learned readers of free text
(emergency_net.py: is this message a current emergency; sentence_gate.py: is this sentence about
the patient now). Standard library only: the engine's scoring path needs no scikit-learn."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

CHAR_NGRAMS = (3, 5)
WORD_NGRAMS = (1, 2)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(normalised: str) -> list[str]:
    """The words of a folded, lower-cased text (nlu.normalise)."""
    return _WORD.findall(normalised)


def char_grams(ws: Iterable[str]) -> Counter[str]:
    """Character 3-5-grams of each word, padded with a space on both sides."""
    out: Counter[str] = Counter()
    lo, hi = CHAR_NGRAMS
    for w in ws:
        padded = f" {w} "
        for n in range(lo, hi + 1):
            for i in range(len(padded) - n + 1):
                out[padded[i : i + n]] += 1
    return out


def word_grams(ws: list[str]) -> Counter[str]:
    """Word 1-2-grams."""
    out: Counter[str] = Counter()
    for n in range(WORD_NGRAMS[0], WORD_NGRAMS[1] + 1):
        for i in range(len(ws) - n + 1):
            out[" ".join(ws[i : i + n])] += 1
    return out


def tfidf(
    feats: Mapping[str, Counter[str]],
    index: Mapping[str, Mapping[str, int]],
    idf: Mapping[str, list[float]],
    block_weight: Mapping[str, float],
) -> dict[str, dict[int, float]]:
    """Sparse TF-IDF per block (sublinear tf, L2-normalised, times the block weight)."""
    out: dict[str, dict[int, float]] = {}
    for b, vocab in index.items():
        v = {vocab[tok]: (1.0 + math.log(n)) * idf[b][vocab[tok]] for tok, n in feats[b].items() if tok in vocab}
        norm = math.sqrt(sum(x * x for x in v.values()))
        scale = block_weight[b] / norm if norm else 0.0
        out[b] = {i: x * scale for i, x in v.items()}
    return out


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
