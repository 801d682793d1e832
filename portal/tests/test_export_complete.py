"""The patient's data export holds heat maps and each case's history besides the rest (issue 16,
item 9)."""

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.models import CaseEvent
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked_case(patient_alice, nurse_nina):
    """Alice's classified photo with a heat map, and a case a nurse viewed, re-levelled and closed."""
    seed_levels()
    submission = diagnosis.submission_create(
        patient=patient_alice, image=upload_file(), body_site="back", itch="yes", diameter_mm=4
    )
    prediction = Prediction(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    case = triage.case_assess_submission(submission=submission)
    CaseEvent.objects.create(case=case, actor=nurse_nina, kind=CaseEvent.Kind.VIEWED, to_value="case")
    triage.case_claim(case=case, by=nurse_nina)
    triage.case_change_level(case=case, by=nurse_nina, level=2, reason="nurse's working note")
    triage.case_close(case=case, by=nurse_nina, outcome="routine_referral", note="Please see your GP within 4 weeks.")
    return submission, case


def _export(client, user):
    client.force_login(user)
    response = client.get(reverse("data_export"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return archive, json.loads(archive.read("data.json"))


def test_the_export_holds_the_heat_map_file_beside_the_photo(client, patient_alice, worked_case):
    submission, _ = worked_case
    # when
    archive, data = _export(client, patient_alice)
    # then
    [exported] = data["submissions"]
    assert exported["heatmap"] == f"heatmaps/{submission.pk}.png"
    with submission.prediction.heatmap.open("rb") as fh:
        assert archive.read(exported["heatmap"]) == fh.read()
    assert exported["answers"]["itch"] == "yes" and exported["answers"]["diameter_mm"] == 4


def test_the_export_holds_each_case_history_without_staff_identities_or_internal_notes(
    client, patient_alice, worked_case
):
    _, case = worked_case
    # when
    _, data = _export(client, patient_alice)
    # then: every step of the case, in order, with the note meant for the patient
    [exported] = data["cases"]
    assert [(e["kind"], e["by"]) for e in exported["history"]] == [
        ("created", "system"),
        ("viewed", "nurse"),
        ("claimed", "nurse"),
        ("level_changed", "nurse"),
        ("closed", "nurse"),
    ]
    level_change = exported["history"][3]
    assert (level_change["from"], level_change["to"]) == (str(case.level), "2")
    assert exported["note"] == "Please see your GP within 4 weeks." and exported["outcome"] == "routine_referral"
    # and: neither the nurse's name nor her working note leaves the clinic
    text = json.dumps(exported)
    assert "nina" not in text and "working note" not in text
