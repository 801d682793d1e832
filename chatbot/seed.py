"""Seed the chatbot's FAQ entries from chatbot/seed/faq.json (never overwrites admin edits).

The Spanish texts come from chatbot/seed/faq.es.json (by slug) and fill the empty *_es fields
(django-modeltranslation), as for the disease content.
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

from chatbot.models import Faq

SEED_FILE = Path(__file__).resolve().parent / "seed" / "faq.json"
SPANISH_FILE = SEED_FILE.with_name("faq.es.json")
TRANSLATED = ("question", "answer", "keywords")


def seed() -> str:
    # In the default language: with Spanish active (a test after a Spanish request, a shell),
    # modeltranslation would write the plain English defaults into the *_es fields.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        return _seed()


def _seed() -> str:
    created = translated = 0
    spanish = json.loads(SPANISH_FILE.read_text(encoding="utf-8"))
    for row in json.loads(SEED_FILE.read_text(encoding="utf-8")):
        english = {"question": row["question"], "answer": row["answer"], "keywords": row.get("keywords", [])}
        faq, was_created = Faq.objects.get_or_create(
            slug=row["slug"],
            defaults={
                **english,
                **{f"{f}_en": v for f, v in english.items()},
                "references": row.get("references", []),
            },
        )
        created += was_created
        es = spanish.get(row["slug"], {})
        empty = [f for f in TRANSLATED if not getattr(faq, f"{f}_es") and es.get(f)]
        if empty:
            for f in empty:
                setattr(faq, f"{f}_es", es[f])
            faq.save(update_fields=[f"{f}_es" for f in empty])
            translated += 1
    return f"{created} FAQ entries added, {translated} given Spanish texts"
