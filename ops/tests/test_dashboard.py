"""The staff operations page: who may see it, and that it shows the clinic's numbers."""

import re
from datetime import timedelta

import pytest

from diagnosis.models import Submission
from ops.tests.rows import finished

pytestmark = pytest.mark.django_db
URL = "/ops/"


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["patient", "nurse"])
def test_patients_and_nurses_get_403(client, who, patient_alice, nurse_nina):
    client.force_login({"patient": patient_alice, "nurse": nurse_nina}[who])
    assert client.get(URL).status_code == 403


def test_post_is_refused(client, admin_ada):
    client.force_login(admin_ada)
    assert client.post(URL).status_code == 405


def test_staff_see_queue_refusals_latency_and_the_week(client, admin_ada, levels, patient_alice):
    # given: an overdue level-2 case, a fresh level-4 one, one refusal in four finished photos
    finished(patient_alice, level=2, age=timedelta(hours=3), seconds=2, confidence=0.6)
    finished(patient_alice, level=4, seconds=2, confidence=0.9)
    finished(patient_alice, level=4, seconds=4, confidence=0.9, age=timedelta(days=2))
    finished(patient_alice, status=Submission.Status.REJECTED, level=3, gate_code="blurry", seconds=1)
    client.force_login(admin_ada)
    # when
    response = client.get(URL)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    queue = re.search(r'<table[^>]*id="ops-queue-table".*?</table>', html, re.S).group(0)
    row2 = re.search(r'<tr data-level="2">.*?</tr>', queue, re.S).group(0)
    assert re.findall(r'<td class="text-end[^"]*">(\d+)</td>', row2) == ["1", "1"]
    assert "1 overdue" in html
    assert re.search(r'id="ops-refusal-rate">25%<', html)
    assert "blurry: 1" in html
    # p50 of (2, 2, 1) seconds among the last 24 h: the 4 s one is two days old
    latency = re.search(r'id="ops-latency-table".*?</table>', html, re.S).group(0)
    assert '<td class="text-end">2.00</td>' in latency
    # the week: seven days, today's bars split by level, and the mean confidence line
    week = re.search(r'id="ops-week-table".*?</table>', html, re.S).group(0)
    assert len(re.findall(r"<tr><th scope=\"row\"", week)) == 7
    assert html.count('class="ops-bar"') == 4  # today: levels 2, 3, 4; two days ago: level 4
    assert "mean top-1 confidence 75%" in html  # today's two predictions: (0.6 + 0.9) / 2


def test_the_page_has_no_inline_script(client, admin_ada, levels):
    # The content security policy (django-csp, script-src 'self') would block one.
    client.force_login(admin_ada)
    html = client.get(URL).content.decode()
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert " style=" not in html
