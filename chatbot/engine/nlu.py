"""Small rule-based language understanding for patient messages: no Django, no models."""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Polarity = Literal["pos", "neg", "unc"]
YesNo = Literal["yes", "no", "unsure"]

# Words whose misspelling would hide a finding or a red flag. Correcting only towards this short
# list keeps the fuzzy matcher from "fixing" ordinary words into medical ones.
_VOCAB = [
    "fever",
    "feverish",
    "temperature",
    "blisters",
    "blister",
    "blistering",
    "blistered",
    "bleeding",
    "bleeds",
    "bleed",
    "peeling",
    "spreading",
    "swelling",
    "swollen",
    "itchy",
    "itching",
    "itches",
    "painful",
    "medicine",
    "medication",
    "medications",
    "antibiotics",
    "antibiotic",
    "tablets",
    "eczema",
    "unwell",
    "shivering",
    "shivers",
    "purple",
    "blanch",
    "blanching",
    "crusting",
    "crusted",
    "crusty",
    "oozing",
    "weeping",
    "bigger",
    "larger",
    "growing",
    "irregular",
    "colour",
    "colours",
    "different",
    "darker",
    "transplant",
    "immune",
    "sunburn",
    "inflamed",
    "redness",
    "millimetres",
    "centimetre",
    "centimetres",
    "months",
    "weeks",
    "changed",
    "change",
    "shape",
    "rash",
    "mouth",
    "sores",
    "ulcers",
    "heavily",
    "stopping",
    "hospital",
    "melanoma",
    "carcinoma",
    "keratosis",
]
_VOCAB_SET = frozenset(_VOCAB)
# Real words close to vocabulary words that must be left alone.
_PROTECTED = frozenset(
    [
        "breed",
        "there",
        "where",
        "these",
        "those",
        "three",
        "other",
        "heavy",
        "bleep",
        "shave",
        "shaped",
        "stopped",
        "swelled",
        "colour",
        "colours",
        "mouths",
        "months",
        "mother",
        "inflame",
        "change",
        "charge",
        "chance",
        "change",
        "sharp",
        "share",
        "wonder",
        "bigger",
        "bugger",
        "larger",
        "lager",
        "rather",
    ]
)

_SPELLING = {
    r"\bcolou?r(s|ed|ing|ful)?\b": r"colour\1",
    r"\bgray\b": "grey",
    r"\bcentimeters?\b": "centimetre",
    r"\bcentimetres\b": "centimetre",
    r"\bmillimeters?\b": "millimetre",
    r"\bmillimetres\b": "millimetre",
    r"\bhemorrhag": "haemorrhag",
    r"\btumou?r": "tumour",
    r"\banesthe": "anaesthe",
    r"\bnevus\b|\bnevi\b|\bnaevi\b": "naevus",
    r"\bseborrhe?ic\b|\bseborrhoeic\b": "seborrhoeic",
    r"\bpediatric": "paediatric",
}

_CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "hadnt": "hadn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "wont": "won't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "arent": "aren't",
    "im": "i'm",
    "ive": "i've",
    "its": "it's",
}


def _fix_typo(token: str) -> str:
    if len(token) < 5 or token in _VOCAB_SET or token in _PROTECTED or not token.isalpha():
        return token
    close = difflib.get_close_matches(token, _VOCAB, n=1, cutoff=0.85)
    if not close:
        return token
    # "large" -> "larger" or "bleed" -> "bleeds" would be an inflection, not a typo: real
    # words are left as they are.
    if close[0].startswith(token) or token.startswith(close[0]):
        return token
    return close[0]


def normalise(text: str) -> str:
    """Lower-case, unify spelling and apostrophes, and repair typos of key words."""
    t = text.lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = re.sub(r"\s+", " ", t).strip()
    for pattern, repl in _SPELLING.items():
        t = re.sub(pattern, repl, t)
    words = re.split(r"(\W+)", t)
    words = [_CONTRACTIONS.get(w, w) for w in words]
    words = [_fix_typo(w) for w in words]
    t = "".join(words)
    # "No it's bleeding" is an answer followed by a new statement: without a comma the leading
    # "no" would be read as negating what follows.
    t = re.sub(
        r"^(no|nope|nah|yes|yeah|yep|yup)\b\s*(?=(it|i|i'm|my|the|its|it's|there|but|just|only"
        r"|this|that|he|she|we|a|an)\b)",
        r"\1, ",
        t,
    )
    return t


_CLAUSE_SPLIT = re.compile(
    r"[.;!?\n,()]|\s-\s|\b(?:but|however|although|though|except|apart from|yet|and|plus|also"
    r"|whereas|while|just|only|instead|rather than|other than)\b"
)

_NEG_CUE = re.compile(
    r"\b(no|not|never|without|none|nor|neither|denies|deny|denied|free of|absence of|haven't"
    r"|hasn't|hadn't|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|won't|wouldn't|can't"
    r"|cannot|couldn't|nothing|zero|nobody|no one|negative for)\b"
)
_UNC_CUE = re.compile(
    r"\b(not sure|unsure|no idea|don't know|do not know|dunno|idk|not certain|can't tell"
    r"|cannot tell|can't remember|don't remember|maybe|might|possibly|perhaps|not that i know"
    r"|wonder|wondering|if|whether)\b"
)
# Phrases that contain a negation word but do not deny the finding that follows them.
_PSEUDO_NEG = re.compile(
    r"\b(not only|no doubt|not just|no matter|nothing but|can't stop|won't stop|doesn't stop"
    r"|not stopping|never stops|won't heal|not heal\w*|doesn't heal|hasn't healed|never heals"
    r"|won't go away|doesn't go away|hasn't gone away|not gone away|not go away"
    r"|no longer the same)\b"
)


def split_clauses(text: str) -> list[str]:
    """Split a normalised message into clauses; negation never crosses a clause boundary."""
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]


@dataclass(frozen=True)
class Hit:
    """One pattern match inside a clause, with its polarity."""

    clause: str
    start: int
    end: int
    polarity: Polarity


def _polarity_before(clause: str, start: int) -> Polarity:
    prefix = clause[:start]
    tokens = prefix.split()
    # A negation only scopes over the next few words ("no fever", "i have not had a fever").
    window = " ".join(tokens[-6:])
    window_clean = _PSEUDO_NEG.sub(" ", window)
    if _UNC_CUE.search(window_clean):
        return "unc"
    if _NEG_CUE.search(window_clean):
        return "neg"
    return "pos"


def _polarity_after(clause: str, end: int) -> Polarity | None:
    # "Fever: no", "bleeding - none", "fever? not that i know of"
    rest = clause[end : end + 30]
    if re.match(r"\s*[:=-]?\s*(no|none|nope|never|nil|not really)\b", rest):
        return "neg"
    if re.match(r"\s*[:=-]?\s*(not that i know|not sure|unsure)", rest):
        return "unc" if "sure" in rest else "neg"
    return None


def find_hits(pattern: re.Pattern[str], text: str) -> list[Hit]:
    """Every match of pattern in the normalised text, with negation/uncertainty resolved."""
    hits: list[Hit] = []
    for clause in split_clauses(text):
        for m in pattern.finditer(clause):
            pol = _polarity_after(clause, m.end()) or _polarity_before(clause, m.start())
            hits.append(Hit(clause, m.start(), m.end(), pol))
    return hits


def polarity(
    text: str,
    positive: re.Pattern[str] | None,
    negative: re.Pattern[str] | None = None,
) -> Polarity | None:
    """Overall polarity of a finding: 'pos' wins over 'unc' which wins over 'neg'.

    negative holds phrases that deny the finding directly ("same size", "round"); a negated
    negative phrase ("not round") therefore counts as positive evidence.
    """
    seen: set[Polarity] = set()
    if positive is not None:
        for h in find_hits(positive, text):
            seen.add(h.polarity)
    if negative is not None:
        for h in find_hits(negative, text):
            seen.add({"pos": "neg", "neg": "pos", "unc": "unc"}[h.polarity])
    # Reporting a finding when in doubt is the safer error for triage.
    for p in ("pos", "unc", "neg"):
        if p in seen:
            return p  # type: ignore[return-value]
    return None


def rx(*alternatives: str) -> re.Pattern[str]:
    """Compile word-bounded alternatives into one pattern."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")")


# ---------------------------------------------------------------- yes / no / not sure

_UNSURE = re.compile(
    r"^(i'm |i am |im )?(not sure|unsure|no idea|don't know|do not know|dunno|idk|not certain"
    r"|maybe|possibly|perhaps|can't tell|cannot tell|hard to (say|tell)|can't remember"
    r"|don't remember|no clue|i'm not sure|not really sure|i don't know|i have no idea|might"
    r"( have| be)?|could be|unclear)\b"
)
_NO = re.compile(
    r"^(no+|nope|nah|n|never|none|nothing|negative|not really|not at all|not that i know"
    r"( of)?|not that i've noticed|not as far as i know|i don't think so|don't think so"
    r"|i haven't|it hasn't|it doesn't|it didn't|it isn't|it's not|hasn't|doesn't|didn't"
    r"|haven't|isn't|no it|no,|neither|nah|not)\b"
)
_YES = re.compile(
    r"^(y|yes+|yeah|yea|yep|yup|ya|aye|sure|definitely|absolutely|correct|right|true|indeed"
    r"|it has|it does|it did|it is|i have|i do|i am|i did|i've|has|does|did|a (bit|little)"
    r"|a little bit|slightly|kind of|kinda|sort of|sometimes|occasionally|often|lots|a lot"
    r"|i think so|think so|probably|yes it|ok yes|uh huh|mhm)\b"
)


_FILLER_START = re.compile(r"^((hmm+|umm*|uhh*|erm+|er|well|oh|ok|okay|so|ah+)\b[\s,.]*)+")


def yes_no(text: str) -> YesNo | None:
    """Classify the start of a reply as yes, no or not sure (None if it is neither)."""
    t = _FILLER_START.sub("", normalise(text).strip(" .!,"))
    if not t:
        return None
    if _UNSURE.match(t):
        return "unsure"
    if _NO.match(t):
        return "no"
    if _YES.match(t):
        return "yes"
    return None


def leads_with_bare_yes_no(text: str) -> bool:
    """True when a yes/no word stands on its own ("no", "no, it itches", "yes - a bit")."""
    t = _FILLER_START.sub("", normalise(text).strip(" .!"))
    return bool(
        re.match(
            r"^(y|yes+|yeah|yea|yep|yup|no+|nope|nah|not really|not sure|unsure"
            r"|i don't know|dunno|no idea|never)\s*([,.;!-]|$)",
            t,
        )
    )


# ---------------------------------------------------------------- numbers, sizes, durations

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "couple of": 2,
    "a couple of": 2,
    "couple": 2,
    "a couple": 2,
    "few": 3,
    "a few": 3,
    "several": 4,
    "half a": 0.5,
    "half an": 0.5,
    "a half": 0.5,
    "one and a half": 1.5,
    "many": 5,
}
_NUM = (
    r"(?P<num>\d+(?:[.,]\d+)?|one and a half|a couple of|couple of|a couple|a few|few|several"
    r"|half an?|many|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|fifty)"
)


def _num(value: str) -> float:
    value = value.strip()
    if value in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[value])
    return float(value.replace(",", "."))


_SIZE_UNIT = re.compile(
    _NUM + r"\s*(?:-|to)?\s*(?P<num2>\d+(?:[.,]\d+)?)?\s*"
    r"(?P<unit>mm|millimetre|millimetres|cm|centimetre|centimetres|inch|inches|in\b)"
)
_HALF_UNIT = re.compile(
    r"\b(?P<frac>half|quarter|a quarter|three quarters)( of)? (an?|one) "
    r"(?P<unit>centimetre|cm|inch|millimetre|mm)"
)
# Everyday comparisons patients use; values are rough typical widths in mm.
_SIZE_OBJECTS: tuple[tuple[str, float], ...] = (
    (r"pin ?head|pin ?prick|grain of sand|pinpoint", 1),
    (r"sesame seed|freckle|poppy seed", 3),
    (r"grain of rice|rice grain|lentil|peppercorn|match ?head", 5),
    (r"pencil (eraser|rubber)|eraser|ladybird|ladybug", 6),
    (r"\bpea\b|peanut", 8),
    (r"blueberry|raisin|chickpea|fingernail|finger nail|corn kernel", 10),
    (r"thumbnail|thumb nail|marble|button", 15),
    (r"grape|5p|dime|olive", 18),
    (r"penny|1p|2p|10p|cherry|nickel|quarter\b|coin|50p|euro|pound coin|strawberry", 22),
    (r"golf ball|walnut", 40),
)
_UNIT_MM = {
    "mm": 1,
    "millimetre": 1,
    "millimetres": 1,
    "cm": 10,
    "centimetre": 10,
    "centimetres": 10,
    "inch": 25.4,
    "inches": 25.4,
    "in": 25.4,
}
_FRAC = {"half": 0.5, "quarter": 0.25, "a quarter": 0.25, "three quarters": 0.75}


def parse_size_mm(text: str) -> float | None:
    """Largest width of the lesion in millimetres, from numbers or everyday objects."""
    t = normalise(text)
    m = _HALF_UNIT.search(t)
    if m:
        return round(_FRAC[m.group("frac")] * _UNIT_MM[m.group("unit")], 1)
    for m in _SIZE_UNIT.finditer(t):
        # "grew by 2 mm" is a change, not the width.
        if re.search(r"\bby\s*$", t[: m.start()]):
            continue
        if m.group("unit") == "in" and not m.group("num")[0].isdigit():
            continue
        value = _num(m.group("num"))
        if m.group("num2"):
            value = max(value, _num(m.group("num2")))
        return round(value * _UNIT_MM[m.group("unit")], 1)
    if (
        re.search(
            r"\b(size of|big as|as big|like a|about|around|similar to|same size as"
            r"|sized|size)\b",
            t,
        )
        or len(t.split()) <= 6
    ):
        for pattern, mm in _SIZE_OBJECTS:
            if re.search(pattern, t):
                return float(mm)
    return None


_DURATION_UNIT = re.compile(
    _NUM + r"\s*(?:-|to|or)?\s*(?P<num2>\d+)?\s*(?:more\s+)?"
    r"(?P<unit>days?|weeks?|wks?|fortnights?|months?|mths?|mos?|years?|yrs?|decades?)\b"
)
_UNIT_DAYS = {
    "day": 1,
    "week": 7,
    "wk": 7,
    "fortnight": 14,
    "month": 30,
    "mth": 30,
    "mo": 30,
    "year": 365,
    "yr": 365,
    "decade": 3650,
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_SEASON_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_LIFELONG = re.compile(
    r"\b(since (i was )?(a )?(child|kid|baby|birth|born|childhood|teenager|little|young|school)"
    r"|all my life|whole life|as long as i (can )?remember|forever|for ages|always had"
    r"|had it always|birthmark|since my teens|many years|for years|years and years"
    r"|decades)\b"
)


def _days_since(day: date, today: date) -> float:
    return float(max((today - day).days, 0))


def parse_duration_days(text: str, today: date | None = None) -> float | None:
    """How long the patient has had the lesion, in days (None when no duration is given)."""
    today = today or date.today()
    t = normalise(text)
    if _LIFELONG.search(t):
        return 3650.0
    m = _DURATION_UNIT.search(t)
    if m:
        unit = re.sub(r"s$", "", m.group("unit"))
        value = _num(m.group("num"))
        if m.group("num2"):
            value = max(value, float(m.group("num2")))
        return float(value * _UNIT_DAYS.get(unit, 30))
    if re.search(r"\b(a day or two|couple of days)\b", t):
        return 2.0
    m = re.search(
        r"\bsince (?:last |early |late |the end of |the start of )?"
        r"(?P<month>[a-z]+)(?: (?P<year>\d{4}))?\b",
        t,
    )
    if m:
        word = m.group("month")
        year = int(m.group("year")) if m.group("year") else None
        month = _MONTHS.get(word) or _SEASON_MONTH.get(word)
        if month:
            y = year or today.year
            start = date(y, month, 1)
            if start > today:
                start = date(y - 1, month, 1)
            return _days_since(start, today)
        if word == "christmas":
            start = date(today.year, 12, 25)
            if start > today:
                start = date(today.year - 1, 12, 25)
            return _days_since(start, today)
    m = re.search(
        r"\b(in|during|over|since) (the )?(last |this )?(?P<season>spring|summer|autumn"
        r"|fall|winter)\b",
        t,
    )
    if m:
        start = date(today.year, _SEASON_MONTH[m.group("season")], 1)
        if start > today:
            start = date(today.year - 1, start.month, 1)
        return _days_since(start, today)
    m = re.search(r"\bsince (?P<year>(19|20)\d\d)\b", t)
    if m:
        return _days_since(date(int(m.group("year")), 1, 1), today)
    m = re.search(r"\bin (?P<year>(19|20)\d\d)\b", t)
    if m and re.search(r"\b(noticed|appeared|first|started|came)\b", t):
        return _days_since(date(int(m.group("year")), 1, 1), today)
    simple = (
        (r"\b(today|this morning|tonight|this afternoon|last night|few hours|hours)\b", 0.5),
        (r"\byesterday\b", 1.0),
        (r"\b(last week|a week ago|past week)\b", 7.0),
        (r"\b(last month|a month ago)\b", 30.0),
        (r"\b(last year|a year ago)\b", 365.0),
        (r"\b(years|yrs)\b", 730.0),
        (r"\b(months)\b", 90.0),
        (r"\b(weeks)\b", 21.0),
        (r"\b(days)\b", 3.0),
        (r"\b(a while|quite a while|some time|long time)\b", 180.0),
    )
    for pattern, days in simple:
        if re.search(pattern, t):
            return days
    return None


def describe_days(days: float) -> str:
    """Human-readable rough duration."""
    if days < 1:
        return "less than a day"
    if days < 14:
        return f"about {round(days)} day{'s' if round(days) != 1 else ''}"
    if days < 60:
        return f"about {round(days / 7)} weeks"
    if days < 730:
        return f"about {round(days / 30)} months"
    return f"about {round(days / 365)} years"


# ---------------------------------------------------------------- message shape

_QUESTION_START = re.compile(
    r"^(what|whats|what's|why|how|hows|is|are|can|could|should|shall|do|does|did|will|would"
    r"|when|where|who|which|tell me|explain|define|any idea|any advice|wat|wht|wot|hw|whats"
    r"|info on|information about|more about|i want to know|i'd like to know|i would like to know"
    r"|i need to know|please explain|is it|are they|can you|could you)\b"
)
_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|howdy|good (morning|afternoon|evening)|greetings|yo|thanks"
    r"|thank you|thank u|thx|ta|cheers|ok thanks|okay thanks|bye|goodbye)\b"
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|me|my|mine|myself|we|our|us|im|ive)\b")
_THIRD_PARTY = re.compile(
    r"\b(my (son|daughter|child|baby|husband|wife|partner|mum|mom|dad|mother|father|kid|boy"
    r"|girl))\b"
)


_QUESTION_INSIDE = re.compile(
    r"\b(what should i do|what do i do|what can i do|should i (be )?(worried|worry|see)"
    r"|is (that|this|it) (bad|normal|serious|ok|okay|dangerous|cancer)|do i need to"
    r"|what (could|might|can) (it|this|that) be|how (can|do) (you|i) tell|how to tell"
    r"|what('s| is) the difference|\bvs\b|versus|any (tips|advice|ideas|suggestions)"
    r"|what happens (now|next)|should i (get|have) (it|this|them) (checked|looked at|seen))\b"
)


def is_question(text: str) -> bool:
    """True when the message asks something rather than answers."""
    t = normalise(text).strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t) or _QUESTION_INSIDE.search(t))


def starts_as_question(text: str) -> bool:
    """True when the message opens with a question word ("what", "is it", "can you")."""
    return bool(_QUESTION_START.match(normalise(text).strip()))


def is_greeting(text: str) -> bool:
    """True for short social messages with nothing else in them."""
    t = normalise(text).strip(" .!?,")
    return bool(_GREETING.match(t)) and len(t.split()) <= 6


def is_personal(text: str) -> bool:
    """True when the message talks about the patient (or someone they care for)."""
    t = normalise(text)
    return bool(_FIRST_PERSON.search(t) or _THIRD_PARTY.search(t))
