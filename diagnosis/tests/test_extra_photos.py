"""Several photos of one spot (issue 17, item 2): the close-up the model classifies plus up to two
extra photos (a context photo, another angle), each sanitised like the close-up, stored privately,
shown through access-checked and audited views, deleted with the submission or the account, and in
the patient's data export. One bad photo refuses the whole upload with nothing stored."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from diagnosis import services
from diagnosis.models import Submission, SubmissionPhoto
from tests.images import distinct_jpeg_bytes, jpeg_with_gps, upload_file
from triage.models import Case, CaseEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"


def _stored_files() -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def _post_web(client, **extra):
    data = {"image": upload_file(), "body_site": "back", **extra}
    return client.post(reverse("diagnosis:upload"), data)


def _with_case(submission: Submission) -> Submission:
    """The submission's case, as the worker opens it once the photo is assessed."""
    from triage.seed import seed as seed_levels
    from triage.services import case_assess_submission

    seed_levels()
    Submission.objects.filter(pk=submission.pk).update(status="rejected", error="test")
    submission.refresh_from_db()
    case_assess_submission(submission=submission)
    return Submission.objects.get(pk=submission.pk)


# --- upload: web form and API -------------------------------------------------------------------


def test_web_upload_with_two_extra_photos_stores_them_sanitised_and_privately(client, patient_alice):
    client.force_login(patient_alice)
    # when: the close-up, a context photo carrying GPS in its EXIF, and another angle
    response = _post_web(client, extra_images=[upload_file(jpeg_with_gps()), upload_file()])
    # then
    assert response.status_code == 302
    submission = Submission.objects.get()
    photos = list(submission.extra_photos.all())
    assert [p.position for p in photos] == [1, 2]
    assert len(_stored_files()) == 3
    for photo in photos:
        assert photo.image.name.startswith("submissions/") and photo.image.name.endswith(".jpg")
        # a random name (the photo's own uuid), not the patient's or the submission's
        assert Path(photo.image.name).stem == photo.uid.hex
        assert photo.image.name != submission.image.name
        with photo.image.open("rb") as fh, Image.open(fh) as stored:
            assert stored.format == "JPEG" and not stored.getexif()  # EXIF (GPS, camera) stripped
            assert (stored.width, stored.height) == (photo.width, photo.height)
    # the context photo was turned upright by its EXIF orientation: 400x300 becomes 300x400
    assert (photos[0].width, photos[0].height) == (300, 400)
    assert not settings.MEDIA_URL or not photos[0].image.name.startswith(settings.MEDIA_URL)


def test_a_bad_extra_photo_refuses_the_whole_upload_and_stores_nothing(client, patient_alice):
    client.force_login(patient_alice)
    not_a_photo = upload_file(b"%PDF-1.4 not a photo at all", name="scan.jpg")
    # when
    response = _post_web(client, extra_images=[upload_file(), not_a_photo])
    # then: a clear 400 naming the extra photo, no rows, no files
    assert response.status_code == 400
    page = response.content.decode()
    assert "Extra photo 2" in page and "not a photo we can read" in page
    assert Submission.objects.count() == 0 and SubmissionPhoto.objects.count() == 0
    assert _stored_files() == []


def test_a_storage_failure_on_an_extra_photo_leaves_no_file_behind(client, patient_alice, monkeypatch):
    # given: the second extra photo's row cannot be written (a database error after its file is stored)
    real_save = SubmissionPhoto.save

    def failing_save(self, *args, **kwargs):
        if self.position == 2:
            raise RuntimeError("database went away")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(SubmissionPhoto, "save", failing_save)
    # when
    with pytest.raises(RuntimeError):
        services.submission_create(patient=patient_alice, image=upload_file(), extra_images=[upload_file()] * 2)
    # then: the close-up and the first extra file went with the rolled-back rows
    assert Submission.objects.count() == 0 and SubmissionPhoto.objects.count() == 0
    assert _stored_files() == []


def test_more_than_two_extra_photos_are_refused_with_nothing_stored(client, patient_alice):
    client.force_login(patient_alice)
    response = _post_web(client, extra_images=[upload_file() for _ in range(3)])
    assert response.status_code == 400
    assert "at most 2 extra photos" in response.content.decode()
    assert Submission.objects.count() == 0 and _stored_files() == []


def test_the_service_refuses_too_many_extra_photos_from_any_caller(patient_alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.submission_create(patient=patient_alice, image=upload_file(), extra_images=[upload_file()] * 3)
    assert "extra_images" in caught.value.message_dict
    assert _stored_files() == []


def test_api_upload_takes_optional_extra_photos_and_lists_their_urls(api_as, patient_alice):
    client = api_as(patient_alice)
    # when
    response = client.post(
        URL, {"image": upload_file(), "extra_images": [upload_file(), upload_file()]}, format="multipart"
    )
    # then
    assert response.status_code == 202, response.content
    sid = response.json()["id"]
    assert response.json()["extra_photo_urls"] == [
        f"/api/v1/submissions/{sid}/extra/1/",
        f"/api/v1/submissions/{sid}/extra/2/",
    ]
    photo = client.get(f"/api/v1/submissions/{sid}/extra/2/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"]
    assert client.get(f"/api/v1/submissions/{sid}/extra/3/").status_code == 404


def test_api_upload_without_extra_photos_is_unchanged(api_as, patient_alice):
    response = api_as(patient_alice).post(URL, {"image": upload_file()}, format="multipart")
    assert response.status_code == 202
    assert response.json()["extra_photo_urls"] == []


def test_api_bad_extra_photo_is_a_400_on_extra_images_with_nothing_stored(api_as, patient_alice):
    response = api_as(patient_alice).post(
        URL, {"image": upload_file(), "extra_images": [upload_file(b"", name="empty.jpg")]}, format="multipart"
    )
    assert response.status_code == 400
    assert "Extra photo 1" in response.json()["extra_images"][0]
    assert Submission.objects.count() == 0 and _stored_files() == []


# --- who may see them ---------------------------------------------------------------------------


@pytest.fixture
def with_extras(patient_alice) -> Submission:
    return services.submission_create(
        patient=patient_alice, image=upload_file(), extra_images=[upload_file(distinct_jpeg_bytes())]
    )


def test_the_patient_sees_their_extra_photo_on_the_result_page(client, patient_alice, with_extras):
    client.force_login(patient_alice)
    url = reverse("diagnosis:extra_image", args=[with_extras.pk, 1])
    page = client.get(reverse("diagnosis:result", args=[with_extras.pk])).content.decode()
    assert f'src="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == with_extras.extra_photos.get().image.open("rb").read()


def test_a_stranger_gets_404_for_someone_elses_extra_photo(client, patient_bob, with_extras):
    client.force_login(patient_bob)
    assert client.get(reverse("diagnosis:extra_image", args=[with_extras.pk, 1])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, with_extras):
    response = client.get(reverse("diagnosis:extra_image", args=[with_extras.pk, 1]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_nurse_sees_extra_photos_only_through_the_case_and_the_read_is_audited(client, nurse_nina, with_extras):
    client.force_login(nurse_nina)
    url = reverse("diagnosis:extra_image", args=[with_extras.pk, 1])
    # before the case exists the submission is not the nurse's to see
    assert client.get(url).status_code == 404
    submission = _with_case(with_extras)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 200
    case = Case.objects.get(submission=submission)
    assert CaseEvent.objects.filter(case=case, actor=nurse_nina, kind=CaseEvent.Kind.VIEWED, to_value="photo").exists()
    # and the case page shows it
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    assert f'src="{url}"' in page


def test_a_missing_extra_photo_is_404(client, patient_alice, with_extras):
    client.force_login(patient_alice)
    assert client.get(reverse("diagnosis:extra_image", args=[with_extras.pk, 2])).status_code == 404


# --- deletion and export ------------------------------------------------------------------------


def test_deleting_the_submission_removes_its_extra_photo_files(
    patient_alice, admin_ada, with_extras, django_capture_on_commit_callbacks
):
    assert len(_stored_files()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.submissions_delete(submissions=Submission.objects.filter(pk=with_extras.pk), by=admin_ada)
    assert SubmissionPhoto.objects.count() == 0
    assert _stored_files() == []


def test_deleting_the_account_removes_the_extra_photo_files(
    patient_alice, with_extras, django_capture_on_commit_callbacks
):
    from portal.accounts.services import account_delete

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=patient_alice)
    assert _stored_files() == []


def test_the_export_files_list_names_every_photo(with_extras):
    files = services.submission_export_files(with_extras)
    names = [name for _, name in files]
    assert names == [f"photos/{with_extras.pk}.jpg", f"photos/{with_extras.pk}-extra-1.jpg"]


def test_the_patients_data_export_holds_the_extra_photos(patient_alice, with_extras):
    from portal.accounts.services import patient_data_export

    archive = zipfile.ZipFile(io.BytesIO(patient_data_export(user=patient_alice)))
    extra = with_extras.extra_photos.get()
    assert archive.read(f"photos/{with_extras.pk}-extra-1.jpg") == extra.image.open("rb").read()
