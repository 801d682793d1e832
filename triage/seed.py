"""Seed the four triage levels with TRIAGE.md's defaults (never overwrites admin edits).

The texts are marked for the translation catalogue (locale/<lang>/LC_MESSAGES/django.po); their
translations fill the per-language fields of django-modeltranslation (name_es, ...), on new rows
and on existing rows whose translation is still empty and whose English is still the seeded one.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from triage.models import TriageLevel

DEFAULT_LEVELS = (
    (
        1,
        gettext_noop("Emergency"),
        "#c4272c",
        15,
        gettext_noop(
            "Seek emergency care now: call your emergency number or go to the nearest emergency department. "
            "Do not wait for the nurse's review."
        ),
    ),
    (
        2,
        gettext_noop("Urgent: suspected cancer"),
        "#d35400",
        120,
        gettext_noop(
            "See a skin specialist within 2 weeks. A nurse will review your case within a few hours and help "
            "arrange it."
        ),
    ),
    (
        3,
        gettext_noop("Soon"),
        "#b58900",
        24 * 60,
        gettext_noop("See a doctor within 4 weeks. A nurse will review your case within a day."),
    ),
    (
        4,
        gettext_noop("Routine"),
        "#198754",
        72 * 60,
        gettext_noop(
            "Keep an eye on it: check it monthly with the ABCDE rule (asymmetry, border, colours, diameter, "
            "evolving). See a doctor if it changes, bleeds, or has not healed in 4 weeks."
        ),
    ),
)
# The fields an admin translates (triage/translation.py).
TRANSLATED = ("name", "patient_advice")


def seeded_translation(text: str, language: str) -> str | None:
    """The catalogue's translation of a seeded text, or None when the catalogue has none."""
    with translation.override(language):
        translated = translation.gettext(text)
    return translated if translated != text else None


def _other_languages() -> list[str]:
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    return [code for code, _ in settings.LANGUAGES if code != default]


def seed() -> str:
    # In the default language: with Spanish active (a test after a Spanish request, a shell),
    # modeltranslation would write the plain "name" default into name_es.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        return _seed()


def _seed() -> str:
    created = translated = 0
    for level, name, colour, minutes, advice in DEFAULT_LEVELS:
        english = {"name": name, "patient_advice": advice}
        row, was_created = TriageLevel.objects.get_or_create(
            level=level,
            defaults={
                **english,
                **{f"{f}_en": v for f, v in english.items()},
                "colour": colour,
                "target_minutes": minutes,
            },
        )
        created += was_created
        filled = []
        for language in _other_languages():
            for f in TRANSLATED:
                # Only an empty translation of a text the admin has not reworded: a Spanish seed
                # text beside an admin's own English would say something else.
                if getattr(row, f"{f}_{language}") or getattr(row, f"{f}_en") != english[f]:
                    continue
                if text := seeded_translation(english[f], language):
                    setattr(row, f"{f}_{language}", text)
                    filled.append(f"{f}_{language}")
        if filled:
            row.save(update_fields=filled)
            translated += 1
    return f"{created} triage levels added, {translated} given translated texts"
