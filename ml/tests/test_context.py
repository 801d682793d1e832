"""The answers' contract (ml.context): what is kept, what is dropped, how the fusion reads it."""

from __future__ import annotations

import numpy as np
import pytest

from ml import context as C


def test_valid_answers_are_kept_and_normalised() -> None:
    ctx = C.normalise(
        {
            "age": "63",
            "sex": "Female",
            "body_site": "FACE",
            "fitzpatrick": 2,
            "diameter_mm": "12.34",
            "itch": "yes",
            "grew": True,
            "bleed": "false",
            "dermoscope": 0,
        }
    )
    assert ctx == {
        "age": 63,
        "sex": "female",
        "body_site": "face",
        "fitzpatrick": 2,
        "diameter_mm": 12.3,
        "itch": True,
        "grew": True,
        "bleed": False,
        "dermoscope": False,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"age": "abc"},
        {"age": -3},
        {"age": 400},
        {"age": float("nan")},
        {"age": True},
        {"sex": "other"},
        {"body_site": "moon"},
        {"fitzpatrick": 7},
        {"fitzpatrick": 2.5},
        {"diameter_mm": 0},
        {"bleed": "maybe"},
        {"bleed": None},
        {"unknown_key": 1},
        {"body_site": ["face"]},
    ],
)
def test_unknown_keys_and_bad_values_are_dropped(bad: dict) -> None:
    assert C.normalise(bad) == {}
    assert not C.features(bad).any()


def test_feature_vector_reads_yes_no_and_unknown() -> None:
    x = C.features({"age": 75, "body_site": "ear", "bleed": True, "itch": False})
    f = dict(zip(C.FEATURES, x, strict=True))
    assert f["age"] == pytest.approx((75 - C.AGE_CENTRE) / C.AGE_SCALE)
    assert f["age_known"] == 1.0
    assert f["site_ear"] == 1.0 and sum(v for k, v in f.items() if k.startswith("site_")) == 1.0
    assert f["bleed"] == 1.0 and f["itch"] == -1.0 and f["grew"] == 0.0


def test_nothing_known_is_all_zeros_and_recorded_only_keys_do_not_count() -> None:
    assert not C.features(None).any()
    assert not C.features({"sex": "male", "fitzpatrick": 3, "diameter_mm": 8, "dermoscope": True}).any()
    assert C.fused_keys({"sex": "male", "bleed": True}) == {"bleed": True}


def test_pad_rows_map_to_the_api_body_sites_and_skip_unknowns() -> None:
    row = {
        "age": "71",
        "region": "NOSE",
        "gender": "",
        "fitspatrick": "",
        "diameter_1": "",
        "itch": "UNK",
        "grew": "True",
        "hurt": "False",
        "changed": "",
        "bleed": "True",
        "elevation": "False",
    }
    assert C.pad_context(row) == {
        "age": 71,
        "body_site": "face",
        "grew": True,
        "hurt": False,
        "bleed": True,
        "elevation": False,
    }
    assert set(C.PAD_REGION_TO_SITE.values()) <= set(C.BODY_SITES)
    assert np.count_nonzero(C.features(C.pad_context(row))) == 7  # age, age_known, site, 4 answers
