"""Shared fixtures of the chatbot tests."""

import json
from pathlib import Path

import pytest

from chatbot.engine import build_knowledge

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def knowledge():
    """The knowledge base built from the two seed files, as the product builds it."""
    diseases = json.loads((ROOT / "diagnosis" / "seed" / "diseases.json").read_text())
    faqs = json.loads((ROOT / "chatbot" / "seed" / "faq.json").read_text())
    return build_knowledge(diseases, faqs)
