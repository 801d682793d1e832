"""The bot's reply catalog: every patient-facing text, per language, as reviewable data.

en.json and es.json are keyed by message id; es.json also holds the screen questions (by
screen.QUESTIONS id), the interview questions (by interview.QUESTIONS id), the red-flag labels,
the time frames and the nurse-facing reasons. Anything missing in a language is said in English:
the English screen and interview texts stay in screen.py and interview.py.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

_DIR = Path(__file__).resolve().parent
# Languages the bot speaks throughout; others get the safety line (safety.json) and English.
SPOKEN: tuple[str, ...] = ("en", "es")
DEFAULT = "en"


def base_language(code: str | None) -> str:
    """The base language of a code ("es-MX" -> "es"); empty -> the default."""
    return (code or DEFAULT).strip().lower().replace("_", "-").split("-")[0] or DEFAULT


def spoken(code: str | None) -> str:
    """The language the bot replies in for a conversation language code."""
    lang = base_language(code)
    return lang if lang in SPOKEN else DEFAULT


@cache
def _load(name: str) -> dict[str, Any]:
    path = _DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def lookup(lang: str, *keys: str) -> Any:
    """The entry at keys in lang's catalog, else in English, else None."""
    for catalog in (_load(spoken(lang)), _load(DEFAULT)):
        node: Any = catalog
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if node not in (None, ""):
            return node
    return None


def text(lang: str, key: str, variant: int = 0, **values: Any) -> str:
    """A message, filled in; a list of variants is taken in turn by variant."""
    entry = lookup(lang, key)
    if entry is None:
        raise KeyError(f"no message {key!r}")
    if isinstance(entry, list):
        entry = entry[variant % len(entry)]
    return entry.format(**values) if values else entry


def own(lang: str, *keys: str) -> Any:
    """The entry in lang's own catalog only (None when it is not translated)."""
    node: Any = _load(spoken(lang))
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node or None


def safety_line(code: str | None, number: str) -> str | None:
    """The emergency-number line for a language the bot does not speak, or None."""
    lang = base_language(code)
    if lang in SPOKEN:
        return None
    line = _load("safety").get(lang)
    return line.format(number=number) if line else None


@cache
def _reason_rules(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), t) for p, t in (own(lang, "reasons") or ()))


def reason(lang: str, value: str, labels: dict[str, str] | None = None) -> str:
    """A nurse-facing reason (stored in English) said in lang; unknown ones stay English.

    labels turns an English flag label or screen short text back into lang's words.
    """
    for pattern, template in _reason_rules(spoken(lang)):
        m = pattern.match(value)
        if m:
            parts = {k: (labels or {}).get(v, v) for k, v in m.groupdict().items()}
            return template.format(**parts)
    return value
