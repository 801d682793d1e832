"""{% patient_identity user as who %}: who a patient is and how to reach them, for staff pages."""

from django import template

from portal.accounts.selectors import patient_identity as identity_of

register = template.Library()


@register.simple_tag
def patient_identity(user) -> dict:
    return identity_of(user=user)
