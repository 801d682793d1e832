"""Train the learned emergency net (emergency_net.py) and choose its bands by grouped CV.

Run: python -m chatbot.engine.train_net [--out PATH] [--check]

Data: the committed evaluation messages (tests/data/chat_eval*.jsonl up to 2026-12d and the
2026-12e-dev rows, listed in MESSAGES; label: urgency is
"emergency", family: the first red-flag code) and the patient turns of the committed
conversations (turns before the emergency is told are non-emergencies; the turn that tells it
is an emergency when it says it in words, not by a tap). Cross-validation leaves one whole
batch out per fold (the id prefix: d, h, h2 ... b1 ... b18, d17), which is what a new batch scored
on first sight is. The options (C, the context block's weight) are the ones with the best
held-out recall at the false-alarm-bounded emergency band; then the bands are chosen per
language from the out-of-fold scores (see emergency_net's docstring) and the net is refitted
on everything. Deterministic: fixed folds, a fixed seed, solvers without randomness.

Needs scikit-learn (requirements.txt); the engine's scoring path does not.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import emergency_net, screen
from .emergency_net import BLOCKS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# The training set is named, not globbed: a batch committed after the net was trained must not
# slip into the next retraining unnoticed. Add a batch here only once its first-sight score is
# recorded (2026-12d, b13-b16: recorded in issue 15; 2026-12e-dev, d17: development rows written
# with the fixes for 12d's false alarms, never a first-sight batch; 2026-12f, b17-b18: scored on
# first sight 2026-12-02, docs/chatbot-evaluation.md; 2026-12g and 2026-12h, b19-b22: scored on
# first sight 2026-12-02, the same file; 2026-12i and 2026-12j, b23-b26: scored on first sight
# 2026-12-03).
# The shipped emergency_net.json was trained up to 2026-12i (63751cf): retrained with 12j too, the
# English band fell to 0.442 and sent the held-out story "it has been bleeding and grew in 3 weeks"
# to level 1, so that net was not kept (docs/chatbot-evaluation.md); --check reports DIFFERS.
MESSAGES = [
    DATA / f"chat_eval{s}.jsonl"
    for s in (
        "",
        "_2026-12",
        "_2026-12b",
        "_2026-12c",
        "_2026-12d",
        "_2026-12e-dev",
        "_2026-12f",
        "_2026-12g",
        "_2026-12h",
        "_2026-12i",
        "_2026-12j",
    )
]
CONVERSATIONS = [DATA / f"chat_conversations_2026-12{s}.jsonl" for s in ("", "b", "c", "d", "f", "g", "h", "i", "j")]
SEED = 15
MIN_DF = 3
# The family net keeps only its FAMILY_TOP heaviest weights per family (a small file).
FAMILY_TOP = 300
# The middle band may ask a screen question on at most this share of non-emergency messages.
SCREEN_COST = 0.10
# A conversation turn that tells the emergency in at least this many words is a positive; a
# shorter one ("yes the spots r still there") only means it after the question it answers.
MIN_POSITIVE_WORDS = 8
NOT_CURRENT = frozenset({"past", "negated", "hypothetical", "other_person"})
RECALL_TARGET = 0.97
FALSE_ALARM_TARGET = 0.03
# How far below the end of the held-out recall plateau the emergency band sits (choose_bands).
BAND_MARGIN = 0.1
GRID_C = (4.0, 16.0)
GRID_CONTEXT_WEIGHT = (0.0, 0.5, 1.0)
BLOCK_WEIGHT = {"c": 1.0, "w": 0.7}
LANGUAGES = ("en", "es")


@dataclass
class Example:
    id: str
    group: str
    lang: str
    text: str
    emergency: bool
    family: str | None
    kind: str | None
    # Whether the row is an evaluation message (scored) or a conversation turn (training only).
    message: bool
    # The file a row comes from: a stricter fold (one writer's whole session) than the batch.
    file: str = ""
    feats: dict[str, Counter[str]] | None = None
    rules_emergency: bool | None = None


def load_examples() -> list[Example]:
    """Messages and conversation turns of the committed evaluation files."""
    out: list[Example] = []
    for path in MESSAGES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            em = r.get("urgency") == "emergency"
            kind = r.get("kind") or ("negated" if "-neg-" in r["id"] else None)
            out.append(
                Example(
                    r["id"],
                    r["id"].split("-")[0],
                    r.get("lang", "en"),
                    r["text"],
                    em,
                    (r.get("red_flags") or [None])[0] if em else None,
                    kind,
                    True,
                    path.stem,
                )
            )
    for path in CONVERSATIONS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            c = json.loads(line)
            stated = c.get("emergency_turn") if c.get("urgency") == "emergency" else None
            for i, text in enumerate(c["turns"], start=1):
                if stated is not None and i > stated:
                    break
                if screen.is_tap(text):
                    continue  # the engine reads taps as answers; the net never scores them
                positive = stated == i
                if positive and len(text.split()) < MIN_POSITIVE_WORDS:
                    continue
                out.append(
                    Example(
                        f"{c['id']}-t{i}",
                        c["id"].split("-")[0],
                        c.get("lang", "en"),
                        text,
                        positive,
                        (c.get("red_flags") or [None])[0] if positive else None,
                        None,
                        False,
                        path.stem.replace("conversations", "eval"),
                    )
                )
    return out


def rules_verdicts(examples: Sequence[Example]) -> None:
    """Whether the rules alone (the engine without the net) report an emergency, per message."""
    from chatbot.evaluate import TODAY, load_knowledge

    from .core import Engine

    knowledge = load_knowledge()
    for ex in examples:
        if not ex.message:
            continue
        engine = Engine(knowledge, context={}, today=TODAY, language=ex.lang, learned_net=False)
        state = engine.new_state()
        engine.opening(state)
        ex.rules_emergency = engine.reply(state, ex.text).urgency == "emergency"


class Vectoriser:
    """Vocabulary and idf per block from the training rows (min_df, smooth idf)."""

    def __init__(self, rows: Sequence[Example], context_weight: float) -> None:
        self.block_weight = {**BLOCK_WEIGHT, "x": context_weight}
        n = len(rows)
        self.vocab: dict[str, list[str]] = {}
        self.idf: dict[str, np.ndarray] = {}
        for b in BLOCKS:
            df: Counter[str] = Counter()
            for ex in rows:
                df.update(ex.feats[b].keys())
            vocab = sorted(t for t, k in df.items() if k >= MIN_DF)
            self.vocab[b] = vocab
            self.idf[b] = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab])
        self.index = {b: {t: i for i, t in enumerate(self.vocab[b])} for b in BLOCKS}
        self.offset = {}
        pos = 0
        for b in BLOCKS:
            self.offset[b] = pos
            pos += len(self.vocab[b])
        self.width = pos

    def transform(self, rows: Sequence[Example]) -> Any:
        from scipy.sparse import csr_matrix

        data: list[float] = []
        cols: list[int] = []
        ptr = [0]
        for ex in rows:
            for b in BLOCKS:
                index, idf = self.index[b], self.idf[b]
                items = [(index[t], (1.0 + math.log(k)) * idf[index[t]]) for t, k in ex.feats[b].items() if t in index]
                norm = math.sqrt(sum(v * v for _, v in items))
                if not norm:
                    continue
                scale = self.block_weight[b] / norm
                for i, v in sorted(items):
                    cols.append(self.offset[b] + i)
                    data.append(v * scale)
            ptr.append(len(cols))
        return csr_matrix((data, cols, ptr), shape=(len(rows), self.width))


def fit(rows: Sequence[Example], c: float, context_weight: float) -> tuple[Vectoriser, Any, Any]:
    """Vectoriser, emergency classifier and family classifier fitted on rows."""
    from sklearn.linear_model import LogisticRegression

    vec = Vectoriser(rows, context_weight)
    x = vec.transform(rows)
    y = np.array([ex.emergency for ex in rows], dtype=int)
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=2000)
    clf.fit(x, y)
    em = [i for i, ex in enumerate(rows) if ex.emergency and ex.family]
    fam = LogisticRegression(C=c, class_weight="balanced", solver="lbfgs", random_state=SEED, max_iter=5000)
    fam.fit(x[em], [rows[i].family for i in em])
    # Only the heaviest weights of each family are kept (and used in the CV too).
    for row in fam.coef_:
        row[np.argsort(-np.abs(row))[FAMILY_TOP:]] = 0.0
    return vec, clf, fam


def out_of_fold(
    examples: Sequence[Example], c: float, context_weight: float, key: str = "group"
) -> dict[str, tuple[float, str]]:
    """Score and family of every message, from a net trained without its batch (or file)."""
    out: dict[str, tuple[float, str]] = {}
    for group in sorted({getattr(ex, key) for ex in examples}):
        train = [ex for ex in examples if getattr(ex, key) != group]
        test = [ex for ex in examples if getattr(ex, key) == group and ex.message]
        if not test:
            continue
        vec, clf, fam = fit(train, c, context_weight)
        x = vec.transform(test)
        scores = clf.predict_proba(x)[:, 1]
        families = fam.predict(x)
        for ex, s, f in zip(test, scores, families, strict=True):
            out[ex.id] = (float(s), str(f))
    return out


def _rate(num: int, den: int) -> float:
    return num / den if den else float("nan")


def measure(rows: Sequence[Example], oof: dict[str, tuple[float, str]], t: float, with_rules: bool) -> dict[str, Any]:
    """Recall, false alarms on not-current messages and on all non-emergencies at threshold t."""

    def alarm(ex: Example) -> bool:
        return oof[ex.id][0] >= t or bool(with_rules and ex.rules_emergency)

    em = [ex for ex in rows if ex.emergency]
    nc = [ex for ex in rows if not ex.emergency and ex.kind in NOT_CURRENT]
    other = [ex for ex in rows if not ex.emergency]
    found = sum(alarm(ex) for ex in em)
    return {
        "recall": _rate(found, len(em)),
        "found": found,
        "emergencies": len(em),
        "missed": [ex.id for ex in em if not alarm(ex)],
        "not_current_alarms": sum(alarm(ex) for ex in nc),
        "not_current_n": len(nc),
        "not_current_rate": _rate(sum(alarm(ex) for ex in nc), len(nc)),
        "false_alarm_rate": _rate(sum(alarm(ex) for ex in other), len(other)),
        "family_right": _rate(sum(oof[ex.id][1] == ex.family for ex in em if alarm(ex)), found),
    }


def choose_bands(rows: Sequence[Example], oof: dict[str, tuple[float, str]]) -> dict[str, float]:
    """The emergency band (false alarms <= 3 %, one to spare) and the screen band below it."""
    grid = [i / 1000 for i in range(1, 1000)]
    not_current = sum(not ex.emergency and ex.kind in NOT_CURRENT for ex in rows)
    others = sum(not ex.emergency for ex in rows)

    def spare(t: float) -> bool:
        # Issue 15's bar with one alarm to spare: one more false alarm would still meet it, so
        # the band does not sit on the edge of the held-out scores. The alarms counted are the
        # engine's, rules or net: the rules raise their own false alarms, and the net's band
        # must leave room for them (counting the net alone let the band fall to where the two
        # together broke the bar on the development batches).
        m = measure(rows, oof, t, with_rules=True)
        return (m["not_current_rate"] * not_current + 1) / not_current <= FALSE_ALARM_TARGET and (
            m["false_alarm_rate"] * others + 1
        ) / others <= FALSE_ALARM_TARGET

    lowest_allowed = next((t for t in grid if spare(t)), 0.999)
    # Then BAND_MARGIN above it, as long as rules or net still catch every held-out emergency
    # they catch there: the lowest band meeting the bar sits on the edge of the held-out
    # non-emergencies (borderline stories such as "it has been bleeding and grew in 3 weeks"
    # went to level 1), and where the rules raise few alarms of their own it falls low.
    coarse = [t for t in grid if lowest_allowed <= t <= lowest_allowed + BAND_MARGIN][::5]
    best = measure(rows, oof, lowest_allowed, with_rules=True)["recall"]
    keeps = [t for t in coarse if measure(rows, oof, t, with_rules=True)["recall"] >= best]
    emergency = max(keeps, default=lowest_allowed)
    # The middle band reaches down to the lowest-scored held-out emergency, as long as it asks
    # the screen question on at most SCREEN_COST of the non-emergency messages.
    lowest = min(oof[ex.id][0] for ex in rows if ex.emergency)
    cheap = next(t for t in grid if measure(rows, oof, t, with_rules=False)["false_alarm_rate"] <= SCREEN_COST)
    screen_band = min(max(math.floor(lowest * 1000) / 1000, cheap), emergency)
    return {"emergency": emergency, "screen": screen_band}


def cross_validate(examples: Sequence[Example]) -> tuple[tuple[float, float], dict[str, tuple[float, str]]]:
    """The option pair with the best mean held-out recall at its own emergency band."""
    best: tuple[float, tuple[float, float], dict[str, tuple[float, str]]] | None = None
    for c in GRID_C:
        for w in GRID_CONTEXT_WEIGHT:
            oof = out_of_fold(examples, c, w)
            recalls = []
            for lang in LANGUAGES:
                rows = [ex for ex in examples if ex.message and ex.lang == lang]
                bands = choose_bands(rows, oof)
                recalls.append(measure(rows, oof, bands["emergency"], with_rules=False)["recall"])
            mean = sum(recalls) / len(recalls)
            print(f"C={c:g} context weight={w:g}: net-alone CV recall at the emergency band {recalls}")
            if best is None or mean > best[0]:
                best = (mean, (c, w), oof)
    assert best is not None
    return best[1], best[2]


def _round(values: Any, digits: int = 4) -> list[float]:
    return [float(f"{v:.{digits}g}") for v in values]


def export(vec: Vectoriser, clf: Any, fam: Any, bands: dict[str, dict[str, float]], meta: dict[str, Any]) -> dict:
    """The weights as emergency_net.Net reads them."""
    coef = clf.coef_[0]
    fcoef = fam.coef_
    split = {b: slice(vec.offset[b], vec.offset[b] + len(vec.vocab[b])) for b in BLOCKS}
    return {
        "format": 1,
        "note": "Made by python -m chatbot.engine.train_net; do not edit by hand.",
        "vocabulary": vec.vocab,
        "idf": {b: _round(vec.idf[b]) for b in BLOCKS},
        "block_weight": vec.block_weight,
        "emergency": {"coef": {b: _round(coef[split[b]]) for b in BLOCKS}, "intercept": float(clf.intercept_[0])},
        "family": {
            "classes": [str(k) for k in fam.classes_],
            # Sparse: per block, per family, [feature index, weight] of the kept weights.
            "coef": {
                b: [
                    [[int(i), float(f"{row[split[b]][i]:.3g}")] for i in np.flatnonzero(row[split[b]])] for row in fcoef
                ]
                for b in BLOCKS
            },
            "intercept": _round(fam.intercept_),
        },
        "bands": bands,
        "training": meta,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=emergency_net.WEIGHTS)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing")
    args = parser.parse_args(argv)

    examples = load_examples()
    for ex in examples:
        ex.feats = emergency_net.tokens(emergency_net.current_text(ex.text, ex.lang), ex.lang)
    rules_verdicts(examples)
    print(
        f"{len(examples)} examples ({sum(ex.message for ex in examples)} messages), "
        f"{len({ex.group for ex in examples})} batches"
    )
    (c, w), oof = cross_validate(examples)
    print(f"chosen: C={c:g}, context weight={w:g}")

    bands: dict[str, dict[str, float]] = {}
    cv: dict[str, Any] = {}
    for lang in LANGUAGES:
        rows = [ex for ex in examples if ex.message and ex.lang == lang]
        b = bands[lang] = choose_bands(rows, oof)
        rules = measure(rows, {ex.id: (0.0, "") for ex in rows}, 1.0, with_rules=True)
        alone = measure(rows, oof, b["emergency"], with_rules=False)
        combined = measure(rows, oof, b["emergency"], with_rules=True)
        asked = measure(rows, oof, b["screen"], with_rules=True)
        cv[lang] = {"bands": b, "rules": rules, "net_alone": alone, "rules_or_net": combined, "with_screen": asked}
        print(
            f"\n== {lang}: {len(rows)} messages, bands emergency >= {b['emergency']:.3f}, screen >= {b['screen']:.3f}"
        )
        for name, m in (
            ("rules alone (development)", rules),
            ("net alone, held-out batch", alone),
            ("rules or net >= emergency band", combined),
            ("... or screen asked (middle band)", asked),
        ):
            print(
                f"  {name:<36} recall {m['recall']:.3f} ({m['found']}/{m['emergencies']})  "
                f"not-current alarms {m['not_current_alarms']}/{m['not_current_n']} ({m['not_current_rate']:.3f})  "
                f"all non-emergency alarms {m['false_alarm_rate']:.3f}  family right {m['family_right']:.3f}"
            )
        print(f"  net alone missed at the emergency band: {', '.join(alone['missed']) or '-'}")

    # A stricter check of the same bands: one whole file (one writer's session) left out.
    oof_file = out_of_fold(examples, c, w, key="file")
    print("\n== leave-one-file-out (stricter), same bands ==")
    for lang in LANGUAGES:
        rows = [ex for ex in examples if ex.message and ex.lang == lang]
        for name, t in (("emergency band", bands[lang]["emergency"]), ("screen band", bands[lang]["screen"])):
            m = measure(rows, oof_file, t, with_rules=False)
            cv[lang][f"file_out_{name.split()[0]}"] = {k: v for k, v in m.items() if k != "missed"}
            print(
                f"  {lang} net alone at the {name:<15} recall {m['recall']:.3f} ({m['found']}/{m['emergencies']})  "
                f"not-current alarms {m['not_current_alarms']}/{m['not_current_n']}  "
                f"all non-emergency alarms {m['false_alarm_rate']:.3f}"
            )

    vec, clf, fam = fit(examples, c, w)
    meta = {
        "data": [p.name for p in (*MESSAGES, *CONVERSATIONS)],
        "examples": len(examples),
        "options": {"C": c, "context_weight": w, "min_df": MIN_DF, "seed": SEED},
        "cv": {
            lang: {
                k: {kk: vv for kk, vv in m.items() if kk != "missed"} if isinstance(m, dict) and "recall" in m else m
                for k, m in v.items()
            }
            for lang, v in cv.items()
        },
    }
    weights = export(vec, clf, fam, bands, meta)
    text = json.dumps(weights, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"\n{args.out.name}: {'unchanged' if same else 'DIFFERS from a fresh training run'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.out} ({len(text.encode()) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
