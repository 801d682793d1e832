"""axe-core on the main pages: no serious or critical accessibility violations."""

import json

import pytest
from django.core.files.base import ContentFile

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from diagnosis.seed import seed as seed_diseases
from tests.browser.conftest import AXE, DESK, PHONE, axe_violations
from tests.factories import DEFAULT_PASSWORD, NurseFactory, PatientFactory
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    seed_levels()
    seed_diseases()
    patient = PatientFactory(username="ally")
    NurseFactory(username="nora")
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")
    prediction = Prediction(
        submission=submission,
        model_version="t",
        top="melanoma",
        inference_ms=5,
        ranked=[["melanoma", 0.55], ["nevus", 0.30], ["pigmented_benign_keratosis", 0.15]],
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    triage.case_assess_submission(submission=Submission.objects.get(pk=submission.pk))
    conversation = chat.conversation_start(patient=patient, submission=submission)
    return {"submission": submission, "conversation": conversation}


_violations = axe_violations  # (test_signup_consent_browser imports it under this name)


def _login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, world, shots):
    found = {}
    for viewport in (PHONE, DESK):
        # axe is injected as a script; the page's own strict CSP would (rightly) refuse it.
        context = browser.new_context(viewport=viewport, base_url=live_server.url, bypass_csp=True)
        anon = context.new_page()
        anon.goto("/accounts/signup/")
        found[f"signup {viewport['width']}"] = _violations(anon)
        _login(anon, "ally")
        sid, cid = world["submission"].pk, world["conversation"].pk
        for name, url in (
            ("upload", "/submissions/new/"),
            ("result", f"/submissions/{sid}/"),
            ("chat", f"/chat/{cid}/"),
            ("history", "/submissions/"),
        ):
            anon.goto(url)
            anon.wait_for_load_state("networkidle")
            found[f"{name} {viewport['width']}"] = _violations(anon)
            shots(anon, f"{name}-{viewport['width']}")
        context.close()
        nurse_context = browser.new_context(viewport=viewport, base_url=live_server.url, bypass_csp=True)
        nurse = nurse_context.new_page()
        _login(nurse, "nora")
        nurse.goto("/triage/")
        found[f"dashboard {viewport['width']}"] = _violations(nurse)
        shots(nurse, f"dashboard-{viewport['width']}")
        nurse_context.close()
    serious = {page: v for page, v in found.items() if v}
    (shots.folder / "violations.json").write_text(json.dumps(found, indent=2))
    assert not serious, json.dumps(serious, indent=1)
