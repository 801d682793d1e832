"""A corpus of bad uploads: each gets a clear 400/413, stores nothing, and the next good one works."""

import pytest
from django.urls import reverse

from diagnosis.models import Submission
from tests.images import jpeg_bytes, png_bomb, png_bytes, upload_file

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.isupload_file()] if root.exists() else []


truncated = jpeg_bytes(size=(600, 600), colour=(200, 100, 50))
truncated = truncated[: len(truncated) // 2]

BAD_UPLOADS = {
    "empty file": ({"image": upload_file(b"")}, 400),
    "text named .jpg": ({"image": upload_file(b"just some words, not a photo\n" * 20)}, 400),
    "pdf named .jpg": ({"image": upload_file(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 10)}, 400),
    "html with script": ({"image": upload_file(b"<html><script>alert(1)</script></html>", "x.html")}, 400),
    "svg with script": (
        {"image": upload_file(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg")},
        400,
    ),
    "truncated jpeg": ({"image": upload_file(truncated)}, 400),
    "decompression bomb": ({"image": upload_file(png_bomb(), "bomb.png")}, 400),
    "tiny image": ({"image": upload_file(png_bytes((12, 12)), "tiny.png")}, 400),
    "executable": ({"image": upload_file(b"\x7fELF\x02\x01\x01" + b"\x00" * 2000, "app.jpg")}, 400),
    "gif (unsupported)": ({"image": upload_file(b"GIF89a" + b"\x00" * 500, "a.gif")}, 400),
    "missing file": ({"body_site": "back"}, 400),
    "image sent as text": ({"image": "not-a-file"}, 400),
    "unknown body site": ({"image": upload_file(jpeg_bytes()), "body_site": "moon"}, 400),
    "overlong symptoms": ({"image": upload_file(jpeg_bytes()), "symptoms": "x" * 2001}, 400),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_is_refused_clearly_and_stores_nothing(case, api_as, patient_alice, settings):
    # given
    payload, expected = BAD_UPLOADS[case]
    client = api_as(patient_alice)
    # when
    response = client.post(URL, payload, format="multipart")
    # then
    assert response.status_code == expected, response.content
    body = response.json()
    messages = [m for v in body.values() if isinstance(v, list) for m in v]
    assert messages and all(len(m) > 10 for m in messages), body
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []
    # and the next good upload works
    ok = client.post(URL, {"image": upload_file(jpeg_bytes())}, format="multipart")
    assert ok.status_code == 202
    assert Submission.objects.count() == 1


def test_40_mb_upload_is_refused_413_before_the_body_is_read(client, patient_alice, settings):
    # given: a body far over the limit (Content-Length says so; nothing is parsed)
    client.force_login(patient_alice)
    big = upload_file(b"\xff\xd8\xff" + b"\x00" * (40 * 1024 * 1024), "huge.jpg")
    # when
    response = client.post(URL, {"image": big})
    # then
    assert response.status_code == 413
    assert "too large" in response.json()["image"][0]
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


def test_file_over_byte_limit_but_under_transport_limit_gets_413(api_as, patient_alice, settings):
    settings.UPLOAD_MAX_BYTES = 50_000
    response = api_as(patient_alice).post(
        URL, {"image": upload_file(b"\xff\xd8" + b"\x01" * 60_000)}, format="multipart"
    )
    assert response.status_code == 413
    assert Submission.objects.count() == 0


def test_web_upload_form_shows_the_message_and_stores_nothing(client, patient_alice, settings):
    client.force_login(patient_alice)
    response = client.post(reverse("diagnosis:upload"), {"image": upload_file(b"%PDF-1.4 not an image")})
    assert response.status_code == 400
    assert "not a photo we can read" in response.content.decode()
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []
