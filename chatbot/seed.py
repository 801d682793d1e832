"""Seed the chatbot's FAQ entries from chatbot/seed/faq.json (never overwrites admin edits)."""

import json
from pathlib import Path

from chatbot.models import Faq

SEED_FILE = Path(__file__).resolve().parent / "seed" / "faq.json"


def seed() -> str:
    created = 0
    for row in json.loads(SEED_FILE.read_text()):
        _, was_created = Faq.objects.get_or_create(
            slug=row["slug"],
            defaults={
                "question": row["question"],
                "answer": row["answer"],
                "keywords": row.get("keywords", []),
                "references": row.get("references", []),
            },
        )
        created += was_created
    return f"{created} FAQ entries added"
