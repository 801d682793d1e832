"""The product as people use it: patient, nurse and admin journeys in a real browser, with the live
server, a real worker process and the real shipped model. Screenshots go to tests/screenshots/."""

import pytest

from diagnosis.models import Disease, Submission
from tests.browser.conftest import DESK, PHONE, open_clinic
from tests.browser.signup import sign_up
from tests.factories import DEFAULT_PASSWORD, AdminFactory, NurseFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-private-phrase-9"


@pytest.fixture
def site(transactional_db, worker_process):
    photos = open_clinic(worker_process)
    # A melanoma from the test split: the case must land at an urgent level.
    return {"photo": next(p for p in photos if "/melanoma/" in str(p))}


def _login(page, username, password=DEFAULT_PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def _patient_uploads(page, shots, photo) -> int:
    sign_up(page, "pat", PASSWORD)  # with identity and both consents (tests/browser/signup.py)
    page.wait_for_url("**/")
    page.goto("/submissions/new/")
    assert "image/*" in page.get_attribute("#id_image", "accept")  # phones offer camera or library
    page.set_input_files("#id_image", str(photo))
    page.select_option("#id_body_site", "back")
    page.fill("#id_symptoms", "It appeared a few months ago and has grown.")
    shots(page, "upload")
    page.click("#upload-button")
    page.wait_for_url("**/submissions/*/")
    shots(page, "waiting")
    # The page updates itself: no reload, the ranked table appears.
    page.wait_for_selector(".ranked-table", timeout=60_000)
    page.wait_for_selector(".triage-card", timeout=30_000)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_patient_uploads_reads_result_chats_and_prints(new_page, shots, site):
    page = new_page(PHONE)
    sid = _patient_uploads(page, shots, site["photo"])
    shots(page, "result")
    text = page.inner_text("main")
    assert "Decision support, not a diagnosis" in text
    assert "What to do" in text
    # The three most likely in view, the other five folded under <details> (text content counts both).
    percents = [float(t) for t in page.locator(".ranked-table tbody td.text-end").all_text_contents()]
    assert len(percents) == 8 and abs(sum(percents) - 100) < 1
    assert page.locator(".disease-card").count() >= 1
    # chat
    page.click("text=Start the chat")
    page.wait_for_selector("#chat-text")
    page.fill("#chat-text", "about 3 months")
    page.click("#chat-form button[type=submit]")
    # (wait_for_function would eval a string, which the page's CSP rightly forbids)
    bot = page.locator(".chat-bot")
    for _ in range(100):
        if bot.count() >= 2 and bot.last.inner_text().strip() != "…":
            break
        page.wait_for_timeout(100)
    assert bot.count() >= 2 and len(bot.last.inner_text()) > 10
    shots(page, "chat")
    # printable report
    page.goto(f"/submissions/{sid}/report/")
    assert "SkinTriage report" in page.inner_text("main")
    shots(page, "report")
    assert Submission.objects.get(pk=sid).status == "done"


def test_nurse_claims_relevels_and_closes_and_patient_sees_outcome(new_page, shots, site):
    patient = new_page(PHONE)
    sid = _patient_uploads(patient, shots, site["photo"])
    NurseFactory(username="nina")
    nurse = new_page(DESK)
    _login(nurse, "nina")
    nurse.goto("/triage/")
    row = nurse.locator(".queue-row").first
    assert row.get_attribute("data-case")
    shots(nurse, "queue")
    row.locator("a.stretched-link").click()  # the card also holds a tap-to-call link
    nurse.click("text=Claim")
    nurse.select_option("#id_level", "2")
    nurse.fill("#id_reason", "Irregular pigment network on the photo")
    nurse.click("form[action$='/level/'] button[type=submit]")
    nurse.wait_for_selector("text=Irregular pigment network")
    # "Why this level" now leads with who set it and why; the automatic reasons follow as such
    why = nurse.inner_text("#level-set")
    assert "Level 2 set by nina" in why and "Irregular pigment network" in why
    assert "automatic assessment" in nurse.inner_text("main")
    shots(nurse, "case-relevelled")
    nurse.select_option("#id_outcome", "urgent_referral")
    nurse.fill("#id_note", "Please book the dermatology clinic; we sent a referral.")
    shots(nurse, "case-before-close")
    nurse.click("form[action$='/close/'] button[type=submit]")
    nurse.wait_for_selector("text=Closed")
    shots(nurse, "case-closed")
    patient.goto(f"/submissions/{sid}/")
    assert "we sent a referral" in patient.inner_text("main")
    shots(patient, "patient-sees-outcome")


def test_admin_edits_advice_and_the_patient_page_shows_it(new_page, shots, site):
    patient = new_page(PHONE)
    sid = _patient_uploads(patient, shots, site["photo"])
    top = Submission.objects.get(pk=sid).prediction.top
    disease = Disease.objects.get(code=top)
    AdminFactory(username="ada")
    admin = new_page(DESK)
    _login(admin, "ada")
    admin.goto(f"/admin/diagnosis/disease/{disease.pk}/change/")
    # With the content translated per language (django-modeltranslation) the English field is action_en.
    field = "#id_action_en" if admin.locator("#id_action_en").count() else "#id_action"
    admin.fill(field, "NEW ADVICE: book an appointment with the skin clinic this week.")
    shots(admin, "admin-edit")
    admin.click("input[name=_save]")
    admin.wait_for_selector(".messagelist")
    patient.goto(f"/submissions/{sid}/")
    assert "NEW ADVICE: book an appointment" in patient.inner_text("main")
    shots(patient, "patient-sees-new-advice")


def _accepted_phone_photo(label: str):
    """A real phone photo of this class (pad-ufes-20 test) that the shipped model accepts."""
    from PIL import Image

    from ml.gate import check_image
    from ml.serving import active_classifier
    from ml.upload import as_stored
    from tests.images import phone_photo_paths

    clf = active_classifier()
    for path in phone_photo_paths("test"):
        if f"/{label}/" not in str(path):
            continue
        with Image.open(path) as original:
            image = as_stored(original)
        if check_image(image, model_check=False).ok and not clf.predict(image).out_of_distribution:
            return path
    pytest.skip(f"no accepted {label} phone photo in ../shared (set SKIN_PHONE_DATA_DIR)")


def test_phone_photo_with_answers_reaches_the_nurse_with_its_kind_and_answers(new_page, shots, site):
    photo = _accepted_phone_photo("basal_cell_carcinoma")
    page = new_page(PHONE)
    sign_up(page, "phoebe", PASSWORD)  # with identity and both consents (tests/browser/signup.py)
    page.wait_for_url("**/")
    page.goto("/submissions/new/")
    page.set_input_files("#id_image", str(photo))
    page.select_option("#id_body_site", "face")
    assert not page.is_checked("#id_dermoscope")  # "taken through a dermatoscope?" defaults to no
    for question, answer in (("bleed", 0), ("grew", 0), ("itch", 1), ("elevation", 0)):
        page.click(f"label[for=id_{question}_{answer}]")
    shots(page, "upload-with-answers")
    page.click("#upload-button")
    page.wait_for_url("**/submissions/*/")
    page.wait_for_selector(".triage-card", timeout=60_000)
    shots(page, "result")
    sid = int(page.url.rstrip("/").rsplit("/", 1)[1])
    prediction = Submission.objects.get(pk=sid).prediction
    assert prediction.photo_kind == "clinical"
    assert prediction.context["bleed"] is True and prediction.context["grew"] is True
    assert prediction.context["itch"] is False and prediction.context["body_site"] == "face"
    # a bleeding lesion that has grown is urgent (TRIAGE.md), whatever the photo shows
    assert Submission.objects.get(pk=sid).case.level <= 2

    NurseFactory(username="noor")
    nurse = new_page(DESK)
    _login(nurse, "noor")
    nurse.goto(f"/triage/cases/{Submission.objects.get(pk=sid).case.pk}/")
    assert "Phone photo" in nurse.inner_text("#photo-kind")
    used = nurse.inner_text("#model-answers")
    assert "Face" in used and "63" not in used  # no age in this patient's profile
    shots(nurse, "case-photo-kind")
