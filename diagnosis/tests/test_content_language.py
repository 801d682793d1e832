"""Disease content in the reader's language (issue 17 item 6): a card whose Spanish is missing shows
the English, marked lang="en" for screen readers, with one note saying it is not translated yet."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from diagnosis import services as diagnosis
from diagnosis.models import Disease, Prediction, Submission
from diagnosis.seed import seed as seed_diseases
from tests.images import distinct_jpeg_bytes, upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
NOTE_ES = "Este texto aún no está traducido; se muestra en inglés."
# Two cards: the top result (melanoma) and the other class above 10% (nevus).
RANKED = [
    ["melanoma", 0.7],
    ["nevus", 0.2],
    ["pigmented_benign_keratosis", 0.04],
    ["basal_cell_carcinoma", 0.02],
    ["dermatofibroma", 0.02],
    ["vascular_lesion", 0.01],
    ["actinic_keratosis", 0.005],
    ["squamous_cell_carcinoma", 0.005],
]


@pytest.fixture
def result_url(patient_alice) -> str:
    seed_levels()
    seed_diseases()
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file(distinct_jpeg_bytes()))
    Prediction.objects.create(
        submission=submission, model_version="mnv2-test-1", ranked=RANKED, top="melanoma", inference_ms=1.0
    )
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.DONE)
    triage.case_assess_submission(submission=Submission.objects.get(pk=submission.pk))
    return reverse("diagnosis:result", args=[submission.pk])


def _cards(client, user, url, language) -> dict[str, str]:
    """The page's disease cards by code."""
    client.force_login(user)
    client.cookies["django_language"] = language
    page = " ".join(client.get(url).content.decode().split())
    cards = re.findall(
        r'<section class="card mb-3 disease-card" aria-labelledby="disease-([a-z_]+)">(.*?)</section>', page
    )
    return dict(cards)


def test_fully_translated_cards_are_in_spanish_without_a_note(client, patient_alice, result_url):
    cards = _cards(client, patient_alice, result_url, "es")
    assert set(cards) == {"melanoma", "nevus"}
    melanoma = Disease.objects.get(code="melanoma")
    assert melanoma.summary_es.split("\n")[0].strip()[:40] in cards["melanoma"]
    assert NOTE_ES not in cards["melanoma"] and 'lang="en"' not in cards["melanoma"]


def test_a_missing_spanish_text_shows_the_english_marked_and_one_note_on_that_card_only(
    client, patient_alice, result_url
):
    # given: the admin has not translated two of melanoma's texts
    Disease.objects.filter(code="melanoma").update(summary_es="", timeframe_es=None)
    english = Disease.objects.get(code="melanoma")
    # when
    cards = _cards(client, patient_alice, result_url, "es")
    # then
    melanoma = cards["melanoma"]
    assert melanoma.count(NOTE_ES) == 1
    assert f'<div lang="en">{english.summary_en.split(chr(10))[0].strip()[:40]}' in melanoma.replace("<p>", "")
    assert f'<span lang="en">{english.timeframe_en}</span>' in melanoma
    # the translated texts of the same card are not marked as English
    with translation.override("es"):
        assert f"<span>{english.name}</span>" in melanoma
    assert NOTE_ES not in cards["nevus"] and 'lang="en"' not in cards["nevus"]


def test_english_readers_never_see_the_note(client, patient_alice, result_url):
    Disease.objects.filter(code="melanoma").update(summary_es="")
    cards = _cards(client, patient_alice, result_url, "en")
    assert NOTE_ES not in cards["melanoma"] and "not been translated" not in cards["melanoma"]
    assert 'lang="en"' not in cards["melanoma"]


def test_seeding_in_a_spanish_session_keeps_english_and_spanish_apart():
    # given: a thread left in Spanish (a shell, or a test after a Spanish request)
    with translation.override("es"):
        # when
        seed_diseases()
    # then
    melanoma = Disease.objects.get(code="melanoma")
    assert melanoma.name_en == "Melanoma" and melanoma.summary_es != melanoma.summary_en
