"""Unicode normalisation applied to every patient text before anything else reads it."""

from __future__ import annotations

import unicodedata

# Letters from other scripts that look like Latin ones. A red flag typed with a Cyrillic "e" or a
# Greek "o" (by a keyboard layout, an autocorrect or on purpose) must still match; the table is
# small on purpose and kept as data so that a reviewer can see exactly what is folded.
CONFUSABLES: dict[str, str] = {
    # Cyrillic lower case
    "\u0430": "a",  # cyrillic small letter a
    "\u0435": "e",  # cyrillic small letter ie
    "\u0451": "e",  # cyrillic small letter io
    "\u043a": "k",  # cyrillic small letter ka
    "\u043c": "m",  # cyrillic small letter em
    "\u043d": "h",  # cyrillic small letter en
    "\u043e": "o",  # cyrillic small letter o
    "\u0440": "p",  # cyrillic small letter er
    "\u0441": "c",  # cyrillic small letter es
    "\u0442": "t",  # cyrillic small letter te
    "\u0443": "y",  # cyrillic small letter u
    "\u0445": "x",  # cyrillic small letter ha
    "\u0456": "i",  # cyrillic small letter byelorussian-ukrainian i
    "\u0457": "i",  # cyrillic small letter yi
    "\u0458": "j",  # cyrillic small letter je
    "\u0455": "s",  # cyrillic small letter dze
    "\u04bb": "h",  # cyrillic small letter shha
    "\u0501": "d",  # cyrillic small letter komi de
    "\u051b": "q",  # cyrillic small letter qa
    "\u051d": "w",  # cyrillic small letter we
    # Cyrillic upper case
    "\u0410": "A",  # cyrillic capital letter a
    "\u0412": "B",  # cyrillic capital letter ve
    "\u0415": "E",  # cyrillic capital letter ie
    "\u0401": "E",  # cyrillic capital letter io
    "\u041a": "K",  # cyrillic capital letter ka
    "\u041c": "M",  # cyrillic capital letter em
    "\u041d": "H",  # cyrillic capital letter en
    "\u041e": "O",  # cyrillic capital letter o
    "\u0420": "P",  # cyrillic capital letter er
    "\u0421": "C",  # cyrillic capital letter es
    "\u0422": "T",  # cyrillic capital letter te
    "\u0423": "Y",  # cyrillic capital letter u
    "\u0425": "X",  # cyrillic capital letter ha
    "\u0406": "I",  # cyrillic capital letter byelorussian-ukrainian i
    "\u0408": "J",  # cyrillic capital letter je
    "\u0405": "S",  # cyrillic capital letter dze
    # Greek lower case
    "\u03b1": "a",  # greek small letter alpha
    "\u03b5": "e",  # greek small letter epsilon
    "\u03b9": "i",  # greek small letter iota
    "\u03ba": "k",  # greek small letter kappa
    "\u03bd": "v",  # greek small letter nu
    "\u03bf": "o",  # greek small letter omicron
    "\u03c1": "p",  # greek small letter rho
    "\u03c4": "t",  # greek small letter tau
    "\u03c5": "u",  # greek small letter upsilon
    "\u03c7": "x",  # greek small letter chi
    # Greek upper case
    "\u0391": "A",  # greek capital letter alpha
    "\u0392": "B",  # greek capital letter beta
    "\u0395": "E",  # greek capital letter epsilon
    "\u0397": "H",  # greek capital letter eta
    "\u0399": "I",  # greek capital letter iota
    "\u039a": "K",  # greek capital letter kappa
    "\u039c": "M",  # greek capital letter mu
    "\u039d": "N",  # greek capital letter nu
    "\u039f": "O",  # greek capital letter omicron
    "\u03a1": "P",  # greek capital letter rho
    "\u03a4": "T",  # greek capital letter tau
    "\u03a5": "Y",  # greek capital letter upsilon
    "\u03a7": "X",  # greek capital letter chi
    "\u0396": "Z",  # greek capital letter zeta
    # Latin letters that NFKD leaves alone
    "\u0131": "i",  # latin small letter dotless i
    "\u0251": "a",  # latin small letter alpha
    "\u0261": "g",  # latin small letter script g
    "\u1d00": "A",  # latin letter small capital a
    "\u00f8": "o",  # latin small letter o with stroke
    "\u00d8": "O",  # latin capital letter o with stroke
    "\u0142": "l",  # latin small letter l with stroke
    "\u0141": "L",  # latin capital letter l with stroke
}

# Characters that render as nothing and would split a word ("blee\u200bding").
INVISIBLE = frozenset({"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e"})

_TABLE = str.maketrans({**CONFUSABLES, **dict.fromkeys(INVISIBLE, "")})


def fold_text(text: str) -> str:
    """NFKC, then look-alike letters to Latin and accents dropped: what every matcher reads.

    Full-width and other compatibility forms become plain ASCII (full-width "bleeding" too),
    accents are folded ("fiébre" -> "fiebre", "sí" -> "si") and Cyrillic or Greek look-alikes
    become the Latin letter they imitate. Case is kept; the matchers lower-case later.
    """
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text).translate(_TABLE)
    # NFKD splits an accented letter into its base and a combining mark; dropping the marks
    # folds the accents ("á" -> "a"); the confusable table runs again for letters that only
    # become look-alikes once their mark is gone (Cyrillic yi loses its diaeresis).
    decomposed = unicodedata.normalize("NFKD", t)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.translate(_TABLE))
