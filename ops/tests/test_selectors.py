"""The operations page's exact percentiles (nearest rank) over the recent window."""

from datetime import timedelta

import pytest

from ops import selectors
from ops.tests.rows import finished

pytestmark = pytest.mark.django_db


def test_latency_percentiles_are_nearest_rank_over_the_window(levels, patient_alice):
    # given: results after 1, 2, ... 20 s (inference 10 * that in ms), and a slow one two days ago
    for seconds in range(1, 21):
        finished(patient_alice, seconds=seconds, inference_ms=10.0 * seconds)
    finished(patient_alice, seconds=500, inference_ms=5000, age=timedelta(days=2))
    # when
    result = selectors.latency_percentiles(window_hours=24)
    # then: p50 is the 10th of 20, p95 the 19th
    assert result["upload_to_result_s"] == {"p50": pytest.approx(10), "p95": pytest.approx(19)}
    assert result["inference_ms"] == {"p50": 100, "p95": 190}


def test_latency_percentiles_of_an_empty_window_are_none(db):
    result = selectors.latency_percentiles(window_hours=24)
    assert result == {"upload_to_result_s": {"p50": None, "p95": None}, "inference_ms": {"p50": None, "p95": None}}
