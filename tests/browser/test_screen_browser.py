"""A patient on a phone taps through the chat's red-flag screen in a real browser."""

import json

import pytest

from chatbot.engine import screen
from diagnosis.seed import seed as seed_diseases
from tests.browser.conftest import AXE, PHONE
from tests.browser.conftest import axe_violations as _violations
from tests.factories import DEFAULT_PASSWORD, PatientFactory
from triage.models import Case
from triage.seed import seed as seed_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(transactional_db):
    from chatbot.seed import seed as seed_faq

    seed_levels()
    seed_diseases()
    seed_faq()
    return PatientFactory(username="tapper")


def _login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def _tap(page, label: str, then_question: str | None = None):
    page.click(f"#chat-choices button:text-is('{label}')")
    if then_question:
        # (wait_for_function would eval a string, which the page's CSP rightly forbids)
        page.wait_for_selector(f"#chat-choices[data-question='{then_question}']:not(.d-none)")


def test_patient_taps_yes_to_the_glass_test_and_sees_the_emergency_with_a_call_button(new_page, shots, patient):
    page = new_page(PHONE)
    _login(page, "tapper")
    page.goto("/chat/")
    page.click("text=Start a new chat")
    page.wait_for_selector("#chat-choices:not(.d-none)")
    # the screen's first question, with three big tap buttons side by side on a phone
    assert screen.BY_ID["fever"].text in page.inner_text("#chat-log")
    buttons = page.locator("#chat-choices button")
    assert buttons.all_inner_texts() == ["Yes", "No", "Not sure"]
    boxes = [buttons.nth(i).bounding_box() for i in range(3)]
    assert all(b["height"] >= 44 and b["width"] >= 80 for b in boxes)
    assert len({round(b["y"]) for b in boxes}) == 1
    assert not page.is_visible("#chat-alert")
    shots(page, "screen-first-question")

    _tap(page, "No", then_question="blistering")
    _tap(page, "No", then_question="glass_test")
    # "not sure" explains the glass test and asks again
    page.click("#chat-choices button:text-is('Not sure')")
    page.wait_for_selector("text=press the side of a clear drinking glass")
    assert page.get_attribute("#chat-choices", "data-question") == "glass_test"
    shots(page, "glass-test-explained")
    page.click("#chat-choices button:text-is('Yes')")

    # then the emergency message, with a tap-to-call link, and no more tap buttons
    page.wait_for_selector("#chat-alert:not(.d-none)")
    alert = page.inner_text("#chat-alert")
    assert "emergency" in alert.lower()
    call = page.locator("#chat-alert a.emergency-call")
    assert call.get_attribute("href") == "tel:112"
    assert call.is_visible() and call.bounding_box()["height"] >= 44
    assert not page.is_visible("#chat-choices")
    shots(page, "emergency")
    assert Case.objects.get(patient=patient).level == 1

    # a reload (no JavaScript state) still shows the alert and its call button
    page.reload()
    assert page.is_visible("#chat-alert a.emergency-call")


def test_typing_still_answers_the_screen(new_page, patient):
    page = new_page(PHONE)
    _login(page, "tapper")
    page.goto("/chat/")
    page.click("text=Start a new chat")
    page.wait_for_selector("#chat-choices[data-question='fever']")
    page.fill("#chat-text", "no")
    page.click("#chat-form button[type=submit]")
    page.wait_for_selector("#chat-choices[data-question='blistering']")
    assert screen.BY_ID["blistering"].text in page.inner_text("#chat-log")


def test_the_tap_buttons_and_the_emergency_alert_have_no_serious_accessibility_violations(
    browser, live_server, patient, shots
):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    # axe is injected as a script; the page's own strict CSP would (rightly) refuse it.
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    _login(page, "tapper")
    page.goto("/chat/")
    page.click("text=Start a new chat")
    page.wait_for_selector("#chat-choices:not(.d-none)")
    found = {"screen": _violations(page)}
    _tap(page, "No", then_question="blistering")
    page.click("#chat-choices button:text-is('Yes')")
    page.wait_for_selector("#chat-alert:not(.d-none)")
    page.mouse.move(0, 0)
    found["emergency"] = _violations(page)
    shots(page, "emergency-axe")
    context.close()
    assert not any(found.values()), json.dumps(found, indent=1)
