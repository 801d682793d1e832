"""The per-language rules tables (chatbot/engine/rules/<lang>.json), loaded once and compiled.

The tables hold what a clinician reviews: the red-flag features and interview findings with their
patterns, the ConText modifiers (negation, uncertainty, hypothetical, historical, other person),
the clause words and the yes / no answer words. The code only combines them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_LANGUAGE = "en"
# ConText categories, in the order a finding's modifiers are read (see context.py).
CATEGORIES: tuple[str, ...] = ("negated", "uncertain", "hypothetical", "historical", "family")


@dataclass(frozen=True)
class Feature:
    """A red-flag feature row: patterns, where they may match, and features it also sets."""

    id: str
    pattern: re.Pattern[str]
    scope: str
    implies: tuple[str, ...]
    # False: another person's mention is an exposure, never the patient's sign ("my partner gets
    # cold sores"), whereas a carer's "my son has a rash" is the patient's.
    others_count: bool = True


@dataclass(frozen=True)
class Finding:
    """An interview slot row: patterns stating it and patterns denying it."""

    slot: str
    present: re.Pattern[str] | None
    absent: re.Pattern[str] | None
    past_counts: bool
    # Patterns that may match across clause words ("black, brown and grey": "and" ends a clause).
    present_sentence: re.Pattern[str] | None = None


@dataclass(frozen=True)
class RuleSet:
    """One language's compiled rules."""

    language: str
    clause_split: re.Pattern[str]
    termsets: dict[str, dict[str, list[str]]]
    features: dict[str, Feature]
    findings: dict[str, Finding]
    medicine_word: re.Pattern[str]
    answers: dict[str, list[str]]
    pathways: dict[str, re.Pattern[str]]
    body_sites: dict[str, re.Pattern[str]]
    # ConText rules a phrase list cannot hold (context.py): a condition that states the
    # patient's present ("is it serious if my skin is peeling?") is a report, not a hypothesis;
    # another person's finding told in the past tense ("my brother got SJS") is history.
    real_condition: re.Pattern[str] | None
    other_person_past: re.Pattern[str] | None
    other_person_recent: re.Pattern[str] | None
    raw: dict[str, Any]
    # Names of the emergencies themselves ("what is SJS?"): a question that only names one
    # asks for knowledge; one that tells the signs in words is the patient's own (core.py).
    condition_names: re.Pattern[str] | None = None
    # An episode told as over ("resolved" + a past time anchor, not "recurred"): history.
    resolved_episode: dict[str, re.Pattern[str]] | None = None
    # Sentence by sentence (redflags.episode_parts): remote_past, past, over, now, other_subject,
    # self and hypothetical patterns that tell a sentence is not the patient's current problem.
    episodes: dict[str, re.Pattern[str]] | None = None


def languages() -> list[str]:
    """Language codes that have a rules table."""
    return sorted(p.stem for p in RULES_DIR.glob("*.json"))


def rx(alternatives: list[str]) -> re.Pattern[str]:
    """Compile word-bounded alternatives into one pattern."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")")


# "{limb}" inside a pattern stands for the alternatives of the shared family "limb": a rule
# combines concept families ("a red line" + "going up" + "a limb") instead of listing sentences.
_FAMILY = re.compile(r"\{([a-z_]+)\}")


def _families(pattern: str, shared: dict[str, list[str]]) -> str:
    def group(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in shared:
            return m.group(0)
        return "(?:" + "|".join(_families(p, shared) for p in shared[name]) + ")"

    return _FAMILY.sub(group, pattern)


def _expand(patterns: list[str], shared: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for p in patterns:
        out.extend(shared[p[1:]] if p.startswith("@") else [p])
    return [_families(p, shared) for p in out]


def _phrases(rows: list[dict[str, Any]]) -> list[str]:
    return [p for row in rows for p in row["phrases"]]


@cache
def load(language: str = DEFAULT_LANGUAGE) -> RuleSet:
    """The compiled rules of a language (English for a language without a table)."""
    if language not in languages():
        language = DEFAULT_LANGUAGE
    raw = json.loads((RULES_DIR / f"{language}.json").read_text(encoding="utf-8"))
    shared = {k: v["patterns"] for k, v in raw.get("shared", {}).items()}
    words = "|".join(re.escape(w) for w in raw["clauses"]["words"])
    # A point or comma inside a number ("38.7", "38,9") does not end a clause.
    clause_split = re.compile(r"[;!?\n()+&]|(?<!\d)[.,]|[.,](?!\d)|\s-\s|\b(?:" + words + r")\b")
    ctx = raw["context"]
    termination = _phrases(ctx["termination"])
    # A category may keep its reach across some of the shared termination words ("kept_across":
    # another person's story runs on over "and") and add terminations of its own ("termination":
    # "... and I have a rash" brings the patient back).
    termsets = {
        cat: {
            "pseudo_negations": _phrases(ctx[cat].get("pseudo", [])),
            "preceding_negations": _phrases(ctx[cat].get("preceding", [])),
            "following_negations": _phrases(ctx[cat].get("following", [])),
            "termination": [t for t in termination if t not in _phrases(ctx[cat].get("kept_across", []))]
            + _phrases(ctx[cat].get("termination", [])),
        }
        for cat in CATEGORIES
    }
    features = {
        row["id"]: Feature(
            row["id"],
            rx(_expand(row["patterns"], shared)),
            row.get("scope", "clause"),
            tuple(row.get("implies", ())),
            bool(row.get("others_count", True)),
        )
        for row in raw["features"]
    }
    findings = {
        row["slot"]: Finding(
            row["slot"],
            rx(_expand(row["present"], shared)) if row.get("present") else None,
            rx(_expand(row["absent"], shared)) if row.get("absent") else None,
            bool(row.get("past_counts")),
            rx(_expand(row["present_sentence"], shared)) if row.get("present_sentence") else None,
        )
        for row in raw["findings"]
    }
    answers = {k: v for k, v in raw["answers"].items() if k != "comment"}
    pathways = {
        k: rx([p for row in rows for p in row["patterns"]]) for k, rows in raw["pathways"].items() if k != "comment"
    }
    body_sites = {k: re.compile(rf"\b(?:{v})\b") for k, v in raw["body_sites"]["sites"].items()}
    real = ctx.get("real_condition", {}).get("patterns")
    other = ctx.get("other_person_past", {})
    return RuleSet(
        language=language,
        clause_split=clause_split,
        termsets=termsets,
        features=features,
        findings=findings,
        medicine_word=rx(raw["medicine_word"]["patterns"]),
        answers=answers,
        pathways=pathways,
        body_sites=body_sites,
        real_condition=rx(real) if real else None,
        other_person_past=rx(other["past"]) if other.get("past") else None,
        other_person_recent=rx(other["recent"]) if other.get("recent") else None,
        raw=raw,
        condition_names=rx(raw["condition_names"]["patterns"]) if "condition_names" in raw else None,
        resolved_episode={k: rx(v["patterns"]) for k, v in raw["resolved_episode"].items() if k != "comment"}
        if "resolved_episode" in raw
        else None,
        episodes=_episodes(raw) if "episodes" in raw else None,
    )


def _episodes(raw: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    """The episode patterns; "@resolved_episode" in a list stands for that table's "resolved" rows."""
    resolved = raw.get("resolved_episode", {}).get("resolved", {}).get("patterns", [])
    out = {}
    for key, row in raw["episodes"].items():
        if key == "comment":
            continue
        patterns = [q for p in row["patterns"] for q in (resolved if p == "@resolved_episode" else [p])]
        out[key] = rx(patterns)
    return out
