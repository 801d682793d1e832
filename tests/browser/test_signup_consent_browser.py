"""A new patient signs up with consent on a phone; the nurse sees who they are and how to call them."""

import re
from datetime import date

import pytest
from django.core.files.base import ContentFile

from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from portal.accounts.models import Consent, User
from tests.browser.conftest import DESK, PHONE
from tests.browser.signup import sign_up
from tests.browser.test_accessibility import _violations
from tests.factories import DEFAULT_PASSWORD, NurseFactory, PatientFactory
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.browser


def _case_for(patient):
    """A classified photo of the patient with its open case (the pipeline has its own browser tests)."""
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")
    prediction = Prediction(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    return triage.case_assess_submission(submission=submission)


def test_a_patient_signs_up_with_consent_on_a_phone_and_the_nurse_sees_name_and_phone(
    transactional_db, new_page, shots
):
    seed_levels()
    NurseFactory(username="nina")
    # given: a new patient on a phone reads the privacy notice from the sign-up page
    page = new_page(PHONE)
    page.goto("/accounts/signup/")
    assert page.locator("#privacy-link").is_visible()
    assert page.locator("footer a[href='/about/privacy/']").count() == 1
    shots(page, "signup-empty")
    # when: they sign up with their name, date of birth and phone, and consent to both
    sign_up(page, "noor", "a-long-and-private-phrase-9", email="noor@example.org", preferred_contact="phone")
    page.wait_for_url("**/")
    shots(page, "signed-up")
    # then: the upload page opens straight away (photo consent is recorded)
    page.goto("/submissions/new/")
    assert page.url.endswith("/submissions/new/")
    noor = User.objects.get(username="noor")
    assert noor.phone.as_e164 == "+447911123456" and noor.year_of_birth == 1984
    assert set(Consent.objects.filter(user=noor).values_list("kind", flat=True)) == {"photos", "contact"}

    # when: a nurse on a phone opens the queue and the case
    case = _case_for(noor)
    nurse = new_page(PHONE)
    nurse.goto("/accounts/login/")
    nurse.fill("#id_username", "nina")
    nurse.fill("#id_password", DEFAULT_PASSWORD)
    nurse.click("main button[type=submit]")
    nurse.wait_for_url("**/triage/**")
    card = nurse.locator(f".queue-card[data-case='{case.pk}']")
    assert "Noor Al-Sayed" in card.inner_text()
    assert card.locator("a.queue-phone").get_attribute("href") == "tel:+447911123456"
    shots(nurse, "queue")
    nurse.goto(f"/triage/cases/{case.pk}/")
    # then: the name, age and a tap-to-call phone are on the case page, above the fold
    assert nurse.locator("#patient-name").inner_text() == "Noor Al-Sayed"
    assert re.fullmatch(r"· \d+ years old", nurse.locator("#patient-age").inner_text())
    phone = nurse.locator("#patient-phone")
    assert phone.get_attribute("href") == "tel:+447911123456"
    assert phone.is_visible()
    box = nurse.locator("#patient-identity").bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"]
    assert nurse.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(nurse, "case")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desktop"])
def test_privacy_consent_profile_and_identity_pages_have_no_serious_accessibility_violations(
    transactional_db, browser, live_server, shots, viewport
):
    # given: a patient who has not consented yet, one with a phone and a case, and a nurse
    seed_levels()
    PatientFactory(username="newcomer", consent=False)
    case = _case_for(
        PatientFactory(
            username="noor", full_name="Noor Al-Sayed", date_of_birth=date(1984, 9, 30), phone="+447911123456"
        )
    )
    NurseFactory(username="nina")
    context = browser.new_context(viewport=viewport, base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    found = {}
    # when
    page.goto("/about/privacy/")
    found["privacy"] = _violations(page)
    for username, urls in (
        ("newcomer", ["/accounts/consent/", "/accounts/profile/"]),
        ("nina", ["/triage/", f"/triage/cases/{case.pk}/"]),
    ):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            found[url] = _violations(page)
            shots(page, re.sub(r"\W+", "-", url).strip("-"))
        context.clear_cookies()
    context.close()
    # then
    assert found == {name: [] for name in found}
