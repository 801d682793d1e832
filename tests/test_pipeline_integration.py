"""Upload -> broker -> a real worker process -> the real shipped model -> prediction -> case."""

import io
import statistics
import time

import pytest

from diagnosis.models import Submission
from tests.conftest import wait_for
from tests.images import jpeg_bytes, real_lesion_paths
from triage.models import Case

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _upload(client, content: bytes, name="lesion.jpg", **fields):
    f = io.BytesIO(content)
    f.name = name
    return client.post("/api/v1/submissions/", {"image": f, **fields}, format="multipart")


def test_real_photos_are_classified_end_to_end_by_a_worker_process(api_as, patient_alice, worker_process, active_model):
    photos = real_lesion_paths("test")[::40][:6]
    if not photos:
        pytest.skip("the isic8-180 images are not in ../shared (set SKIN_DATA_DIR)")
    worker = worker_process()
    client = api_as(patient_alice)
    # The first task also waits for the worker to boot and load the model: not part of the timing.
    response = _upload(client, photos[0].read_bytes(), body_site="back")
    assert response.status_code == 202, (response.status_code, response.content, patient_alice.pk)
    first = response.json()["id"]
    wait_for(lambda: Submission.objects.get(pk=first).is_final, timeout=90)

    durations = []
    for path in photos[1:]:
        t0 = time.monotonic()
        sid = _upload(client, path.read_bytes(), body_site="back").json()["id"]
        try:
            wait_for(lambda sid=sid: Submission.objects.get(pk=sid).is_final, timeout=30, interval=0.05)
        except AssertionError:
            pytest.fail("not classified in time; worker log:\n" + worker.output()[-3000:])
        durations.append(time.monotonic() - t0)
        body = client.get(f"/api/v1/submissions/{sid}/").json()
        assert body["status"] == "done", body
        ranked = body["prediction"]["ranked"]
        assert len(ranked) == 8 and abs(sum(r["probability"] for r in ranked) - 1) < 0.01
        assert body["prediction"]["model_version"] == active_model.version
        assert body["triage"]["level"] in (1, 2, 3, 4)
        assert Case.objects.filter(submission_id=sid).count() == 1
    print(f"upload->prediction median {statistics.median(durations):.2f}s over {len(durations)} photos")
    assert statistics.median(durations) < 10  # the quoted 3 s figure comes from the benchmark


def test_a_non_lesion_photo_is_rejected_with_a_reason_and_still_triaged(
    api_as, patient_alice, worker_process, active_model
):
    worker_process()
    client = api_as(patient_alice)
    sid = _upload(client, jpeg_bytes(size=(640, 480), colour=(250, 250, 250))).json()["id"]
    wait_for(lambda: Submission.objects.get(pk=sid).is_final, timeout=90)
    body = client.get(f"/api/v1/submissions/{sid}/").json()
    assert body["status"] == "rejected"
    assert len(body["error"]) > 20
    assert body["triage"]["level"] == 3
