"""The chatbot engine: one patient message in, one bot turn out, all state in a plain dict."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from . import emergency_net, interview, messages, nlu, redflags, screen
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
# The taps that answered a family's screen questions "no" hold back the learned net's emergency
# only below this score, and only when the message does not say things changed since ("it's got
# a lot worse", "now", "just started"): a tap tells how things were when it was tapped.
TAP_OVERRULE_MAX = 0.7
_TELLS_CHANGE = re.compile(
    r"\b(worse|now|just (started|noticed|begun)|suddenly|since (then|i)|all of a sudden"
    r"|this (morning|evening|afternoon)|peor|ahora|de repente|acaba de|acabo de|empez\w*|desde entonces)\b"
)
# Grouped questions of minor 7-point items: a reply answering part of one leaves the rest unknown.
_MINOR_GROUPS = frozenset({"surface", "feeling"})


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
    # What a client can offer besides typing: {"kind": "call", "label": ..., "href": "tel:112"}.
    actions: list[dict[str, str]] = field(default_factory=list)
    # The language the reply is written in ("en", "es").
    language: str = "en"


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
        learned_net: bool = True,
    ) -> None:
        self.context: dict[str, Any] = dict(context or {})
        # The learned second net (emergency_net.py) after the rules; off only to measure the rules.
        self.learned_net = learned_net
        # The conversation's language code ("en", "es", ...): chooses the rules and the replies.
        self.language = language
        # The language the replies are written in: the conversation's when the catalog speaks
        # it, else English (with the emergency-number line in the patient's own language).
        self.reply_language = messages.spoken(language)
        self.emergency_number = str(self.context.get("emergency_number") or "112")
        self.today = today or date.today()
        self.retriever: Retriever = retriever_for(list(knowledge), threshold, self.reply_language)

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
        noted, new_flags = self._read_context(state)
        if new_flags:
            return self._finish_turn(state, self._emergency_text(new_flags), "red_flag")
        parts = [self._t("intro")]
        safety = messages.safety_line(self.language, self.emergency_number)
        if safety:
            parts.insert(0, safety)
        if noted:
            parts.append(self._t("noted_upload", items="; ".join(self._findings_text(noted))))
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
        # General knowledge questions ("what does bleeding mean?") describe no one's symptoms;
        # a reply that starts as an answer ("not sure, a few years?") is about the patient.
        describes_patient = personal or not question or nlu.yes_no(text, self.language) is not None
        found = interview.extract_findings(text, self.today, self.language) if describes_patient else {}
        features = redflags.extract_features(text, self.language)
        # A question that tells a whole emergency ("cut a skin tag off, 15 min pressing and
        # it's still pouring, is that normal?") is the patient's own, pronoun or not: missing
        # it costs more than treating a general question as a report.
        tells_emergency = not describes_patient and redflags.tells_emergency(text, self.language)
        if not (describes_patient or tells_emergency):
            features = {}
        if describes_patient:
            interview.update_pathway(state, text, self.language)
        new_flags = self._update_flags(state, text, features) if describes_patient or tells_emergency else []

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
                    screen_note = (
                        screen.say(q, "if_still_unsure", self.reply_language) if final else self._t("no_problem")
                    )
                new_flags += [c for c in self._apply_screen(state) if c not in new_flags]
        # A sign told in words answers its screen question before it is asked.
        told = screen.note_told(scr, features) if features and not state["finished"] else []
        if told:
            new_flags += [c for c in self._apply_screen(state) if c not in new_flags]

        pending = state.get("pending")
        # A yes / no that answers something other than the screen question is still an answer.
        said_yes_no = nlu.yes_no(text, self.language) is not None
        understood = bool(found) or tapped is not None or ((state["finished"] or screen_pending) and said_yes_no)
        if pending and not (question and not found) and not new_flags:
            understood = self._apply_answer(state, pending, text, found) or understood
        self._merge(state, found)
        if found and question and len(text.split()) <= 6 and not nlu.starts_as_question(text):
            # "about 3 weeks?" is an unsure answer, not a question for the knowledge base.
            question = False

        if (
            screen_pending
            and tapped is None
            and scr["pending"]
            and not (new_flags or state["red_flags"])
            and not (question and not found)
            and (found or told or "pos" in features.values())
            and state.get("bot_turns", 0) > 1
        ):
            # The patient went past the question, telling other things (often the answers to
            # the questions they expect next; the first message, their story, is not going
            # past): it comes back after the others, and is left
            # "not sure", left open for the nurse, if gone past again; never looped, never "no".
            q = screen.BY_ID[scr["pending"]]
            if screen.unanswered(scr, q.id, told_other=True) == "unsure":
                screen_note = self._left_open(q)
                new_flags += [c for c in self._apply_screen(state) if c not in new_flags]
            else:
                upcoming = screen.next_question(scr)
                # The last one left is asked again now, as before.
                screen_note = self._t("screen_before" if upcoming is q else "screen_later")
        if new_flags or context_flags:
            return self._finish_turn(state, self._emergency_text(context_flags + new_flags), "red_flag")
        if not state["red_flags"] and not screen.is_tap(text):
            # The rules found no emergency: the learned second net reads the message too.
            checked = self._second_net(state, text, knowledge_question=not (describes_patient or tells_emergency))
            if checked is not None:
                return checked

        if (question or (state["finished"] and not found)) and _asks_what_to_do(text):
            # "What should I do?" after (or before) the advice: say the advice again, plainly.
            body = self._restate(state)
            if _TREATMENT.search(nlu.normalise(text)) and not state["red_flags"]:
                # "What cream should I use?": no treatment advice from a bot, but where to get it.
                body = self._t("treatment_note") + "\n\n" + body
            return self._finish_turn(state, body, "question")

        if question:
            return self._answer_question(state, text, found)

        if not text:
            return self._finish_turn(state, self._continue(state), "other")
        if nlu.is_greeting(text) and not found:
            thanks = bool(_THANKS.search(nlu.normalise(text)))
            opener = self._t("welcome") if thanks else self._t("hello")
            return self._finish_turn(state, opener + self._continue(state), "greeting")
        # A plain opening ("hi i want to check a mole on my chest"), as the first message or
        # led by a greeting; later, "I'm worried about it" is no greeting.
        opening = _is_opening(text) and (state.get("bot_turns", 0) <= 1 or bool(_GREETS.match(nlu.normalise(text))))
        if not understood and not found and opening:
            # "hi i want to check a mole on my chest": a plain opening, greeted, not misread.
            lead = self._t("opening_greet")
            if screen_pending:
                lead += self._t("screen_before")
            return self._finish_turn(state, lead + "\n\n" + self._continue(state), "greeting")

        if not understood:
            return self._finish_turn(state, self._not_understood(state), "other")

        ack = self._findings_text(found)
        body = self._continue(state)
        if screen_note:
            body = screen_note + "\n\n" + body
        elif screen_pending and tapped is None and not state["red_flags"]:
            # Typed details are kept, but the screen question is never skipped.
            body = self._t("screen_before") + "\n\n" + body
        turn_no = state.get("bot_turns", 0)
        if ack:
            body = self._t("ack_noted", variant=turn_no, items="; ".join(ack)) + "\n\n" + body
        elif opening:
            body = self._t("opening_greet").strip() + " " + body
        elif not body.startswith((*self._variants("ack_plain"), self._t("no_problem"))):
            body = self._t("ack_plain", variant=turn_no) + "\n\n" + body
        if opening and _GREETS.match(nlu.normalise(text)) and not body.startswith(self._t("hello")):
            # "hi i want to check a mole on my chest": greeted back, then the next question.
            body = self._t("hello") + body
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
        found = interview.extract_findings(symptoms, self.today, self.language)
        interview.update_pathway(state, symptoms, self.language)
        self._merge(state, found)
        new_flags += [c for c in self._update_flags(state, symptoms) if c not in new_flags]
        if not new_flags and self.learned_net:
            # The upload text gets the learned net too; its middle band puts the matching
            # screen questions first (the screen is asked next anyway).
            net = self._net(state, symptoms)
            answered = emergency_net.answered_by_rules(net.family, state["features"])
            if net.band == "emergency" and not answered:
                new_flags = self._raise_flags(state, [net.family], False)
            elif net.band in ("screen", "emergency"):
                screen.ask_first(state["screen"], emergency_net.FAMILY_SCREEN.get(net.family, ()))
        return found, new_flags

    def _net(self, state: dict[str, Any], text: str) -> emergency_net.Assessment:
        """The learned net's reading of a message, noted in the state for the nurse."""
        net = emergency_net.assess(text, self.language)
        state.setdefault("net", []).append({"score": round(net.score, 3), "family": net.family, "band": net.band})
        return net

    def _second_net(self, state: dict[str, Any], text: str, knowledge_question: bool = False) -> Turn | None:
        """The learned net on a message the rules found no emergency in (emergency_net.py).

        Its emergency band takes the same path as a rule hit; its middle band asks the matching
        red-flag screen question(s) next, as taps, instead of the interview's next question,
        except after a general knowledge question ("what is a petechial rash?"), which is
        answered: it tells nothing about the patient to check.
        """
        if not self.learned_net or not text:
            return None
        net = self._net(state, text)
        band = net.band
        if band == "emergency" and (
            emergency_net.answered_by_rules(net.family, state["features"])
            or emergency_net.sign_only_elsewhere(net.family, text, self.language)
            or emergency_net.sign_not_current(net.family, text, self.language, net.score)
            or (
                net.score < TAP_OVERRULE_MAX
                and not _TELLS_CHANGE.search(nlu.normalise(text))
                and self._screen_denied(state, net.family)
            )
        ):
            band = "screen"
        if band == "emergency":
            self._raise_flags(state, [net.family], False)
            return self._finish_turn(state, self._emergency_text([net.family]), "red_flag")
        if (
            band == "screen"
            and not knowledge_question
            and screen.ask_first(state["screen"], emergency_net.FAMILY_SCREEN.get(net.family, ()))
        ):
            # After the advice too: the conversation reopens for the check, then closes again.
            state["finished"] = False
            state["pending"] = None
            return self._finish_turn(state, self._t("net_check") + "\n\n" + self._advance(state), "red_flag")
        return None

    def _left_open(self, q: screen.ScreenQuestion) -> str:
        """Said when a screen question is left unanswered: open for the nurse, and what to do."""
        sign = screen.say(q, "short", self.reply_language)
        return self._t("screen_left_open", sign=sign, number=self.emergency_number)

    @staticmethod
    def _screen_denied(state: dict[str, Any], family: str) -> bool:
        """Whether the patient has already answered "no" to every screen question that checks the
        net's family ("no fever", "not spreading" tapped, then "red and a bit swollen" typed):
        the net's score alone does not overrule the taps; the rules still read every message."""
        checks = emergency_net.FAMILY_SCREEN.get(family, ())
        answers = state["screen"]["answers"]
        return bool(checks) and all(answers.get(q) == "no" for q in checks)

    def _update_flags(self, state: dict[str, Any], text: str, features: Mapping[str, str] | None = None) -> list[str]:
        if features is None:
            features = redflags.extract_features(text, self.language)
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
        q = _question(pending)
        yn = nlu.yes_no(text, self.language)
        # In "no redness" the "no" belongs to the finding that follows it, not to the question
        # asked; only a bare yes/no (or one set off by a comma) answers the question itself.
        if found and yn is not None and not nlu.leads_with_bare_yes_no(text, self.language):
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
        if answered and q.id in _MINOR_GROUPS:
            # "No itch." to "does it itch, hurt ... or is the skin around it red?": the part
            # not mentioned is left unknown rather than asked on its own (minor 1-point items;
            # the majors, size, shape and colour, are still asked one by one). A spot that never
            # bled nor crusted is no unhealed sore.
            for slot in q.slots:
                if slot not in found and slot not in slots:
                    slots[slot] = False if slot == "non_healing" and found.get("bleeding") is False else None
        # Telling something else instead counts as a miss too: the question is asked again once,
        # then left open, rather than after every other detail the patient gives.
        if not answered:
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
                    lead = self._t("screen_intro") + "\n\n"
                return lead + screen.question_text(scr, q, self.reply_language)
            scr["pending"] = None
            scr["done"] = True
            lead = self._t("screen_done") if scr["introduced"] else self._t("screen_done_upload")
            return lead + "\n\n" + self._advance(state)
        j = self._judge(state)
        q = interview.next_question(
            state["slots"],
            state["asked"],
            urgent=j.level <= 2,
            fever_first=bool(state.get("needs_fever_check")),
            pathway=state.get("pathway") or interview.DEFAULT_PATHWAY,
        )
        if q is None and j.level <= 2 and (state.get("pathway") or "lesion") == "lesion":
            q = self._still_to_ask_when_urgent(state)
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
            lead = self._t("risk_lead", advice=self._advice_line(state)) + "\n\n"
        elif j.level <= 2 and state.get("announced") != j.urgency:
            self._report(state, j)
            lead = (
                self._t(
                    "urgent_lead", timeframe=self._timeframe(j.urgency), reasons="; ".join(self._reasons(j.reasons))
                )
                + "\n\n"
            )
        return lead + self._qtext(q)

    def _still_to_ask_when_urgent(self, state: dict[str, Any]) -> interview.Question | None:
        """Healing and immunity still matter to the nurse once a spot is urgent: ask them once,
        together (one "no" settles both), then singly after a bare "yes"."""
        open_slots = [s for s in URGENT_EXTRA.slots if s not in state["slots"]]
        if not open_slots:
            return None
        if len(open_slots) == len(URGENT_EXTRA.slots) and URGENT_EXTRA.id not in state["asked"]:
            return URGENT_EXTRA
        q = interview.QUESTIONS.get(open_slots[0])
        return q if q is not None and q.id not in state["asked"] else None

    def _continue(self, state: dict[str, Any]) -> str:
        if state["red_flags"]:
            return self._emergency_reminder(state)
        if state["finished"]:
            j = self._judge(state)
            before = state.get("urgency")
            self._report(state, j)
            if state["urgency"] != before:
                return self._final_text(state)
            return self._t("added_unchanged", advice=self._advice_line(state))
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
        label = (messages.lookup(self.reply_language, "level") or {}).get(str(level), LEVEL_LABEL[level])
        return self._t("advice_line", label=label, level=level, timeframe=self._timeframe(state["urgency"]))

    def _final_text(self, state: dict[str, Any]) -> str:
        lines = [
            self._t("final_done"),
            self._t("final_urgency", advice=self._advice_line(state)),
            self._t("why", reasons="; ".join(self._reasons(state["reasons"]))),
        ]
        if state["urgency"] == "routine":
            lines.append(self._t("final_routine"))
        lines.append(self._t("final_safety"))
        return "\n\n".join(lines)

    def _restate(self, state: dict[str, Any]) -> str:
        """The advice said again, plainly: what to do, why, and what happens next."""
        if state["red_flags"]:
            return self._emergency_text(state["red_flags"], restate=True)
        if not state["finished"] and state.get("announced") is None:
            if not state["screen"]["done"] or not state["asked"]:
                # The safety screen first: no advice before the emergency signs are checked.
                body = self._t("restate_pending", number=self.emergency_number)
                return body + "\n\n" + self._continue_question(state)
            # Asked mid-interview: what the answers so far mean, said as provisional (it can
            # only rise with the questions left), then the open question again.
            self._report(state, self._judge(state))
            body = self._t("restate_so_far", advice=self._advice_line(state), number=self.emergency_number)
            return body + "\n\n" + self._continue_question(state)
        self._report(state, self._judge(state))
        lines = [
            self._t("restate", advice=self._advice_line(state)),
            self._t("restate_why", reasons="; ".join(self._reasons(state["reasons"]))),
            self._t("restate_next"),
        ]
        if not state["finished"]:
            lines.append(self._continue_question(state))
        return "\n\n".join(lines)

    def _continue_question(self, state: dict[str, Any]) -> str:
        """The open question again, after a detour."""
        scr = state["screen"]
        if scr["pending"]:
            return self._t("back_to_screen") + screen.question_text(
                scr, screen.BY_ID[scr["pending"]], self.reply_language
            )
        if state.get("pending"):
            return self._t("back_to_spot") + self._qtext(_question(state["pending"]))
        return self._advance(state)

    def _emergency_text(self, codes: list[str], restate: bool = False) -> str:
        signs = "; ".join(self._flag_label(c) for c in codes)
        key = "emergency_restate" if restate else "emergency"
        lines = [self._t(key, signs=signs, number=self.emergency_number)]
        # Advice for the sign found only: no pressing on a wound for a rash that will not fade.
        tips = [messages.lookup(self.reply_language, "emergency_tip", c) for c in codes]
        lines += [t for i, t in enumerate(tips) if t and t not in tips[:i]]
        lines.append(self._t("notice"))
        text = " ".join(lines)
        safety = messages.safety_line(self.language, self.emergency_number)
        return f"{safety}\n\n{text}" if safety else text

    def _emergency_reminder(self, state: dict[str, Any]) -> str:
        return self._t("emergency_reminder", number=self.emergency_number)

    def _not_understood(self, state: dict[str, Any]) -> str:
        scr = state["screen"]
        if scr["pending"] and not state["finished"]:
            # A screen question is never skipped: it is asked again, with its tap answers, and
            # after the fourth unreadable reply left "not sure", open for the nurse.
            q = screen.BY_ID[scr["pending"]]
            if screen.unanswered(scr, q.id, told_other=False) == "unsure":
                self._apply_screen(state)
                return self._left_open(q) + "\n\n" + self._continue(state)
            return self._t("not_understood_screen") + "\n\n" + screen.question_text(scr, q, self.reply_language)
        if state["finished"] or not state.get("pending"):
            return self._t("not_understood_open")
        q = _question(state["pending"])
        if state["reasks"].get(q.id, 0) > MAX_REASKS:
            return self._t("not_understood_move_on") + "\n\n" + self._advance(state)
        return self._t("not_understood_reask") + "\n\n" + self._qtext(q)

    def _answer_question(self, state: dict[str, Any], text: str, found: Mapping[str, Any]) -> Turn:
        ans = self.retriever.answer(text)
        if ans is None:
            body = self._t("no_info")
            topic, sources = None, []
        else:
            body = self._t("kb_answer", title=ans.doc.title, excerpt=ans.excerpt)
            if ans.doc.language != self.reply_language and self._t("kb_english_only"):
                # The admin has not translated this page yet: say so rather than hide it.
                body = self._t("kb_english_only") + "\n\n" + body
            body += "\n\n" + self._t("kb_source", title=ans.doc.title)
            topic, sources = ans.doc.id, [{"id": ans.doc.id, "title": ans.doc.title}]
        if state["red_flags"]:
            tail = self._emergency_reminder(state)
        elif state["finished"]:
            self._report(state, self._judge(state))
            tail = self._t("current_advice", advice=self._advice_line(state))
        elif not state["screen"]["done"]:
            tail = self._t("back_to_screen") + self._advance(state)
        elif state.get("pending") and not found:
            # Re-ask the pending question so the interview continues after the detour.
            tail = self._t("back_to_spot") + self._qtext(_question(state["pending"]))
        else:
            tail = self._t("back_to_spot") + self._advance(state)
        turn = self._finish_turn(state, body + "\n\n" + tail, "question")
        turn.topic = topic
        turn.sources = sources
        return turn

    # ------------------------------------------------------------ the reply catalog

    def _t(self, key: str, variant: int = 0, **values: Any) -> str:
        return messages.text(
            self.reply_language, key, variant, notice=messages.text(self.reply_language, "notice"), **values
        )

    def _variants(self, key: str) -> list[str]:
        entry = messages.lookup(self.reply_language, key)
        return list(entry) if isinstance(entry, list) else [entry]

    def _qtext(self, q: interview.Question) -> str:
        """An interview question in the reply language (interview.py's English by default)."""
        return messages.own(self.reply_language, "question", q.id) or q.text

    def _timeframe(self, urgency: str) -> str:
        return messages.own(self.reply_language, "timeframe", urgency) or interview.TIMEFRAME[urgency]

    def _flag_label(self, code: str) -> str:
        return messages.own(self.reply_language, "flag", code) or redflags.RED_FLAGS.get(code, code)

    def _reasons(self, reasons: list[str]) -> list[str]:
        """Reasons are stored in English for the nurse; the patient reads them in their language."""
        if self.reply_language == messages.DEFAULT:
            return list(reasons)
        labels = {en: self._flag_label(code) for code, en in redflags.RED_FLAGS.items()}
        labels.update({q.short: screen.say(q, "short", self.reply_language) for q in screen.QUESTIONS})
        words = messages.own(self.reply_language, "duration") or {}
        return [messages.reason(self.reply_language, _say_durations(r, words), labels) for r in reasons]

    def _findings_text(self, found: Mapping[str, Any]) -> list[str]:
        """Short phrases echoing back what was understood, in the reply language."""
        if self.reply_language == messages.DEFAULT or not messages.own(self.reply_language, "finding"):
            return interview.summarise_findings(found)
        phrases = messages.own(self.reply_language, "finding")
        words = messages.own(self.reply_language, "duration") or {}
        out: list[str] = []
        for slot in (s for s in interview.SLOTS if s in found):
            value = found[slot]
            if slot == "duration_days" and isinstance(value, (int, float)):
                out.append(words["present"].format(d=_describe_days(value, words)))
            elif slot == "diameter_mm" and isinstance(value, (int, float)):
                out.append(words["mm"].format(n=f"{value:g}"))
            elif slot == "body_site" and isinstance(value, str) and value:
                sites = messages.own(self.reply_language, "site") or {}
                said = [sites.get(v.strip(), v.strip()) for v in value.split(",")]
                out.append(
                    (messages.own(self.reply_language, "site_said") or "{sites}").format(
                        sites=_and_list(said, messages.own(self.reply_language, "and") or " and ")
                    )
                )
            elif slot in phrases and isinstance(value, bool):
                out.append(phrases[slot][0 if value else 1])
        return out

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
        actions = []
        if state["red_flags"]:
            number = self.emergency_number
            actions = [{"kind": "call", "label": self._t("call_label", number=number), "href": f"tel:{number}"}]
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
            choices=screen.choices(self.reply_language) if asking else [],
            actions=actions,
            language=self.reply_language,
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


# Asked even when the spot is already urgent (issue 15): the nurse plans care around them.
URGENT_EXTRA = interview.Question(
    "urgent_extra",
    ("non_healing", "immunosuppressed"),
    "Two more things help the nurse plan your care: is it a sore that has not healed after 4 "
    "weeks, or is your immune system weakened (for example after an organ transplant, or by "
    "medicines such as chemotherapy or long-term steroids)?",
)


def _question(qid: str) -> interview.Question:
    return URGENT_EXTRA if qid == URGENT_EXTRA.id else interview.QUESTIONS[qid]


# "What should I do?", "what now?", "¿qué hago?": the patient wants the advice again, not a
# knowledge-base page. The text is already folded (no accents) when this runs.
_WHAT_TO_DO = re.compile(
    r"^\W*((so|ok|okay|and|but|well|right|thanks|y|entonces|vale|bueno|pues|gracias)\W+)*("
    r"what (should|shall|do|can|must|would you advise) (i|we) do( now| next| then| about it)?"
    r"|what (now|next|then)|what happens (now|next)|what do you (advise|recommend|suggest)"
    r"|what is (the|your) (advice|recommendation)|so what do i do|what does (that|this) mean( for me)?"
    r"|(do|should) i (need to )?(see|go to) (a|the|my) (doctor|gp|hospital|nurse)"
    r"|how (soon|urgent|quickly) (should|do) i (go|be seen|see someone)"
    r"|(so )?is (it|this|that) (serious|bad|dangerous|urgent|an emergency)"
    r"|(es|sera) (grave|peligroso|urgente|una emergencia)"
    r"|(que|q) (hago|debo hacer|tengo que hacer|hago ahora|me recomienda|me aconseja)( ahora)?"
    r"|y ahora (que|q)|ahora (que|q)|que significa (eso|esto)|que pasa ahora"
    r"|(tengo|debo) que ir al medico|(debo|tengo que) ver a un medico"
    r"|(do|should|shall) i (need to )?(book|make|get) (an|a) (appointment|appt|app)"
    r"|(do|will) i need (an|a) (appointment|appt|doctor|gp)"
    r"|(tengo|debo|hay) que (pedir|coger|sacar) (una )?cita|(necesito|debo pedir) (una )?cita"
    # "what do I do to calm it down?", "so should I get it checked?", "¿qué hago para que se calme?"
    r"|what (should|shall|do|can|could) (i|we) do (to|for|with|about) .+"
    r"|(should|do) (i|we) (need to )?(get|have) (it|this|them|these) (checked|looked at|seen)( .+)?"
    r"|que (hago|puedo hacer|debo hacer|le hago) (para|con) .+"
    r"|(what|which) (cream|ointment|lotion|moisturi[sz]er|medicine|treatment) (should|can|do|could) (i|we) "
    r"(use|put|try|buy|get|give)( .+)?"
    r"|what (can|should|could) (i|we) (put|use|apply|give) (on|for) .+"
    r"|(so )?(is there )?(nothing|anything|something) to worry about"
    r"|(should|do) i (need to )?(be )?worr(y|ied)( about (it|this|that))?"
    r"|is (it|this|that) (anything|something) to worry about|(no )?(hay|tengo) (nada |algo )?(de )?que preocupar(me|se)"
    r"|(me )?(tengo|debo) que preocupar(me)?|es (algo )?preocupante"
    r"|(que|q) (me|le|les) (pongo|puedo poner|echo|puedo echar|aplico|doy|puedo dar)( .+)?"
    r"|(que|q) crema (me |le )?(pongo|uso|compro|puedo usar|puedo poner|le pongo)( .+)?"
    r"|(deberia|debo|tengo que) (ir al medico|ir a que me lo (miren|vean)|revisarmelo|que me lo (miren|vean))( .+)?"
    r"|(so )?(is|are) (it|that|this|they|everything|all) (ok|okay|fine|alright|all right)( then)?"
    r"|(entonces )?(esta|estara|estoy|todo) bien( entonces)?"
    # "so what do I do? is it catching?": a short second question after the first is still asking this
    r")(\W+(thanks|thank you|thx|cheers|ta|gracias)( v| very| so)?( much)?)?(\W+[^.?!]{1,40}\?)?\W*$",
    re.IGNORECASE,
)
_GREETS = re.compile(
    r"^\W*(hi+|hello+|hey+|hiya|good (morning|afternoon|evening)|hola|buen[oa]s( dias| tardes| noches)?)\b"
)
_OPENING = re.compile(
    _GREETS.pattern + r"|\b(want|wanted|would like|like|need|needed|hoping) to (check|ask|show|talk|get)\b"
    r"|\b(check|look at|looking at) (a|my|this|the|some)\b|\bworried about\b|\bconcerned about\b"
    r"|\b(quiero|quisiera|necesito) (revisar|consultar|preguntar|ensenar|mostrar|que)\b|\bme preocupa\b",
    re.IGNORECASE,
)
_TREATMENT = re.compile(
    r"\b(cream|ointment|lotion|moisturi[sz]er|put on|apply|treat|treatment|calm it|soothe"
    r"|crema|pomada|locion|pongo|poner|echo|echar|aplico|tratamiento|calmar|aliviar)\b"
)
# "thanks", "ok thanks", "great, cheers", "vale gracias": answered "you're welcome", not "hello".
_THANKS = re.compile(r"\b(thanks?|thank (you|u)|thx|ta|cheers|gracias)\b")


def _asks_what_to_do(text: str) -> bool:
    return bool(_WHAT_TO_DO.match(nlu.normalise(text).strip()))


def _is_opening(text: str) -> bool:
    return bool(_OPENING.search(nlu.normalise(text)))


_ENGLISH_DURATION = re.compile(r"\babout (\d+) (day|days|weeks|months|years)\b|\bless than a day\b")
_DAYS_PER = {"day": 1, "days": 1, "weeks": 7, "months": 30, "years": 365}


def _say_durations(reason: str, words: Mapping[str, Any]) -> str:
    """English durations ("about 3 months", inside a stored reason) in the reply language."""
    if not words:
        return reason

    def said(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return words["less_than_day"]
        return _describe_days(int(m.group(1)) * _DAYS_PER[m.group(2)], words)

    return _ENGLISH_DURATION.sub(said, reason)


def _describe_days(days: float, words: Mapping[str, Any]) -> str:
    if days < 1:
        return words["less_than_day"]
    if days < 14:
        n = round(days)
        return words["days"][0 if n == 1 else 1].format(n=n)
    if days < 60:
        return words["weeks"].format(n=round(days / 7))
    if days < 730:
        return words["months"].format(n=round(days / 30))
    return words["years"].format(n=round(days / 365))


def _and_list(items: list[str], conjunction: str) -> str:
    """["a", "b", "c"] -> "a, b y c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + conjunction + items[-1]
