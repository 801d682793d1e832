"""Seed the four triage levels with TRIAGE.md's defaults (admins can change them)."""

from triage.models import TriageLevel

DEFAULT_LEVELS = (
    (
        1,
        "Emergency",
        "#c4272c",
        15,
        "Seek emergency care now: call your emergency number or go to the nearest emergency department. "
        "Do not wait for the nurse's review.",
    ),
    (
        2,
        "Urgent: suspected cancer",
        "#d35400",
        120,
        "See a skin specialist within 2 weeks. A nurse will review your case within a few hours and help arrange it.",
    ),
    (3, "Soon", "#b58900", 24 * 60, "See a doctor within 4 weeks. A nurse will review your case within a day."),
    (
        4,
        "Routine",
        "#198754",
        72 * 60,
        "Keep an eye on it: check it monthly with the ABCDE rule (asymmetry, border, colours, diameter, evolving). "
        "See a doctor if it changes, bleeds, or has not healed in 4 weeks.",
    ),
)


def seed() -> str:
    created = 0
    for level, name, colour, minutes, advice in DEFAULT_LEVELS:
        _, was_created = TriageLevel.objects.get_or_create(
            level=level, defaults={"name": name, "colour": colour, "target_minutes": minutes, "patient_advice": advice}
        )
        created += was_created
    return f"{created} triage levels added"
