"""Dermatological emergencies (TRIAGE.md red flags) found in free text, negation-aware."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import context, ruleset, sentence_gate
from .nlu import Polarity, normalise
from .textnorm import fold_text

# Codes shared with the triage service; the texts explain a flag to patient and nurse.
RED_FLAGS: dict[str, str] = {
    "widespread_blistering": "blistering or peeling skin, or sores in the mouth, eyes or genitals",
    "erythroderma": "red skin over most of the body",
    "non_blanching_rash_fever": "a rash that does not fade under pressure",
    "eczema_herpeticum": "painful clustered blisters or sores on eczema",
    "spreading_infection": "hot, painful redness that is spreading, with fever or feeling unwell",
    "drug_reaction_fever": "a rash with fever or swelling after starting a new medicine",
    "uncontrolled_bleeding": "bleeding that is heavy or will not stop",
    # Not a skin emergency in TRIAGE.md, but a bot that ignored it would be dangerous.
    "anaphylaxis": "swelling of the tongue or throat, or difficulty breathing",
}

# The features and their patterns are data: chatbot/engine/rules/<language>.json, "features".
# FEATURES is the English table, compiled (name -> pattern), for reading and for tests.
FEATURES: dict[str, re.Pattern[str]] = {f.id: f.pattern for f in ruleset.load("en").features.values()}
_RANK = {"neg": 0, "unc": 1, "pos": 2}


@dataclass(frozen=True)
class FlagResult:
    """Red flags raised, and whether a fever answer would complete a near-flag pattern."""

    codes: list[str]
    needs_fever_check: bool


def extract_features(text: str, language: str = "en") -> dict[str, Polarity]:
    """Polarity of every red-flag feature mentioned in the message.

    Whether a mention is denied, hedged, hypothetical or past comes from ConText (context.py):
    "no fever", "if it starts bleeding", "I had SJS years ago, all fine now".
    """
    current, other = episode_parts(text, language)
    if not other:
        return _message_features(text, language)
    # A sentence that tells a past episode, another person's story or a hypothesis: its
    # features are not the patient's now (uncertain at most); the current sentences count.
    before = {k: ("unc" if v == "pos" else v) for k, v in _message_features(" ".join(other), language).items()}
    return merge_features(before, _message_features(" ".join(current), language)) if current else before


# Sentence ends: . ! ? or a line break (a point inside a number, "38.5", does not end one).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


# Quotes, dashes and opening marks before a sentence's first word.
_LEAD = " \t\"'¿¡-"


def episode_parts(text: str, language: str = "en") -> tuple[list[str], list[str]]:
    """The message's sentences split into (current, not current), each as written.

    Not current (rules table "episodes"): a hypothetical question ("would I need to come in if
    blisters ever appeared?"); a past episode, told with a remote time anchor ("when I was 6",
    "two years ago") or with any past anchor and said to be over ("in March ... it healed
    fine"), and nothing in the sentence about now; another person's story ("my sister bleeds
    for ages from tiny cuts") when the writer then turns to their own concern ("I've got ...",
    "yo no"). A carer writing only about the person they care for keeps every sentence.
    """
    current, other = _gated_parts(text, language)
    return list(current), list(other)


@lru_cache(maxsize=4096)
def _gated_parts(text: str, language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    sentences, norm, now = rule_parts(text, language)
    moved = sentence_gate.not_current(norm, gate_candidates(norm, now, language), language)
    current = tuple(s for i, s in enumerate(sentences) if now[i] and i not in moved)
    other = tuple(s for i, s in enumerate(sentences) if not now[i] or i in moved)
    return current, other


def gate_candidates(norm: Sequence[str], now: Sequence[bool], language: str) -> dict[int, dict[str, Polarity]]:
    """The sentences the gate reads: kept as current by the rules, telling a red-flag sign
    (index -> the sentence's red-flag features)."""
    rules = ruleset.load(language)
    out: dict[int, dict[str, Polarity]] = {}
    for i, n in enumerate(norm):
        if now[i]:
            f = _features(n, rules)
            if any(v == "pos" for k, v in f.items() if k != "glass_or_press"):
                out[i] = f
    return out


@lru_cache(maxsize=4096)
def rule_parts(text: str, language: str = "en") -> tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]:
    """The sentences as written, normalised, and whether the rules table reads each as current."""
    rules = ruleset.load(language)
    ep = rules.episodes
    sentences = [s for s in _SENTENCE_END.split(text) if s and s.strip()]
    norm = [normalise(fold_text(s), language) for s in sentences]
    if ep is None or len(sentences) == 0:
        return tuple(sentences), tuple(norm), tuple(True for _ in sentences)
    own = [bool(ep["self"].search(n)) for n in norm]
    # "I'm writing about myself": then a sentence about the people a carer might write for (a
    # husband, a son, "he"), with nothing of the writer's own in it, is their story, not the patient's.
    writer_only = "writer_only" in ep and any(ep["writer_only"].search(n) for n in norm)
    # "That was 2012", "I've been fine ever since", "De eso hace seis años": the sentence before
    # is a past episode when it says nothing about now.
    closed = {
        i - 1
        for i, n in enumerate(norm)
        if i > 0 and "closes_previous" in ep and ep["closes_previous"].search(n.lstrip(_LEAD))
    }
    # A question followed by "my daughter has this" is the daughter's report, asked first.
    # ... but a question about it ("is it common?", "¿es frecuente?") tells nothing of anyone's.
    refers = [
        i
        for i, n in enumerate(norm)
        if "refers_back" in ep and ep["refers_back"].search(n) and not ("asks_only" in ep and ep["asks_only"].match(n))
    ]
    last_reference = refers[-1] if refers else -1
    is_current: list[bool] = []
    for i, n in enumerate(norm):
        if i < last_reference and ep["hypothetical"].search(n):
            is_current.append(True)
            continue
        theirs = writer_only and not own[i] and bool(ep["third_person"].match(n.lstrip(_LEAD)))
        # ... unless it says now ("today", "still"); "for half an hour" is how long, not when.
        now = ep["now"].search(ep["over"].sub(" ", n))
        dated = i in closed and not (now and not _DURATION_ONLY.fullmatch(now.group(0)))
        elsewhere = any(own[:i] + own[i + 1 :])
        is_current.append(not (theirs or dated or _not_current(n, ep, rules, writer_elsewhere=elsewhere)))
    return tuple(sentences), tuple(norm), tuple(is_current)


# A "now" match that is only a length of time ("half an hour", "unas horas").
_DURATION_ONLY = re.compile(r"(\w+ )+(hours?|horas?)")


def _not_current(n: str, ep: dict[str, re.Pattern[str]], rules: ruleset.RuleSet, writer_elsewhere: bool) -> bool:
    if ep["hypothetical"].search(n) and not (rules.real_condition and rules.real_condition.search(n)):
        return True
    if "conditional" in ep and ep["conditional"].search(n):
        return True
    over = ep["over"].search(n)
    # "all good now" says the episode is over, not that something is happening now.
    now = ep["now"].search(ep["over"].sub(" ", n))
    if not now and (ep["remote_past"].search(n) or (over and ep["past"].search(n))):
        return True
    # Another person's story, then the writer's own concern in another sentence.
    return bool(ep["other_subject"].match(n.lstrip(_LEAD)) and writer_elsewhere and not ep["self"].search(n))


def _message_features(text: str, language: str) -> dict[str, Polarity]:
    """Red-flag features of a (part of a) message, a resolved episode's as uncertain."""
    # Unicode first: full-width, accented or look-alike letters must not hide a red flag.
    t = normalise(fold_text(text), language)
    rules = ruleset.load(language)
    end = _resolved_episode(t, rules)
    if end is None:
        return _features(t, rules)
    # What comes before "it cleared up" is history; what is told after it stays as told:
    # "I peeled a bit last week, that's over. But since yesterday my skin comes off in sheets".
    before = {k: ("unc" if v == "pos" else v) for k, v in _features(t[:end], rules).items()}
    return merge_features(before, _features(t[end:], rules))


def _features(t: str, rules: ruleset.RuleSet) -> dict[str, Polarity]:
    """Red-flag features of a normalised message."""
    analysis = context.analyse(t, rules.language)
    found: dict[str, Polarity] = {}
    for feature in rules.features.values():
        p = analysis.polarity(context.feature_label(feature.id), others_count=feature.others_count)
        if p is None:
            continue
        # A helper row ("bleeding that will not stop") only sets the features it implies.
        for name in feature.implies or (feature.id,):
            if name not in found or _RANK[p] > _RANK[found[name]]:
                found[name] = p
    # Pressing and glass words only set the scene: "does not fade when I press" is not a denial.
    if rules.features["glass_or_press"].pattern.search(t):
        found["glass_or_press"] = "pos"
    # A rash that does not fade only means non-blanching when it was pressed or glass-tested.
    if found.get("glass_or_press") == "pos" and (
        found.get("press_fade_fail") == "pos"
        or found.get("press_persist") == "pos"
        # A rash that was glass-tested and is not said to have faded is treated as
        # non-blanching: under-triage of meningococcal disease is the costly error.
        or (found.get("rash") == "pos" and found.get("press_faded") != "pos")
    ):
        found["non_blanching"] = "pos"
    # Spots that faded under the glass, and none said not to: the reassuring test result
    # outweighs a description of the spots ("little red dots ... when I press a glass on them
    # they vanish").
    elif (
        found.get("glass_or_press") == "pos"
        and found.get("press_faded") == "pos"
        and found.get("non_blanching") == "pos"
        and "pos" not in (found.get("press_fade_fail"), found.get("press_persist"))
    ):
        found["non_blanching"] = "unc"
    return found


def _resolved_episode(t: str, rules: ruleset.RuleSet) -> int | None:
    """Where the telling of an episode that is over ends (resolved, a while ago, not back)."""
    ep = rules.resolved_episode
    if not ep or not ep["past_anchor"].search(t) or ep["recurred"].search(t):
        return None
    ends = [m.end() for m in ep["resolved"].finditer(t)]
    return ends[-1] if ends else None


def tells_emergency(text: str, language: str = "en") -> bool:
    """Whether the message tells a whole red-flag pattern in words, not only by its name.

    "15 min pressing hard and it's still pouring, is that normal?" tells one; "what is SJS?"
    or "is eczema herpeticum contagious?" only name one and ask for knowledge.
    """
    t = normalise(fold_text(text), language)
    names = ruleset.load(language).condition_names
    if names is not None:
        t = names.sub(" ", t)
    return bool(evaluate(extract_features(t, language)).codes)


def merge_features(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """Combine features across messages; a positive never goes back to negative."""
    rank = {"neg": 0, "unc": 1, "pos": 2}
    merged = dict(old)
    for key, value in new.items():
        if key not in merged or rank[value] > rank[merged[key]]:
            merged[key] = value
    return merged


def evaluate(features: Mapping[str, str]) -> FlagResult:
    """Red flags implied by the accumulated features (a feature counts when positive)."""

    def has(*names: str) -> bool:
        return any(features.get(n) == "pos" for n in names)

    # A rule that only lacks fever asks about fever next rather than staying silent, unless
    # the patient already denied it.
    fever_unknown = features.get("fever") != "neg"
    unwell = has("fever", "unwell")
    rashy = has("rash", "red_skin", "blisters", "peeling")
    codes: list[str] = []
    needs_fever = False

    if _sjs_like(has, unwell, rashy):
        codes.append("widespread_blistering")

    body_red = has("red_skin") and (not has("sunburn") or unwell)
    body_rash = has("rash") and (unwell or has("hot_painful", "peeling"))
    if (has("widespread") and (body_red or body_rash)) or has("named_erythroderma"):
        codes.append("erythroderma")

    if has("named_meningitis") and rashy:
        codes.append("non_blanching_rash_fever")
    elif has("non_blanching"):
        if unwell:
            codes.append("non_blanching_rash_fever")
        needs_fever |= not unwell and fever_unknown

    # Eczema herpeticum: herpes-like sores on eczema are enough; plain blisters on eczema
    # (common and harmless) need fever, spread or the eye involved. A cold sore named beside
    # eczema ("cold sore on my lip, eczema only on my hands, no blisters") is a reason to ask
    # about fever, unless blisters or sores are told too.
    if has("eczema") and has("herpetic", "blisters", "cold_sore"):
        if has("herpetic") or unwell or has("near_eye", "spreading") or (has("cold_sore") and has("blisters")):
            codes.append("eczema_herpeticum")
        else:
            needs_fever |= fever_unknown

    local = has("red_skin", "infection") or (has("hot_painful") and has("spreading"))
    if (has("necrosis") and has("hot_painful", "infection", "red_skin")) or (
        local and has("spreading", "infection") and unwell
    ):
        codes.append("spreading_infection")
    elif local and has("spreading") and has("hot_painful"):
        needs_fever |= fever_unknown

    if has("new_drug") and (rashy or has("widespread")):
        if unwell or has("swelling_face"):
            codes.append("drug_reaction_fever")
        else:
            needs_fever |= fever_unknown

    # Bleeding going on in someone on blood thinners will not stop with pressure alone.
    # A rash all over with fever after a new medicine is the drug reaction, not red skin
    # everywhere: erythroderma stays only when the skin itself is red or it is named.
    if "drug_reaction_fever" in codes and "erythroderma" in codes and not (body_red or has("named_erythroderma")):
        codes.remove("erythroderma")

    # TRIAGE.md: bleeding that will not stop with 10 minutes of firm pressure. Pressure held
    # for a while on a bleed that is not said to have stopped is that sign.
    held = has("pressure_held") and not has("bleeding_stopped")
    # Heavy bleeding that the patient says stopped, and nothing about it bleeding now or again,
    # is not bleeding that will not stop ("bled through the dressing, but it stopped with
    # pressure and has healed").
    stopped = has("bleeding_stopped") and not has("bleeding_now", "bleed_no_stop")
    heavy = has("heavy_bleeding") and not stopped
    if has("bleeding") and (heavy or held or (has("bleeding_now") and has("anticoagulant"))):
        codes.append("uncontrolled_bleeding")

    if has("breathing"):
        codes.append("anaphylaxis")

    return FlagResult(codes=codes, needs_fever_check=needs_fever and not codes)


def _sjs_like(has: Callable[..., bool], unwell: bool, rashy: bool) -> bool:
    """SJS/TEN: blistering or peeling with a sign that it is more than a local burn or pox."""
    if has("named_sjs", "skin_off"):
        return True
    blisters = has("blisters") and (
        has("widespread", "mucosal", "new_drug") or (unwell and not has("eczema", "chickenpox", "dermatomal"))
    )
    # Peeling over red skin everywhere is erythroderma; sunburn peeling alone is no emergency.
    body_red = has("widespread") and has("red_skin")
    peeling = (
        has("peeling")
        and (not body_red or has("blisters", "mucosal"))
        and (has("widespread", "mucosal", "blisters", "new_drug") or unwell)
        and not (has("sunburn") and not unwell and not has("mucosal", "blisters"))
    )
    mucosal = has("mucosal") and (has("blisters", "peeling") or (rashy and (has("new_drug") or unwell)))
    return blisters or peeling or mucosal
