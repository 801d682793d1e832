"""The per-language evaluation report (chatbot.evaluate --data / --conversations): its metrics
are pure functions of labelled rows and the engine's readings, checked here on tiny synthetic
rows whose right answers are counted by hand."""

import json

import pytest

from chatbot import evaluate
from chatbot.evaluate import Scored


def _s(rid, lang="en", kind="plain", expected=None, ok=None, predicted=None, exp=(), got=(), **kw):
    if ok is None:
        ok = (expected,) if expected else ()
    return Scored(rid, lang, kind, expected, tuple(ok), predicted, frozenset(exp), frozenset(got), **kw)


def test_within_one_allows_a_neighbouring_level_but_never_crosses_the_emergency_line():
    assert evaluate.within_one("soon", ("urgent",))
    assert evaluate.within_one("routine", ("urgent", "soon"))
    assert not evaluate.within_one("routine", ("urgent",))
    # An emergency told "urgent" is a miss, and a spot told "emergency" a false alarm.
    assert not evaluate.within_one("urgent", ("emergency",))
    assert not evaluate.within_one("emergency", ("urgent",))
    assert evaluate.within_one("emergency", ("urgent", "emergency"))
    assert not evaluate.within_one(None, ("routine",))


def test_acceptable_is_the_label_first_then_the_listed_alternatives():
    assert evaluate.acceptable({"urgency": "soon", "acceptable": ["soon", "routine"]}) == ("soon", "routine")
    assert evaluate.acceptable({"urgency": "urgent"}) == ("urgent",)
    assert evaluate.acceptable({"urgency": None}) == ()


def test_seven_point_items_read_the_slots_and_the_diameter():
    slots = {"size_change": True, "bleeding": False, "sensation": None, "diameter_mm": 8.0}
    assert evaluate.seven_point_items(slots) == {"size_change", "diameter_7mm"}
    assert evaluate.seven_point_items({"diameter_mm": 6.5}) == frozenset()


def test_seven_point_score_counts_found_missed_extra_and_contradicted_items():
    expected = {"present": ["size_change", "sensation"], "absent": ["bleeding"]}
    got = evaluate.seven_point_score(expected, frozenset({"size_change", "bleeding"}))
    assert got["exact"] is False
    assert (got["present_found"], got["present_n"]) == (1, 2)
    assert got["missed"] == ["sensation"]
    assert got["extra"] == ["bleeding"]
    assert got["contradicted"] == ["bleeding"]
    assert evaluate.seven_point_score(expected, frozenset({"size_change", "sensation"}))["exact"] is True
    assert evaluate.seven_point_score(None, frozenset()) is None


def test_report_lists_every_missed_emergency_and_every_false_alarm_by_id():
    items = [
        _s("e1", kind="emergency_question", expected="emergency", predicted="emergency", exp=["x"], got=["x"]),
        _s("e2", kind="emergency_story", expected="emergency", predicted="soon", exp=["x"]),
        _s("e3", expected="emergency", predicted="emergency", exp=["x"], got=["x"]),
        _s("e4", expected="emergency", predicted="emergency", exp=["x"], got=["x"]),
        _s("p1", kind="past", expected="routine", ok=("routine", "soon"), predicted="emergency", got=["x"]),
        _s("n1", kind="negated", expected="soon", predicted="soon"),
        _s("h1", kind="hypothetical", expected=None, predicted="routine", got=["y"]),
        _s("o1", kind="other_person", expected="soon", ok=("soon", "routine"), predicted="routine"),
    ]
    m = evaluate.report(items)
    assert m["emergency_n"] == 4
    assert m["missed"] == ["e2"]
    assert m["emergency_recall"] == pytest.approx(3 / 4)
    # Four messages called emergency, one of them wrongly.
    assert m["false_alarms"] == ["p1"]
    assert m["emergency_precision"] == pytest.approx(3 / 4)
    # Past, negated, hypothetical and other-person messages: p1 (emergency) and h1 (a flag raised).
    assert m["not_current_n"] == 4
    assert m["not_current_alarms"] == ["p1", "h1"]
    assert m["not_current_alarm_rate"] == pytest.approx(2 / 4)


def test_report_urgency_rates_and_confusion_skip_rows_without_an_expected_urgency():
    items = [
        _s("a", expected="urgent", predicted="urgent"),
        _s("b", expected="urgent", ok=("urgent", "soon"), predicted="soon"),
        _s("c", expected="soon", predicted="routine"),
        _s("d", expected="routine", predicted="urgent"),
        _s("q", kind="question", expected=None, predicted="routine"),
    ]
    m = evaluate.report(items)
    assert m["graded_n"] == 4
    assert m["exact"] == pytest.approx(1 / 4)
    assert m["acceptable"] == pytest.approx(2 / 4)
    assert m["within_one"] == pytest.approx(3 / 4)
    assert m["not_within_one"] == ["d"]
    assert m["confusion"][("urgent", "soon")] == 1
    assert m["confusion"][("routine", "urgent")] == 1
    assert sum(m["confusion"].values()) == 4


def test_report_conversations_name_late_recognition_and_unfinished_interviews():
    items = [
        _s("c1", expected="emergency", predicted="emergency", exp=["x"], got=["x"], stated_at=3, recognised_at=3),
        _s("c2", expected="emergency", predicted="emergency", exp=["x"], got=["x"], stated_at=2, recognised_at=5),
        _s("c3", expected="routine", predicted=None, finished=False),
    ]
    m = evaluate.report(items)
    assert m["late"] == [("c2", 2, 5)]
    assert m["unfinished"] == ["c3"]


def test_by_language_separates_the_languages_and_targets_fail_per_language():
    items = [
        _s("en1", expected="emergency", predicted="emergency", exp=["x"], got=["x"]),
        _s("es1", lang="es", expected="emergency", predicted="routine", exp=["x"]),
        _s("es2", lang="es", kind="negated", expected="routine", predicted="routine"),
    ]
    per = evaluate.by_language(items)
    assert sorted(per) == ["en", "es"]
    assert per["en"]["missed"] == [] and per["es"]["missed"] == ["es1"]
    assert evaluate.target_failures("en", per["en"]) == []
    failures = evaluate.target_failures("es", per["es"])
    assert any("emergency recall" in f for f in failures)
    assert any("within one" in f for f in failures)


def test_load_rows_fills_in_language_and_reads_neg_ids_as_negated(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [
        {"id": "h-neg-01", "text": "no fever"},
        {"id": "x-1", "text": "hola", "lang": "es", "kind": "greeting"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    got = evaluate.load_rows([path])
    assert [(r["lang"], r["kind"]) for r in got] == [("en", "negated"), ("es", "greeting")]


def test_the_cli_scores_extra_files_per_language_and_exits_non_zero_on_a_missed_target(tmp_path, capsys):
    data = tmp_path / "msgs.jsonl"
    rows = [
        {
            "id": "t-em-1",
            "text": "my skin is blistering and peeling all over and I have sores in my mouth",
            "intent": "red_flag",
            "topic": None,
            "red_flags": ["widespread_blistering"],
            "urgency": "emergency",
            "lang": "en",
            "kind": "emergency",
        },
        {
            "id": "t-em-2",
            # Nonsense no engine can read as an emergency: recall 1/2 must fail the target.
            "text": "zzzz qqqq",
            "intent": "red_flag",
            "topic": None,
            "red_flags": ["widespread_blistering"],
            "urgency": "emergency",
            "lang": "en",
            "kind": "emergency",
        },
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    convs = tmp_path / "convs.jsonl"
    conv = {"id": "t-c1", "lang": "en", "kind": "emergency", "turns": ["no", "no", "yes"]}
    conv |= {"urgency": "emergency", "red_flags": ["non_blanching_rash_fever"], "emergency_turn": 3}
    convs.write_text(json.dumps(conv) + "\n", encoding="utf-8")

    code = evaluate.main(["--data", str(data), "--conversations", str(convs)])
    out = capsys.readouterr().out
    assert code == 1
    assert "== messages, en: 2 ==" in out
    assert "missed: t-em-2" in out
    assert "== conversations, en: 1 ==" in out
    assert "messages en: emergency recall 0.500 < 0.97" in out
