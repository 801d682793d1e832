"""The chatbot engine: one patient message in, one bot turn out, all state in a plain dict."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from . import interview, nlu, redflags, screen
from .retrieval import DEFAULT_THRESHOLD, KnowledgeDoc, Retriever, retriever_for
from .textnorm import fold_text

Urgency = Literal["emergency", "urgent", "soon", "routine"]
Intent = Literal["answer", "question", "red_flag", "greeting", "other"]

# 2: the red-flag screen (state["screen"]) runs before the lesion interview.
STATE_VERSION = 2
NOTICE = "This is decision support, not a diagnosis."
LEVEL_LABEL = {1: "Emergency", 2: "Urgent", 3: "Soon", 4: "Routine"}
_RISK_QUESTIONS = frozenset({"risk", "history", "immunosuppressed"})
# How often an unclear answer is re-asked before the interview moves on without it.
MAX_REASKS = 1


@dataclass
class Turn:
    """What the bot says after one patient message, plus the triage facts behind it."""

    reply: str
    state: dict[str, Any]
    urgency: Urgency | None = None
    red_flags: list[str] = field(default_factory=list)
    seven_point_score: int | None = None
    triage_level: int | None = None
    intent: Intent = "other"
    topic: str | None = None
    sources: list[dict[str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    finished: bool = False
    # The red-flag screen question this turn asks, and the tap answers a client should offer.
    question: str | None = None
    choices: list[dict[str, str]] = field(default_factory=list)


def _fresh_state() -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "slots": {},
        "asked": [],
        "pending": None,
        "reasks": {},
        "features": {},
        "red_flags": [],
        "urgency": None,
        "triage_level": None,
        "seven_point_score": None,
        "reasons": [],
        "announced": None,
        "bot_turns": 0,
        "finished": False,
        "context_done": False,
        "screen": screen.fresh_state(),
    }


class Engine:
    """Symptom interview, red-flag screen and retrieval QA over the given knowledge only."""

    def __init__(
        self,
        knowledge: list[KnowledgeDoc],
        context: Mapping[str, Any] | None = None,
        today: date | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        language: str = "en",
    ) -> None:
        self.context: dict[str, Any] = dict(context or {})
        # The conversation's language code ("en", "es", ...): chooses the rules and the replies.
        self.language = language
        self.today = today or date.today()
        self.retriever: Retriever = retriever_for(list(knowledge), threshold)

    # ------------------------------------------------------------ public API

    def new_state(self) -> dict[str, Any]:
        """A fresh, JSON-serialisable conversation state."""
        return _fresh_state()

    def opening(self, state: dict[str, Any]) -> str:
        """The bot's first message; see opening_turn for the triage facts behind it."""
        return self.opening_turn(state).reply

    def opening_turn(self, state: dict[str, Any]) -> Turn:
        """First message: reads the upload's symptom text, then asks the first open question."""
        self._upgrade(state)
        intro = (
            "Hello, I'm the SkinTriage assistant. I'll ask a few short questions, first about "
            "emergency signs and then about your skin spot, so that a nurse can decide how soon "
            f"you should be seen. You can also ask me questions at any time. {NOTICE}"
        )
        noted, new_flags = self._read_context(state)
        if new_flags:
            return self._finish_turn(state, self._emergency_text(new_flags), "red_flag")
        parts = [intro]
        if noted:
            parts.append("From what you wrote with your photo, I noted: " + "; ".join(noted) + ".")
        parts.append(self._advance(state))
        return self._finish_turn(state, "\n\n".join(parts), "other")

    def reply(self, state: dict[str, Any], text: str) -> Turn:
        """Process one patient message and return the bot's turn (state is updated in place)."""
        self._upgrade(state)
        context_flags = [] if state["context_done"] else self._read_context(state)[1]
        # Unicode first: everything below reads the folded text (full-width, accents, look-alikes).
        text = fold_text(text or "").strip()[:2000]
        question = nlu.is_question(text)
        personal = nlu.is_personal(text)
        # General knowledge questions ("what does bleeding mean?") describe no one's symptoms.
        describes_patient = personal or not question
        found = interview.extract_findings(text, self.today) if describes_patient else {}
        features = redflags.extract_features(text) if describes_patient else {}
        new_flags = self._update_flags(state, text, features) if describes_patient else []

        # The red-flag screen: a tap (or a plain yes / no typed) answers its pending question.
        scr = state["screen"]
        screen_pending = bool(scr["pending"]) and not state["finished"]
        tapped: screen.Answer | None = None
        screen_note = ""
        if screen_pending:
            q = screen.BY_ID[scr["pending"]]
            tapped = screen.read_answer(text, q, found, features)
            if tapped is not None:
                question = False
                final = screen.record(scr, q.id, tapped)
                scr["pending"] = None
                if tapped == "unsure":
                    screen_note = q.if_still_unsure if final else "No problem."
                new_flags += [c for c in self._apply_screen(state) if c not in new_flags]

        pending = state.get("pending")
        # A yes / no that answers something other than the screen question is still an answer.
        said_yes_no = nlu.yes_no(text) is not None
        understood = bool(found) or tapped is not None or ((state["finished"] or screen_pending) and said_yes_no)
        if pending and not (question and not found) and not new_flags:
            understood = self._apply_answer(state, pending, text, found) or understood
        self._merge(state, found)
        if found and question and len(text.split()) <= 6 and not nlu.starts_as_question(text):
            # "about 3 weeks?" is an unsure answer, not a question for the knowledge base.
            question = False

        if new_flags or context_flags:
            return self._finish_turn(state, self._emergency_text(context_flags + new_flags), "red_flag")

        if question:
            return self._answer_question(state, text, found)

        if not text:
            return self._finish_turn(state, self._continue(state), "other")
        if nlu.is_greeting(text) and not found:
            thanks = nlu.normalise(text).startswith(("thank", "thx", "ta", "cheers"))
            opener = "You're welcome. " if thanks else "Hello! "
            return self._finish_turn(state, opener + self._continue(state), "greeting")

        if not understood:
            return self._finish_turn(state, self._not_understood(state), "other")

        ack = interview.summarise_findings(found)
        body = self._continue(state)
        if screen_note:
            body = screen_note + "\n\n" + body
        elif screen_pending and tapped is None and not state["red_flags"]:
            # Typed details are kept, but the screen question is never skipped.
            body = "Before we go on, please answer this quick safety question.\n\n" + body
        if ack:
            body = "Thank you, I noted: " + "; ".join(ack) + ".\n\n" + body
        elif not body.startswith(("Thank you", "No problem")):
            body = "Thank you.\n\n" + body
        return self._finish_turn(state, body, "answer")

    # ------------------------------------------------------------ state handling

    def _upgrade(self, state: dict[str, Any]) -> None:
        # States saved by older versions (or hand-made in tests) gain any missing keys.
        for key, value in _fresh_state().items():
            state.setdefault(key, copy.deepcopy(value))

    def _read_context(self, state: dict[str, Any]) -> tuple[list[str], list[str]]:
        state["context_done"] = True
        new_flags: list[str] = []
        upload_screen = self.context.get("screen") or {}
        if upload_screen:
            # The upload form's screen answers: not asked again, except a "not sure".
            screen.prefill(state["screen"], upload_screen)
            new_flags += self._apply_screen(state)
        symptoms = fold_text(self.context.get("symptoms") or "").strip()
        if not symptoms:
            return [], new_flags
        found = interview.extract_findings(symptoms, self.today)
        self._merge(state, found)
        new_flags += [c for c in self._update_flags(state, symptoms) if c not in new_flags]
        return interview.summarise_findings(found), new_flags

    def _update_flags(self, state: dict[str, Any], text: str, features: Mapping[str, str] | None = None) -> list[str]:
        if features is None:
            features = redflags.extract_features(text)
        state["features"] = redflags.merge_features(state["features"], features)
        result = redflags.evaluate(state["features"])
        return self._raise_flags(state, result.codes, result.needs_fever_check)

    def _raise_flags(self, state: dict[str, Any], codes: list[str], needs_fever_check: bool) -> list[str]:
        state["needs_fever_check"] = needs_fever_check
        new = [c for c in codes if c not in state["red_flags"]]
        state["red_flags"] = state["red_flags"] + new
        return new

    def _apply_screen(self, state: dict[str, Any]) -> list[str]:
        """Red flags and interview slots from the screen answers; returns the new flags."""
        answers = state["screen"]["answers"]
        self._merge(state, screen.slots_from(answers))
        # A tapped fever or new medicine also joins the free-text features, so that a sign
        # typed earlier ("a purple rash") and a tap ("yes" to fever) complete a rule together.
        tapped = {"fever": answers.get("fever"), "new_drug": answers.get("new_medicine")}
        state["features"] = redflags.merge_features(
            state["features"], {k: "pos" for k, v in tapped.items() if v == "yes"}
        )
        result = redflags.evaluate(state["features"])
        codes = screen.red_flags(answers)
        codes += [c for c in result.codes if c not in codes]
        return self._raise_flags(state, codes, result.needs_fever_check)

    def _merge(self, state: dict[str, Any], found: Mapping[str, Any]) -> None:
        slots = state["slots"]
        for slot, value in found.items():
            old = slots.get(slot, "missing")
            # A reported finding is never withdrawn by a later vaguer answer: for triage the
            # cost of forgetting a warning sign is higher than that of keeping it.
            if old is True and value is not True:
                continue
            if slot == "duration_days" and isinstance(old, float) and state.get("pending") != "duration_days":
                continue
            slots[slot] = value
        duration = slots.get("duration_days")
        if duration is not None and duration < 28 and "non_healing" not in slots:
            # A spot younger than four weeks cannot yet be "not healed after 4 weeks".
            slots["non_healing"] = False

    def _apply_answer(self, state: dict[str, Any], pending: str, text: str, found: Mapping[str, Any]) -> bool:
        """Read a reply as the answer to the pending question; False if it answered nothing."""
        q = interview.QUESTIONS[pending]
        yn = nlu.yes_no(text)
        # In "no redness" the "no" belongs to the finding that follows it, not to the question
        # asked; only a bare yes/no (or one set off by a comma) answers the question itself.
        if found and yn is not None and not nlu.leads_with_bare_yes_no(text):
            yn = None
        slots = state["slots"]
        answered = any(s in found for s in q.slots)
        for slot in q.slots:
            if slot in found or slot in slots:
                continue
            if slot in ("duration_days", "diameter_mm"):
                # "No" is no answer to "how long" or "how wide"; "not sure" is.
                if yn == "unsure" or (yn is None and _says_unknown(text)):
                    slots[slot] = None
                    answered = True
            elif yn == "no":
                slots[slot] = False
                answered = True
            elif yn == "unsure":
                slots[slot] = None
                answered = True
            elif yn == "yes":
                answered = True
                if len(q.slots) == 1:
                    slots[slot] = True
        if not answered and not found:
            count = state["reasks"].get(pending, 0) + 1
            state["reasks"][pending] = count
            if count > MAX_REASKS:
                for slot in q.slots:
                    slots.setdefault(slot, None)
        return answered or yn is not None

    # ------------------------------------------------------------ composing replies

    def _judge(self, state: dict[str, Any]) -> interview.Judgement:
        concerns = screen.concerns(state["screen"]["answers"])
        return interview.judge(state["slots"], state["red_flags"], self.context, redflags.RED_FLAGS, concerns)

    def _advance(self, state: dict[str, Any]) -> str:
        """Ask the next open question, or close the interview with urgency advice."""
        scr = state["screen"]
        if not scr["done"]:
            q = screen.next_question(scr)
            if q is not None:
                scr["pending"] = q.id
                # A state saved mid-interview by an older version must not read a tap as the
                # answer to its lesion question as well.
                state["pending"] = None
                lead = ""
                if not scr["introduced"]:
                    scr["introduced"] = True
                    lead = "First, a few quick safety questions. Tap Yes, No or Not sure, or type your answer.\n\n"
                return lead + screen.question_text(scr, q)
            scr["pending"] = None
            scr["done"] = True
            lead = (
                "Thank you. Now a few questions about your skin spot."
                if scr["introduced"]
                else "You answered the safety questions with your photo. Now a few questions about your skin spot."
            )
            return lead + "\n\n" + self._advance(state)
        j = self._judge(state)
        q = interview.next_question(
            state["slots"],
            state["asked"],
            urgent=j.level <= 2,
            fever_first=bool(state.get("needs_fever_check")),
        )
        if q is None:
            state["pending"] = None
            state["finished"] = True
            self._report(state, j)
            return self._final_text(state)
        state["pending"] = q.id
        if q.id not in state["asked"]:
            state["asked"].append(q.id)
        lead = ""
        if q.id in _RISK_QUESTIONS and state.get("announced") is None:
            # Every lesion and safety answer is in: the urgency is known, and the last
            # questions (history, immunity) can only raise it.
            self._report(state, j)
            lead = (
                f"Thank you. From your answers so far the urgency is "
                f"{self._advice_line(state)} One last question that could change this:"
                "\n\n"
            )
        elif j.level <= 2 and state.get("announced") != j.urgency:
            self._report(state, j)
            lead = (
                f"Based on what you have told me so far, this spot should be checked urgently: "
                f"{interview.TIMEFRAME[j.urgency]}. Why: {'; '.join(j.reasons)}. I have one or "
                "two more questions to rule out anything more urgent.\n\n"
            )
        return lead + q.text

    def _continue(self, state: dict[str, Any]) -> str:
        if state["red_flags"]:
            return self._emergency_reminder(state)
        if state["finished"]:
            j = self._judge(state)
            before = state.get("urgency")
            self._report(state, j)
            if state["urgency"] != before:
                return self._final_text(state)
            return (
                "Thank you, I have added that to your case for the nurse. "
                f"Your current advice is unchanged: {self._advice_line(state)} {NOTICE}"
            )
        return self._advance(state)

    def _report(self, state: dict[str, Any], j: interview.Judgement) -> None:
        # Reported urgency only ever rises on its own; a nurse, not the bot, lowers it.
        old = state.get("triage_level")
        if old is None or j.level <= old:
            state["urgency"] = j.urgency
            state["triage_level"] = j.level
            state["reasons"] = j.reasons
            state["announced"] = j.urgency

    def _advice_line(self, state: dict[str, Any]) -> str:
        level = state["triage_level"]
        return f"{LEVEL_LABEL[level]} (level {level}): {interview.TIMEFRAME[state['urgency']]}."

    def _final_text(self, state: dict[str, Any]) -> str:
        lines = [
            "Thank you, that's all my questions.",
            f"Based on your answers the urgency is {self._advice_line(state)}",
            "Why: " + "; ".join(state["reasons"]) + ".",
        ]
        if state["urgency"] == "routine":
            lines.append("Check it once a month with the ABCDE rule (Asymmetry, Border, Colour, Diameter, Evolving).")
        lines.append(
            "A nurse will review your case. If you develop a fever with a spreading rash, "
            "blistering skin, or bleeding that will not stop, seek emergency care straight "
            f"away. {NOTICE}"
        )
        return "\n\n".join(lines)

    def _emergency_text(self, codes: list[str]) -> str:
        signs = "; ".join(redflags.RED_FLAGS.get(c, c) for c in codes)
        return (
            f"What you describe ({signs}) can be a medical emergency. Please seek emergency "
            f"care {interview.TIMEFRAME['emergency']}. Do not wait for the photo result "
            "or for the nurse to contact you. If bleeding will not stop, press firmly on it "
            f"with a clean cloth while you get help. {NOTICE}"
        )

    def _emergency_reminder(self, state: dict[str, Any]) -> str:
        return (
            "Please do not wait: you mentioned signs that can be an emergency. "
            f"Seek emergency care {interview.TIMEFRAME['emergency']}."
        )

    def _not_understood(self, state: dict[str, Any]) -> str:
        scr = state["screen"]
        if scr["pending"] and not state["finished"]:
            # A screen question is never skipped: it is asked again, with its tap answers.
            q = screen.BY_ID[scr["pending"]]
            return (
                "Sorry, I didn't quite follow. Please tap Yes, No or Not sure (or type it).\n\n"
                + screen.question_text(scr, q)
            )
        if state["finished"] or not state.get("pending"):
            return (
                "Sorry, I didn't quite follow that. You can ask me about skin conditions, "
                "photos, or what happens next, or tell me about any change in your spot."
            )
        q = interview.QUESTIONS[state["pending"]]
        if state["reasks"].get(q.id, 0) > MAX_REASKS:
            return "Sorry, I didn't quite follow that, so let's move on.\n\n" + self._advance(state)
        return (
            "Sorry, I didn't quite follow. You can answer yes, no or not sure, or "
            f"describe it in your own words.\n\n{q.text}"
        )

    def _answer_question(self, state: dict[str, Any], text: str, found: Mapping[str, Any]) -> Turn:
        ans = self.retriever.answer(text)
        if ans is None:
            body = (
                "I'm sorry, I don't have reliable information to answer that, and I won't "
                "guess about medical matters. Please ask the nurse who reviews your case, or "
                "contact your GP or NHS 111 if you are worried."
            )
            topic, sources = None, []
        else:
            body = f'From our information on "{ans.doc.title}": {ans.excerpt}\n\n(Source: {ans.doc.title}. {NOTICE})'
            topic, sources = ans.doc.id, [{"id": ans.doc.id, "title": ans.doc.title}]
        if state["red_flags"]:
            tail = self._emergency_reminder(state)
        elif state["finished"]:
            self._report(state, self._judge(state))
            tail = f"Your current advice: {self._advice_line(state)}"
        elif not state["screen"]["done"]:
            tail = "Back to the safety questions: " + self._advance(state)
        elif state.get("pending") and not found:
            # Re-ask the pending question so the interview continues after the detour.
            tail = "Back to your spot: " + interview.QUESTIONS[state["pending"]].text
        else:
            tail = "Back to your spot: " + self._advance(state)
        turn = self._finish_turn(state, body + "\n\n" + tail, "question")
        turn.topic = topic
        turn.sources = sources
        return turn

    def _finish_turn(self, state: dict[str, Any], reply: str, intent: Intent) -> Turn:
        j = self._judge(state)
        state["seven_point_score"] = j.score
        if state["red_flags"]:
            state["finished"] = True
            state["pending"] = None
            state["screen"]["pending"] = None
            self._report(state, j)
        state["bot_turns"] = state.get("bot_turns", 0) + 1
        asking = state["screen"]["pending"] if not state["finished"] else None
        return Turn(
            reply=reply,
            state=state,
            urgency=state["urgency"],
            red_flags=list(state["red_flags"]),
            seven_point_score=j.score,
            triage_level=state["triage_level"],
            intent=intent,
            # Until an urgency is reported, the reasons are the checklist items found so far.
            reasons=list(state["reasons"]) if state["urgency"] else interview.seven_point(state["slots"])[1],
            finished=bool(state["finished"]),
            question=asking,
            choices=[dict(c) for c in screen.CHOICES] if asking else [],
        )


def _says_unknown(text: str) -> bool:
    t = nlu.normalise(text)
    return any(
        w in t
        for w in (
            "not sure",
            "no idea",
            "don't know",
            "dunno",
            "unsure",
            "can't say",
            "haven't measured",
            "can't measure",
        )
    )
