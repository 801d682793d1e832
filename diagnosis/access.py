"""Who may see a submission: its patient, and staff who triage. Anyone else gets a 404."""

from django.http import Http404

from diagnosis.models import Submission


def submission_for_user(user, submission_id) -> Submission:
    """The submission if `user` may read it; 404 otherwise (never reveal that it exists)."""
    if not user.is_authenticated:
        raise Http404
    qs = Submission.objects.select_related("patient", "prediction", "case")
    if not user.can_triage:
        qs = qs.filter(patient=user)
    try:
        return qs.get(pk=int(submission_id))
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
