"""Photo capture in a real browser (issue 17, item 2): the tips, a preview before upload, the
on-device blur and darkness check with its message, an extra photo, and the result page showing
both photos, at phone and desktop sizes, with the live server, a real worker and the real model."""

import json

import pytest
from PIL import Image, ImageFilter, ImageOps

from diagnosis.models import Submission
from diagnosis.seed import seed as seed_diseases
from tests.browser.conftest import AXE, DESK, PHONE
from tests.browser.conftest import axe_violations as _violations
from tests.factories import DEFAULT_PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def photos(tmp_path, phone_photo):
    """A real accepted phone photo, and a darkened and a blurred copy of it."""
    with Image.open(phone_photo) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")
    dark = tmp_path / "dark.jpg"
    Image.eval(image, lambda v: int(v * 0.2)).save(dark, quality=90)
    blurred = tmp_path / "blurred.jpg"
    image.filter(ImageFilter.GaussianBlur(0.02 * max(image.size))).save(blurred, quality=90)
    context = tmp_path / "context.jpg"
    ImageOps.mirror(image).save(context, quality=90)
    return {"sharp": phone_photo, "dark": dark, "blurred": blurred, "context": context}


@pytest.fixture
def site(transactional_db, worker_process, photos):
    seed_diseases()
    worker_process()
    return photos


def _login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def _checked(page) -> str:
    """Wait for the on-device check to finish and return its verdict (ok / warn / none)."""
    page.wait_for_selector("#photo-preview[data-checked]", state="attached")
    return page.get_attribute("#photo-preview", "data-checked")


def _choose(page, path):
    # A fresh choice: the previous verdict is cleared first, so _checked waits for the new one.
    page.evaluate("document.getElementById('photo-preview').removeAttribute('data-checked')")
    page.set_input_files("#id_image", str(path))
    return _checked(page)


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desktop"])
def test_patient_previews_is_warned_about_a_dark_or_blurred_photo_and_sends_with_an_extra_photo(
    new_page, shots, site, viewport
):
    PatientFactory(username="snapper")
    page = new_page(viewport)
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    _login(page, "snapper")
    page.goto("/submissions/new/")
    # the tips, visible at this size, and a file input that offers the camera or the library
    tips = page.locator(".capture-tips:visible")
    assert tips.count() == 1
    assert "10 to 15 cm" in tips.inner_text() and "coin or a ruler" in tips.inner_text()
    assert page.get_attribute("#id_image", "accept").startswith("image/*")
    assert page.get_attribute("#id_image", "capture") is None  # the gallery stays a choice
    assert page.get_attribute("#camera-input", "capture") == "environment"
    assert page.get_attribute("#camera-input", "name") is None  # never sent itself
    assert page.is_visible("label[for=camera-input]")
    assert not page.is_visible("#photo-preview")
    shots(page, "upload-page")

    # a dark photo: previewed, and a warning with how to retake it
    posted_before = len([m for m, _ in requests if m == "POST"])
    assert _choose(page, site["dark"]) == "warn"
    assert page.is_visible("#photo-preview-img")
    assert page.get_attribute("#photo-preview-img", "src").startswith("blob:")
    assert page.is_visible("#photo-check-dark") and "daylight" in page.inner_text("#photo-check")
    assert not page.is_visible("#photo-check-blurry")  # dark means low contrast: one message, the right one
    assert "send it anyway" in page.inner_text("#photo-check")
    shots(page, "dark-warning")

    # a blurred photo: the blur message
    assert _choose(page, site["blurred"]) == "warn"
    assert page.is_visible("#photo-check-blurry") and not page.is_visible("#photo-check-dark")
    assert "tap the spot on the screen to focus" in page.inner_text("#photo-check")
    shots(page, "blurry-warning")

    # the sharp photo: no warning
    assert _choose(page, site["sharp"]) == "ok"
    assert not page.is_visible("#photo-check") and page.is_visible("#photo-check-ok")
    # nothing left the device while choosing
    assert len([m for m, _ in requests if m == "POST"]) == posted_before

    # an extra photo, previewed too, then send
    page.set_input_files("#id_extra_images", str(site["context"]))
    page.wait_for_selector("#extra-previews img.extra-preview")
    page.select_option("#id_body_site", "back")
    shots(page, "ready-to-send")
    page.click("#upload-button")
    page.wait_for_url("**/submissions/*/")
    sid = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # the result: the model's answer, the close-up and the extra photo, both loaded
    page.wait_for_selector(".ranked-table", timeout=60_000)
    extra = page.locator(f"#extra-photos-{sid} img")
    assert extra.count() == 1
    extra.scroll_into_view_if_needed()
    for img in (page.locator("#lesion-photo"), extra):
        assert img.evaluate("el => el.complete && el.naturalWidth > 0")
    shots(page, "result-with-extra-photo")
    submission = Submission.objects.get(pk=sid)
    assert submission.status == "done" and submission.extra_photos.count() == 1
    # no horizontal scrolling on the upload page at this size either
    page.goto("/submissions/new/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desktop"])
def test_the_upload_page_with_its_warning_and_the_result_with_extra_photos_pass_axe(
    browser, live_server, shots, tmp_path, viewport
):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    from diagnosis import services
    from tests.images import upload_file

    patient = PatientFactory(username="axer")
    dark = tmp_path / "dark.jpg"
    Image.new("RGB", (600, 600), (20, 14, 12)).save(dark, quality=90)
    submission = services.submission_create(patient=patient, image=upload_file(), extra_images=[upload_file()])
    # axe is injected as a script; the page's own strict CSP would (rightly) refuse it.
    context = browser.new_context(viewport=viewport, base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    _login(page, "axer")
    page.goto("/submissions/new/")
    assert _choose(page, dark) == "warn"
    page.set_input_files("#id_extra_images", str(dark))
    page.wait_for_selector("#extra-previews img.extra-preview")
    found = {"upload": _violations(page)}
    shots(page, "upload-axe")
    page.goto(f"/submissions/{submission.pk}/")
    page.wait_for_selector(f"#extra-photos-{submission.pk} img")
    found["result"] = _violations(page)
    context.close()
    assert not any(found.values()), json.dumps(found, indent=1)
