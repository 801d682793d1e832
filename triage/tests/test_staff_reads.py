"""Staff read patient data only through a triage case, and every such read is audited (issue 16,
item 6). Reads are de-duplicated: one VIEWED row per staff member, case and kind of thing read
within triage.services.VIEW_AUDIT_WINDOW."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.models import Submission
from tests.images import upload_file
from triage import services as triage
from triage.models import Case, CaseEvent
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(patient_alice):
    """Alice's finished (rejected) submission with its case and a chat linked to it."""
    seed_levels()
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file(), body_site="back")
    Submission.objects.filter(pk=submission.pk).update(status="rejected")
    submission.refresh_from_db()
    case = triage.case_assess_submission(submission=submission)
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    return submission, case, conversation


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _viewed(case=None):
    rows = CaseEvent.objects.filter(kind=CaseEvent.Kind.VIEWED)
    if case is not None:
        rows = rows.filter(case=case)
    return list(rows.values_list("actor__username", "to_value"))


def test_a_nurse_gets_404_for_a_conversation_that_belongs_to_no_case(client, patient_alice, nurse_nina):
    # given: alice chats without a photo and says nothing worrying: no case is opened
    conversation = chat.conversation_start(patient=patient_alice)
    assert not Case.objects.exists()
    # when
    client.force_login(nurse_nina)
    page = client.get(reverse("chatbot:chat", args=[conversation.pk]))
    api = _api(nurse_nina).get(f"/api/v1/conversations/{conversation.pk}/")
    # then: the same answer as for an id that does not exist; nothing is audited
    assert page.status_code == 404 and api.status_code == 404
    assert _viewed() == []
    # and: alice still reads her own chat
    assert _api(patient_alice).get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200


def test_a_nurse_gets_404_for_a_submission_that_has_no_case_yet(client, patient_alice, nurse_nina):
    # given: a photo still queued for classification (no case yet)
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file(), body_site="back")
    # when
    client.force_login(nurse_nina)
    answers = [
        client.get(reverse("diagnosis:image", args=[submission.pk])).status_code,
        _api(nurse_nina).get(f"/api/v1/submissions/{submission.pk}/").status_code,
        _api(nurse_nina).get(f"/api/v1/submissions/{submission.pk}/image/").status_code,
    ]
    # then
    assert answers == [404, 404, 404]


def test_a_nurse_reads_the_conversation_through_its_case_and_it_is_audited(nurse_nina, assessed):
    _, case, conversation = assessed
    # when
    response = _api(nurse_nina).get(f"/api/v1/conversations/{conversation.pk}/")
    # then
    assert response.status_code == 200
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.VIEWED)
    assert (event.actor, event.to_value) == (nurse_nina, "chat")
    assert timezone.now() - event.created_at < timezone.timedelta(seconds=30)


def test_polling_the_thumbnail_writes_one_row_per_window_and_each_kind_of_read_its_own(client, nurse_nina, assessed):
    submission, case, _ = assessed
    client.force_login(nurse_nina)
    thumb = reverse("diagnosis:thumbnail", args=[submission.pk])
    # when: the queue polls the thumbnail ten times, then the nurse opens the full photo and the case
    for _ in range(10):
        assert client.get(thumb).status_code == 200
    assert client.get(reverse("diagnosis:image", args=[submission.pk])).status_code == 200
    assert client.get(reverse("triage:case", args=[case.pk])).status_code == 200
    # then: one "photo" row (the thumbnail is the photo) and one "case" row
    assert sorted(_viewed(case)) == [("nina", "case"), ("nina", "photo")]
    # when: the window has passed
    CaseEvent.objects.filter(kind=CaseEvent.Kind.VIEWED).update(
        created_at=timezone.now() - triage.VIEW_AUDIT_WINDOW - timezone.timedelta(seconds=1)
    )
    client.get(thumb)
    # then: a new row
    assert sorted(_viewed(case)) == [("nina", "case"), ("nina", "photo"), ("nina", "photo")]


def test_each_staff_member_is_recorded_separately(client, nurse_nina, admin_ada, assessed):
    submission, case, _ = assessed
    for user in (nurse_nina, admin_ada):
        client.force_login(user)
        assert client.get(reverse("diagnosis:report", args=[submission.pk])).status_code == 200
    assert sorted(_viewed(case)) == [("ada", "report"), ("nina", "report")]


def test_the_patient_reading_her_own_data_writes_no_viewed_row(client, patient_alice, assessed):
    submission, _, conversation = assessed
    client.force_login(patient_alice)
    for url in (
        reverse("diagnosis:result", args=[submission.pk]),
        reverse("diagnosis:image", args=[submission.pk]),
        reverse("chatbot:chat", args=[conversation.pk]),
    ):
        assert client.get(url).status_code == 200
    assert _viewed() == []


def test_the_case_history_shows_clinical_events_not_staff_reads(nurse_nina, assessed):
    _, case, _ = assessed
    nurse = _api(nurse_nina)
    nurse.get(f"/api/v1/triage/cases/{case.pk}/")
    # when
    body = nurse.get(f"/api/v1/triage/cases/{case.pk}/").json()
    # then: the read is audited, but the timeline a nurse works from holds only what changed the case
    assert _viewed(case) == [("nina", "case")]
    assert [e["kind"] for e in body["events"]] == ["created"]


def test_django_admin_pages_of_patient_data_are_audited_like_the_product_pages(client, admin_ada, assessed):
    submission, case, conversation = assessed
    client.force_login(admin_ada)
    # when: the admin opens the case, the submission and the chat in Django admin, twice each
    for _ in range(2):
        for name, pk in (
            ("admin:triage_case_change", case.pk),
            ("admin:diagnosis_submission_change", submission.pk),
            ("admin:chatbot_conversation_change", conversation.pk),
        ):
            assert client.get(reverse(name, args=[pk])).status_code == 200
    # then: one "admin" read on record
    assert _viewed(case) == [("ada", "admin")]


def test_django_admin_does_not_show_a_chat_that_belongs_to_no_case(client, admin_ada, patient_alice):
    # given
    conversation = chat.conversation_start(patient=patient_alice)
    client.force_login(admin_ada)
    # when
    listing = client.get(reverse("admin:chatbot_conversation_changelist"))
    page = client.get(reverse("admin:chatbot_conversation_change", args=[conversation.pk]))
    # then: not listed, and its page is as for an id that does not exist
    assert listing.status_code == 200 and f"/{conversation.pk}/change/" not in listing.content.decode()
    assert page.status_code == 302 and page["Location"] == reverse("admin:index")
