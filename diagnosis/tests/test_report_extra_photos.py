"""The printable report shows the extra photos of the spot (issue 17 items 2 and 7) through the same
access-checked image URLs as the result page; strangers get neither the report nor the photos."""

import pytest
from django.urls import reverse

from diagnosis import services
from diagnosis.models import Submission
from tests.images import distinct_jpeg_bytes, upload_file
from triage.models import Case
from triage.seed import seed as seed_levels
from triage.services import case_assess_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_two_extras(patient_alice) -> Submission:
    seed_levels()
    submission = services.submission_create(
        patient=patient_alice,
        image=upload_file(),
        extra_images=[upload_file(distinct_jpeg_bytes()), upload_file(distinct_jpeg_bytes())],
    )
    Submission.objects.filter(pk=submission.pk).update(status="rejected", error="test")
    case_assess_submission(submission=Submission.objects.get(pk=submission.pk))
    return Submission.objects.get(pk=submission.pk)


def _report(client, user, submission):
    client.force_login(user)
    return client.get(reverse("diagnosis:report", args=[submission.pk]))


def test_the_owner_sees_both_extra_photos_with_captions_on_the_report(client, patient_alice, with_two_extras):
    # when
    response = _report(client, patient_alice, with_two_extras)
    # then
    assert response.status_code == 200
    page = response.content.decode()
    block = page.split(f'id="extra-photos-{with_two_extras.pk}"')[1].split("</div>")[0]
    for n in (1, 2):
        url = reverse("diagnosis:extra_image", args=[with_two_extras.pk, n])
        assert f'src="{url}"' in block and f"Extra photo {n}</figcaption>" in block
        # the URL the report uses serves the photo to the owner, privately
        photo = client.get(url)
        assert photo.status_code == 200 and photo["Cache-Control"] == "private, no-store"


def test_a_report_without_extra_photos_has_no_empty_block(client, patient_alice):
    submission = services.submission_create(patient=patient_alice, image=upload_file())
    page = _report(client, patient_alice, submission).content.decode()
    assert "extra-photos" not in page


def test_the_nurse_on_the_case_sees_the_extra_photos_on_the_report(client, nurse_nina, with_two_extras):
    assert Case.objects.filter(submission=with_two_extras).exists()
    page = _report(client, nurse_nina, with_two_extras).content.decode()
    assert f'src="{reverse("diagnosis:extra_image", args=[with_two_extras.pk, 2])}"' in page


def test_a_stranger_gets_404_for_the_report_and_its_extra_photos(client, patient_bob, with_two_extras):
    assert _report(client, patient_bob, with_two_extras).status_code == 404
    for n in (1, 2):
        assert client.get(reverse("diagnosis:extra_image", args=[with_two_extras.pk, n])).status_code == 404
