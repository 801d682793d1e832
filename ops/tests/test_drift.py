"""The drift alert: live level-2 and refusal shares against the model card, once a day at most."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from diagnosis.models import Prediction, Submission
from ml import registry
from ops import drift
from ops.models import DriftAlert
from ops.tasks import check_drift
from ops.tests.rows import finished

pytestmark = pytest.mark.django_db
CLINICAL, DERMOSCOPIC = Prediction.PhotoKind.CLINICAL, Prediction.PhotoKind.DERMOSCOPIC


@pytest.fixture
def card():
    """The newest shipped model's card (the one the check reads when none is active)."""
    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models")
    import json

    return json.loads((versions[-1] / "model_card.json").read_text())


def _clinic_week(patient, *, n: int, level2: int, refused: int, kind: str = CLINICAL) -> None:
    for i in range(n):
        finished(patient, level=2 if i < level2 else 4, kind=kind, age=timedelta(days=i % 6, hours=1))
    for _ in range(refused):
        finished(patient, status=Submission.Status.REJECTED, level=3, age=timedelta(days=1))


def test_the_card_figures_are_read_per_photo_kind(card):
    # then: the phone figure is the answer-fused one, the gate rates are the card's own
    test = card["metrics"]["test"]
    phone, dermoscopic = test["clinical"]["with_answers"], test["dermoscopic"]["image_only"]
    assert drift.card_level2_share(card, CLINICAL) == phone["triage_load"]["level_shares"]["2"]
    assert drift.card_level2_share(card, DERMOSCOPIC) == dermoscopic["triage_load"]["level_shares"]["2"]
    assert drift.card_refusal_rate(card, CLINICAL) == card["gate"]["false_refusal_rate_phone_test"]
    assert drift.card_refusal_rate(card, DERMOSCOPIC) == card["gate"]["false_refusal_rate_test"]


def test_a_week_like_the_card_sends_nothing(card, levels, patient_alice, admin_ada):
    # given: 50 phone photos, level-2 share as in the card, one refusal
    expected = drift.card_level2_share(card, CLINICAL)
    _clinic_week(patient_alice, n=50, level2=round(50 * expected), refused=1)
    # when
    assert check_drift() == "ok"
    # then
    assert mail.outbox == [] and not DriftAlert.objects.exists()


def test_level2_share_far_above_the_card_mails_the_staff_once_a_day(card, levels, patient_alice, admin_ada, nurse_nina):
    # given: every one of 50 phone photos went to level 2 (the card says about 0.6)
    _clinic_week(patient_alice, n=50, level2=50, refused=0)
    # when
    assert check_drift() == "alerted"
    # then: the staff user with an e-mail is told what moved and by how much; nurses are not staff
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [admin_ada.email]
    assert "level-2 share" in message.subject and "refusal" not in message.subject
    assert "100.0% over 50" in message.body and card["version"] in message.body
    alert = DriftAlert.objects.get()
    assert alert.findings["level-2 share"]["observed"] == 1.0
    # when: the hourly check runs again the same day, and again after a day
    assert check_drift() == "suppressed"
    assert len(mail.outbox) == 1
    assert drift.drift_check_and_alert(now=timezone.now() + timedelta(hours=25)) == "alerted"
    assert len(mail.outbox) == 2 and DriftAlert.objects.count() == 2


def test_level2_share_far_below_the_card_is_drift_too(card, levels, patient_alice, admin_ada):
    _clinic_week(patient_alice, n=50, level2=5, refused=0, kind=DERMOSCOPIC)
    assert check_drift() == "alerted"
    assert "level-2 share" in mail.outbox[0].subject


def test_refusals_far_above_the_cards_false_refusal_rate_alert(card, levels, patient_alice, admin_ada):
    # given: a level-2 share as in the card, but 10 of 60 photos refused (the card: about 2%)
    expected = drift.card_level2_share(card, CLINICAL)
    _clinic_week(patient_alice, n=50, level2=round(50 * expected), refused=10)
    # when
    assert check_drift() == "alerted"
    # then
    assert mail.outbox[0].subject == "[SkinTriage] Model drift: gate refusal rate"


def test_too_few_cases_are_no_evidence(card, levels, patient_alice, admin_ada, settings):
    settings.OPS_DRIFT_MIN_SAMPLES = 30
    _clinic_week(patient_alice, n=20, level2=20, refused=0)
    assert check_drift() == "ok" and mail.outbox == []


def test_cases_older_than_the_window_do_not_count(card, levels, patient_alice, admin_ada):
    for _ in range(50):
        finished(patient_alice, level=2, age=timedelta(days=8))
    assert check_drift() == "ok" and mail.outbox == []


def test_settings_admins_are_told_instead_of_staff_users(card, levels, patient_alice, admin_ada, settings):
    settings.ADMINS = [("Ops", "ops@clinic.example.org")]
    _clinic_week(patient_alice, n=50, level2=50, refused=0)
    assert check_drift() == "alerted"
    assert mail.outbox[0].to == ["ops@clinic.example.org"]


def test_nobody_to_tell_records_no_alert(card, levels, patient_alice):
    # given: no ADMINS and no staff user with an e-mail
    _clinic_week(patient_alice, n=50, level2=50, refused=0)
    # then: the next check, once someone can be told, still sends
    assert check_drift() == "no_recipients"
    assert not DriftAlert.objects.exists()
