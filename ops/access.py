"""Who may read /metrics and the operations page."""

import hmac
import ipaddress
import logging
from functools import lru_cache

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def client_in_allowed_networks(request: HttpRequest) -> bool:
    """The client address (django-ipware behind PROXY_COUNT proxies) is in METRICS_ALLOWED_CIDRS."""
    address = get_client_ip_address(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    # An IPv4 client reached over an IPv6 socket arrives as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _networks(tuple(settings.METRICS_ALLOWED_CIDRS)) if net.version == ip.version)


def bearer_token_matches(request: HttpRequest) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time; off when no token is set."""
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def is_ops_staff(user) -> bool:
    """Clinic admins (Django staff) see the operations view; nurses and patients do not."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def may_scrape_metrics(request: HttpRequest) -> bool:
    return client_in_allowed_networks(request) or bearer_token_matches(request) or is_ops_staff(request.user)
