"""Template helpers for safety messages shown on many pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def emergency_number() -> str:
    """The local emergency number (settings.EMERGENCY_NUMBER) for tap-to-call links."""
    return settings.EMERGENCY_NUMBER
