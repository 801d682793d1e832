"""Table-driven tests of every rule of the triage policy."""

import pytest

from triage.policy import Evidence, assess

BENIGN = {"nevus": 0.9, "pigmented_benign_keratosis": 0.05, "melanoma": 0.02, "basal_cell_carcinoma": 0.03}
THRESHOLDS = {"melanoma": 0.2, "squamous_cell_carcinoma": 0.2, "basal_cell_carcinoma": 0.25}

CASES = [
    # (name, evidence, expected level, a phrase expected in the first reason)
    ("benign, nothing worrying", Evidence(BENIGN, THRESHOLDS, "ok"), 4, "No dangerous class"),
    (
        "30% melanoma behind 60% nevus",
        Evidence({"nevus": 0.6, "melanoma": 0.3, "dermatofibroma": 0.1}, THRESHOLDS, "ok"),
        2,
        "melanoma probability 0.30 is above its 0.20 threshold",
    ),
    ("melanoma just under threshold", Evidence({"nevus": 0.81, "melanoma": 0.19}, THRESHOLDS, "ok"), 4, "No dangerous"),
    ("melanoma exactly at threshold", Evidence({"nevus": 0.8, "melanoma": 0.2}, THRESHOLDS, "ok"), 2, "melanoma"),
    (
        "SCC plausible",
        Evidence({"actinic_keratosis": 0.7, "squamous_cell_carcinoma": 0.3}, THRESHOLDS, "ok"),
        2,
        "squamous cell carcinoma",
    ),
    ("BCC plausible", Evidence({"basal_cell_carcinoma": 0.5, "nevus": 0.5}, THRESHOLDS, "ok"), 3, "basal cell"),
    (
        "AK plausible (default threshold)",
        Evidence({"actinic_keratosis": 0.4, "nevus": 0.6}, THRESHOLDS, "ok"),
        3,
        "actinic keratosis",
    ),
    ("uncertain prediction needs a human", Evidence(BENIGN, THRESHOLDS, "uncertain"), 3, "not confident"),
    ("rejected photo needs a human", Evidence(None, THRESHOLDS, "rejected"), 3, "could not be assessed"),
    ("failed assessment needs a human", Evidence(None, THRESHOLDS, "failed"), 3, "failed"),
    (
        "red flag beats a benign photo",
        Evidence(BENIGN, THRESHOLDS, "ok", red_flags=("non_blanching_rash_fever",)),
        1,
        "Red flag: fever with a rash",
    ),
    ("red flag without any photo", Evidence(red_flags=("uncontrolled_bleeding",)), 1, "bleeding"),
    ("7-point score 3 is urgent", Evidence(BENIGN, THRESHOLDS, "ok", seven_point_score=3), 2, "7-point"),
    ("7-point score 2 is not", Evidence(BENIGN, THRESHOLDS, "ok", seven_point_score=2), 4, "No dangerous"),
    (
        "chat says urgent",
        Evidence(BENIGN, THRESHOLDS, "ok", chat_urgency="urgent", chat_reasons=("bleeding",)),
        2,
        "Symptom interview: bleeding",
    ),
    ("chat says soon", Evidence(BENIGN, THRESHOLDS, "ok", chat_urgency="soon"), 3, "Symptom interview"),
    ("chat routine changes nothing", Evidence(BENIGN, THRESHOLDS, "ok", chat_urgency="routine"), 4, "No dangerous"),
    (
        "BCC on the face does not wait (TRIAGE.md: site)",
        Evidence({"basal_cell_carcinoma": 0.5, "nevus": 0.5}, THRESHOLDS, "ok", context={"body_site": "face"}),
        2,
        "basal cell carcinoma probability 0.50 is above its 0.25 threshold, on the face",
    ),
    (
        "growing BCC does not wait",
        Evidence({"basal_cell_carcinoma": 0.5, "nevus": 0.5}, THRESHOLDS, "ok", context={"grew": True}),
        2,
        "growing",
    ),
    (
        "BCC larger than 2 cm does not wait",
        Evidence({"basal_cell_carcinoma": 0.5, "nevus": 0.5}, THRESHOLDS, "ok", context={"diameter_mm": 25.0}),
        2,
        "larger than 2 cm",
    ),
    (
        "small stable BCC on the back stays soon",
        Evidence(
            {"basal_cell_carcinoma": 0.5, "nevus": 0.5},
            THRESHOLDS,
            "ok",
            context={"body_site": "back", "grew": False, "diameter_mm": 6.0},
        ),
        3,
        "basal cell",
    ),
    (
        "a face site alone does not raise a benign photo",
        Evidence(BENIGN, THRESHOLDS, "ok", context={"body_site": "face"}),
        4,
        "No dangerous",
    ),
    (
        "a bleeding lesion that has grown is urgent (TRIAGE.md level 2)",
        Evidence(BENIGN, THRESHOLDS, "ok", context={"bleed": True, "grew": True}),
        2,
        "bleeding lesion that has grown",
    ),
    (
        "bleeding alone is not",
        Evidence(BENIGN, THRESHOLDS, "ok", context={"bleed": True, "grew": False}),
        4,
        "No dangerous",
    ),
    (
        "missing card threshold uses the conservative default",
        Evidence({"nevus": 0.84, "melanoma": 0.16}, {}, "ok"),
        2,
        "0.15 threshold",
    ),
]


@pytest.mark.parametrize(("name", "evidence", "level", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_policy(name, evidence, level, phrase):
    result = assess(evidence)
    assert result.level == level
    assert phrase in result.reasons[0]


def test_every_reason_is_kept_most_severe_first():
    result = assess(Evidence({"melanoma": 0.3, "basal_cell_carcinoma": 0.4, "nevus": 0.3}, THRESHOLDS, "uncertain"))
    assert result.level == 2
    assert "melanoma" in result.reasons[0]
    assert any("basal cell" in r for r in result.reasons)
    assert any("not confident" in r for r in result.reasons)
