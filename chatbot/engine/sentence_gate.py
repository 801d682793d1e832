"""The learned sentence gate: is this sentence about the patient now?

redflags.episode_parts splits a message into the sentences about the patient now and the others
(a past episode, another person's story, a hypothesis) by the rules table's "episodes" patterns.
Every first-sight batch brought past and other-person stories those patterns kept as current
("When I was pregnant I had purple spots that didn't fade and a fever. All gone since."), and
their red-flag words then raised a false emergency. This gate reads each sentence the rules kept
as current and that tells a red-flag sign, with what is around it: the sentence's character
3-5-grams and word 1-2-grams, its red-flag features with their ConText polarity and modifiers
(historical, hypothetical, family, negated), the words of the sentences before and after it and
of the rest of the message ("All gone since", "That was years ago"), and where it stands. A
logistic regression gives P(current); below the language's threshold the sentence is moved to
the not-current side, where its signs count as uncertain at most (the screen questions still ask
about them).

The weights are chatbot/engine/sentence_gate.json, made by ``python -m
chatbot.engine.train_gate`` (deterministic). The threshold is chosen per language from
leave-one-batch-out scores, recall first: no development emergency that the engine catches
without the gate is lost with it. Scoring needs only the standard library.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import context, ngrams

WEIGHTS = Path(__file__).resolve().parent / "sentence_gate.json"
BLOCKS: tuple[str, ...] = ("c", "w", "x")


def sentence_tokens(norm: Sequence[str], i: int, features: Mapping[str, str], language: str) -> dict[str, Counter[str]]:
    """The gate's features of sentence i of a message (norm: its sentences, normalised)."""
    ws = ngrams.words(norm[i])
    grams = ngrams.word_grams(ws)
    grams[f"lang={language}"] += 1
    x: Counter[str] = Counter()
    for name, polarity in features.items():
        x[f"{name}={polarity}"] += 1
    for label, hits in context.analyse(norm[i], language).hits.items():
        if label.startswith("feature:"):
            for mods in hits:
                for m in sorted(mods) or ["none"]:
                    x[f"mod={m}"] += 1
    for j, s in enumerate(norm):
        if j == i:
            continue
        where = "prev" if j == i - 1 else "next" if j == i + 1 else "before" if j < i else "after"
        for w in sorted(set(ngrams.words(s))):  # sorted: the same float sums in every process
            x[f"{where}:{w}"] += 1
    x["pos=only" if len(norm) == 1 else "pos=first" if i == 0 else "pos=last" if i == len(norm) - 1 else "pos=mid"] += 1
    x[f"lang={language}"] += 1
    return {"c": ngrams.char_grams(ws), "w": grams, "x": x}


@dataclass(frozen=True)
class Gate:
    index: dict[str, dict[str, int]]
    idf: dict[str, list[float]]
    block_weight: dict[str, float]
    coef: dict[str, list[float]]
    intercept: float
    threshold: dict[str, float]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Gate:
        return cls(
            index={b: {tok: i for i, tok in enumerate(d["vocabulary"][b])} for b in BLOCKS},
            idf={b: d["idf"][b] for b in BLOCKS},
            block_weight=dict(d["block_weight"]),
            coef={b: d["coef"][b] for b in BLOCKS},
            intercept=float(d["intercept"]),
            threshold=dict(d["threshold"]),
        )

    def score(self, feats: Mapping[str, Counter[str]]) -> float:
        """P(the sentence is about the patient now)."""
        vec = ngrams.tfidf(feats, self.index, self.idf, self.block_weight)
        return ngrams.logistic(self.intercept + sum(self.coef[b][i] * v for b in BLOCKS for i, v in vec[b].items()))


@cache
def load(path: Path = WEIGHTS) -> Gate | None:
    """The shipped gate (None where the file is absent: the rules alone decide)."""
    if not path.exists():
        return None
    return Gate.from_dict(json.loads(path.read_text(encoding="utf-8")))


def not_current(norm: Sequence[str], candidates: Mapping[int, Mapping[str, str]], language: str) -> set[int]:
    """Which candidate sentences (index -> its red-flag features) the gate reads as not now."""
    gate = load()
    if gate is None or language not in gate.threshold:
        return set()
    cut = gate.threshold[language]
    return {i for i, f in candidates.items() if gate.score(sentence_tokens(norm, i, f, language)) < cut}
