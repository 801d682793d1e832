"""Seed the disease content from diagnosis/seed/diseases.json (never overwrites admin edits).

The Spanish texts come from diagnosis/seed/diseases.es.json (by code): they fill the *_es
fields of django-modeltranslation, on new rows and on existing rows whose Spanish is still empty.
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

from diagnosis.models import Disease

SEED_FILE = Path(__file__).resolve().parent / "seed" / "diseases.json"
SPANISH_FILE = SEED_FILE.with_name("diseases.es.json")
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
# The fields an admin translates (diagnosis/translation.py).
TRANSLATED = ("name", "summary", "causes", "typical_look", "action", "timeframe", "emergency_signs")


def seed() -> str:
    # In the default language: with Spanish active (a test after a Spanish request, a shell),
    # modeltranslation would write the plain English defaults into the *_es fields.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        return _seed()


def _seed() -> str:
    created = translated = 0
    spanish = json.loads(SPANISH_FILE.read_text(encoding="utf-8"))
    for row in json.loads(SEED_FILE.read_text(encoding="utf-8")):
        defaults = {f: row[f] for f in FIELDS if f in row}
        defaults.update({f"{f}_en": row[f] for f in TRANSLATED if f in row})
        disease, was_created = Disease.objects.get_or_create(code=row["code"], defaults=defaults)
        created += was_created
        empty = [f for f in TRANSLATED if not getattr(disease, f"{f}_es") and spanish.get(row["code"], {}).get(f)]
        if empty:
            for f in empty:
                setattr(disease, f"{f}_es", spanish[row["code"]][f])
            disease.save(update_fields=[f"{f}_es" for f in empty])
            translated += 1
    return f"{created} diseases added, {translated} given Spanish texts ({Disease.objects.count()} in all)"
