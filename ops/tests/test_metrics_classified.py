"""The counters move when the real worker task classifies a real photo (run in this process)."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from diagnosis import services as diagnosis
from diagnosis.models import Submission
from ml.tasks import classify_submission
from ops import metrics
from tests.conftest import active_model, phone_photo  # noqa: F401 - fixtures
from tests.images import upload_file

pytestmark = pytest.mark.django_db(transaction=True)


def _samples() -> dict[tuple[str, frozenset], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("skintriage_")
    }


def test_classifying_a_submission_moves_the_counters(active_model, phone_photo, patient_alice):  # noqa: F811
    # given
    submission = diagnosis.submission_create(
        patient=patient_alice, image=upload_file(phone_photo.read_bytes()), body_site="back", itch="no"
    )
    before = _samples()
    # when: the worker's task, called as the worker calls it
    assert classify_submission(submission.pk) == "done"
    # then
    after = _samples()
    done = Submission.objects.select_related("prediction", "case").get(pk=submission.pk)
    prediction, case = done.prediction, done.case

    def moved(name: str, **labels) -> float:
        key = (name, frozenset({k: str(v) for k, v in labels.items()}.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("skintriage_submissions", status="done") == 1
    assert moved("skintriage_submissions", status="queued") == -1
    assert moved("skintriage_predictions", top_class=prediction.top, photo_kind=prediction.photo_kind) == 1
    depth = [k for k in after if k[0] == "skintriage_queue_depth" and ("level", str(case.level)) in k[1]]
    assert len(depth) == 1 and after[depth[0]] - before.get(depth[0], 0) == 1
    assert moved("skintriage_upload_to_result_seconds_count") == 1
    assert moved("skintriage_inference_milliseconds_count") == 1
    assert moved("skintriage_inference_milliseconds_sum") == pytest.approx(prediction.inference_ms)
    assert moved("skintriage_model_info", version=active_model.version) == 0
    assert after[("skintriage_model_info", frozenset({("version", active_model.version)}))] == 1
