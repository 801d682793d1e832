"""Triage level names and advice in the reader's language (issue 17 item 6): Spanish seeded from
the catalogue, edited by admins beside the English, shown on the patient's pages, the nurse's
queue and the API, and English with a note where a level has no Spanish yet."""

import pytest
from django.urls import reverse
from django.utils import translation

from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from diagnosis.seed import seed as seed_diseases
from tests.images import distinct_jpeg_bytes, upload_file
from triage import services as triage
from triage.models import TriageLevel
from triage.seed import DEFAULT_LEVELS
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
NOTE_ES = "Este texto aún no está traducido; se muestra en inglés."
# The top result is a melanoma: the case is level 2, "See a skin specialist within 2 weeks".
MELANOMA = [
    ["melanoma", 0.81],
    ["nevus", 0.1],
    ["pigmented_benign_keratosis", 0.04],
    ["basal_cell_carcinoma", 0.02],
    ["dermatofibroma", 0.01],
    ["vascular_lesion", 0.01],
    ["actinic_keratosis", 0.005],
    ["squamous_cell_carcinoma", 0.005],
]
ADVICE_2_EN = DEFAULT_LEVELS[1][4]
ADVICE_2_ES = (
    "Vea a un dermatólogo en un plazo de 2 semanas. Una enfermera revisará su caso en unas horas y le ayudará a "
    "organizarlo."
)


@pytest.fixture
def level_2_submission(patient_alice) -> Submission:
    seed_levels()
    seed_diseases()
    submission = diagnosis.submission_create(
        patient=patient_alice, image=upload_file(distinct_jpeg_bytes()), body_site="back"
    )
    Prediction.objects.create(
        submission=submission,
        model_version="mnv2-test-1",
        ranked=MELANOMA,
        top="melanoma",
        inference_ms=1.0,
        thresholds={"melanoma": 0.15, "squamous_cell_carcinoma": 0.15, "basal_cell_carcinoma": 0.25},
    )
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.DONE)
    submission = Submission.objects.get(pk=submission.pk)
    triage.case_assess_submission(submission=submission)
    submission = Submission.objects.get(pk=submission.pk)
    assert submission.case.level == 2
    return submission


def _spanish_page(client, user, url) -> str:
    client.force_login(user)
    client.cookies["django_language"] = "es"
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def _lead(page: str) -> str:
    """The "what to do next" card of the result page."""
    return page.split('id="next-step"')[1].split("</section>")[0]


# --- seeding ------------------------------------------------------------------------------------


def test_seed_gives_every_level_a_spanish_name_and_advice():
    # when
    seed_levels()
    # then
    levels = TriageLevel.objects.order_by("level")
    assert [lvl.name_en for lvl in levels] == [name for _, name, *_ in DEFAULT_LEVELS]
    with translation.override("es"):
        assert [lvl.name for lvl in levels] == ["Emergencia", "Urgente: sospecha de cáncer", "Pronto", "Ordinaria"]
        for level, (*_, advice) in zip(levels, DEFAULT_LEVELS, strict=True):
            assert level.patient_advice_es and level.patient_advice == level.patient_advice_es != advice
    assert TriageLevel.objects.get(level=2).patient_advice_es == ADVICE_2_ES


def test_seed_twice_changes_nothing_and_keeps_an_admins_spanish():
    # given
    seed_levels()
    TriageLevel.objects.filter(level=3).update(name_es="Pronto (revisión)", patient_advice_es="Texto del admin.")
    # when
    message = seed_levels()
    # then
    assert TriageLevel.objects.count() == 4
    assert message == "0 triage levels added, 0 given translated texts"
    level = TriageLevel.objects.get(level=3)
    assert (level.name_es, level.patient_advice_es) == ("Pronto (revisión)", "Texto del admin.")


def test_seed_fills_the_spanish_on_an_existing_install_but_not_beside_an_admins_own_english():
    # given: an install from before the levels were translated (the migration copied the English)
    seed_levels()
    TriageLevel.objects.update(name_es=None, patient_advice_es=None)
    TriageLevel.objects.filter(level=4).update(patient_advice_en="Our clinic's own routine advice.")
    # when
    message = seed_levels()
    # then
    assert message == "0 triage levels added, 4 given translated texts"
    assert TriageLevel.objects.get(level=2).patient_advice_es == ADVICE_2_ES
    routine = TriageLevel.objects.get(level=4)
    assert routine.name_es == "Ordinaria"
    # a Spanish seed text would not say what the admin's English says: it stays for the admin
    assert routine.patient_advice_es is None
    assert routine.patient_advice_en == "Our clinic's own routine advice."


# --- what people read ---------------------------------------------------------------------------


def test_a_spanish_patient_reads_the_seeded_spanish_advice_without_the_note(client, patient_alice, level_2_submission):
    page = _spanish_page(client, patient_alice, reverse("diagnosis:result", args=[level_2_submission.pk]))
    lead = _lead(page)
    assert ADVICE_2_ES in lead
    assert ADVICE_2_EN not in page and NOTE_ES not in lead


def test_an_english_patient_reads_the_english_advice(client, patient_alice, level_2_submission):
    client.force_login(patient_alice)
    page = " ".join(client.get(reverse("diagnosis:result", args=[level_2_submission.pk])).content.decode().split())
    assert ADVICE_2_EN in _lead(page) and ADVICE_2_ES not in page


def test_an_admins_spanish_edit_in_the_admin_shows_to_spanish_patients(
    client, admin_ada, patient_alice, level_2_submission
):
    # given
    level = TriageLevel.objects.get(level=2)
    client.force_login(admin_ada)
    url = reverse("admin:triage_triagelevel_change", args=[level.pk])
    form = client.get(url).content.decode()
    assert 'name="patient_advice_es"' in form and 'name="name_es"' in form
    # when
    response = client.post(
        url,
        {
            "level": 2,
            "name_en": level.name_en,
            "name_es": "Urgente",
            "colour": level.colour,
            "target_minutes": level.target_minutes,
            "patient_advice_en": level.patient_advice_en,
            "patient_advice_es": "Pida cita con dermatología esta semana.",
        },
    )
    # then
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.patient_advice_en == ADVICE_2_EN  # the English is untouched
    page = _spanish_page(client, patient_alice, reverse("diagnosis:result", args=[level_2_submission.pk]))
    assert "Pida cita con dermatología esta semana." in _lead(page)
    report = _spanish_page(client, patient_alice, reverse("diagnosis:report", args=[level_2_submission.pk]))
    assert "Pida cita con dermatología esta semana." in report


def test_missing_spanish_advice_shows_the_english_marked_as_english_with_one_note(
    client, patient_alice, level_2_submission
):
    # given
    TriageLevel.objects.filter(level=2).update(patient_advice_es="")
    # when
    page = _spanish_page(client, patient_alice, reverse("diagnosis:result", args=[level_2_submission.pk]))
    # then
    lead = _lead(page)
    assert f'<p class="card-text fs-5" lang="en">{ADVICE_2_EN}</p>' in lead
    assert lead.count(NOTE_ES) == 1
    report = _spanish_page(client, patient_alice, reverse("diagnosis:report", args=[level_2_submission.pk]))
    assert f'lang="en">{ADVICE_2_EN}</p>' in report and report.count(NOTE_ES) == 1


def test_a_spanish_nurse_reads_the_spanish_level_name_in_the_queue_and_case(client, nurse_nina, level_2_submission):
    queue = _spanish_page(client, nurse_nina, reverse("triage:dashboard"))
    assert "Urgente: sospecha de cáncer" in queue and "Urgent: suspected cancer" not in queue
    case = _spanish_page(client, nurse_nina, reverse("triage:case", args=[level_2_submission.case.pk]))
    assert "2 · Urgente: sospecha de cáncer" in case


def test_the_api_gives_the_level_in_the_requested_language_with_the_same_fields(
    api_as, patient_alice, level_2_submission
):
    client = api_as(patient_alice)
    url = f"/api/v1/submissions/{level_2_submission.pk}/"
    english = client.get(url).json()["triage"]
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["triage"]
    assert set(spanish) == set(english) == {"level", "label", "target_minutes", "status", "advice", "outcome", "note"}
    assert (english["label"], english["advice"]) == ("Urgent: suspected cancer", ADVICE_2_EN)
    assert (spanish["label"], spanish["advice"]) == ("Urgente: sospecha de cáncer", ADVICE_2_ES)


def test_seeding_in_a_spanish_session_keeps_english_and_spanish_apart():
    # given: a thread left in Spanish (a shell, or a test after a Spanish request)
    with translation.override("es"):
        # when
        seed_levels()
    # then
    level = TriageLevel.objects.get(level=2)
    assert (level.name_en, level.name_es) == ("Urgent: suspected cancer", "Urgente: sospecha de cáncer")
    assert level.patient_advice_en == ADVICE_2_EN and level.patient_advice_es == ADVICE_2_ES
