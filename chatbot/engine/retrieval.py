"""Question answering by TF-IDF retrieval over admin-editable knowledge documents only."""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from .nlu import normalise
from .textnorm import fold_text

# Tuned on the dev part of tests/data/chat_eval.jsonl (see chatbot/evaluate.py --tune).
DEFAULT_THRESHOLD = 0.09
CHAR_WEIGHT = 0.6
NAME_BONUS = 0.15
HEAD_WEIGHT = 0.35


@dataclass(frozen=True)
class KnowledgeDoc:
    """One answerable document: a disease page or an FAQ entry."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # The language the title and text are written in (an untranslated page stays "en").
    language: str = "en"


@dataclass(frozen=True)
class Answer:
    """A retrieved document, its similarity and the sentences quoted from it."""

    doc: KnowledgeDoc
    score: float
    excerpt: str


# Words that say "this is a question" rather than what it is about; keeping them would make
# every "what is ..." query look alike.
_FILLER = re.compile(
    r"\b(what|whats|what's|wat|wot|is|are|was|a|an|the|of|my|me|i|i'm|im|do|does|did|can|could"
    r"|should|would|will|you|your|please|tell|explain|about|more|info|information|on|it|its"
    r"|it's|this|that|to|be|how|hw|why|when|where|who|which|mean|means|meaning|know|want|like"
    r"|and|or|in|for|with|have|has|get|got|am|there|some|any|so|just|really|thing|things)\b"
)

_ABBREVIATIONS = {
    r"\bbcc\b": "basal cell carcinoma bcc",
    r"\bscc\b": "squamous cell carcinoma scc",
    r"\bak\b": "actinic keratosis",
    r"\bsk\b": "seborrhoeic keratosis",
    r"\bsjs\b": "stevens johnson syndrome sjs",
    r"\bten\b": "toxic epidermal necrolysis",
    r"\ba ?& ?e\b": "a&e emergency",
    r"\ber\b": "emergency room",
    r"\bspf\b": "spf sunscreen",
}


# Everyday words patients use for the things the documents name.
_SYNONYMS = {
    r"\b(ai|a\.i\.|app|computer|algorithm|software|machine)\b": r"\1 model",
    r"\b(pics?|pictures?|images?|snaps?|selfies?)\b": r"\1 photo",
    r"\b(sun ?cream|sun ?block|sun lotion|suntan lotion)\b": r"\1 sunscreen",
    r"\b(hospital|casualty|ambulance)\b": r"\1 emergency",
    r"\b(skin doctor|dermatologist|consultant)\b": r"\1 specialist",
    r"\b(cancerous|malignant)\b": r"\1 cancer",
    r"\b(tanning beds?|solarium)\b": r"\1 sunbed",
    r"\b(cut out|take a sample|sample)\b": r"\1 biopsy",
}


# The same for Spanish (text is folded first, so no accents: "que", "como", "cual").
_FILLER_ES = re.compile(
    r"\b(que|cual|cuales|como|cuando|donde|quien|por|porque|para|es|son|era|fue|ser|esta|estan|estoy"
    r"|un|una|unos|unas|el|la|los|las|lo|le|les|de|del|al|a|y|o|u|en|con|sin|sobre|mi|mis|me|yo"
    r"|se|su|sus|te|tu|usted|puede|puedo|pueden|debo|debe|deberia|tengo|tiene|tienen|hay|hace|hago"
    r"|muy|mas|algo|alguna|alguno|esto|eso|este|ese|esa|aqui|significa|quiero|saber|decir|dime|digame"
    r"|explica|expliqueme|informacion|favor|ya|si|no|pero|tambien|solo|bien|mal|cosa|cosas|entonces)\b"
)


def clean_query(text: str, language: str = "en") -> str:
    """Normalise a patient question down to its content words."""
    t = normalise(fold_text(text)) if language != "en" else normalise(text)
    for pattern, repl in _ABBREVIATIONS.items():
        t = re.sub(pattern, repl, t)
    for pattern, repl in _SYNONYMS.items():
        t = re.sub(pattern, repl, t)
    t = (_FILLER_ES if language == "es" else _FILLER).sub(" ", t)
    t = re.sub(r"[^\w&\s-]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _head_text(doc: KnowledgeDoc) -> str:
    """What a document is about: its title (an FAQ's question) and keywords."""
    return clean_query(" ".join([doc.title, *doc.keywords]), doc.language)


def _body_text(doc: KnowledgeDoc) -> str:
    """What a document says, without the timing and emergency boilerplate every disease page
    shares (it would pull every "when should I go to hospital" question to some disease)."""
    labels = _LABELS.get(doc.language, _LABELS["en"])
    text = re.split(f"{re.escape(labels['timeframe'])}|{re.escape(labels['emergency_signs'])}", doc.text)[0]
    return normalise(text) if doc.language == "en" else normalise(fold_text(text))


# Title and keyword words too general to show that a question is about skin.
_GENERIC = frozenset(
    [
        "bad",
        "good",
        "normal",
        "worry",
        "worried",
        "serious",
        "safe",
        "help",
        "need",
        "long",
        "next",
        "real",
        "person",
        "happen",
        "happens",
        "happened",
        "time",
        "one",
        "after",
        "before",
        "see",
        "someone",
        "new",
        "look",
        "looks",
        "mean",
        "types",
        "kinds",
        "type",
        "difference",
        "make",
        "much",
        "many",
        "often",
        "should",
        "does",
        "doing",
        "use",
        "used",
        "using",
        "well",
        "right",
        "wrong",
        "work",
        "day",
        "days",
        "week",
        "weeks",
        "things",
        "people",
        "best",
        "better",
        "way",
        "ways",
        "why",
        "can",
        "cause",
        "causes",
        "year",
        "years",
        "old",
    ]
)


def _domain_terms(docs: list[KnowledgeDoc]) -> list[str]:
    words: set[str] = set()
    for d in docs:
        for phrase in (d.title, *d.keywords, d.id.split(":", 1)[-1].replace("_", " ")):
            words.update(w for w in clean_query(phrase, d.language).split() if len(w) >= 3)
        if d.source == "disease":
            # Long words in disease pages are nearly all medical terms ("granuloma").
            words.update(w for w in clean_query(d.text, d.language).split() if len(w) >= 8)
    return sorted(words - _GENERIC)


def _aliases(doc: KnowledgeDoc) -> set[str]:
    """Names a disease document answers to: its title's parts, its code, and for long names
    their first two words ("basal cell" for "basal cell carcinoma")."""
    if doc.source != "disease":
        return set()
    names = re.split(r"[(),/]|\bfor example\b|\band\b|\bpor ejemplo\b|\by\b", doc.title.lower())
    names += [doc.id.split(":", 1)[-1].replace("_", " ")]
    cleaned = {clean_query(n, doc.language) for n in names}
    cleaned |= {" ".join(n.split()[:2]) for n in cleaned if len(n.split()) >= 3}
    return {n for n in cleaned if len(n) >= 3}


_DEFINITION = re.compile(
    r"^(what|whats|what's|wat|wot) (is|are|r) (a |an |the )?(?P<x>[\w -]+?)s?\??$"
    r"|^(tell me about|explain|define) (a |an |the )?(?P<y>[\w -]+?)s?\??$"
    r"|^\W*(que|qu) (es|son) (un |una |el |la |los |las )?(?P<z>[\w -]+?)\??$"
)


def _definition_subject(question: str, language: str = "en") -> str | None:
    """The condition a definition question names ("what is a mole?" -> "mole"): it should be
    answered from that condition's page even when the name is an everyday word."""
    m = _DEFINITION.match(normalise(fold_text(question)).strip(" .!"))
    if not m:
        return None
    return clean_query(m.group("x") or m.group("y") or m.group("z"), language) or None


def _distinctive_aliases(docs: list[KnowledgeDoc]) -> list[tuple[str, ...]]:
    """Disease aliases that at most one FAQ entry uses: an everyday word such as "mole" names
    a disease page but also half the FAQ, so it must not pull questions to the page."""
    faq_heads = [
        " " + clean_query(" ".join([d.title, *d.keywords]), d.language) + " " for d in docs if d.source != "disease"
    ]
    out = []
    for d in docs:
        names = {a for a in _aliases(d) if sum(f" {a} " in h or f" {a}s " in h for h in faq_heads) <= 1}
        out.append(tuple(sorted(names)))
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


class Retriever:
    """Cosine similarity over character (char_wb 3-5) and word (1-2) TF-IDF vectors."""

    def __init__(self, docs: list[KnowledgeDoc], threshold: float = DEFAULT_THRESHOLD, language: str = "en") -> None:
        self.docs = list(docs)
        self.threshold = threshold
        # The language questions are asked in (the documents say their own).
        self.language = language
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._word = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w[\w&-]*\b",  # noqa: S106 (a regex, not a password)
        )
        if self.docs:
            heads = [_head_text(d) for d in self.docs]
            bodies = [_body_text(d) for d in self.docs]
            self._char.fit(heads + bodies)
            self._word.fit(heads + bodies)
            self._fields = [
                (HEAD_WEIGHT, self._char.transform(heads), self._word.transform(heads)),
                (1 - HEAD_WEIGHT, self._char.transform(bodies), self._word.transform(bodies)),
            ]
        self._aliases = _distinctive_aliases(self.docs)
        self._domain = _domain_terms(self.docs)

    def scores(self, question: str) -> np.ndarray:
        """Similarity of the question to every document."""
        q = clean_query(question, self.language)
        if not self.docs or not q:
            return np.zeros(len(self.docs))
        qc, qw = self._char.transform([q]), self._word.transform([q])
        # A patient's question usually paraphrases an FAQ question or names a condition, so the
        # head field (title, keywords) and the body are scored separately and blended.
        sims = np.zeros(len(self.docs))
        for weight, char_m, word_m in self._fields:
            c = cosine_similarity(qc, char_m)[0]
            w = cosine_similarity(qw, word_m)[0]
            sims += weight * (CHAR_WEIGHT * c + (1 - CHAR_WEIGHT) * w)
        # Naming a condition outright ("is melanoma dangerous") is the strongest signal of what
        # the patient wants, stronger than an FAQ that merely mentions it.
        padded = f" {q} "
        defined = _definition_subject(question, self.language)
        bonus = np.array(
            [
                NAME_BONUS
                if any(f" {a}" in padded for a in self._aliases[i]) or (defined and defined in _aliases(self.docs[i]))
                else 0.0
                for i in range(len(self.docs))
            ]
        )
        return sims + bonus

    def best(self, question: str) -> tuple[KnowledgeDoc | None, float]:
        """The top document and its score, regardless of the threshold."""
        s = self.scores(question)
        if not len(s):
            return None, 0.0
        i = int(np.argmax(s))
        return self.docs[i], float(s[i])

    def in_domain(self, question: str) -> bool:
        """True when the question names something the knowledge base is about.

        Character n-grams give every query some similarity to something; "is coffee bad for
        you" must not be answered from the itchy-mole page just because it scored well.
        """
        for word in clean_query(question, self.language).split():
            if len(word) < 3 or word in _GENERIC:
                continue
            if word in self._domain or word[:5] in self._domain_stems:
                return True
            if difflib.get_close_matches(word, self._domain, n=1, cutoff=0.8):
                return True
        return False

    @property
    def _domain_stems(self) -> frozenset[str]:
        return frozenset(w[:5] for w in self._domain if len(w) >= 5)

    def answer(self, question: str) -> Answer | None:
        """The best document above the threshold, with the sentences most relevant to it."""
        doc, score = self.best(question)
        if doc is None or score < self.threshold or not self.in_domain(question):
            return None
        return Answer(doc=doc, score=score, excerpt=self.excerpt(doc, question))

    def excerpt(self, doc: KnowledgeDoc, question: str) -> str:
        """Quote the document: FAQ answers whole; for a disease, its summary plus the section
        (causes, look, what to do...) that the question asks about."""
        sections = _SECTION.split(doc.text)
        if len(sections) == 1:
            return doc.text.strip()
        summary = sections[0].strip()
        labelled = [sections[i] + sections[i + 1].strip() for i in range(1, len(sections) - 1, 2)]
        asked = normalise(fold_text(question))
        wanted = next((key for key, pattern in _SECTION_INTENT if pattern.search(asked)), None)
        label = _LABELS.get(doc.language, _LABELS["en"]).get(wanted or "", "")
        best = next((sec for sec in labelled if sec.startswith(label)), None) if label else None
        if best is None:
            return summary
        first = _sentences(summary)[0]
        return f"{first} {best}"


# The section labels of a disease document, per language (doc_from_disease writes them).
_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "causes": "Causes: ",
        "typical_look": "What it looks like: ",
        "action": "What to do: ",
        "timeframe": "How soon: ",
        "emergency_signs": "Emergency signs: ",
    },
    "es": {
        "causes": "Causas: ",
        "typical_look": "Cómo se ve: ",
        "action": "Qué hacer: ",
        "timeframe": "Cuándo consultar: ",
        "emergency_signs": "Signos de urgencia: ",
    },
}

# Which part of a disease page a question asks for (English or Spanish, accents folded);
# anything else gets the summary.
_SECTION_INTENT: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "emergency_signs",
        re.compile(r"\b(emergency|a&e|999|911|112|ambulance|hospital|urgencias?|emergencias?|ambulancia)\b"),
    ),
    (
        "timeframe",
        re.compile(
            r"\b(how soon|how quickly|how urgent|how long can i wait|when should"
            r"|how fast should|cuando (debo|tengo que|hay que)|que tan urgente|cuanto puedo esperar"
            r"|con que rapidez|cuanta prisa)\b"
        ),
    ),
    (
        "causes",
        re.compile(
            r"\b(caus\w*|why do|why did|why does|how do you get|how did i get"
            r"|risk|reason|get it|catch|contagious|trigger\w*"
            r"|por que (sale|salen|aparece|aparecen|me sale|tengo)|de donde viene|riesgos?|contagi\w*|se pega)\b"
        ),
    ),
    (
        "typical_look",
        re.compile(
            r"\b(look\w*|appear\w*|recogni[sz]e|identify|tell if"
            r"|signs?|symptoms?|spot it|what colou?r"
            r"|aspecto|como (es|son|se ve|se ven)|reconoc\w*|sintomas?|signos?|que color)\b"
        ),
    ),
    (
        "action",
        re.compile(
            r"\b(treat\w*|cure\w*|remov\w*|what (should|do|can) i do"
            r"|what to do|get rid|manage|help|see a doctor|need to"
            r"|trat\w*|cura\w*|quitar\w*|eliminar\w*|que (debo|puedo|tengo que) hacer|que hago|ayuda)\b"
        ),
    ),
)

_SECTION = re.compile(
    "("
    + "|".join(re.escape(label) for labels in _LABELS.values() for label in sorted(labels.values(), key=len)[::-1])
    + ")"
)


@lru_cache(maxsize=8)
def _cached(key: str, docs: tuple[KnowledgeDoc, ...], threshold: float, language: str) -> Retriever:
    return Retriever(list(docs), threshold, language)


def retriever_for(docs: list[KnowledgeDoc], threshold: float = DEFAULT_THRESHOLD, language: str = "en") -> Retriever:
    """A fitted retriever, reused while the knowledge base is unchanged (one per request is
    common in the web app, and refitting on every message would be wasted work)."""
    digest = hashlib.sha256(
        "\x00".join(f"{d.id}\x01{d.title}\x01{d.text}\x01{d.keywords}" for d in docs).encode()
    ).hexdigest()
    return _cached(digest, tuple(docs), threshold, language)


# ---------------------------------------------------------------- building documents

_DISEASE_SECTIONS = ("summary", "causes", "typical_look", "action", "timeframe", "emergency_signs")


def doc_from_disease(row: dict[str, Any]) -> KnowledgeDoc:
    """One KnowledgeDoc per disease: name, summary, causes, look, action, timeframe, signs.

    row["language"] says which language its texts are in (English when absent)."""
    language = row.get("language") or "en"
    labels = _LABELS.get(language, _LABELS["en"])
    parts = []
    for key in _DISEASE_SECTIONS:
        label = labels.get(key, "")
        value = (row.get(key) or "").strip()
        if not value:
            continue
        if key == "timeframe":
            value = value[0].upper() + value[1:]
            if not value.endswith("."):
                value += "."
        parts.append(label + value)
    refs = row.get("references") or []
    name = row["name"]
    code = row["code"]
    keywords = (code.replace("_", " "), name.lower())
    return KnowledgeDoc(
        id=f"disease:{code}",
        title=name,
        text=" ".join(parts),
        source="disease",
        url=refs[0]["url"] if refs and refs[0].get("url") else None,
        keywords=keywords,
        language=language,
    )


def doc_from_faq(row: dict[str, Any]) -> KnowledgeDoc:
    """One KnowledgeDoc per FAQ entry; its question and keywords help matching."""
    refs = row.get("references") or []
    return KnowledgeDoc(
        id=f"faq:{row['slug']}",
        title=row["question"],
        text=row["answer"],
        source="faq",
        url=refs[0].get("url") if refs else None,
        keywords=tuple(row.get("keywords") or ()),
        language=row.get("language") or "en",
    )


def build_knowledge(diseases: list[dict[str, Any]], faqs: list[dict[str, Any]]) -> list[KnowledgeDoc]:
    """The whole knowledge base from seed or admin rows (plain dicts)."""
    return [doc_from_disease(d) for d in diseases] + [doc_from_faq(f) for f in faqs]
