"""Evaluate the chatbot engine on tests/data/chat_eval.jsonl and scripted interview stories.

Run: python -m chatbot.evaluate [--verbose] [--tune]

Builds the knowledge base from the seed files exactly as the product does, sends every message
to a fresh conversation, and prints per part (dev / heldout) the topic and intent accuracy,
red-flag recall and precision, and the emergency confusion matrix. Exits non-zero when a
held-out safety target fails: an emergency not told to seek emergency care, a negated message
raising a flag, topic accuracy under 0.85, or a story not reaching its urgency in time.

Held-out rows were written in batches (ids h-, h2- ... h5-), each before the engine changes
that followed it; "topic accuracy by batch" shows them separately. Messages whose id contains
"-neg-" deny symptoms ("no fever, no blisters"); they must never
raise a red flag.
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


def run_message(knowledge: list[KnowledgeDoc], text: str, threshold: float) -> Result:
    """One message in a fresh conversation, after the bot's opening question."""
    engine = Engine(knowledge, context={}, today=TODAY, threshold=threshold)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, text)
    return Result({}, turn.intent, turn.topic, turn.red_flags, turn.urgency)


def run_all(knowledge: list[KnowledgeDoc], rows: Iterable[dict[str, Any]], threshold: float) -> list[Result]:
    """Every message through the engine."""
    results = []
    for row in rows:
        r = run_message(knowledge, row["text"], threshold)
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


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every mistake")
    parser.add_argument("--tune", action="store_true", help="sweep the retrieval threshold on dev")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--part", choices=("dev", "heldout"), help="evaluate one part only")
    args = parser.parse_args(argv)

    knowledge = load_knowledge()
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
