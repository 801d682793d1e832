"""The hostile-input corpus through the API and the web upload form: a clear 4xx, nothing stored,
and the next good upload works; the legitimate odd images are stored as sensible pictures."""

import io
import struct
import zlib

import pytest
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from diagnosis.images import jpeg_scan_count
from diagnosis.models import Submission
from tests.hostile import make_corpus
from tests.hostile.make_corpus import CORPUS
from tests.images import upload_file

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/submissions/"
BY_NAME = {item.name: item for item in CORPUS}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    """The corpus, written once by its script into a temporary folder."""
    folder = tmp_path_factory.mktemp("hostile")
    assert make_corpus.main(["make_corpus", str(folder)]) == 0
    return folder


def _upload(corpus_dir, item) -> io.BytesIO:
    return upload_file((corpus_dir / item.slug).read_bytes(), item.filename)


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _assert_sensible_picture(submission: Submission) -> None:
    with Image.open(submission.image.path) as stored:
        assert stored.format == "JPEG"
        assert min(stored.size) >= 64
        low, high = stored.convert("L").getextrema()
    assert high - low > 100, "stored as a flat picture (e.g. all white)"


def test_script_writes_every_corpus_file(corpus_dir):
    # then: one file per entry, none of them committed (the folder is a temporary one)
    assert sorted(p.name for p in corpus_dir.iterdir()) == sorted(item.slug for item in CORPUS)
    assert len({item.slug for item in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_hostile_file_through_the_api(name, corpus_dir, api_as, patient_alice, settings):
    # given
    item = BY_NAME[name]
    client = api_as(patient_alice)
    # when
    response = client.post(API_URL, {"image": _upload(corpus_dir, item)}, format="multipart")
    # then
    if item.accepted:
        assert response.status_code == 202, response.content
        _assert_sensible_picture(Submission.objects.get())
        return
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == item.code
    assert len(body["image"]) == 1 and len(body["image"][0]) > 20, body
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []
    # and the next good upload works
    assert client.post(API_URL, {"image": upload_file()}, format="multipart").status_code == 202
    assert Submission.objects.count() == 1


@pytest.mark.parametrize("name", list(BY_NAME))
def test_hostile_file_through_the_web_upload_form(name, corpus_dir, client, patient_alice, settings):
    # given
    item = BY_NAME[name]
    client.force_login(patient_alice)
    url = reverse("diagnosis:upload")
    # when
    response = client.post(url, {"image": _upload(corpus_dir, item)})
    # then
    if item.accepted:
        assert response.status_code == 302, response.content[:500]
        _assert_sensible_picture(Submission.objects.get())
        return
    assert response.status_code == 400
    messages = response.context["form"].errors["image"]
    assert len(messages) == 1 and len(messages[0]) > 20, messages
    assert escape(messages[0]) in response.content.decode()
    assert Submission.objects.count() == 0
    assert _media_files(settings) == []
    # and the next good upload works
    assert client.post(url, {"image": upload_file()}).status_code == 302
    assert Submission.objects.count() == 1


def _inflated_size(stream: bytes) -> int:
    inflater, total = zlib.decompressobj(), 0
    while stream:
        total += len(inflater.decompress(stream, 1 << 20))
        stream = inflater.unconsumed_tail
    return total


def _png_chunk(data: bytes, kind: bytes) -> bytes:
    at = data.index(kind)
    (length,) = struct.unpack(">I", data[at - 4 : at])
    return data[at + 4 : at + 4 + length]


def test_corpus_files_are_as_hostile_as_they_claim(corpus_dir):
    # given
    def read(name):
        return (corpus_dir / BY_NAME[name].slug).read_bytes()

    # then: each file really is what the issue describes
    scan_bomb = Image.open(io.BytesIO(read("20,000-scan progressive jpeg")))
    assert scan_bomb.format == "JPEG" and scan_bomb.info.get("progressive")
    assert jpeg_scan_count(read("20,000-scan progressive jpeg")) == 20_000
    ztxt = _png_chunk(read("zTXt zlib bomb png"), b"zTXt")
    assert _inflated_size(ztxt[ztxt.index(b"\0") + 2 :]) >= 200 * 1024 * 1024
    iccp = _png_chunk(read("iCCP zlib bomb png"), b"iCCP")
    assert _inflated_size(iccp[iccp.index(b"\0") + 2 :]) >= 200 * 1024 * 1024
    assert Image.open(io.BytesIO(read("heic whose ispe box lies"))).size == (64, 64)  # it holds 400 x 400
    assert struct.unpack(">II", _png_chunk(read("gigantic png header"), b"IHDR")[:8]) == (100_000, 100_000)
    assert Image.open(io.BytesIO(read("16-bit greyscale png"))).mode == "I;16"
    assert Image.open(io.BytesIO(read("64 x 625,000 png"))).size == (64, 625_000)
    assert Image.open(io.BytesIO(read("gif"))).format == "GIF"
    assert read("zero-byte file") == b""
