"""Issue 17's acceptance walk: one patient and one nurse go through the whole product in order, in a
real Chromium at phone (390x844) and desktop (1366x900) sizes, against the live server, a real
worker process and the real shipped model; axe-core runs on every page they see.

Patient: sign up with consent, consent page, home, upload with the preview shown, waiting/result,
chat, an upload whose text is an emergency, a refused photo (a document), history, compare, report,
then the same pages in Spanish. Nurse: queue, case page, after claim, change level, close, next
case. The fixed defects are asserted where they used to show; every page's serious or critical
axe violation and any sideways scroll are collected and asserted once at the end (with
tests/screenshots/<test>/walk-<width>.json beside the screenshots)."""

import json
import random

import pytest
from playwright.sync_api import expect

from diagnosis.models import Submission
from portal.accounts.models import Consent, User
from tests.browser.conftest import AXE, DESK, PHONE, axe_violations, open_clinic
from tests.browser.signup import PATIENT, log_in, sign_up
from tests.factories import DEFAULT_PASSWORD, NurseFactory
from triage.models import Case, TriageLevel

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    # Three real classifications, a worker start and ~25 axe runs on two shared cores.
    pytest.mark.timeout(600),
]
PASSWORD = "a-long-and-private-phrase-9"
EMERGENCY_TEXT = "It has been bleeding since this morning and the bleeding will not stop."
RESULT_SECONDS = 120  # the worker's first task loads the model


@pytest.fixture
def site(transactional_db, worker_process, tmp_path):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    photos = open_clinic(worker_process)
    NurseFactory(username="nina")
    return {
        # A melanoma and a naevus from the test split: two photos of the same place to compare.
        "melanoma": next(p for p in photos if "/melanoma/" in str(p)),
        "nevus": next(p for p in photos if "/nevus/" in str(p)),
        "document": _document_photo(tmp_path / "letter.jpg"),
    }


def _document_photo(path):
    """A photo of a printed letter: grey type on white paper, sharp and bright, but not skin."""
    from PIL import Image, ImageDraw

    rng = random.Random(17)
    image = Image.new("RGB", (800, 1000), (245, 243, 238))
    draw = ImageDraw.Draw(image)
    for y in range(80, 950, 28):
        x = 60
        while x < 740:
            width = rng.randint(20, 90)
            draw.rectangle([x, y, x + width, y + 12], fill=(40, 40, 45))
            x += width + 12
    image.save(path, quality=90)
    return path


class Walk:
    """Screenshots, axe and the sideways-scroll check on every page, collected per page name."""

    def __init__(self, shots, viewport):
        self.shots = shots
        self.viewport = viewport
        self.size = viewport["width"]
        self.axe: dict[str, list] = {}
        self.sideways: list[str] = []

    def check(self, page, name: str) -> None:
        self.shots(page, f"{name}-{self.size}")
        page.mouse.move(0, 0)  # no hover state on what axe measures
        self.axe[name] = axe_violations(page)
        if not page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"):
            self.sideways.append(name)

    def report(self) -> dict:
        return {
            "viewport": self.viewport,
            "axe": self.axe,
            "sideways_scroll": self.sideways,
        }


def _wait_settled(page) -> None:
    """The result page polls until the submission is final and its case exists."""
    page.wait_for_selector(
        "#result-lead[data-settled='1']:is([data-status=done], [data-status=rejected], [data-status=failed])",
        state="attached",
        timeout=RESULT_SECONDS * 1000,
    )


def _choose_photo(page, photo) -> None:
    page.set_input_files("#id_image", str(photo))
    # the preview, checked on the device (blur, darkness) before anything is sent
    page.wait_for_selector("#photo-preview[data-checked]", state="attached")
    assert page.is_visible("#photo-preview-img")
    assert page.get_attribute("#photo-preview-img", "src").startswith("blob:")


def _send_upload(page) -> int:
    page.click("#upload-button")
    page.wait_for_url("**/submissions/*/")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def _upload(page, photo, body_site: str, symptoms: str = "") -> int:
    page.goto("/submissions/new/")
    _choose_photo(page, photo)
    page.select_option("#id_body_site", body_site)
    if symptoms:
        page.fill("#id_symptoms", symptoms)
    return _send_upload(page)


def _chat(page, send) -> str:
    """Send one message (send() types or taps it) and return the bot's reply once it is in."""
    bots = page.locator("#chat-log .chat-bot")
    count = bots.count()
    send()
    page.wait_for_selector(f"#chat-log .chat-bot >> nth={count}")
    expect(bots.last).not_to_have_text("…")
    return bots.last.inner_text()


def _visible_calls(page) -> int:
    return page.locator("a[href^='tel:']:visible").count()


def _no_triage_advice(text: str) -> list[str]:
    """The advice of any triage level that the text gives (a refused photo must give none)."""
    return [level.patient_advice for level in TriageLevel.objects.all() if level.patient_advice in text]


def _patient_walk(page, walk: Walk, site) -> dict:
    height = walk.viewport["height"]
    # 1. Sign up with identity and both consents, after reading the privacy notice link.
    page.goto("/accounts/signup/")
    assert page.locator("#privacy-link").is_visible()
    walk.check(page, "signup")
    sign_up(page, "noor", PASSWORD, email="noor@example.org")
    page.wait_for_url("**/")
    noor = User.objects.get(username="noor")
    assert set(Consent.objects.filter(user=noor).values_list("kind", flat=True)) == {"photos", "contact"}
    # the home after sign-up: one welcome and the big "Check a spot"
    assert page.content().count("Welcome") == 1
    assert page.locator("#check-a-spot").is_visible()
    walk.check(page, "home")
    page.goto("/accounts/consent/")
    walk.check(page, "consent")

    # 2. Upload with the preview shown; the result page waits, then leads with the next step.
    page.goto("/")
    page.click("#check-a-spot")
    page.wait_for_url("**/submissions/new/")
    _choose_photo(page, site["melanoma"])
    page.select_option("#id_body_site", "back")
    page.fill("#id_symptoms", "It appeared a few months ago and has grown.")
    walk.check(page, "upload-preview")
    first = _send_upload(page)
    walk.shots(page, f"waiting-{walk.size}")
    _wait_settled(page)
    page.wait_for_selector(".ranked-table")
    assert page.locator(".triage-card").count() == 1
    assert "Decision support, not a diagnosis" in page.inner_text("main")
    # the chat prompt right under the next step, before the ranked conditions
    assert page.locator("#chat-prompt").bounding_box()["y"] < page.locator("#ranked-top").bounding_box()["y"]
    walk.check(page, "result")

    # 3. The chat: the red-flag screen's tap answers, then a typed answer.
    page.click("#chat-prompt button[type=submit]")
    page.wait_for_url("**/chat/*/")
    page.wait_for_selector("#chat-choices:not(.d-none)")
    for _ in range(10):
        if not page.is_visible("#chat-choices"):
            break
        _chat(page, lambda: page.click("#chat-choices button:text-is('No')"))
    assert not page.is_visible("#chat-choices"), "the red-flag screen never ended"
    assert len(_chat(page, lambda: (page.fill("#chat-text", "about 3 months"), page.click("#chat-form button")))) > 10
    conversation = page.url
    page.reload()  # the earlier messages come back in the log, never as alerts
    assert page.locator("#chat-log .chat-msg").count() >= 8
    assert page.locator("main .alert:visible").count() == 0
    assert page.locator("#chat-log").bounding_box()["y"] < 400
    walk.check(page, "chat")

    # 4. An upload whose text is an emergency: the banner at the top, once, with tap-to-call.
    second = _upload(page, site["nevus"], "back", EMERGENCY_TEXT)
    for moment in ("at once", "after the model"):
        banner = page.locator("#emergency-alert")
        expect(banner).to_be_visible()
        assert page.locator(".emergency-banner").count() == 1, moment  # once, not again in the card
        assert banner.bounding_box()["y"] < height, moment
        call = banner.locator("a.emergency-call")
        assert call.get_attribute("href").startswith("tel:")
        box = call.bounding_box()
        assert box["y"] + box["height"] <= height, (moment, box)  # the call button above the fold too
        assert _visible_calls(page) == 1, moment
        assert not page.is_visible("#chat-alert"), moment
        if moment == "at once":
            walk.shots(page, f"emergency-at-once-{walk.size}")
            _wait_settled(page)
    walk.check(page, "result-emergency")

    # 5. A refused photo (a printed letter): how to retake it, and no triage advice at all.
    refused = _upload(page, site["document"], "upper_limb")
    _wait_settled(page)
    assert Submission.objects.get(pk=refused).status == "rejected"
    text = page.inner_text("main")
    assert "We could not assess this photo" in text and page.locator("#retake-title").is_visible()
    assert page.get_attribute("#next-step a.btn", "href").endswith("/submissions/new/")
    assert page.locator(".triage-card, .ranked-table, #emergency-alert").count() == 0
    assert _no_triage_advice(text) == []
    walk.check(page, "result-refused")
    page.goto(f"/submissions/{refused}/report/")  # its printable report gives no advice either
    assert "This does not look like a close-up photo" in page.inner_text("main")
    assert _no_triage_advice(page.inner_text("main")) == []

    # 6. History, then compare the two photos of the back: both photos shown and loaded.
    page.goto("/submissions/")
    assert page.locator(".list-group-item").count() == 3
    walk.check(page, "history")
    page.click("form[action$='/compare/'] button[type=submit]")
    page.wait_for_url("**/submissions/compare/**")
    photos = page.locator("main img")
    expect(photos).to_have_count(2)
    for i in range(2):
        photos.nth(i).scroll_into_view_if_needed()
        expect(photos.nth(i)).to_have_js_property("complete", True)
        assert photos.nth(i).evaluate("img => img.naturalWidth > 0")
    assert {
        int(a.split("/")[-2])
        for a in page.locator("main a[href*='/submissions/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    } == {first, second}
    walk.check(page, "compare")

    # 7. The printable report names the patient.
    page.goto(f"/submissions/{first}/report/")
    assert "SkinTriage report" in page.inner_text("main")
    assert PATIENT["full_name"] in page.inner_text("#report-patient")
    walk.check(page, "report")

    # 8. In Spanish, chosen in the footer as anyone would.
    page.goto(f"/submissions/{first}/")
    page.select_option("#language-select", "es")
    page.click("footer form button[type=submit]")
    page.wait_for_selector("html[lang=es]")
    _wait_settled(page)
    assert "Su resultado" in page.inner_text("main h1")
    assert "Apoyo a la decisión, no un diagnóstico." in page.inner_text("main")
    walk.check(page, "es-result")
    for name, url, spanish in (
        ("es-home", "/", "Revisar una mancha"),
        ("es-chat", conversation, "Asistente de triaje"),
        ("es-history", "/submissions/", "Mis revisiones"),
        ("es-upload", "/submissions/new/", "Revisar una lesión de la piel"),
    ):
        page.goto(url)
        assert page.get_attribute("html", "lang") == "es"
        assert spanish in page.inner_text("main"), name
        walk.check(page, name)
    page.goto(f"/submissions/{second}/")
    _wait_settled(page)
    assert page.locator("#emergency-alert").count() == 1 and _visible_calls(page) == 1
    walk.check(page, "es-result-emergency")
    return {"first": first, "second": second, "refused": refused}


def _nurse_walk(page, walk: Walk, sids: dict) -> None:
    # 1. The queue (cards on a phone): who the patient is, and a tap-to-call number.
    log_in(page, "nina", DEFAULT_PASSWORD)
    assert page.url.endswith("/triage/")  # nurses land on the queue
    cards = page.locator(".queue-card")
    expect(cards).to_have_count(Case.objects.exclude(status=Case.Status.CLOSED).count())
    assert cards.count() >= 2  # the emergency, and a next case
    first_card = cards.first
    assert PATIENT["full_name"] in first_card.inner_text()
    assert first_card.locator("a.queue-phone").get_attribute("href") == "tel:+447911123456"
    walk.check(page, "queue")

    # 2. The most urgent case (the emergency), opened by a tap anywhere on its card.
    case_id = first_card.get_attribute("data-case")
    assert Case.objects.get(pk=case_id).submission_id == sids["second"]
    box = first_card.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] - 8)
    page.wait_for_url(f"**/triage/cases/{case_id}/")
    assert page.locator("#patient-name").inner_text() == PATIENT["full_name"]
    phone = page.locator("#patient-phone")
    assert phone.get_attribute("href") == "tel:+447911123456" and phone.is_visible()
    identity = page.locator("#patient-identity").bounding_box()
    assert identity["y"] + identity["height"] <= walk.viewport["height"]  # who and how to reach, above the fold
    assert page.locator("form[action$='/close/']").count() == 0  # actions only once claimed
    walk.check(page, "case")

    # 3. Claim, change the level, close, then the next case.
    page.click("form[action$='/claim/'] button")
    page.wait_for_selector(f"text=You claimed case #{case_id}")
    walk.check(page, "case-claimed")
    page.select_option("#id_level", "2")
    page.fill("#id_reason", "Bleeding has stopped on the phone call; irregular pigment on the photo")
    page.click("form[action$='/level/'] button[type=submit]")
    page.wait_for_selector("text=Bleeding has stopped on the phone call")
    assert Case.objects.get(pk=case_id).level == 2
    page.select_option("#id_outcome", "urgent_referral")
    page.fill("#id_note", "We sent an urgent referral to the skin clinic.")
    page.click("form[action$='/close/'] button[type=submit]")
    page.wait_for_selector("#next-case")
    assert Case.objects.get(pk=case_id).status == "closed"
    walk.check(page, "case-closed")
    page.click("#next-case")
    page.wait_for_url(lambda url: f"/triage/cases/{case_id}/" not in url and "/triage/cases/" in url)
    assert page.locator("#patient-name").inner_text() == PATIENT["full_name"]
    assert page.locator("form[action$='/claim/']").count() == 1
    walk.check(page, "next-case")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desktop"])
def test_patient_and_nurse_walk_the_whole_product_with_no_serious_axe_violations(new_page, shots, site, viewport):
    walk = Walk(shots, viewport)
    # axe is injected as a script; the page's own strict CSP would (rightly) refuse it.
    patient = new_page(viewport, bypass_csp=True)
    patient.context.set_default_timeout(20_000)
    sids = _patient_walk(patient, walk, site)
    nurse = new_page(viewport, bypass_csp=True)
    _nurse_walk(nurse, walk, sids)
    # the patient sees the nurse's outcome on the emergency result (in Spanish now)
    patient.goto(f"/submissions/{sids['second']}/")
    assert "We sent an urgent referral to the skin clinic." in patient.inner_text("main")

    found = walk.report()
    (shots.folder / f"walk-{walk.size}.json").write_text(json.dumps(found, indent=2))
    serious = {name: v for name, v in walk.axe.items() if v}
    assert not serious and not walk.sideways, json.dumps(
        {"axe (serious/critical)": serious, "sideways scroll": walk.sideways}, indent=1
    )
