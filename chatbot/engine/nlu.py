"""Small rule-based language understanding for patient messages: no Django, no models."""

from __future__ import annotations

import calendar
import difflib
import re
from datetime import date
from functools import cache
from typing import Literal

from . import context, ruleset

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
        "feeling",
        "feelings",
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


def normalise(text: str, language: str = "en") -> str:
    """Lower-case, unify spelling and apostrophes, and repair typos of key words."""
    t = text.lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = re.sub(r"\s+", " ", t).strip()
    if language == "es":
        return _normalise_es(t)
    for pattern, repl in _SPELLING.items():
        t = re.sub(pattern, repl, t)
    words = re.split(r"(\W+)", t)
    words = [_CONTRACTIONS.get(w, w) for w in words]
    words = [_fix_typo(w) for w in words]
    t = "".join(words)
    # "No it's bleeding" is an answer followed by a new statement: without a comma the leading
    # "no" would be read as negating what follows. "no same size" is "no, same size" too: a
    # state word after a bare "no" is never negated by it (one says "not the same").
    t = re.sub(
        r"^(no|nope|nah|yes|yeah|yep|yup)\b\s*(?=(it|i|i'm|my|the|its|it's|there|but|just|only"
        r"|this|that|he|she|we|a|an|same|still|unchanged|stable|always|round|even|smooth"
        r"|regular|normal|fine)\b)",
        r"\1, ",
        t,
    )
    return t


def _normalise_es(t: str) -> str:
    # Accents are already folded (textnorm): "sí" is "si". A leading "si" or "no" is the answer
    # to the question asked, not a condition or a negation of what follows: "si, me pica",
    # "no, sigue igual"; "si tengo fiebre ..." stays a condition when the message asks.
    t = t.lstrip("\u00a1\u00bf ")
    # A message that asks anywhere ("si algun dia me sangra, tengo que ir? ahora no") keeps
    # its leading "si" as a condition.
    if "?" not in t:
        t = re.sub(r"^(si|sip|claro|vale)\b\s*(?![,.])", r"\1, ", t)
    t = re.sub(
        r"^(no|nop)\b\s*(?=(sigue|mismo|misma|igual|pero|solo)\b)",
        r"\1, ",
        t,
    )
    # "fiebre no", "ampollas no, pero pica": a sign followed by a clause-final "no" is denied;
    # said as "no <sign>" so the ConText negation reads it ("manchas que no se van" is untouched:
    # that "no" ends no clause).
    return _POSTPOSED_NO.sub(r"no \1", t)


_POSTPOSED_NO = re.compile(
    r"\b(fiebre|calentura|temperatura|escalofrios|malestar|ampollas|llagas|heridas|sangrado|sangre|picor"
    r"|picazon|dolor|costras?|pus|hinchazon|vomitos|medicamentos?|medicinas?|pastillas|anticoagulantes?)"
    r" no\b(?=\s*(?:[.,;!?]|$))"
)


def split_clauses(text: str, language: str = "en") -> list[str]:
    """Split a normalised message into clauses (the rules table's clause words)."""
    return [c for _, c in context.clauses(text, ruleset.load(language).clause_split)]


def rx(*alternatives: str) -> re.Pattern[str]:
    """Compile word-bounded alternatives into one pattern."""
    return ruleset.rx(list(alternatives))


# ---------------------------------------------------------------- yes / no / not sure


@cache
def _answer_patterns(language: str) -> tuple[dict[str, re.Pattern[str]], ...]:
    """The answer words of the patient's language first, then of every other table.

    Replies mix languages ("ok si", "no idea") and a caller that does not pass the language
    still reads "si" and "no se"; no answer word of one table is an ordinary word of another.
    """
    first = ruleset.load(language).language
    codes = [first, *(c for c in ruleset.languages() if c != first)]
    tables = []
    for code in codes:
        words = ruleset.load(code).answers
        alt = {k: "|".join(v) for k, v in words.items()}
        tables.append(
            {
                "unsure": re.compile(rf"^(?:{alt['unsure']})\b"),
                "no": re.compile(rf"^(?:{alt['no']})\b"),
                "yes": re.compile(rf"^(?:{alt['yes']})\b"),
                "bare": re.compile(rf"^(?:{alt['bare']})\s*([,.;!-]|$)"),
                "filler": re.compile(rf"^((?:{alt['filler']})\b[\s,.]*)+"),
            }
        )
    return tuple(tables)


def _strip_filler(t: str, language: str) -> str:
    for table in _answer_patterns(language):
        t = table["filler"].sub("", t)
    return t


def yes_no(text: str, language: str = "en") -> YesNo | None:
    """Classify the start of a reply as yes, no or not sure (None if it is neither)."""
    t = _strip_filler(normalise(text, language).strip(" .!,\u00a1\u00bf"), language)
    if not t:
        return None
    tables = _answer_patterns(language)
    for kind in ("unsure", "no", "yes"):
        if any(table[kind].match(t) for table in tables):
            return kind  # type: ignore[return-value]
    return None


def leads_with_bare_yes_no(text: str, language: str = "en") -> bool:
    """True when a yes/no word stands on its own ("no", "no, it itches", "yes - a bit")."""
    t = _strip_filler(normalise(text, language).strip(" .!\u00a1\u00bf"), language)
    return any(table["bare"].match(t) for table in _answer_patterns(language))


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
    # Spanish (accents folded)
    "un": 1,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "quince": 15,
    "veinte": 20,
    "treinta": 30,
    "un par de": 2,
    "unos": 3,
    "unas": 3,
    "unos pocos": 3,
    "unas pocas": 3,
    "varios": 4,
    "varias": 4,
    "medio": 0.5,
    "media": 0.5,
    "muchos": 5,
    "muchas": 5,
}
_NUM = (
    r"(?P<num>\d+(?:[.,]\d+)?|one and a half|a couple of|couple of|a couple|a few|few|several"
    r"|half an?|many|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|fifty|un par de|unos pocos|unas pocas|unos|unas|varios|varias"
    r"|medio|media|muchos|muchas|una|uno|un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez"
    r"|quince|veinte|treinta)"
)


def _range_top(first: str, value: float, second: float) -> float:
    """'2-3 weeks' -> 3; but a hedge word before a number ('unos 2 anos', 'a 5 mm') is not the
    start of a range: the number is the value."""
    if not first.strip()[:1].isdigit():
        return second
    return max(value, second)


def _num(value: str) -> float:
    value = value.strip()
    if value in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[value])
    return float(value.replace(",", "."))


_SIZE_UNIT = re.compile(
    _NUM + r"\s*(?:-|to)?\s*(?P<num2>\d+(?:[.,]\d+)?)?\s*"
    r"(?P<unit>mm|millimetre|millimetres|cm|centimetre|centimetres|inch|inches|in\b"
    r"|milimetros?|centimetros?)"
)
_HALF_UNIT = re.compile(
    r"\b(?P<frac>half|quarter|a quarter|three quarters)( of)? (an?|one) "
    r"(?P<unit>centimetre|cm|inch|millimetre|mm)"
    r"|\b(?P<frac_es>medio|un cuarto de) (?P<unit_es>centimetro|cm)"
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
    # Spanish
    (r"cabeza de alfiler|punta de alfiler|grano de arena", 1),
    (r"semilla de sesamo|peca\b", 3),
    (r"grano de arroz|lenteja", 5),
    (r"guisante", 8),
    (r"garbanzo|arandano|pasa\b", 10),
    (r"canica|boton", 15),
    (r"\buva\b|aceituna", 18),
    (r"moneda|cereza|fresa", 22),
    (r"pelota de golf|\bnuez\b", 40),
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
    "milimetro": 1,
    "milimetros": 1,
    "centimetro": 10,
    "centimetros": 10,
}
_FRAC = {
    "half": 0.5,
    "quarter": 0.25,
    "a quarter": 0.25,
    "three quarters": 0.75,
    "medio": 0.5,
    "un cuarto de": 0.25,
}


def parse_size_mm(text: str, language: str = "en") -> float | None:
    """Largest width of the lesion in millimetres, from numbers or everyday objects."""
    t = normalise(text, language)
    m = _HALF_UNIT.search(t)
    if m:
        frac, unit = m.group("frac") or m.group("frac_es"), m.group("unit") or m.group("unit_es")
        return round(_FRAC[frac] * _UNIT_MM[unit], 1)
    for m in _SIZE_UNIT.finditer(t):
        # "grew by 2 mm" ("crecio 2 mm") is a change, not the width.
        if re.search(r"\b(by|en)\s*$", t[: m.start()]):
            continue
        if m.group("unit") == "in" and not m.group("num")[0].isdigit():
            continue
        value = _num(m.group("num"))
        if m.group("num2"):
            value = _range_top(m.group("num"), value, _num(m.group("num2")))
        return round(value * _UNIT_MM[m.group("unit")], 1)
    if (
        re.search(
            r"\b(size of|big as|as big|like a|about|around|similar to|same size as"
            r"|sized|size|tamano|como (un|una)|mas o menos|alrededor de|parecido a)\b",
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
    r"(?P<unit>days?|weeks?|wks?|fortnights?|months?|mths?|mos?|years?|yrs?|decades?"
    r"|dias?|semanas?|mes|meses|anos?)\b"
)
# "I am 74 years old", "a 3-year-old", "tiene 3 anos", "mi hijo de 3 anos": an age, not how long
# the spot has been there; ages are blanked before durations are read.
_AGE_PHRASE = re.compile(
    r"\b(i am|i'm|im|aged?|he is|she is|he's|she's|turned|turning)\s+\d+(\s*(years?|yrs?)( old)?)?\b"
    r"|\b(\d+|" + _NUM[len("(?P<num>") :] + r"\s*-?\s*(years?|yrs?|months?|weeks?|days?)\s*-?\s*olds?\b"
    r"|\b(tengo|tiene|tenia|cumple|cumplio|cumplido|con)\s+\d+\s+anos\b|\b\d+\s+anos de edad\b"
    r"|\b(hijo|hija|nino|nina|bebe|nieto|nieta|hermano|hermana|chico|chica|hombre|mujer|paciente)"
    r" de \d+ (anos|meses)\b"
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
    "dia": 1,
    "semana": 7,
    "mes": 30,
    "mese": 30,
    "ano": 365,
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS.update(
    {
        name: i + 1
        for i, name in enumerate(
            (
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            )
        )
    }
)
_SEASON_MONTH = {
    "spring": 3,
    "summer": 6,
    "autumn": 9,
    "fall": 9,
    "winter": 12,
    "primavera": 3,
    "verano": 6,
    "otono": 9,
    "invierno": 12,
}
_LIFELONG = re.compile(
    r"\b(since (i was )?(a )?(child|kid|baby|birth|born|childhood|teenager|little|young|school)"
    r"|all my life|whole life|as long as i (can )?remember|forever|for ages|always had"
    r"|had it always|birthmark|since my teens|many years|for years|years and years"
    r"|decades|desde siempre|toda (la|mi) vida|desde (que naci|nacimiento|(muy )?(nino|nina|pequeno"
    r"|pequena|chico|chica|joven))|de nacimiento|de toda la vida|muchos anos|hace anos"
    r"|desde que (tengo|tenga) (memoria|uso de razon)|desde que me acuerdo|(que )?yo recuerde|lo he tenido siempre)\b"
)


def _days_since(day: date, today: date) -> float:
    return float(max((today - day).days, 0))


def parse_duration_days(text: str, today: date | None = None, language: str = "en") -> float | None:
    """How long the patient has had the lesion, in days (None when no duration is given)."""
    today = today or date.today()
    t = _AGE_PHRASE.sub(" ", normalise(text, language))
    if _LIFELONG.search(t):
        return 3650.0
    m = _DURATION_UNIT.search(t)
    if m:
        unit = re.sub(r"s$", "", m.group("unit"))
        value = _num(m.group("num"))
        if m.group("num2"):
            value = _range_top(m.group("num"), value, float(m.group("num2")))
        return float(value * _UNIT_DAYS.get(unit, 30))
    if re.search(r"\b(a day or two|couple of days|un par de dias)\b", t):
        return 2.0
    m = re.search(
        r"\b(?:since|desde) (?:last |early |late |the end of |the start of |(?:el |la )?(?:pasado |pasada )?"
        r"|principios de |finales de )?(?P<month>[a-z]+)(?: (?:de )?(?P<year>\d{4}))?\b",
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
        if word in ("christmas", "navidad", "navidades"):
            start = date(today.year, 12, 25)
            if start > today:
                start = date(today.year - 1, 12, 25)
            return _days_since(start, today)
    m = re.search(
        r"\b(in|during|over|since|desde|en) (the |el |la )?(last |this |este |esta )?(?P<season>spring|summer"
        r"|autumn|fall|winter|primavera|verano|otono|invierno)\b",
        t,
    )
    if m:
        start = date(today.year, _SEASON_MONTH[m.group("season")], 1)
        if start > today:
            start = date(today.year - 1, start.month, 1)
        return _days_since(start, today)
    m = re.search(r"\b(since|desde) (?P<year>(19|20)\d\d)\b", t)
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
        (r"\b(hoy|esta manana|esta tarde|esta noche|anoche|unas horas|horas)\b", 0.5),
        (r"\b(ayer|desde ayer)\b", 1.0),
        (r"\b(la semana pasada|hace una semana)\b", 7.0),
        (r"\b(el mes pasado|hace un mes)\b", 30.0),
        (r"\b(el ano pasado|hace un ano)\b", 365.0),
        (r"\b(anos)\b", 730.0),
        (r"\b(meses)\b", 90.0),
        (r"\b(semanas)\b", 21.0),
        (r"\b(dias)\b", 3.0),
        (r"\b(hace tiempo|un tiempo|bastante tiempo|mucho tiempo)\b", 180.0),
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
    r"|thank you|thank u|thx|ta|cheers|ok thanks|okay thanks|bye|goodbye"
    r"|hola|buenas( tardes| noches)?|buenos dias|gracias|muchas gracias|mil gracias|adios|hasta luego"
    r"|(ok|okay|great|cool|perfect|brilliant|lovely|vale|bueno|genial|perfecto|estupendo),? "
    r"(thanks|thank you|cheers|ta|gracias|muchas gracias|mil gracias)"
    # "That's really helpful, thank you", "muy amable, gracias"
    r"|(that'?s|that is|this is|you'?ve been|you have been) (really |very |so |super )?"
    r"(helpful|great|useful|reassuring|kind|brilliant|good to know)(,? (thanks|thank you|cheers|ta))?"
    r"|(muy amable|me ha (ayudado|servido) (mucho)?|de acuerdo|perfecto|entendido),? "
    r"(gracias|muchas gracias|mil gracias))\b"
)
# English and Spanish: a question that also describes the patient ("tengo fiebre, ¿es grave?")
# is read for red flags in either language.
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|i've|i'd|me|my|mine|myself|we|our|us|im|ive"
    r"|yo|mi|mis|tengo|tenia|estoy|estaba|noto|siento|nos|nuestro|nuestra)\b"
)
_THIRD_PARTY = re.compile(
    r"\b(my (son|daughter|child|baby|husband|wife|partner|mum|mom|dad|mother|father|kid|boy"
    r"|girl))\b"
    r"|\b(mi|mis) (hijos?|hijas?|bebe|nino|nina|marido|mujer|esposa|esposo|pareja|madre|padre"
    r"|mama|papa)\b"
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
