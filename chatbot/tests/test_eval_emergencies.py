"""Every emergency message of the held-out evaluation set opens a level-1 case through the real
services, and no negated message opens any case."""

import json
from pathlib import Path

import pytest

from chatbot import services
from triage.models import Case

pytestmark = pytest.mark.django_db
EVAL = [
    json.loads(line) for line in (Path(__file__).resolve().parents[2] / "tests" / "data" / "chat_eval.jsonl").open()
]
HELDOUT = [m for m in EVAL if m["part"] == "heldout"]


@pytest.fixture(autouse=True)
def _content(db):
    from chatbot.seed import seed as seed_faq
    from diagnosis.seed import seed as seed_diseases
    from triage.seed import seed as seed_levels

    seed_levels(), seed_diseases(), seed_faq()


def test_every_heldout_emergency_gives_urgency_emergency_and_a_level_1_case(patient_alice):
    emergencies = [m for m in HELDOUT if m["urgency"] == "emergency"]
    assert len(emergencies) >= 30
    for message in emergencies:
        conversation = services.conversation_start(patient=patient_alice)
        reply = services.conversation_reply(conversation=conversation, text=message["text"])
        assert reply["urgency"] == "emergency", message["id"]
        conversation.refresh_from_db()
        assert conversation.case is not None and conversation.case.level == 1, message["id"]


def test_no_heldout_non_emergency_message_opens_an_emergency_case(patient_alice):
    calm = [m for m in HELDOUT if m["urgency"] != "emergency" and not m["red_flags"]]
    for message in calm:
        conversation = services.conversation_start(patient=patient_alice)
        reply = services.conversation_reply(conversation=conversation, text=message["text"])
        assert reply["red_flags"] == [], message["id"]
    assert not Case.objects.filter(level=1).exists()
