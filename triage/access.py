"""Who may act on a case: nurses and admins. A patient is refused (403), never shown a case."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from triage.models import Case


def case_for_staff(user, case_id) -> Case:
    if not (user.is_authenticated and user.can_triage):
        raise PermissionDenied
    try:
        return Case.objects.select_related("submission__prediction", "patient", "assigned_to").get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
