"""Evaluate the chatbot engine on tests/data/chat_eval.jsonl and scripted interview stories.

Run: python -m chatbot.evaluate [--verbose] [--tune]
     python -m chatbot.evaluate --data FILE [--data FILE ...] [--conversations FILE ...]

Builds the knowledge base from the seed files exactly as the product does, sends every message
to a fresh conversation, and prints per part (dev / heldout) the topic and intent accuracy,
red-flag recall and precision, and the emergency confusion matrix. Exits non-zero when a
held-out safety target fails: an emergency not told to seek emergency care, a negated message
raising a flag, topic accuracy under 0.85, or a story not reaching its urgency in time.

Held-out rows were written in batches (ids h-, h2- ... h5-), each before the engine changes
that followed it; "topic accuracy by batch" shows them separately. Messages whose id contains
"-neg-" deny symptoms ("no fever, no blisters"); they must never
raise a red flag.

With --data / --conversations the given files are scored instead, per language (row "lang"):
emergency recall and precision with every miss by id, flags raised on past / negated /
hypothetical / other-person messages (row "kind"), urgency exact, acceptable (row
"acceptable") and within one level, the urgency confusion matrix, 7-point items found against
row "seven_point" {present, absent}, and for conversations the patient turn after which an
emergency was reported. A single message seldom finishes the interview, so its urgency is the
one reported or else the engine's judgement of what it understood. It exits non-zero when a
language misses issue 15's targets (recall >= 0.97, false alarms <= 3%, within one >= 90%).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chatbot.engine import Engine, KnowledgeDoc, build_knowledge
from chatbot.engine.retrieval import DEFAULT_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "chat_eval.jsonl"
DISEASES = ROOT / "diagnosis" / "seed" / "diseases.json"
FAQ = ROOT / "chatbot" / "seed" / "faq.json"
TOPIC_TARGET = 0.85
# A fixed "today" keeps relative dates ("since March") reproducible.
TODAY = date(2026, 11, 26)


def load_knowledge() -> list[KnowledgeDoc]:
    """The knowledge base built from the two seed files."""
    diseases = json.loads(DISEASES.read_text(encoding="utf-8"))
    faqs = json.loads(FAQ.read_text(encoding="utf-8"))
    return build_knowledge(diseases, faqs)


def load_messages(path: Path = DATA) -> list[dict[str, Any]]:
    """All evaluation messages, one dict per JSONL line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Result:
    """The engine's reading of one message next to the expected labels."""

    row: dict[str, Any]
    intent: str
    topic: str | None
    red_flags: list[str]
    urgency: str | None
    # The reported urgency, else the engine's judgement of what it understood so far (a
    # single message seldom finishes the interview); and the 7-point items it recorded.
    provisional: str | None = None
    items: frozenset[str] = frozenset()


def run_message(knowledge: list[KnowledgeDoc], text: str, threshold: float, language: str = "en") -> Result:
    """One message in a fresh conversation, after the bot's opening question."""
    engine = Engine(knowledge, context={}, today=TODAY, threshold=threshold, language=language)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, text)
    result = Result({}, turn.intent, turn.topic, turn.red_flags, turn.urgency)
    result.provisional = turn.urgency or provisional_urgency(engine, state)
    result.items = seven_point_items(state.get("slots", {}))
    return result


def run_all(knowledge: list[KnowledgeDoc], rows: Iterable[dict[str, Any]], threshold: float) -> list[Result]:
    """Every message through the engine."""
    results = []
    for row in rows:
        r = run_message(knowledge, row["text"], threshold, row.get("lang", "en"))
        r.row = row
        results.append(r)
    return results


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def metrics(results: list[Result]) -> dict[str, Any]:
    """Accuracy, red-flag recall/precision and the emergency confusion matrix."""
    with_topic = [r for r in results if r.row["topic"]]
    unanswerable = [r for r in results if r.row["intent"] == "question" and not r.row["topic"]]
    topic_ok = sum(r.topic == r.row["topic"] for r in with_topic)
    refuse_ok = sum(r.topic is None for r in unanswerable)
    intent_ok = sum(r.intent == r.row["intent"] for r in results)

    exp_msg = [bool(r.row["red_flags"]) for r in results]
    got_msg = [bool(r.red_flags) for r in results]
    tp_m = sum(e and g for e, g in zip(exp_msg, got_msg, strict=True))
    code_tp = code_fp = code_fn = 0
    for r in results:
        exp, got = set(r.row["red_flags"]), set(r.red_flags)
        code_tp += len(exp & got)
        code_fp += len(got - exp)
        code_fn += len(exp - got)

    confusion = Counter((r.row["urgency"] == "emergency", r.urgency == "emergency") for r in results)
    negated = [r for r in results if "-neg-" in r.row["id"]]
    emergencies = [r for r in results if r.row["urgency"] == "emergency"]
    return {
        "n": len(results),
        "topic_accuracy": _ratio(topic_ok, len(with_topic)),
        "topic_n": len(with_topic),
        "refusal_accuracy": _ratio(refuse_ok, len(unanswerable)),
        "refusal_n": len(unanswerable),
        "intent_accuracy": _ratio(intent_ok, len(results)),
        "flag_recall_msg": _ratio(tp_m, sum(exp_msg)),
        "flag_precision_msg": _ratio(tp_m, sum(got_msg)),
        "flag_recall_code": _ratio(code_tp, code_tp + code_fn),
        "flag_precision_code": _ratio(code_tp, code_tp + code_fp),
        "confusion": confusion,
        "emergencies_missed": [r for r in emergencies if r.urgency != "emergency"],
        "negated_flagged": [r for r in negated if r.red_flags],
        "negated_n": len(negated),
        "emergency_n": len(emergencies),
    }


def print_metrics(part: str, m: dict[str, Any], results: list[Result], verbose: bool) -> None:
    """Human-readable report for one part."""
    c = m["confusion"]
    print(f"\n== {part}: {m['n']} messages ==")
    print(f"topic accuracy      {m['topic_accuracy']:.3f}  (n={m['topic_n']})")
    print(f"refusal accuracy    {m['refusal_accuracy']:.3f}  (unanswerable questions, n={m['refusal_n']})")
    print(f"intent accuracy     {m['intent_accuracy']:.3f}")
    print(f"red flags by message: recall {m['flag_recall_msg']:.3f}  precision {m['flag_precision_msg']:.3f}")
    print(f"red flags by code:    recall {m['flag_recall_code']:.3f}  precision {m['flag_precision_code']:.3f}")
    print("urgency confusion (rows expected, columns predicted):")
    print("                     emergency  not")
    print(f"  emergency          {c[(True, True)]:9d}  {c[(True, False)]:3d}")
    print(f"  not emergency      {c[(False, True)]:9d}  {c[(False, False)]:3d}")
    batches = sorted({r.row["id"].split("-")[0] for r in results})
    if len(batches) > 1:
        # Held-out rows were written in batches, each before the engine changes it could
        # have informed; the per-batch numbers show how far each batch was from tuning.
        per = []
        for b in batches:
            rs = [r for r in results if r.row["id"].split("-")[0] == b and r.row["topic"]]
            ok = sum(r.topic == r.row["topic"] for r in rs)
            per.append(f"{b} {ok}/{len(rs)}")
        print("topic accuracy by batch: " + ", ".join(per))
    print(
        f"emergencies missed: {len(m['emergencies_missed'])}/{m['emergency_n']}; "
        f"negated messages flagged: {len(m['negated_flagged'])}/{m['negated_n']}"
    )
    if not verbose:
        return
    for r in results:
        row = r.row
        problems = []
        if row["topic"] != r.topic and (row["topic"] or row["intent"] == "question"):
            problems.append(f"topic {r.topic} != {row['topic']}")
        if row["intent"] != r.intent:
            problems.append(f"intent {r.intent} != {row['intent']}")
        if set(row["red_flags"]) != set(r.red_flags):
            problems.append(f"flags {r.red_flags} != {row['red_flags']}")
        if problems:
            print(f"  {row['id']}: {row['text']!r}: " + "; ".join(problems))


# ---------------------------------------------------------------- multi-turn stories


# Every conversation opens with the red-flag screen (chatbot/engine/screen.py): six taps.
SCREEN_ALL_NO: tuple[str, ...] = ("no",) * 6


@dataclass(frozen=True)
class Story:
    """A scripted conversation and the urgency it must reach within max_bot_turns.

    screen holds the taps answering the red-flag screen, played before messages; the turn
    budget (which counts the opening) is for the interview; each screen tap adds one turn.
    """

    name: str
    messages: tuple[str, ...]
    expected: str
    context: tuple[tuple[str, Any], ...] = ()
    max_bot_turns: int = 8
    screen: tuple[str, ...] = SCREEN_ALL_NO


STORIES: tuple[Story, ...] = (
    Story(
        "calm benign mole, yes/no answers",
        ("years", "no", "no", "no", "about 4 mm", "no", "no"),
        "routine",
    ),
    Story("bleeding and growing", ("it has been bleeding and grew in 3 weeks", "no"), "urgent"),
    Story(
        "changing mole, answered one by one",
        ("a few months", "yes", "yes it's bigger", "yes the edge is uneven", "no"),
        "urgent",
    ),
    Story(
        "upload text already answers most questions",
        ("no", "no", "no"),
        "urgent",
        (("symptoms", "had it 2 years, it has got bigger and darker recently and it itches"),),
    ),
    Story(
        "fever and spreading redness mid-interview",
        ("3 weeks", "yes I have a fever and the redness around it is spreading fast"),
        "emergency",
    ),
    Story(
        "non-healing crusted lesion after a transplant",
        (
            "about 2 months",
            "no",
            "it keeps crusting over and hasn't healed",
            "no",
            "5mm",
            # (the safety question that came here is now the red-flag screen's)
            "I had a kidney transplant and take tacrolimus",
        ),
        "urgent",
    ),
    Story(
        "actinic keratosis suggested by the photo, calm answers",
        ("a year or so", "no", "no", "no", "3 mm", "no", "no"),
        "soon",
        (("top_class", "actinic_keratosis"),),
    ),
    Story(
        "patient asks a question midway",
        ("2 years", "what is a melanoma?", "no", "no", "no", "5 mm", "no", "no"),
        "routine",
    ),
    Story(
        "one worrying answer: itch only",
        ("since March", "no", "no", "it itches sometimes", "no", "4mm", "no", "no"),
        "soon",
    ),
    Story("screen: yes to the glass test", (), "emergency", screen=("no", "no", "yes"), max_bot_turns=1),
    Story(
        "screen: not sure about fever, yes after the check, then spreading redness",
        (),
        "emergency",
        screen=("not sure", "yes", "no", "no", "yes"),
        max_bot_turns=1,
    ),
    Story(
        "screen: a new medicine and a fever",
        (),
        "emergency",
        screen=("yes", "no", "no", "no", "yes"),
        max_bot_turns=1,
    ),
    Story(
        "screen: still not sure about the glass test, calm mole",
        ("years", "no", "no", "no", "about 4 mm", "no", "no"),
        "soon",
        screen=("no", "no", "not sure", "not sure", "no", "no", "no"),
    ),
)


def run_story(knowledge: list[KnowledgeDoc], story: Story, threshold: float) -> tuple[bool, str]:
    """Play a story; pass when the expected urgency is reported within the turn limit."""
    engine = Engine(knowledge, context=dict(story.context), today=TODAY, threshold=threshold)
    state = engine.new_state()
    turn = engine.opening_turn(state)
    bot_turns = 1
    reached_at = bot_turns if turn.urgency else None
    for msg in (*story.screen, *story.messages):
        turn = engine.reply(state, msg)
        bot_turns += 1
        if turn.urgency and reached_at is None:
            reached_at = bot_turns
        if turn.finished:
            break
    limit = len(story.screen) + story.max_bot_turns
    ok = turn.urgency == story.expected and reached_at is not None and reached_at <= limit and turn.finished
    detail = (
        f"urgency={turn.urgency} (expected {story.expected}), reached at bot turn "
        f"{reached_at} (limit {limit}: {len(story.screen)} screen + {story.max_bot_turns}), "
        f"finished={turn.finished}, 7-point={turn.seven_point_score}"
    )
    return ok, detail


# ---------------------------------------------------------------- threshold tuning


def tune(knowledge: list[KnowledgeDoc], rows: list[dict[str, Any]]) -> float:
    """Pick the retrieval threshold that best balances answering and refusing on dev."""
    questions = [r for r in rows if r["intent"] == "question"]
    scores: list[tuple[float, float]] = []
    for step in range(5, 41):
        t = step / 100
        results = run_all(knowledge, questions, t)
        score = sum(r.topic == r.row["topic"] for r in results) / len(results)
        scores.append((t, score))
        print(f"threshold {t:.2f}: question topic/refusal accuracy {score:.3f}")
    # The middle of the best plateau leaves a margin on both sides: answering nonsense and
    # refusing a fair question are both mistakes.
    top = max(s for _, s in scores)
    plateau = [t for t, s in scores if s == top]
    best = plateau[len(plateau) // 2]
    print(f"best threshold on dev: {best:.2f} ({top:.3f}; plateau {plateau[0]:.2f}-{plateau[-1]:.2f})")
    return best


# ---------------------------------------------------------------- per-language report
#
# python -m chatbot.evaluate --data FILE [--data FILE ...] [--conversations FILE ...] scores
# extra JSONL files (rows as in tests/data/chat_eval.jsonl, plus lang, kind, acceptable and
# seven_point) instead of the built-in set, per language, against issue 15's targets.

URGENCIES: tuple[str, ...] = ("emergency", "urgent", "soon", "routine")
LEVEL: dict[str, int] = {u: i + 1 for i, u in enumerate(URGENCIES)}
# Kinds whose message names a sign that is not the patient's own, current one.
NOT_CURRENT_KINDS = frozenset({"past", "negated", "hypothetical", "other_person"})
# The 7-point items, by the interview slot that records each (diameter_7mm: diameter_mm >= 7).
SEVEN_POINT_ITEMS: tuple[str, ...] = (
    "size_change",
    "shape_irregular",
    "colour_irregular",
    "diameter_7mm",
    "inflammation",
    "bleeding",
    "sensation",
)
RECALL_TARGET = 0.97
FALSE_ALARM_TARGET = 0.03
WITHIN_ONE_TARGET = 0.90


def load_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Rows of every file in turn, with lang ("en") and kind filled in where a file lacks them."""
    rows = []
    for path in paths:
        for row in load_messages(Path(path)):
            row.setdefault("lang", "en")
            row.setdefault("kind", "negated" if "-neg-" in row["id"] else None)
            rows.append(row)
    return rows


def provisional_urgency(engine: Engine, state: dict[str, Any]) -> str | None:
    """The engine's current judgement of the state, or None when it cannot give one."""
    judge = getattr(engine, "_judge", None)
    if judge is None:
        return None
    try:
        return judge(state).urgency
    except (AttributeError, KeyError, TypeError):
        return None


def seven_point_items(slots: dict[str, Any]) -> frozenset[str]:
    """The 7-point items recorded as present in the interview slots."""
    found = {k for k in SEVEN_POINT_ITEMS if slots.get(k) is True}
    diameter = slots.get("diameter_mm")
    if isinstance(diameter, (int, float)) and diameter >= 7:
        found.add("diameter_7mm")
    return frozenset(found)


def acceptable(row: dict[str, Any]) -> tuple[str, ...]:
    """The urgencies that are clinically fine for a row: its own plus any listed."""
    levels = [row["urgency"], *row.get("acceptable", ())] if row.get("urgency") else []
    return tuple(dict.fromkeys(u for u in levels if u))


def within_one(predicted: str | None, ok: Iterable[str]) -> bool:
    """Predicted urgency is an acceptable one or one level from one.

    The emergency boundary is never "one level off": an emergency told "urgent" is a miss, and a
    routine spot told "emergency" a false alarm, whatever the distance.
    """
    ok = tuple(ok)
    if predicted is None or not ok:
        return False
    if predicted in ok:
        return True
    if (predicted == "emergency") != ("emergency" in ok) or ok == ("emergency",):
        return False
    return any(abs(LEVEL[predicted] - LEVEL[u]) <= 1 for u in ok if u != "emergency")


def seven_point_score(expected: dict[str, Any] | None, found: frozenset[str]) -> dict[str, Any] | None:
    """Items found against the row's seven_point {present, absent}; None when not labelled.

    exact: the recorded items are exactly the present ones; contradicted: items the text states
    absent ("same size") that were recorded as present.
    """
    if not expected:
        return None
    present = set(expected.get("present", ()))
    absent = set(expected.get("absent", ()))
    return {
        "exact": set(found) == present,
        "present_found": len(present & found),
        "present_n": len(present),
        "missed": sorted(present - found),
        "extra": sorted(found - present),
        "contradicted": sorted(absent & found),
    }


@dataclass
class Scored:
    """One message or conversation, reduced to what the per-language report needs."""

    id: str
    lang: str
    kind: str | None
    expected: str | None
    ok: tuple[str, ...]
    predicted: str | None
    exp_flags: frozenset[str]
    got_flags: frozenset[str]
    seven: dict[str, Any] | None = None
    # Conversations: the patient turn (1-based) that states the emergency, and the one after
    # which the bot reported it (0: the opening, from the upload text).
    stated_at: int | None = None
    recognised_at: int | None = None
    # Conversations: whether the bot had given its advice by the last patient turn.
    finished: bool | None = None


def score_message(result: Result) -> Scored:
    row = result.row
    return Scored(
        id=row["id"],
        lang=row.get("lang", "en"),
        kind=row.get("kind"),
        expected=row.get("urgency"),
        ok=acceptable(row),
        predicted=result.provisional or result.urgency,
        exp_flags=frozenset(row.get("red_flags", ())),
        got_flags=frozenset(result.red_flags),
        seven=seven_point_score(row.get("seven_point"), result.items),
    )


def report(items: list[Scored]) -> dict[str, Any]:
    """Emergency recall / precision, false alarms, urgency agreement and 7-point exactness."""
    emergencies = [s for s in items if s.expected == "emergency"]
    alarmed = [s for s in items if s.predicted == "emergency"]
    missed = [s.id for s in emergencies if s.predicted != "emergency"]
    false_alarm_ids = [s.id for s in alarmed if "emergency" not in s.ok]
    not_current = [s for s in items if s.kind in NOT_CURRENT_KINDS and s.expected != "emergency"]
    nc_alarms = [s.id for s in not_current if s.predicted == "emergency" or (s.got_flags - s.exp_flags)]
    graded = [s for s in items if s.ok]
    confusion = Counter((s.expected, s.predicted) for s in graded)
    flag_rows = [s for s in items if s.exp_flags]
    sevens = [s.seven for s in items if s.seven is not None]
    late = [
        (s.id, s.stated_at, s.recognised_at)
        for s in emergencies
        if s.stated_at is not None and s.recognised_at is not None and s.recognised_at > s.stated_at
    ]
    return {
        "n": len(items),
        "emergency_n": len(emergencies),
        "emergency_recall": _ratio(len(emergencies) - len(missed), len(emergencies)),
        "emergency_precision": _ratio(len(alarmed) - len(false_alarm_ids), len(alarmed)),
        "missed": missed,
        "false_alarms": false_alarm_ids,
        "not_current_n": len(not_current),
        "not_current_alarms": nc_alarms,
        "not_current_alarm_rate": _ratio(len(nc_alarms), len(not_current)),
        "graded_n": len(graded),
        "exact": _ratio(sum(s.predicted == s.expected for s in graded), len(graded)),
        "acceptable": _ratio(sum(s.predicted in s.ok for s in graded), len(graded)),
        "within_one": _ratio(sum(within_one(s.predicted, s.ok) for s in graded), len(graded)),
        "not_within_one": [s.id for s in graded if not within_one(s.predicted, s.ok)],
        "confusion": confusion,
        "flag_rows_n": len(flag_rows),
        "flag_recall": _ratio(sum(bool(s.exp_flags & s.got_flags) for s in flag_rows), len(flag_rows)),
        "flag_codes_wrong": [s.id for s in flag_rows if s.got_flags and not s.exp_flags <= s.got_flags],
        "seven_n": len(sevens),
        "seven_exact": _ratio(sum(x["exact"] for x in sevens), len(sevens)),
        "seven_present_found": sum(x["present_found"] for x in sevens),
        "seven_present_n": sum(x["present_n"] for x in sevens),
        "seven_contradicted": sum(len(x["contradicted"]) for x in sevens),
        "seven_wrong": [
            (s.id, s.seven["missed"], s.seven["extra"]) for s in items if s.seven is not None and not s.seven["exact"]
        ],
        "late": late,
        "unfinished": [s.id for s in items if s.finished is False],
    }


def by_language(items: list[Scored]) -> dict[str, dict[str, Any]]:
    """report() per language code, in sorted order."""
    return {lang: report([s for s in items if s.lang == lang]) for lang in sorted({s.lang for s in items})}


def target_failures(label: str, m: dict[str, Any]) -> list[str]:
    """Issue 15's acceptance targets that a report misses (nan: nothing to measure, no fault)."""
    failures = []
    if m["emergency_n"] and not m["emergency_recall"] >= RECALL_TARGET:
        failures.append(f"{label}: emergency recall {m['emergency_recall']:.3f} < {RECALL_TARGET}")
    if m["not_current_n"] and not m["not_current_alarm_rate"] <= FALSE_ALARM_TARGET:
        failures.append(
            f"{label}: false alarms on past/negated/hypothetical/other-person "
            f"{m['not_current_alarm_rate']:.3f} > {FALSE_ALARM_TARGET}"
        )
    if m["graded_n"] and not m["within_one"] >= WITHIN_ONE_TARGET:
        failures.append(f"{label}: urgency within one level {m['within_one']:.3f} < {WITHIN_ONE_TARGET}")
    return failures


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "-"


def print_report(title: str, m: dict[str, Any], verbose: bool) -> None:
    """Human-readable per-language report."""
    print(f"\n== {title}: {m['n']} ==")
    print(
        f"emergency recall     {m['emergency_recall']:.3f}  ({m['emergency_n'] - len(m['missed'])}/{m['emergency_n']})"
        f"  missed: {_ids(m['missed'])}"
    )
    print(f"emergency precision  {m['emergency_precision']:.3f}  false alarms: {_ids(m['false_alarms'])}")
    print(
        f"past/negated/hypothetical/other-person raising a flag: "
        f"{len(m['not_current_alarms'])}/{m['not_current_n']} ({m['not_current_alarm_rate']:.3f})  "
        f"{_ids(m['not_current_alarms'])}"
    )
    print(
        f"urgency (n={m['graded_n']}): exact {m['exact']:.3f}  acceptable {m['acceptable']:.3f}  "
        f"within one acceptable level {m['within_one']:.3f}"
    )
    if verbose:
        print(f"  not within one: {_ids(m['not_within_one'])}")
    cols = (*URGENCIES, None)
    print("urgency confusion (rows expected, columns predicted; none: no urgency):")
    print("              " + "".join(f"{(c or 'none'):>10}" for c in cols))
    for exp in URGENCIES:
        print(f"  {exp:<12}" + "".join(f"{m['confusion'][(exp, c)]:>10d}" for c in cols))
    if m["flag_rows_n"]:
        print(
            f"red-flag rows found {m['flag_recall']:.3f} (n={m['flag_rows_n']}); "
            f"flagged with other codes: {_ids(m['flag_codes_wrong'])}"
        )
    if m["seven_n"]:
        print(
            f"7-point: exact {m['seven_exact']:.3f} (n={m['seven_n']}); items found "
            f"{m['seven_present_found']}/{m['seven_present_n']}; stated-absent items recorded "
            f"present: {m['seven_contradicted']}"
        )
        if verbose:
            for rid, miss, extra in m["seven_wrong"]:
                print(f"  {rid}: missed {miss or '-'}, extra {extra or '-'}")
    if m["unfinished"]:
        print(f"still interviewing after the last patient turn (no advice yet): {_ids(m['unfinished'])}")
    if m["late"]:
        print(
            "emergencies recognised after the turn that stated them: "
            + ", ".join(f"{rid} (stated at {s}, recognised at {r})" for rid, s, r in m["late"])
        )


@dataclass
class ConversationResult:
    """A played conversation: the last turn's facts and the turn at which it turned emergency."""

    urgency: str | None
    red_flags: list[str]
    items: frozenset[str]
    emergency_at: int | None
    finished: bool
    asked: list[str | None]


def play_conversation(knowledge: list[KnowledgeDoc], conv: dict[str, Any], threshold: float) -> ConversationResult:
    """Drive the engine as chatbot.services does: opening_turn, then reply per patient turn.

    Every turn is sent, even after the advice: a late message can still raise an emergency.
    """
    engine = Engine(
        knowledge,
        context=dict(conv.get("context") or {}),
        today=TODAY,
        threshold=threshold,
        language=conv.get("lang", "en"),
    )
    state = engine.new_state()
    turn = engine.opening_turn(state)
    emergency_at = 0 if turn.urgency == "emergency" else None
    asked: list[str | None] = [turn.question]
    for i, text in enumerate(conv["turns"], start=1):
        turn = engine.reply(state, text)
        asked.append(turn.question)
        if turn.urgency == "emergency" and emergency_at is None:
            emergency_at = i
    return ConversationResult(
        urgency=turn.urgency,
        red_flags=list(turn.red_flags),
        items=seven_point_items(state.get("slots", {})),
        emergency_at=emergency_at,
        finished=bool(turn.finished),
        asked=asked,
    )


def score_conversation(conv: dict[str, Any], result: ConversationResult) -> Scored:
    return Scored(
        id=conv["id"],
        lang=conv.get("lang", "en"),
        kind=conv.get("kind"),
        expected=conv.get("urgency"),
        ok=acceptable(conv),
        predicted=result.urgency,
        exp_flags=frozenset(conv.get("red_flags", ())),
        got_flags=frozenset(result.red_flags),
        seven=seven_point_score(conv.get("seven_point"), result.items),
        stated_at=conv.get("emergency_turn"),
        recognised_at=result.emergency_at,
        finished=result.finished,
    )


def evaluate_files(
    knowledge: list[KnowledgeDoc],
    data: list[Path],
    conversations: list[Path],
    threshold: float,
    verbose: bool,
) -> int:
    """The per-language report on extra files; exit code 1 when a target is missed."""
    failures: list[str] = []
    if data:
        rows = load_rows(data)
        scored = [score_message(r) for r in run_all(knowledge, rows, threshold)]
        print(f"messages: {len(rows)} from {', '.join(p.name for p in data)}")
        for lang, m in by_language(scored).items():
            print_report(f"messages, {lang}", m, verbose)
            failures += target_failures(f"messages {lang}", m)
    if conversations:
        convs = load_rows(conversations)
        print(f"\nconversations: {len(convs)} from {', '.join(p.name for p in conversations)}")
        scored = []
        for conv in convs:
            result = play_conversation(knowledge, conv, threshold)
            scored.append(score_conversation(conv, result))
            if verbose:
                print(
                    f"  {conv['id']}: urgency {result.urgency} (expected {conv.get('urgency')}), "
                    f"flags {result.red_flags}, emergency at turn {result.emergency_at}, "
                    f"finished={result.finished}, screen asked {result.asked}"
                )
        for lang, m in by_language(scored).items():
            print_report(f"conversations, {lang}", m, verbose)
            failures += target_failures(f"conversations {lang}", m)
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nAll per-language targets met.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every mistake")
    parser.add_argument("--tune", action="store_true", help="sweep the retrieval threshold on dev")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--part", choices=("dev", "heldout"), help="evaluate one part only")
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="score this message file (repeatable) per language instead of the built-in set",
    )
    parser.add_argument(
        "--conversations",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="score this conversation file (repeatable) per language",
    )
    args = parser.parse_args(argv)

    knowledge = load_knowledge()
    if args.data or args.conversations:
        return evaluate_files(knowledge, args.data, args.conversations, args.threshold, args.verbose)
    rows = load_messages()
    if args.tune:
        tune(knowledge, [r for r in rows if r["part"] == "dev"])
        return 0

    failures: list[str] = []
    print(f"knowledge base: {len(knowledge)} documents; threshold {args.threshold:.2f}")
    for part in (args.part,) if args.part else ("dev", "heldout"):
        part_rows = [r for r in rows if r["part"] == part]
        results = run_all(knowledge, part_rows, args.threshold)
        m = metrics(results)
        print_metrics(part, m, results, args.verbose)
        if part == "heldout":
            if m["emergencies_missed"]:
                failures.append(f"{len(m['emergencies_missed'])} held-out emergencies missed")
            if m["negated_flagged"]:
                failures.append(f"{len(m['negated_flagged'])} held-out negated messages flagged")
            if not m["topic_accuracy"] >= TOPIC_TARGET:
                failures.append(f"held-out topic accuracy {m['topic_accuracy']:.3f} < {TOPIC_TARGET}")

    print("\n== multi-turn stories ==")
    for story in STORIES:
        ok, detail = run_story(knowledge, story, args.threshold)
        print(f"  [{'ok' if ok else 'FAIL'}] {story.name}: {detail}")
        if not ok:
            failures.append(f"story failed: {story.name}")

    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nAll held-out targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
