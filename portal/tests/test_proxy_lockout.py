"""Behind a reverse proxy, axes locks out the client address, not the proxy (issue 16 item 7)."""

import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

PROXY = "10.0.0.1"


@pytest.fixture
def behind_one_proxy(settings):
    """What PROXY_COUNT=1 sets (checked against the settings module below)."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_PROXY_ORDER = "left-most"
    settings.IPWARE_STRICT = False


def _login(client, password, forwarded_for):
    return client.post(
        reverse("login"),
        {"username": "alice", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_proxy_count_env_configures_ipware_for_axes():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT,"
        " s.AXES_IPWARE_PROXY_ORDER, s.IPWARE_STRICT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={"PROXY_COUNT": "1", "PATH": ""}, capture_output=True, text=True, check=True
    )
    assert out.stdout.split("\n")[-2] == "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') 0 left-most False"


def test_two_clients_behind_one_proxy_are_locked_out_independently(client, patient_alice, settings, behind_one_proxy):
    # given: an attacker at one address locks alice out from there
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password", "81.2.69.142")
    assert _login(client, DEFAULT_PASSWORD, "81.2.69.142").status_code == 429
    # when: the real alice logs in through the same proxy from her own address
    response = _login(client, DEFAULT_PASSWORD, "81.2.69.160")
    # then
    assert response.status_code == 302


def test_a_forged_forwarded_for_prefix_does_not_escape_the_lockout(client, patient_alice, settings, behind_one_proxy):
    # given
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password", "81.2.69.142")
    # when: the attacker sends his own X-Forwarded-For; the proxy appends his real address
    response = _login(client, DEFAULT_PASSWORD, "1.1.1.1, 81.2.69.142")
    # then
    assert response.status_code == 429
