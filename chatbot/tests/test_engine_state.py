"""State: plain JSON that survives a round trip between messages."""

import json
from datetime import date
from pathlib import Path

from chatbot.engine import Engine, build_knowledge

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


def knowledge():
    diseases = json.loads((ROOT / "diagnosis" / "seed" / "diseases.json").read_text())
    faqs = json.loads((ROOT / "chatbot" / "seed" / "faq.json").read_text())
    return build_knowledge(diseases, faqs)


def test_state_survives_a_json_round_trip_between_every_message():
    # given the same story played with and without serialising the state in between
    messages = ["a few months", "yes", "yes it's bigger", "what is a melanoma?", "no"]
    kb = knowledge()
    plain = Engine(kb, today=TODAY)
    s1 = plain.new_state()
    plain.opening(s1)
    direct = [plain.reply(s1, m) for m in messages]

    s2 = json.loads(json.dumps(plain.new_state()))
    # a new Engine per message, as a web request would build it
    Engine(kb, today=TODAY).opening(s2)
    stored = []
    for m in messages:
        s2 = json.loads(json.dumps(s2))
        turn = Engine(kb, today=TODAY).reply(s2, m)
        stored.append(turn)
        s2 = turn.state
    # then
    assert [t.reply for t in stored] == [t.reply for t in direct]
    assert [t.urgency for t in stored] == [t.urgency for t in direct]
    assert json.loads(json.dumps(s2)) == s1


def test_old_state_missing_keys_is_upgraded():
    engine = Engine(knowledge(), today=TODAY)
    turn = engine.reply({}, "3 weeks")
    assert turn.state["slots"]["duration_days"] == 21
