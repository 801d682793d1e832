"""Seed the disease content from diagnosis/seed/diseases.json (never overwrites admin edits)."""

import json
from pathlib import Path

from diagnosis.models import Disease

SEED_FILE = Path(__file__).resolve().parent / "seed" / "diseases.json"
FIELDS = (
    "name",
    "is_model_class",
    "summary",
    "causes",
    "typical_look",
    "severity",
    "action",
    "timeframe",
    "emergency_signs",
    "references",
)


def seed() -> str:
    created = 0
    for row in json.loads(SEED_FILE.read_text()):
        _, was_created = Disease.objects.get_or_create(
            code=row["code"], defaults={f: row[f] for f in FIELDS if f in row}
        )
        created += was_created
    return f"{created} diseases added ({Disease.objects.count()} in all)"
