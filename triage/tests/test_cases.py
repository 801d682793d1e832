import io
import threading
import zipfile

import pytest
from django.db import connection
from django.urls import reverse

from diagnosis.models import Prediction, Submission
from tests.images import upload_file
from triage import services
from triage.models import Case, CaseEvent
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
Q = "/api/v1/triage/queue/"


def _done_submission(patient, ranked, uncertain=False):

    from diagnosis import services as diagnosis

    submission = diagnosis.submission_create(patient=patient, image=upload_file())
    Prediction.objects.create(
        submission=submission,
        model_version="t",
        ranked=ranked,
        top=ranked[0][0],
        uncertain=uncertain,
        inference_ms=1.0,
        thresholds={"melanoma": 0.2, "squamous_cell_carcinoma": 0.2, "basal_cell_carcinoma": 0.25},
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    return submission


@pytest.fixture(autouse=True)
def _levels(db):
    seed_levels()


def test_worker_handover_opens_a_case_at_the_most_severe_plausible_level(patient_alice):
    submission = _done_submission(patient_alice, [["nevus", 0.6], ["melanoma", 0.3], ["dermatofibroma", 0.1]])
    case = services.case_assess_submission(submission=submission)
    assert case.level == 2
    assert CaseEvent.objects.filter(case=case, kind="created").count() == 1
    # Running the handover twice (a redelivered task) keeps one case.
    again = services.case_assess_submission(submission=submission)
    assert again.pk == case.pk and Case.objects.count() == 1


def test_queue_puts_emergency_before_older_routine_case(api_as, patient_alice, nurse_nina):
    # given: an older routine case, then a newer urgent one, then a newer routine one
    routine_old = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    urgent = services.case_assess_submission(
        submission=_done_submission(patient_alice, [["melanoma", 0.9], ["nevus", 0.1]])
    )
    routine_new = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    # when
    body = api_as(nurse_nina).get(Q).json()
    # then
    assert [r["id"] for r in body["results"]] == [urgent.pk, routine_old.pk, routine_new.pk]
    row = body["results"][0]
    assert set(row) >= {
        "id",
        "submission",
        "level",
        "label",
        "status",
        "created_at",
        "waiting_minutes",
        "target_minutes",
        "overdue",
        "top_class",
        "assigned_to",
    }
    assert row["top_class"] == "melanoma" and row["target_minutes"] == 120


def test_overdue_is_flagged(api_as, patient_alice, nurse_nina):
    from datetime import timedelta

    from django.utils import timezone

    case = services.case_assess_submission(
        submission=_done_submission(patient_alice, [["melanoma", 0.9], ["nevus", 0.1]])
    )
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=3))
    row = api_as(nurse_nina).get(Q).json()["results"][0]
    assert row["overdue"] is True


def test_claim_conflict_answers_409(api_as, patient_alice, nurse_nina):
    from tests.factories import NurseFactory

    case = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    other = NurseFactory(username="omar")
    assert api_as(nurse_nina).post(f"/api/v1/triage/cases/{case.pk}/claim/").status_code == 200
    response = api_as(other).post(f"/api/v1/triage/cases/{case.pk}/claim/")
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.assigned_to == nurse_nina


@pytest.mark.django_db(transaction=True)
def test_two_nurses_claiming_at_once_exactly_one_wins(patient_alice):
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL (set DATABASE_URL); SQLite serialises writers")
    from rest_framework.test import APIClient

    from portal.accounts.services import api_token_create
    from tests.factories import NurseFactory

    seed_levels()
    case = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    nurses = [NurseFactory(username=f"n{i}") for i in range(6)]
    tokens = [api_token_create(user=n)[0] for n in nurses]
    barrier = threading.Barrier(len(nurses))
    codes: list[int] = []

    def claim(token):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        codes.append(client.post(f"/api/v1/triage/cases/{case.pk}/claim/").status_code)
        connection.close()

    threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 5
    assert CaseEvent.objects.filter(case=case, kind="claimed").count() == 1


def test_level_change_needs_a_reason_and_is_audited(api_as, patient_alice, nurse_nina):
    case = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    client = api_as(nurse_nina)
    assert client.post(f"/api/v1/triage/cases/{case.pk}/level/", {"level": 2}, format="json").status_code == 400
    assert (
        client.post(f"/api/v1/triage/cases/{case.pk}/level/", {"level": 2, "reason": " "}, format="json").status_code
        == 400
    )
    case.refresh_from_db()
    assert case.level == 4
    ok = client.post(
        f"/api/v1/triage/cases/{case.pk}/level/", {"level": 2, "reason": "irregular border on image"}, format="json"
    )
    assert ok.status_code == 200
    event = CaseEvent.objects.get(case=case, kind="level_changed")
    assert (event.actor, event.from_value, event.to_value, event.reason) == (
        nurse_nina,
        "4",
        "2",
        "irregular border on image",
    )


def test_close_with_outcome_is_shown_to_the_patient(api_as, client, patient_alice, nurse_nina):
    submission = _done_submission(patient_alice, [["nevus", 1.0]])
    case = services.case_assess_submission(submission=submission)
    nurse = api_as(nurse_nina)
    assert nurse.post(f"/api/v1/triage/cases/{case.pk}/close/", {"outcome": "bogus"}, format="json").status_code == 400
    ok = nurse.post(
        f"/api/v1/triage/cases/{case.pk}/close/",
        {"outcome": "self_care", "note": "Looks benign; recheck in 3 months."},
        format="json",
    )
    assert ok.status_code == 200
    body = api_as(patient_alice).get(f"/api/v1/submissions/{submission.pk}/").json()
    assert body["triage"]["status"] == "closed" and "recheck in 3 months" in body["triage"]["note"]
    assert (
        nurse.post(f"/api/v1/triage/cases/{case.pk}/close/", {"outcome": "self_care"}, format="json").status_code == 409
    )
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["created", "closed"]


def test_every_state_change_leaves_an_event(patient_alice, nurse_nina):
    case = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    services.case_claim(case=case, by=nurse_nina)
    services.case_release(case=case, by=nurse_nina)
    services.case_claim(case=case, by=nurse_nina)
    services.case_change_level(case=case, by=nurse_nina, level=3, reason="size")
    services.case_close(case=case, by=nurse_nina, outcome="routine_referral", note="")
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["created", "claimed", "released", "claimed", "level_changed", "closed"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", Q),
        ("get", "/api/v1/triage/cases/{id}/"),
        ("post", "/api/v1/triage/cases/{id}/claim/"),
        ("post", "/api/v1/triage/cases/{id}/release/"),
        ("post", "/api/v1/triage/cases/{id}/level/"),
        ("post", "/api/v1/triage/cases/{id}/close/"),
    ],
)
def test_a_patient_gets_403_on_every_triage_endpoint(api_as, patient_alice, method, path):
    case = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    response = getattr(api_as(patient_alice), method)(
        path.format(id=case.pk), {"level": 1, "reason": "x", "outcome": "self_care"}, format="json"
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.level, case.status) == (4, "waiting")


@pytest.mark.parametrize("name", ["triage:dashboard", "triage:dashboard_rows"])
def test_a_patient_gets_403_on_the_dashboard(client, patient_alice, name):
    client.force_login(patient_alice)
    assert client.get(reverse(name)).status_code == 403


def test_nurse_dashboard_and_case_page_render(client, patient_alice, nurse_nina):
    case = services.case_assess_submission(
        submission=_done_submission(patient_alice, [["melanoma", 0.9], ["nevus", 0.1]])
    )
    client.force_login(nurse_nina)
    page = client.get(reverse("triage:dashboard")).content.decode()
    assert f'data-case="{case.pk}"' in page
    detail = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    assert "melanoma probability 0.90" in detail
    client.post(reverse("triage:claim", args=[case.pk]))
    client.post(reverse("triage:level", args=[case.pk]), {"level": 1, "reason": "patient reports heavy bleeding"})
    case.refresh_from_db()
    assert case.level == 1 and case.assigned_to == nurse_nina


def test_a_nurse_cannot_edit_disease_content(client, nurse_nina):
    client.force_login(nurse_nina)
    response = client.get("/admin/diagnosis/disease/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_queue_api_uses_a_constant_number_of_queries(api_as, patient_alice, nurse_nina, django_assert_max_num_queries):
    for _ in range(3):
        services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    client = api_as(nurse_nina)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(Q)
    for _ in range(20):
        services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    with CaptureQueriesContext(connection) as many:
        client.get(Q)
    assert 0 < len(few) == len(many)


def test_overdue_cases_are_flagged_once_audited_and_nurses_emailed(patient_alice, nurse_nina):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    urgent = services.case_assess_submission(
        submission=_done_submission(patient_alice, [["melanoma", 0.9], ["nevus", 0.1]])
    )
    fresh = services.case_assess_submission(submission=_done_submission(patient_alice, [["nevus", 1.0]]))
    Case.objects.filter(pk=urgent.pk).update(created_at=timezone.now() - timedelta(hours=3))
    flagged = services.cases_flag_overdue()
    assert [c.pk for c in flagged] == [urgent.pk]
    assert services.cases_flag_overdue() == []
    assert CaseEvent.objects.filter(case=urgent, kind="overdue").count() == 1
    assert not CaseEvent.objects.filter(case=fresh, kind="overdue").exists()
    assert len(mail.outbox) == 1 and nurse_nina.email in mail.outbox[0].to


def test_sweeper_requeues_stuck_submissions_and_fails_after_retries(patient_alice, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from diagnosis import services as diagnosis

    sent = []
    monkeypatch.setattr(diagnosis, "_enqueue", sent.append)
    stuck = diagnosis.submission_create(patient=patient_alice, image=upload_file())
    Submission.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    assert diagnosis.submissions_requeue_stuck(older_than_seconds=120) == [stuck.pk]
    assert sent == [stuck.pk]
    # Still stuck after its retries: it fails with a message and the nurse gets a case.
    Submission.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=10), attempts=3)
    assert diagnosis.submissions_requeue_stuck(older_than_seconds=120) == []
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error
    assert Case.objects.get(submission=stuck).level == 3


def test_a_red_flag_written_with_the_upload_opens_a_level_1_case_before_any_result(api_as, patient_alice, nurse_nina):
    # when: the patient writes an emergency in the upload's symptoms box
    body = (
        api_as(patient_alice)
        .post(
            "/api/v1/submissions/",
            {"image": upload_file(), "symptoms": "it has been bleeding heavily for an hour and won't stop"},
            format="multipart",
        )
        .json()
    )
    # then: the case is at level 1 at once, while the photo is still queued
    assert body["status"] == "queued"
    assert body["triage"]["level"] == 1 and "emergency" in body["triage"]["advice"].lower()
    assert api_as(nurse_nina).get(Q).json()["results"][0]["submission"] == body["id"]


def test_a_negated_symptom_text_opens_no_case(api_as, patient_alice):
    api_as(patient_alice).post(
        "/api/v1/submissions/", {"image": upload_file(), "symptoms": "no bleeding, no fever"}, format="multipart"
    )
    assert not Case.objects.exists()


def test_a_nurses_level_change_explains_the_level_until_new_evidence_raises_it(
    api_as, client, patient_alice, nurse_nina
):
    # given: a melanoma-like result at level 2, which a nurse moves to level 3 with her reason
    submission = _done_submission(patient_alice, [["melanoma", 0.7], ["nevus", 0.3]])
    case = services.case_assess_submission(submission=submission)
    assert case.level == 2
    nurse = api_as(nurse_nina)
    nurse.post(f"/api/v1/triage/cases/{case.pk}/claim/")
    reason = "Same spot unchanged on 2024 photos; dermatology review in clinic"
    changed = nurse.post(f"/api/v1/triage/cases/{case.pk}/level/", {"level": 3, "reason": reason}, format="json")
    assert changed.status_code == 200
    # then: the case page and the queue say who set the level and why, the automatic reasons
    # are kept below as what the assessment said (and at which level)
    client.force_login(nurse_nina)
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    assert "Level 3 set by nina" in page and reason in page
    assert "The automatic assessment (level 2) said:" in page
    row = nurse.get(Q).json()["results"][0]
    assert row["level"] == 3 and row["level_set"]["by"] == "nina" and row["level_set"]["reason"] == reason
    assert row["level_set"]["assessed_level"] == 2
    assert "level set by nina" in client.get(reverse("triage:dashboard")).content.decode()
    # and: the nurse's working note is not in the patient's own data export
    client.force_login(patient_alice)
    with zipfile.ZipFile(io.BytesIO(client.get(reverse("data_export")).content)) as export:
        exported = "".join(export.read(n).decode("utf-8", "replace") for n in export.namelist())
    assert '"level": 3' in exported and reason not in exported
    # when: new evidence (an emergency written by the patient) raises the case automatically
    Submission.objects.filter(pk=submission.pk).update(symptoms="it has been bleeding for an hour and won't stop")
    case = services.case_reassess(case=case)
    # then: the new reasons explain the level; the old note no longer claims to
    assert case.level == 1 and case.level_set_reason == "" and case.level_set_by is None
    client.force_login(nurse_nina)
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    assert "set by nina" not in page and "automatic assessment" not in page
