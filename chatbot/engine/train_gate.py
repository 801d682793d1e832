"""Train the learned sentence gate (sentence_gate.py) and choose its threshold per language.

Run: python -m chatbot.engine.train_gate [--out PATH] [--check]

Data: the sentences that tell a red-flag sign (redflags.gate_candidates) in the committed
evaluation messages (MESSAGES) and in the turn of each committed emergency conversation that tells
the emergency. Labels:

- not current (0): the sign sentences of past, hypothetical and other-person messages;
- current (1): those of rashes, 7-point spots, plain mole checks and negated messages (told now,
  even when denied), and of emergencies. An emergency story may also tell an old episode ("I had
  cellulitis in 2019 ... now a red line is going up my arm"): multiple-instance learning keeps
  as current only its sign sentences that a first gate, trained without the batch, scores as
  current when another of them is (the others are left out of training).

Cross-validation leaves one whole batch out (the id prefix), which is what a new batch scored on
first sight is. The threshold is then chosen per language through the engine itself: every
development message is answered by core.Engine with the held-out gate at each candidate
threshold. Safe thresholds are those at which every emergency the engine catches without the gate
is still caught (recall first); the highest of them is kept, the one that removes the most false
alarms on past / negated / hypothetical / other-person messages (on the first batch held out from
the gate, 2026-12k, the highest safe thresholds removed two more false alarms than the lowest ones
with the same development count, and lost no emergency). Deterministic: fixed folds, liblinear.

Needs scikit-learn (requirements.txt); the engine's scoring path does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import redflags, screen, sentence_gate, train_net
from .sentence_gate import BLOCKS
from .train_net import DATA, SEED, Vectoriser

# The emergency net's training files plus 2026-12k (scored on first sight before the gate existed),
# 2026-12m (b31-b32, scored on first sight 2026-12-03), 2026-12o to 12s (b35-b44, scored on first
# sight 2026-12-04), each with the gate trained without it.
GATE_BATCHES = ("k", "m", "o", "p", "q", "r", "s")
MESSAGES = [*train_net.MESSAGES, *(DATA / f"chat_eval_2026-12{s}.jsonl" for s in GATE_BATCHES)]
CONVERSATIONS = [*train_net.CONVERSATIONS, *(DATA / f"chat_conversations_2026-12{s}.jsonl" for s in GATE_BATCHES)]
NOT_CURRENT = frozenset({"past", "hypothetical", "other_person"})
CURRENT = frozenset({"rash", "seven_point", "plain", "negated"})
FALSE_ALARM_KINDS = frozenset({"past", "negated", "hypothetical", "other_person"})
GRID_C = (1.0, 4.0)
GRID_CONTEXT_WEIGHT = (0.5, 1.0)
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 13))
LANGUAGES = ("en", "es")
DECIMALS = 4


@dataclass
class Sentence:
    key: tuple[str, tuple[str, ...], int]
    group: str
    lang: str
    message: str
    label: int
    feats: Any = None


@dataclass
class Message:
    id: str
    group: str
    lang: str
    text: str
    emergency: bool
    kind: str | None
    sentences: list[Sentence] = field(default_factory=list)


def _sentences(mid: str, group: str, lang: str, text: str, label: int) -> list[Sentence]:
    _, norm, _ = redflags.rule_parts(text, lang)
    cands = redflags.gate_candidates(norm, [True] * len(norm), lang)
    out = []
    for i, f in cands.items():
        s = Sentence((lang, tuple(norm), i), group, lang, mid, label)
        s.feats = sentence_gate.sentence_tokens(norm, i, f, lang)
        out.append(s)
    return out


def load() -> tuple[list[Message], list[Sentence]]:
    """The development messages (scored through the engine) and the training sentences."""
    messages: list[Message] = []
    extra: list[Sentence] = []
    for path in MESSAGES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            em = r.get("urgency") == "emergency"
            kind = r.get("kind") or ("negated" if "-neg-" in r["id"] else None)
            m = Message(r["id"], r["id"].split("-")[0], r.get("lang", "en"), r["text"], em, kind)
            label = 1 if em or kind in CURRENT else 0 if kind in NOT_CURRENT else None
            if label is not None:
                m.sentences = _sentences(m.id, m.group, m.lang, m.text, label)
            messages.append(m)
    for path in CONVERSATIONS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            c = json.loads(line)
            turn = c.get("emergency_turn") if c.get("urgency") == "emergency" else None
            if turn is None or screen.is_tap(c["turns"][turn - 1]):
                continue
            lang = c.get("lang", "en")
            extra += _sentences(f"{c['id']}-t{turn}", c["id"].split("-")[0], lang, c["turns"][turn - 1], 1)
    return messages, extra


def fit(rows: Sequence[Sentence], c: float, w: float) -> tuple[Vectoriser, Any]:
    from sklearn.linear_model import LogisticRegression

    vec = Vectoriser(rows, w)
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=2000)
    clf.fit(vec.transform(rows), np.array([s.label for s in rows]))
    return vec, clf


def out_of_fold(rows: Sequence[Sentence], c: float, w: float) -> dict[tuple, float]:
    out: dict[tuple, float] = {}
    for group in sorted({s.group for s in rows}):
        train = [s for s in rows if s.group != group]
        test = [s for s in rows if s.group == group]
        vec, clf = fit(train, c, w)
        for s, p in zip(test, clf.predict_proba(vec.transform(test))[:, 1], strict=True):
            out[s.key] = float(p)
    return out


def _auc(rows: Sequence[Sentence], oof: dict[tuple, float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([s.label for s in rows], [oof[s.key] for s in rows]))


def multiple_instance(messages: Sequence[Message], oof: dict[tuple, float]) -> int:
    """Drop an emergency's sign sentences scored not current when another of them is current."""
    dropped = 0
    for m in messages:
        if not m.emergency or len(m.sentences) < 2:
            continue
        if max(oof[s.key] for s in m.sentences) >= 0.5:
            keep = [s for s in m.sentences if oof[s.key] >= 0.5]
            dropped += len(m.sentences) - len(keep)
            m.sentences = keep
    return dropped


def engine_verdicts(messages: Sequence[Message], gate: Callable[..., set[int]] | None) -> dict[str, bool]:
    """Whether core.Engine answers each message as an emergency, with the given gate."""
    from chatbot.evaluate import TODAY, load_knowledge

    from .core import Engine

    original = sentence_gate.not_current
    sentence_gate.not_current = gate or (lambda norm, candidates, language: set())
    redflags._gated_parts.cache_clear()
    try:
        knowledge = load_knowledge()
        out = {}
        for m in messages:
            engine = Engine(knowledge, context={}, today=TODAY, language=m.lang)
            state = engine.new_state()
            engine.opening(state)
            out[m.id] = engine.reply(state, m.text).urgency == "emergency"
        return out
    finally:
        sentence_gate.not_current = original
        redflags._gated_parts.cache_clear()


def choose_thresholds(messages: Sequence[Message], oof: dict[tuple, float]) -> tuple[dict[str, float], dict]:
    """Per language, the highest threshold that loses no emergency the engine catches without it."""
    base = engine_verdicts(messages, None)
    report: dict[str, Any] = {}
    chosen: dict[str, float] = {}
    for lang in LANGUAGES:
        rows = [m for m in messages if m.lang == lang]
        em = [m for m in rows if m.emergency]
        fa = [m for m in rows if not m.emergency and m.kind in FALSE_ALARM_KINDS]
        others = [m for m in rows if not m.emergency]
        caught = {m.id for m in em if base[m.id]}
        lines = {
            "none": {
                "caught": len(caught),
                "emergencies": len(em),
                "false_alarms": sum(base[m.id] for m in fa),
                "not_current_n": len(fa),
                "all_non_emergency_alarms": sum(base[m.id] for m in others),
            }
        }
        print(f"== {lang}: without the gate: {lines['none']}")
        chosen[lang] = 0.0
        safe: list[tuple[float, int]] = []
        for t in THRESHOLDS:

            def gate(norm, candidates, language, t=t):
                # A sentence not in the held-out table (a part of a message) keeps the rules' reading.
                return {i for i in candidates if oof.get((language, tuple(norm), i), 1.0) < t}

            # Only messages with a sentence the gate could move can change.
            touched = [m for m in rows if any(oof.get(s.key, 1.0) < t for s in _all_candidates(m))]
            v = {**base, **engine_verdicts(touched, gate)}
            lost = sorted(m.id for m in em if m.id in caught and not v[m.id])
            lines[str(t)] = {
                "caught": sum(v[m.id] for m in em),
                "lost": lost,
                "false_alarms": sum(v[m.id] for m in fa),
                "all_non_emergency_alarms": sum(v[m.id] for m in others),
            }
            print(f"  t={t:.2f}: {lines[str(t)]}")
            if lost:
                break
            safe.append((t, lines[str(t)]["false_alarms"]))
        # The highest safe threshold: recall first, then the fewest false alarms.
        if safe:
            chosen[lang] = safe[-1][0]
        report[lang] = lines
    return chosen, report


def _all_candidates(m: Message) -> list[Sentence]:
    """The message's sign sentences the rules keep as current (what the gate reads in serving)."""
    _, norm, now = redflags.rule_parts(m.text, m.lang)
    return [
        Sentence((m.lang, tuple(norm), i), m.group, m.lang, m.id, -1)
        for i in redflags.gate_candidates(norm, now, m.lang)
    ]


def _round(values: Any, digits: int = 4) -> list[float]:
    return [float(f"{v:.{digits}g}") for v in values]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=sentence_gate.WEIGHTS)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing")
    args = parser.parse_args(argv)

    messages, extra = load()
    rows = [s for m in messages for s in m.sentences] + extra
    print(f"{len(rows)} sign sentences ({sum(s.label == 0 for s in rows)} not current) from {len(messages)} messages")
    best = None
    for c in GRID_C:
        for w in GRID_CONTEXT_WEIGHT:
            auc = _auc(rows, out_of_fold(rows, c, w))
            print(f"C={c:g} context weight={w:g}: held-out-batch AUC {auc:.4f}")
            if best is None or auc > best[0]:
                best = (auc, c, w)
    assert best is not None
    _, c, w = best
    oof = out_of_fold(rows, c, w)
    dropped = multiple_instance(messages, oof)
    rows = [s for m in messages for s in m.sentences] + extra
    oof = out_of_fold(rows, c, w)
    print(f"chosen C={c:g}, context weight={w:g}; multiple-instance dropped {dropped}; AUC {_auc(rows, oof):.4f}")
    thresholds, report = choose_thresholds(messages, oof)
    print(f"thresholds: {thresholds}")

    vec, clf = fit(rows, c, w)
    coef = clf.coef_[0]
    split = {b: slice(vec.offset[b], vec.offset[b] + len(vec.vocab[b])) for b in BLOCKS}
    weights = {
        "format": 1,
        "note": "Made by python -m chatbot.engine.train_gate; do not edit by hand.",
        "vocabulary": vec.vocab,
        "idf": {b: _round(vec.idf[b]) for b in BLOCKS},
        "block_weight": vec.block_weight,
        # Rounded to absolute decimals: liblinear's last bits differ between runs (about 1e-7),
        # which relative rounding of a tiny weight can turn into a different file.
        "coef": {b: [round(float(v), DECIMALS) for v in coef[split[b]]] for b in BLOCKS},
        "intercept": round(float(clf.intercept_[0]), DECIMALS),
        "threshold": thresholds,
        "training": {
            "data": [p.name for p in (*MESSAGES, *CONVERSATIONS)],
            "sentences": len(rows),
            "options": {"C": c, "context_weight": w, "seed": SEED},
            "cv": report,
        },
    }
    text = json.dumps(weights, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out.name}: {'unchanged' if same else 'DIFFERS from a fresh training run'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
