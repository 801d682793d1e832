"""A corpus of bad uploads: each gets a clear 400/413, stores nothing, and the next good one works."""

import io
import json
import time
from wsgiref.handlers import SimpleHandler
from wsgiref.validate import validator

import numpy as np
import pytest
from django.core.wsgi import get_wsgi_application
from django.urls import reverse
from PIL import Image

from diagnosis.images import jpeg_scan_count
from diagnosis.models import Submission
from ml.upload import as_stored
from tests.hostile.make_corpus import (
    grey16_png,
    iccp_bomb_png,
    long_narrow_png,
    lying_ispe_heic,
    progressive_scan_bomb,
    ztxt_bomb_png,
)
from tests.images import jpeg_bytes, png_bomb, png_bytes, upload_file

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


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
    # Hop-by-hop headers are the server's business: WSGI forbids an application to set them.
    assert "Connection" not in response
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


def test_oversized_upload_is_answered_413_through_a_wsgi_server():
    # given: the real WSGI application, checked by wsgiref's validator and served by wsgiref's
    # handler (the one under `manage.py runserver`), and a request that announces 40 MB
    app = validator(get_wsgi_application())
    environ = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": URL,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(40 * 1024 * 1024),
    }
    stdout, stderr = io.BytesIO(), io.StringIO()
    # when
    SimpleHandler(io.BytesIO(b""), stdout, stderr, environ, multithread=False).run(app)
    # then
    head, _, body = stdout.getvalue().partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode()
    assert status_line.split()[1] == "413", (status_line, stderr.getvalue()[-2000:])
    assert b"connection:" not in head.lower()
    assert "too large" in json.loads(body)["image"][0]


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


def _refusal(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body.get("code", ""), body["image"][0]


def test_progressive_jpeg_with_20000_scans_is_refused_before_it_is_decoded(api_as, patient_alice, settings):
    # given: a 20,000-scan progressive JPEG (about 1 MB; a minute of CPU to decode in full)
    bomb = progressive_scan_bomb(scans=20_000)
    client = api_as(patient_alice)
    # when
    started = time.perf_counter()
    response = client.post(URL, {"image": upload_file(bomb)}, format="multipart")
    elapsed = time.perf_counter() - started
    # then
    status, code, message = _refusal(response)
    assert (status, code) == (400, "too_complex")
    assert "ordinary JPEG" in message
    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_ordinary_jpeg_with_restart_markers_and_noise_is_accepted(api_as, patient_alice, progressive):
    # given: a noisy photo (many stuffed 0xFF bytes) with restart markers, as some cameras write
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=95, progressive=progressive, restart_marker_blocks=4)
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(out.getvalue())}, format="multipart")
    # then
    assert response.status_code == 202, response.content


def test_scan_count_is_the_number_of_sos_markers_the_decoder_meets():
    # given: Pillow's own baseline and progressive files, in colour and grey, one with restart
    # markers; none has a segment whose payload could hold the bytes FF DA
    rng = np.random.default_rng(3)
    noise = Image.fromarray(rng.integers(0, 256, (200, 300, 3), dtype=np.uint8))
    files = []
    for image in (noise, noise.convert("L")):
        for options in ({}, {"progressive": True}, {"progressive": True, "restart_marker_blocks": 2}):
            out = io.BytesIO()
            image.save(out, format="JPEG", **options)
            files.append(out.getvalue())
    # then: FF DA cannot occur inside entropy-coded data (0xFF is stuffed), so counting the byte
    # pair is an independent count for these files
    assert [jpeg_scan_count(f) for f in files] == [f.count(b"\xff\xda") for f in files]
    assert max(jpeg_scan_count(f) for f in files) < 20  # far below the limit


def test_scan_count_skips_metadata_that_holds_marker_bytes():
    # given: an ordinary baseline JPEG (one scan) whose comment and EXIF hold FF DA many times
    exif = Image.Exif()
    exif[0x010E] = "\xff\xda" * 300  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (180, 120, 100)).save(
        out, format="JPEG", comment=b"\xff\xda" * 500, exif=exif.tobytes()
    )
    data = out.getvalue()
    # then
    assert data.count(b"\xff\xda") > 500
    assert jpeg_scan_count(data) == 1


def test_scan_count_stops_at_the_end_of_image():
    # given: a progressive JPEG followed by 500 more scans after its EOI, which no decoder reads
    first = progressive_scan_bomb(scans=10, side=256)
    trailer = progressive_scan_bomb(scans=500, side=256)[2:]
    # then
    assert jpeg_scan_count(first + trailer) == jpeg_scan_count(first) == 10


@pytest.mark.parametrize("make", [ztxt_bomb_png, iccp_bomb_png], ids=["zTXt", "iCCP"])
def test_png_with_zlib_bomb_chunk_is_refused_400(make, api_as, patient_alice, settings):
    # given: a PNG whose compressed text or colour-profile chunk inflates to 200 MB
    client = api_as(patient_alice)
    # when
    response = client.post(URL, {"image": upload_file(make(), "photo.png")}, format="multipart")
    # then
    status, code, message = _refusal(response)
    assert (status, code) == (400, "corrupt")
    assert "damaged" in message
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


def test_heic_whose_ispe_box_lies_about_its_size_is_refused_400(api_as, patient_alice, settings):
    # given: a 400 x 400 HEIC whose `ispe` box claims 64 x 64 (libheif's limit then refuses it)
    client = api_as(patient_alice)
    # when
    response = client.post(URL, {"image": upload_file(lying_ispe_heic(), "photo.heic")}, format="multipart")
    # then
    status, code, message = _refusal(response)
    assert (status, code) == (400, "corrupt")
    assert "damaged" in message
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


def test_long_narrow_strip_is_refused_400_not_stored_1_px_wide(api_as, patient_alice, settings):
    # given: a 64 x 625,000 PNG (within the pixel limit; stored at 2048 px long it would be 0.2 px wide)
    client = api_as(patient_alice)
    # when
    response = client.post(URL, {"image": upload_file(long_narrow_png(), "strip.png")}, format="multipart")
    # then
    status, code, message = _refusal(response)
    assert (status, code) == (400, "bad_shape")
    assert "64 × 625000" in message
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []


def test_wide_but_plausible_photo_is_accepted_and_keeps_its_shape(api_as, patient_alice):
    # given: a 3000 x 500 panorama (6:1), which is stored shrunk to 2048 px long
    response = api_as(patient_alice).post(URL, {"image": upload_file(jpeg_bytes((3000, 500)))}, format="multipart")
    # then
    assert response.status_code == 202
    submission = Submission.objects.get()
    assert submission.width == 2048
    assert abs(submission.width / submission.height - 6) < 0.05


def test_16_bit_grey_png_is_stored_as_the_worker_converts_it_not_white(api_as, patient_alice):
    # given: a 16-bit greyscale ramp (Pillow mode I;16), which convert("RGB") would clip to white
    content = grey16_png()
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(content, "grey16.png")}, format="multipart")
    # then
    assert response.status_code == 202, response.content
    with Image.open(Submission.objects.get().image.path) as stored_file:
        stored = np.asarray(stored_file.convert("L"), dtype=np.int16)
    assert stored.max() - stored.min() > 200  # the ramp survives, from dark to light
    expected = np.asarray(as_stored(Image.open(io.BytesIO(content))).convert("L"), dtype=np.int16)
    assert np.abs(stored - expected).max() <= 1  # the pixels evaluation and the model assume


@pytest.mark.parametrize(
    "make", [lambda: progressive_scan_bomb(scans=500, side=256), long_narrow_png], ids=["too_complex", "bad_shape"]
)
def test_new_refusals_are_written_in_the_readers_language(make, api_as, patient_alice):
    # given
    client = api_as(patient_alice)
    content = make()
    # when
    answers = {
        lang: client.post(URL, {"image": upload_file(content)}, format="multipart", HTTP_ACCEPT_LANGUAGE=lang)
        for lang in ("en", "es")
    }
    # then
    english, spanish = (answers[lang].json() for lang in ("en", "es"))
    assert english["code"] == spanish["code"]
    assert english["image"][0] != spanish["image"][0]
