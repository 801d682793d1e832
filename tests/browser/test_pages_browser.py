"""The fixed page defects of issue 17 in a real Chromium at phone (390x844) and desktop (1366x900)
sizes: both photos on compare, no chat messages as alerts, the emergency banner above the fold, no
triage advice on a refused photo, the queue without sideways scroll, no blank space under the
footer, a heat map that moves nothing; and axe-core finds no serious or critical violation."""

import itertools
import json
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from chatbot.models import Conversation, Message
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from diagnosis.seed import seed as seed_diseases
from tests.browser.conftest import AXE, DESK, PHONE, axe_violations
from tests.factories import BENIGN_BUT_MELANOMA_PLAUSIBLE, DEFAULT_PASSWORD, NurseFactory, PatientFactory
from tests.images import jpeg_bytes, png_bytes, upload_file
from triage import services as triage
from triage.models import Case
from triage.seed import seed as seed_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desktop"])


_PHOTOS = itertools.count()


def _photo():
    """A different photo each time (the same photo twice in a row is refused as a duplicate)."""
    n = next(_PHOTOS)
    return upload_file(jpeg_bytes(size=(400 + n, 300)))


def _submission(patient, ranked=None, status="done", error="", heatmap=False, days_ago=0):
    submission = diagnosis.submission_create(patient=patient, image=_photo(), body_site="back")
    if ranked:
        prediction = Prediction(
            submission=submission,
            model_version="mnv2-test-1",
            ranked=ranked,
            top=ranked[0][0],
            inference_ms=1.0,
            thresholds={"melanoma": 0.15, "squamous_cell_carcinoma": 0.15, "basal_cell_carcinoma": 0.25},
        )
        if heatmap:
            prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
        prediction.save()
    Submission.objects.filter(pk=submission.pk).update(
        status=status, error=error, created_at=timezone.now() - timedelta(days=days_ago)
    )
    submission = Submission.objects.get(pk=submission.pk)
    triage.case_assess_submission(submission=submission)
    return Submission.objects.get(pk=submission.pk)


@pytest.fixture
def world(transactional_db):
    seed_levels()
    seed_diseases()
    patient = PatientFactory(username="ally", first_name="Ally", last_name="Patel")
    NurseFactory(username="nora")
    older = _submission(patient, [["nevus", 0.9], ["melanoma", 0.1]], days_ago=40)
    benign = _submission(patient, BENIGN_BUT_MELANOMA_PLAUSIBLE, heatmap=True)
    emergency = _submission(patient, [["nevus", 0.9], ["melanoma", 0.1]])
    Case.objects.filter(pk=emergency.case.pk).update(level=1, reasons=["Red flag: bleeding that will not stop"])
    refused = _submission(patient, status="rejected", error="This photo does not look like a close-up of the skin.")
    conversation = Conversation.objects.create(patient=patient, submission=benign)
    # A long chat: its log scrolls inside the card, which must not leave blank page under the footer.
    for i in range(20):
        question = f"Question {i}: how has it changed since you first saw it? " * 3
        Message.objects.create(conversation=conversation, sender="bot", text=question)
        Message.objects.create(conversation=conversation, sender="patient", text=f"Answer {i}: it grew a little")
    for days in (0, 1, 5):
        case = _submission(patient, [["nevus", 0.9], ["melanoma", 0.1]]).case
        Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=days, hours=2))
    return {
        "older": older,
        "benign": benign,
        "emergency": emergency,
        "refused": refused,
        "conversation": conversation,
    }


def _login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _page(browser, live_server, viewport, username):
    # axe is injected as a script; the page's own strict CSP would (rightly) refuse it.
    context = browser.new_context(viewport=viewport, base_url=live_server.url, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    _login(page, username)
    return page


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _space_under_footer(page) -> float:
    """Pixels of page below the footer's bottom edge (0 when the footer ends the page)."""
    return page.evaluate(
        "() => document.documentElement.scrollHeight"
        " - (document.querySelector('footer').getBoundingClientRect().bottom + window.scrollY)"
    )


def _violations(page) -> list[dict]:
    return axe_violations(page) if AXE.exists() else []


@SIZES
def test_patient_pages(browser, live_server, world, shots, viewport):
    page = _page(browser, live_server, viewport, "ally")
    size = viewport["width"]
    axe = {}

    # The emergency banner: at the top, once, with a call button, above the fold.
    page.goto(f"/submissions/{world['emergency'].pk}/")
    page.wait_for_load_state("networkidle")
    shots(page, f"emergency-{size}")
    banner = page.locator("#emergency-alert")
    assert banner.count() == 1
    call = banner.locator("a[href^='tel:']")
    box = call.bounding_box()
    assert box and box["y"] + box["height"] <= viewport["height"], box
    assert page.locator(".emergency-banner:visible, #chat-alert:visible").count() == 1
    assert _space_under_footer(page) <= 1
    axe["emergency"] = _violations(page)

    # A refused photo: how to retake it, and no triage advice.
    page.goto(f"/submissions/{world['refused'].pk}/")
    page.wait_for_load_state("networkidle")
    shots(page, f"refused-{size}")
    text = page.inner_text("main")
    assert "Take a new photo" in text and "We could not assess this photo" in text
    assert "within 4 weeks" not in text and page.locator(".triage-card").count() == 0
    axe["refused"] = _violations(page)

    # The benign result whose level a safety threshold set: said in plain words; the chat prompt
    # right under the next step; the heat map toggles without moving anything.
    page.goto(f"/submissions/{world['benign'].pk}/")
    page.wait_for_load_state("networkidle")
    shots(page, f"benign-{size}")
    assert "To be safe" in page.inner_text("#next-step")
    assert "cancer" not in page.inner_text("#next-step").lower()
    chat_top = page.locator("#chat-prompt").bounding_box()["y"]
    assert chat_top < page.locator("#ranked-top").bounding_box()["y"]
    where = "el => { const r = el.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY]; }"
    before = page.locator("#ranked-top").evaluate(where)
    page.click("label[for=heatmap-toggle]")
    assert page.locator("#lesion-heatmap").is_visible()
    assert page.locator("#ranked-top").evaluate(where) == before
    assert page.locator("#heatmap-legend").is_visible()
    shots(page, f"benign-heatmap-{size}")
    benign_card = page.locator(".disease-card", has=page.locator("#disease-pigmented_benign_keratosis"))
    assert benign_card.count() == 1 and benign_card.locator(".alert-danger").count() == 0
    assert _space_under_footer(page) <= 1
    assert _no_sideways_scroll(page)
    axe["result"] = _violations(page)

    # The chat page: earlier messages in the log only, never as alerts; the log near the top.
    page.goto(f"/chat/{world['conversation'].pk}/")
    page.wait_for_load_state("networkidle")
    shots(page, f"chat-{size}")
    assert page.locator("main .alert:visible").count() == 0
    assert page.locator("#chat-log").bounding_box()["y"] < 400
    assert _space_under_footer(page) <= 1
    axe["chat"] = _violations(page)

    # Compare: both photos, loaded.
    page.goto(f"/submissions/compare/?a={world['older'].pk}&b={world['benign'].pk}")
    page.wait_for_load_state("networkidle")
    shots(page, f"compare-{size}")
    photos = page.locator("main img")
    assert photos.count() == 2
    assert all(photos.nth(i).evaluate("img => img.complete && img.naturalWidth > 0") for i in range(2))
    axe["compare"] = _violations(page)

    # The report fits a phone and names the patient; the home leads with "Check a spot".
    page.goto(f"/submissions/{world['benign'].pk}/report/")
    page.wait_for_load_state("networkidle")
    shots(page, f"report-{size}")
    assert "Ally Patel" in page.inner_text("#report-patient")
    assert _no_sideways_scroll(page)
    axe["report"] = _violations(page)
    page.goto("/")
    assert page.locator("#check-a-spot").is_visible()
    shots(page, f"home-{size}")
    axe["home"] = _violations(page)
    page.goto("/about/limits/")
    axe["limits"] = _violations(page)
    page.goto("/submissions/")
    shots(page, f"history-{size}")
    assert "Level 1 · Emergency" in page.inner_text("main")
    axe["history"] = _violations(page)
    page.context.close()

    (shots.folder / f"violations-{size}.json").write_text(json.dumps(axe, indent=2))
    serious = {name: v for name, v in axe.items() if v}
    assert not serious, json.dumps(serious, indent=1)


@SIZES
def test_nurse_queue_and_case(browser, live_server, world, shots, viewport):
    page = _page(browser, live_server, viewport, "nora")
    size = viewport["width"]
    assert page.url.endswith("/triage/")  # nurses land on the queue
    page.wait_for_load_state("networkidle")
    shots(page, f"queue-{size}")
    assert _no_sideways_scroll(page)
    cards = page.locator(".queue-card")
    assert cards.count() == 7
    # A new case appears without a reload (the page polls every 15 s; the clock is run forward).
    page.clock.install()
    page.reload()
    _submission(PatientFactory(username="newcomer"), [["nevus", 0.9], ["melanoma", 0.1]])
    page.clock.run_for(16_000)
    page.wait_for_selector(".queue-card >> nth=7")
    assert cards.count() == 8
    assert "8 open cases" in page.inner_text("#queue-status")
    assert page.locator(".queue-card.overdue").count() >= 1
    assert page.locator(".queue-card.overdue .overdue-flag").first.is_visible()
    assert not re.search(r"\d+ min\b", page.inner_text("#queue"))  # "2 days 2 hours", not "2999 min"
    axe = {"queue": _violations(page)}
    # The whole card opens the case (a click on its middle, not on the small link).
    first = cards.first
    case_id = first.get_attribute("data-case")
    box = first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    page.wait_for_url(f"**/triage/cases/{case_id}/")
    assert page.locator("form[action$='/close/']").count() == 0  # forms only after claiming
    page.click("form[action$='/claim/'] button")
    page.wait_for_selector("text=You claimed case")
    page.select_option("#id_outcome", "routine_referral")
    page.click("form[action$='/close/'] button[type=submit]")
    page.wait_for_selector("#next-case")
    shots(page, f"case-closed-{size}")
    assert _no_sideways_scroll(page)
    axe["case"] = _violations(page)
    page.context.close()
    serious = {name: v for name, v in axe.items() if v}
    assert not serious, json.dumps(serious, indent=1)
