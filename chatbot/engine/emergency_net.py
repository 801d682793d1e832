"""The learned second net: does a message tell a current emergency of the patient, and which one?

The rules tables (redflags.py) name what a clinician reviews; every first-sight batch still
brought phrasings they missed. This net reads the same message differently: TF-IDF on
character 3-5-grams and word 1-2-grams of the folded text (textnorm, then nlu.normalise), plus
the clinical-context output as features (each red-flag feature with its ConText polarity, e.g.
"bleeding=pos", "fever=neg", and the ConText modifiers of every hit: negated, uncertain,
hypothetical, historical, family), so that a sign told as denied, past, hypothetical or someone
else's pulls the score down. A class-weighted logistic regression gives the emergency score; a
second one, trained on the emergencies only, gives the red-flag family. The weights are
chatbot/engine/emergency_net.json, made by ``python -m chatbot.engine.train_net``
(deterministic); scoring needs only the standard library and is loaded on the first message.

How the engine uses it (core.Engine.reply), when the rules raised no red flag:

- score >= the language's ``emergency`` band: an emergency of the predicted family, on the same
  path as a rule hit (tailored message, tap-to-call, the case to level 1). The band is the lowest
  threshold at which the net alone, in leave-one-batch-out cross-validation, raised at most 3 % of
  the past / negated / hypothetical / other-person messages and at most 3 % of all the other
  non-emergencies, with one false alarm to spare: issue 15's false-alarm bar, so that it does
  not cry wolf (the rules raise their own false alarms too).
- ``screen`` <= score < ``emergency``: the matching red-flag screen question(s) (screen.py) not
  yet answered are asked next, as tap buttons, instead of the interview's next question (after
  the advice too: the conversation reopens for them); "not sure" is followed up as the screen
  always does. A question already tapped is not asked again: the tap answered that very sign.
  The band reaches down to the lowest held-out score of an emergency, but no lower than the
  threshold asking on 10 % of the non-emergency messages. A tap cannot be misread, so the
  doubtful middle costs one question rather than a false emergency.

The bands are chosen per language by train_net from the cross-validated scores, not by hand.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from . import context, ngrams, nlu, redflags, ruleset
from .textnorm import fold_text

# Not in rules/: every JSON file there is a language's rules table (ruleset.languages).
WEIGHTS = Path(__file__).resolve().parent / "emergency_net.json"
Band = Literal["emergency", "screen", "none"]
# The three feature blocks; each is L2-normalised on its own, then weighted (BLOCK_WEIGHT).
BLOCKS: tuple[str, ...] = ("c", "w", "x")

# The screen questions that check each red-flag family (screen.QUESTIONS ids), asked first when
# the score falls in the middle band. Erythroderma and eczema herpeticum have no question of
# their own: fever and blistering are the discriminators the screen holds for them.
FAMILY_SCREEN: dict[str, tuple[str, ...]] = {
    "uncontrolled_bleeding": ("bleeding",),
    "spreading_infection": ("spreading", "fever"),
    "widespread_blistering": ("blistering",),
    "non_blanching_rash_fever": ("glass_test", "fever"),
    "drug_reaction_fever": ("new_medicine", "fever", "blistering"),
    "erythroderma": ("fever", "blistering"),
    "eczema_herpeticum": ("blistering", "fever"),
    "anaphylaxis": (),
}

# What the rules read that answers the net's family, and what would undo that answer: spots
# said to fade under the glass (and none said not to), bleeding said to have stopped. With it,
# the net's emergency band asks the family's screen question instead of declaring an emergency:
# the patient's own words outweigh a pattern score, and the tap question still catches a
# misreading.
# A bleed said to stop within minutes ("paró a los 3 minutos apretando") answers it even though
# pressure was held; not on a blood thinner, nor when it is said to be bleeding still.
FAMILY_ANSWERED: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "non_blanching_rash_fever": (("press_faded", ("press_fade_fail", "press_persist", "non_blanching")),),
    "uncontrolled_bleeding": (
        ("bleeding_stopped", ("heavy_bleeding", "pressure_held")),
        ("stopped_quickly", ("anticoagulant", "bleed_no_stop", "bleeding_now")),
    ),
}


# The signs of each family in the rules' reading (sign_only_elsewhere).
FAMILY_SIGNS: dict[str, tuple[str, ...]] = {
    "uncontrolled_bleeding": ("bleeding", "heavy_bleeding", "bleeding_now", "bleed_no_stop"),
    "spreading_infection": ("red_skin", "infection", "spreading", "hot_painful", "necrosis"),
    "widespread_blistering": ("blisters", "peeling", "skin_off", "mucosal", "named_sjs"),
    "non_blanching_rash_fever": ("non_blanching", "named_meningitis", "press_persist", "press_fade_fail", "rash"),
    "drug_reaction_fever": ("rash", "red_skin", "blisters", "peeling", "swelling_face", "mucosal"),
    "erythroderma": ("red_skin", "named_erythroderma", "widespread", "rash"),
    "eczema_herpeticum": ("herpetic", "cold_sore", "blisters", "eczema"),
}


def sign_only_elsewhere(family: str, text: str, language: str) -> bool:
    """Whether the family's signs are told only in sentences that are not about the patient now
    (a "what if", a past episode, someone else's story: redflags.episode_parts) and not at all in
    the current ones. The net reads the current sentences only, so its score then comes from
    something else ("I'm on Xarelto") and it asks the screen question instead of declaring an
    emergency. A sign the rules do not know at all leaves the net's band as it is (requiring a
    known sign for every net emergency lost eight development emergencies told in new words)."""
    current, other = redflags.episode_parts(text or "", language)
    signs = FAMILY_SIGNS.get(family, ())
    if not other or not signs:
        return False
    told = redflags.extract_features(" ".join(other), language)
    now = redflags.extract_features(" ".join(current), language) if current else {}
    return any(f in told for f in signs) and not any(f in now for f in signs)


# A net score from which the net's emergency stands even where the rules read its family's
# signs as denied or hedged (sign_not_current). Chosen on the development batches: the two
# emergencies whose signs the rules misread ("tengo psoriasis pero nunca así: ... colorado
# entero", negated by "nunca"; "Should I be worried if a mole won't stop bleeding? ... still
# running down my collar", read as hypothetical) scored 0.87 and 0.90; the negated messages the
# net raised ("No tengo llagas en la boca ... no se me pela la piel") 0.43 and 0.69.
CONTRADICTED_STANDS = 0.8


def sign_not_current(family: str, text: str, language: str, score: float) -> bool:
    """Whether the message tells the family's signs, the rules read every one of them as denied,
    hedged, hypothetical or not the patient's now ("no mouth sores, nothing peeling"; "if one
    catches and bleeds, how long should we press?"), none as a current finding, and the net is
    not confident (score < CONTRADICTED_STANDS). Then the net's emergency band asks the family's
    screen question instead: the tap answers what the pattern score only guesses. A sign the
    rules do not read at all (new words) leaves the band as it is, as in sign_only_elsewhere."""
    if score >= CONTRADICTED_STANDS:
        return False
    signs = FAMILY_SIGNS.get(family, ())
    told = [p for f, p in redflags.extract_features(text or "", language).items() if f in signs]
    return bool(told) and "pos" not in told


def answered_by_rules(family: str, features: Mapping[str, str]) -> bool:
    """Whether the rules' features answer the net's family reassuringly (FAMILY_ANSWERED)."""
    if family not in FAMILY_ANSWERED:
        return False
    return any(
        features.get(answer) == "pos" and not any(features.get(u) == "pos" for u in undo)
        for answer, undo in FAMILY_ANSWERED[family]
    )


@dataclass(frozen=True)
class Assessment:
    """The net's reading of one message."""

    score: float
    family: str
    band: Band


def tokens(text: str, language: str) -> dict[str, Counter[str]]:
    """The message's features per block: char n-grams (c), word n-grams (w), context (x)."""
    words = ngrams.words(nlu.normalise(fold_text(text or ""), language))
    grams = ngrams.word_grams(words)
    grams[f"lang={language}"] += 1
    return {"c": ngrams.char_grams(words), "w": grams, "x": context_tokens(text, language)}


def context_tokens(text: str, language: str) -> Counter[str]:
    """The clinical-context component's reading as features: feature polarities, modifiers."""
    out: Counter[str] = Counter()
    if not text.strip():
        return out
    lang = language if language in ruleset.languages() else ruleset.DEFAULT_LANGUAGE
    for name, polarity in redflags.extract_features(text, lang).items():
        out[f"{name}={polarity}"] += 1
    analysis = context.analyse(nlu.normalise(fold_text(text), lang), lang)
    for label, hits in analysis.hits.items():
        if not label.startswith("feature:"):
            continue
        for mods in hits:
            for m in sorted(mods) or ["none"]:
                out[f"mod={m}"] += 1
    out[f"lang={lang}"] += 1
    return out


@dataclass(frozen=True)
class Net:
    """Exported weights: one vocabulary and idf per block, the two logistic regressions."""

    index: dict[str, dict[str, int]]
    idf: dict[str, list[float]]
    block_weight: dict[str, float]
    coef: dict[str, list[float]]
    intercept: float
    families: tuple[str, ...]
    # Per block: feature index -> [(family number, weight)] (only the heaviest weights are kept).
    family_coef: dict[str, dict[int, list[tuple[int, float]]]]
    family_intercept: tuple[float, ...]
    bands: dict[str, dict[str, float]]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Net:
        return cls(
            index={b: {tok: i for i, tok in enumerate(d["vocabulary"][b])} for b in BLOCKS},
            idf={b: d["idf"][b] for b in BLOCKS},
            block_weight=dict(d["block_weight"]),
            coef={b: d["emergency"]["coef"][b] for b in BLOCKS},
            intercept=float(d["emergency"]["intercept"]),
            families=tuple(d["family"]["classes"]),
            family_coef={b: _by_feature(d["family"]["coef"][b]) for b in BLOCKS},
            family_intercept=tuple(d["family"]["intercept"]),
            bands={lang: dict(v) for lang, v in d["bands"].items()},
        )

    def vector(self, feats: Mapping[str, Counter[str]]) -> dict[str, dict[int, float]]:
        """Sparse TF-IDF per block (sublinear tf, L2-normalised, times the block weight)."""
        return ngrams.tfidf(feats, self.index, self.idf, self.block_weight)

    def score_vector(self, vec: Mapping[str, Mapping[int, float]]) -> float:
        return ngrams.logistic(self.intercept + sum(self.coef[b][i] * x for b in BLOCKS for i, x in vec[b].items()))

    def family_of(self, vec: Mapping[str, Mapping[int, float]]) -> str:
        z = list(self.family_intercept)
        for b in BLOCKS:
            weights = self.family_coef[b]
            for i, x in vec[b].items():
                for k, w in weights.get(i, ()):
                    z[k] += w * x
        return self.families[max(range(len(z)), key=z.__getitem__)]

    def band(self, score: float, language: str) -> Band:
        bands = self.bands.get(language) or self.bands[ruleset.DEFAULT_LANGUAGE]
        if score >= bands["emergency"]:
            return "emergency"
        if score >= bands["screen"]:
            return "screen"
        return "none"


def _by_feature(per_family: list[list[list[float]]]) -> dict[int, list[tuple[int, float]]]:
    """[[index, weight], ...] per family, turned into index -> [(family, weight)]."""
    out: dict[int, list[tuple[int, float]]] = {}
    for k, pairs in enumerate(per_family):
        for i, w in pairs:
            out.setdefault(int(i), []).append((k, float(w)))
    return out


@cache
def load(path: Path = WEIGHTS) -> Net:
    """The shipped net (read once per process, on the first message that needs it)."""
    return Net.from_dict(json.loads(path.read_text(encoding="utf-8")))


def current_text(text: str, language: str) -> str:
    """What the net reads: the sentences about the patient now (a past episode, another person's
    story beside the writer's own concern or a hypothesis are left out: redflags.episode_parts),
    in training as in serving."""
    return " ".join(redflags.episode_parts(text or "", language)[0])


def assess(text: str, language: str = "en") -> Assessment:
    """Score one message: emergency probability, the likeliest family and the band it falls in."""
    net = load()
    lang = language if language in net.bands else ruleset.DEFAULT_LANGUAGE
    vec = net.vector(tokens(current_text(text, lang), lang))
    score = net.score_vector(vec)
    return Assessment(score=score, family=net.family_of(vec), band=net.band(score, lang))
