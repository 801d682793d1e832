"""Patients have an identity the clinic can act on: name, date of birth, phone, preferred contact."""

import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from portal.accounts import services as accounts
from portal.accounts.models import Consent
from tests.factories import DEFAULT_PASSWORD, NurseFactory, PatientFactory
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

User = get_user_model()
pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "maria",
    "full_name": "María José Carreño Quiñones",
    "date_of_birth": "1980-05-17",
    "phone": "+44 7911 123456",
    "preferred_contact": "sms",
    "email": "maria@example.org",
    "password1": DEFAULT_PASSWORD,
    "password2": DEFAULT_PASSWORD,
    "consent_photos": "on",
    "consent_contact": "on",
}


def _years_since(born: datetime.date) -> int:
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@pytest.fixture
def case_of(db):
    """A classified photo of the given patient with its open triage case."""
    seed_levels()

    def make(patient):
        submission = diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")
        prediction = Prediction(
            submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
        )
        prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
        prediction.save()
        Submission.objects.filter(pk=submission.pk).update(status="done")
        submission.refresh_from_db()
        return triage.case_assess_submission(submission=submission)

    return make


def _maria(**extra):
    patient = PatientFactory(
        username="maria",
        full_name="María José Carreño",
        date_of_birth=datetime.date(1980, 5, 17),
        year_of_birth=1980,
        phone="+447911123456",
        preferred_contact="sms",
        email="maria@example.org",
        **extra,
    )
    return patient


# --- sign-up and profile ----------------------------------------------------------------------


def test_signup_stores_name_birth_date_phone_and_both_consents_with_version_source_and_address(client, settings):
    # when
    response = client.post(reverse("signup"), SIGNUP)
    # then
    assert response.status_code == 302
    user = User.objects.get(username="maria")
    assert user.full_name == "María José Carreño Quiñones"
    assert user.date_of_birth == datetime.date(1980, 5, 17)
    assert user.year_of_birth == 1980  # the model's context follows the date of birth
    assert user.phone.as_e164 == "+447911123456"
    assert user.preferred_contact == "sms"
    consents = {c.kind: c for c in Consent.objects.filter(user=user)}
    assert set(consents) == {"photos", "contact"}
    for c in consents.values():
        assert (c.version, c.source, c.ip) == (settings.PRIVACY_NOTICE_VERSION, "signup", "127.0.0.1")
        assert c.withdrawn_at is None


def test_signup_requires_name_birth_date_and_phone_by_default_and_creates_nothing(client):
    # when
    data = {k: v for k, v in SIGNUP.items() if k not in ("full_name", "date_of_birth", "phone")}
    response = client.post(reverse("signup"), data)
    # then
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"full_name", "date_of_birth", "phone"} <= set(errors)
    assert not User.objects.filter(username="maria").exists()
    assert not Consent.objects.exists()


def test_the_clinic_chooses_which_identity_fields_are_required(client, settings):
    # given a clinic that needs only an e-mail address
    settings.PATIENT_REQUIRED_FIELDS = ["email"]
    data = {k: v for k, v in SIGNUP.items() if k not in ("full_name", "date_of_birth", "phone", "email")}
    # when / then
    assert "email" in client.post(reverse("signup"), data).context["form"].errors
    assert client.post(reverse("signup"), {**data, "email": "m@example.org"}).status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", (timezone.localdate() + datetime.timedelta(days=1)).isoformat()),
        ("date_of_birth", "1890-01-01"),
        ("phone", "12345"),
        ("phone", "not a number"),
    ],
)
def test_signup_refuses_an_impossible_birth_date_or_phone_and_creates_nothing(client, field, value):
    response = client.post(reverse("signup"), {**SIGNUP, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="maria").exists()


def test_a_national_phone_number_is_read_in_the_clinics_region(client, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "GB"
    client.post(reverse("signup"), {**SIGNUP, "phone": "07911 123456"})
    assert User.objects.get(username="maria").phone.as_e164 == "+447911123456"


def test_profile_saves_identity_and_keeps_the_year_of_birth_in_step(client):
    # given
    patient = PatientFactory(username="pp", year_of_birth=1970)
    client.force_login(patient)
    # when
    response = client.post(
        reverse("profile"),
        {
            "full_name": "Pat Patel",
            "date_of_birth": "1991-02-03",
            "phone": "+34 612 345 678",
            "preferred_contact": "phone",
            "email": "pp@example.org",
            "sex": "",
            "skin_type": "",
        },
    )
    # then
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.full_name, patient.date_of_birth, patient.year_of_birth) == (
        "Pat Patel",
        datetime.date(1991, 2, 3),
        1991,
    )
    assert patient.phone.as_e164 == "+34612345678"


def test_profile_refuses_a_future_birth_date_and_changes_nothing(client):
    patient = _maria()
    client.force_login(patient)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("profile"),
        {"full_name": "X", "date_of_birth": tomorrow, "phone": "+447911123456", "sex": "", "skin_type": ""},
    )
    assert response.status_code == 200 and "date_of_birth" in response.context["form"].errors
    patient.refresh_from_db()
    assert (patient.full_name, patient.date_of_birth) == ("María José Carreño", datetime.date(1980, 5, 17))


# --- what the nurse sees -------------------------------------------------------------------------


def test_case_page_shows_who_the_patient_is_and_how_to_reach_them(client, case_of):
    # given
    case = case_of(_maria())
    client.force_login(NurseFactory())
    # when
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    # then
    assert "María José Carreño" in page
    assert f"{_years_since(datetime.date(1980, 5, 17))} years old" in page
    assert 'href="tel:+447911123456"' in page
    assert "+44 7911 123456" in page
    assert 'href="mailto:maria@example.org"' in page
    assert "Text message (SMS)" in page
    assert "Do not contact" not in page


def test_case_page_says_do_not_contact_and_hides_the_phone_once_contact_consent_is_withdrawn(client, case_of):
    # given
    patient = _maria()
    case = case_of(patient)
    accounts.consent_withdraw(user=patient, kind="contact", source="profile")
    client.force_login(NurseFactory())
    # when
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    # then
    assert "María José Carreño" in page
    assert "Do not contact" in page
    assert "7911" not in page and "tel:" not in page.split('id="patient-identity"')[1].split("</section>")[0]


def test_queue_card_shows_name_age_and_a_tap_to_call_phone(client, case_of):
    case_of(_maria())
    client.force_login(NurseFactory())
    page = client.get(reverse("triage:dashboard")).content.decode()
    assert "María José Carreño" in page
    assert 'href="tel:+447911123456"' in page
    assert f"{_years_since(datetime.date(1980, 5, 17))} years old" in page


def test_queue_card_says_do_not_contact_without_contact_consent(client, case_of):
    patient = _maria()
    accounts.consent_withdraw(user=patient, kind="contact", source="profile")
    case_of(patient)
    client.force_login(NurseFactory())
    page = client.get(reverse("triage:dashboard")).content.decode()
    assert "Do not contact" in page and "tel:+447911123456" not in page


def test_printable_report_names_the_patient_with_age_and_phone(client, case_of):
    patient = _maria()
    case = case_of(patient)
    client.force_login(patient)
    page = client.get(reverse("diagnosis:report", args=[case.submission_id])).content.decode()
    report = page.split('id="report-patient"')[1].split("</dl>")[0]
    assert "María José Carreño" in report
    assert "+44 7911 123456" in report
    assert f"{_years_since(datetime.date(1980, 5, 17))} years old" in report


# --- export and deletion -------------------------------------------------------------------------


def test_export_holds_the_identity_and_the_consent_history(client):
    # given
    patient = _maria()
    accounts.consent_withdraw(user=patient, kind="contact", source="profile")
    client.force_login(patient)
    # when
    data = json.loads(zipfile.ZipFile(io.BytesIO(client.get(reverse("data_export")).content)).read("data.json"))
    # then
    assert data["account"]["full_name"] == "María José Carreño"
    assert data["account"]["date_of_birth"] == "1980-05-17"
    assert data["account"]["phone"] == "+447911123456"
    assert data["account"]["preferred_contact"] == "sms"
    kinds = {(c["kind"], c["withdrawn_at"] is None) for c in data["consents"]}
    assert kinds == {("photos", True), ("contact", False)}


def test_account_deletion_removes_identity_and_consents(client):
    patient = _maria()
    client.force_login(patient)
    client.post(reverse("account_delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})
    assert not User.objects.filter(username="maria").exists()
    assert not Consent.objects.exists()


# --- API ------------------------------------------------------------------------------------------


def test_api_register_takes_identity_and_consents(api, settings):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": "maria",
            "password": DEFAULT_PASSWORD,
            "full_name": "María",
            "date_of_birth": "1980-05-17",
            "phone": "+447911123456",
            "preferred_contact": "phone",
            "consent_photos": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) >= {"id", "username"}
    user = User.objects.get(username="maria")
    assert (user.full_name, user.year_of_birth, user.phone.as_e164) == ("María", 1980, "+447911123456")
    assert list(Consent.objects.filter(user=user).values_list("kind", "source")) == [("photos", "api")]


def test_api_register_without_the_new_fields_still_works(api):
    response = api.post("/api/v1/auth/register/", {"username": "plain", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 201
    assert not Consent.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("date_of_birth", "2999-01-01"), ("phone", "12345")])
def test_api_register_refuses_bad_identity_per_field_and_creates_nothing(api, field, value):
    body = {"username": "maria", "password": DEFAULT_PASSWORD, field: value}
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not User.objects.filter(username="maria").exists()


def test_api_schema_documents_the_new_register_fields_and_the_consents_endpoint(api_as, admin_ada):
    schema = api_as(admin_ada).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for name in ("full_name", "date_of_birth", "preferred_contact", "consent_photos", "consent_contact"):
        assert name in schema
    assert "/api/v1/auth/consents/" in schema
