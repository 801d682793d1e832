"""ConText for patient messages: is a finding denied, hedged, hypothetical, past or someone else's?

A blank spaCy pipeline per language (no model download): a sentencizer, a target matcher that
marks every red-flag feature and interview finding of the rules table (chatbot/engine/rules) as a
span, and negspaCy's NegEx run once per ConText category with that category's trigger phrases
from the same table (NEGATED_EXISTENCE, POSSIBLE, HYPOTHETICAL, HISTORICAL, FAMILY). The result is
cached per text: the interview and the red-flag screen read the same analysis.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal

from . import ruleset

if TYPE_CHECKING:  # spaCy is imported on the first analysis, not when the web process starts
    from spacy.language import Language
    from spacy.tokens import Doc, Span

Polarity = Literal["pos", "neg", "unc"]
SPAN_KEY = "targets"
_RANK: dict[str, int] = {"neg": 0, "unc": 1, "pos": 2}


def feature_label(name: str) -> str:
    """Span label of a red-flag feature."""
    return f"feature:{name}"


def present_label(slot: str) -> str:
    """Span label of a phrase stating an interview finding."""
    return f"present:{slot}"


def absent_label(slot: str) -> str:
    """Span label of a phrase denying an interview finding ("same size")."""
    return f"absent:{slot}"


MEDICINE_LABEL = "medicine"


def pathway_label(pathway: str) -> str:
    """Span label of a phrase that points to an interview pathway ("rash", "lesion")."""
    return f"pathway:{pathway}"


def clauses(text: str, split: ruleset.re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """(offset, clause) pieces of text between clause boundaries, stripped of spaces."""
    pos = 0
    for m in [*split.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        stripped = piece.strip()
        if stripped:
            yield pos + piece.index(stripped), stripped
        if m:
            pos = m.end()


def clause_end(pieces: list[tuple[int, str]], pos: int) -> int:
    """End offset of the clause holding character pos (pos itself when between clauses)."""
    for offset, piece in pieces:
        if offset <= pos < offset + len(piece):
            return offset + len(piece)
    return pos + 1


def clause_of(pieces: list[tuple[int, str]], pos: int) -> tuple[int, str]:
    """(offset, clause) holding character pos, or (pos, "") when it falls between clauses."""
    for offset, piece in pieces:
        if offset <= pos < offset + len(piece):
            return offset, piece
    return pos, ""


class TargetMatcher:
    """Marks every rules-table pattern match as a span in doc.spans["targets"]."""

    def __init__(self, language: str) -> None:
        rules = ruleset.load(language)
        self.split = rules.clause_split
        self.targets: list[tuple[str, ruleset.re.Pattern[str], str]] = []
        for f in rules.features.values():
            self.targets.append((feature_label(f.id), f.pattern, f.scope))
        for s in rules.findings.values():
            if s.present is not None:
                self.targets.append((present_label(s.slot), s.present, "clause"))
            if s.present_sentence is not None:
                self.targets.append((present_label(s.slot), s.present_sentence, "sentence"))
            if s.absent is not None:
                self.targets.append((absent_label(s.slot), s.absent, "clause"))
        self.targets.append((MEDICINE_LABEL, rules.medicine_word, "clause"))
        for pathway, pattern in rules.pathways.items():
            self.targets.append((pathway_label(pathway), pattern, "clause"))

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        pieces = list(clauses(text, self.split))
        spans: list[Span] = []
        for label, pattern, scope in self.targets:
            regions = [(0, text)] if scope == "sentence" else pieces
            for offset, piece in regions:
                for m in pattern.finditer(piece):
                    if m.end() == m.start():
                        continue
                    start, end = offset + m.start(), offset + m.end()
                    if scope == "sentence":
                        # NegEx reads a span only inside one clause: a sentence-wide match
                        # ("if it ever bleeds and won't stop") takes the ConText of the clause
                        # it starts in, so the "if" before it still counts.
                        end = min(end, clause_end(pieces, start))
                    span = doc.char_span(start, end, label=label, alignment_mode="expand")
                    if span is not None:
                        spans.append(span)
        doc.spans[SPAN_KEY] = spans
        return doc


def _make_targets(nlp: Language, name: str, language: str) -> TargetMatcher:
    return TargetMatcher(language)


@cache
def _register_components() -> None:
    """Register the target matcher and negspaCy's "negex" with spaCy (once per process)."""
    import negspacy.negation  # noqa: F401 - importing it registers the "negex" factory
    from spacy.language import Language

    Language.factory("skintriage_targets", default_config={"language": ruleset.DEFAULT_LANGUAGE}, func=_make_targets)


@cache
def pipeline(language: str = ruleset.DEFAULT_LANGUAGE) -> Language:
    """The blank spaCy pipeline with targets and one NegEx per ConText category."""
    import spacy

    _register_components()
    rules = ruleset.load(language)
    nlp = spacy.blank(rules.language)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("skintriage_targets", config={"language": rules.language})
    for cat in ruleset.CATEGORIES:
        nlp.add_pipe(
            "negex",
            name=f"context_{cat}",
            config={
                "neg_termset": rules.termsets[cat],
                "extension_name": f"context_{cat}",
                "span_keys": [SPAN_KEY],
            },
        )
    return nlp


@dataclass(frozen=True)
class Analysis:
    """Every target found in a message, with the ConText modifiers of each hit."""

    hits: dict[str, tuple[frozenset[str], ...]]

    def modifiers(self, label: str) -> tuple[frozenset[str], ...]:
        """The modifier sets of every hit of a label (empty when it was not mentioned)."""
        return self.hits.get(label, ())

    def count(self, label: str) -> int:
        """How many current, affirmed mentions a label has (not denied, hedged or past)."""
        return sum(hit_polarity(mods) == "pos" for mods in self.modifiers(label))

    def polarity(self, label: str, *, past_counts: bool = False, others_count: bool = True) -> Polarity | None:
        """'pos' if any current hit is affirmed, else 'unc' if any is hedged, else 'neg'.

        A past or resolved mention ("it used to bleed", "I had SJS years ago, all fine now") is
        not a current finding and is left out, unless past_counts (a history of skin cancer, a
        transplant years ago). Reporting a finding when in doubt is the safer error for triage.
        """
        best: Polarity | None = None
        for mods in self.modifiers(label):
            if not others_count and "family" in mods:
                continue
            p = hit_polarity(mods, past_counts=past_counts)
            if p is not None and (best is None or _RANK[p] > _RANK[best]):
                best = p
        return best


def hit_polarity(mods: frozenset[str], *, past_counts: bool = False) -> Polarity | None:
    """One hit's polarity from its ConText modifiers (None: not a current finding)."""
    if "historical" in mods and not past_counts:
        return None
    if "uncertain" in mods or "hypothetical" in mods:
        return "unc"
    if "negated" in mods:
        return "neg"
    # "family" alone is kept: a parent or carer describes the patient ("my mum has a rash all
    # over and a fever"); a relative's past illness ("my mum had ...") is also historical.
    return "pos"


@lru_cache(maxsize=2048)
def analyse(text: str, language: str = ruleset.DEFAULT_LANGUAGE) -> Analysis:
    """ConText analysis of a normalised (folded, lower-cased) message."""
    rules = ruleset.load(language)
    doc = pipeline(language)(text)
    pieces = list(clauses(text, rules.clause_split))
    hits: dict[str, list[frozenset[str]]] = {}
    for span in doc.spans[SPAN_KEY]:
        mods = {c for c in ruleset.CATEGORIES if span._.get(f"context_{c}")}
        offset, clause = clause_of(pieces, span.start_char)
        # The clause up to the end of the finding ("if my skin is coming off": the verb may be
        # inside the matched phrase).
        before = clause[: span.end_char - offset]
        # "is it serious if my skin is peeling?": a condition in the present tense about the
        # patient reports what is happening; "if it ever bleeds" stays hypothetical.
        if "hypothetical" in mods and rules.real_condition and rules.real_condition.search(before):
            mods.discard("hypothetical")
        # Another person's finding told in the past ("my brother got SJS from an antibiotic",
        # "a mi abuelo le sangraba") is their history, unless the clause is about now.
        if (
            "family" in mods
            and rules.other_person_past
            and rules.other_person_past.search(clause)
            and not (rules.other_person_recent and rules.other_person_recent.search(clause))
        ):
            mods.add("historical")
        hits.setdefault(span.label_, []).append(frozenset(mods))
    return Analysis({k: tuple(v) for k, v in hits.items()})
