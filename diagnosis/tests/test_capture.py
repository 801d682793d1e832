"""The upload page helps take a usable photo (issue 17, item 2): short tips with drawings (distance,
light, focus, framing, a coin or ruler for size) in English and Spanish, a file input that offers
the camera without hiding the gallery, the preview and on-device check wired up by an external
script (the CSP allows no inline script), and room for up to two extra photos."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _page(client, user, language="en") -> str:
    client.force_login(user)
    response = client.get(reverse("diagnosis:upload"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_upload_page_gives_capture_tips_with_drawings(client, patient_alice):
    page = _page(client, patient_alice)
    tips = page[page.index('class="capture-tips"') :]
    for words in ("10 to 15 cm", "Daylight", "No flash", "focus", "whole spot", "normal skin around it", "coin"):
        assert words in tips, words
    assert tips.count('class="capture-icon"') >= 5  # a drawing per tip, hidden from screen readers
    assert 'aria-hidden="true"' in tips


def test_the_tips_and_the_check_messages_are_in_spanish(client, patient_alice):
    page = _page(client, patient_alice, language="es")
    for words in (
        "Cómo tomar una buena foto",
        "10-15 cm",
        "Sin flash",
        "Una moneda o una regla",
        "Parece borrosa",
        "Parece oscura",
        "enviarla igualmente",
        "Fotos adicionales (opcional)",
    ):
        assert words in page, words
    assert "It looks blurry" not in page and "Hold the phone about" not in page


def test_the_file_inputs_offer_camera_and_gallery_and_the_camera_buttons_send_nothing(client, patient_alice):
    page = _page(client, patient_alice)
    main = re.search(r'<input type="file" name="image"[^>]*>', page).group(0)
    assert 'accept="image/*' in main and "capture" not in main  # the gallery stays a choice
    extra = re.search(r'<input type="file" name="extra_images"[^>]*>', page).group(0)
    assert "multiple" in extra and 'accept="image/*' in extra
    for camera_id in ("camera-input", "extra-camera-input"):
        camera = re.search(rf'<input type="file" id="{camera_id}"[^>]*>', page).group(0)
        assert 'capture="environment"' in camera and "name=" not in camera


def test_the_preview_and_check_come_from_an_external_script_with_no_inline_code(client, patient_alice):
    page = _page(client, patient_alice)
    assert re.search(r'<script src="/static/js/capture[^"]*\.js"></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # every script is a file
    assert " style=" not in page and "<style" not in page
    # the elements the script fills in, hidden until a photo is chosen
    for element_id in ("photo-preview", "photo-check", "photo-check-blurry", "photo-check-dark", "extra-previews"):
        assert f'id="{element_id}"' in page, element_id
