"""Who may see a submission: its patient, and staff who triage it through its case. Anyone else
gets a 404."""

from django.http import Http404

from diagnosis.models import Submission


def submission_for_user(user, submission_id) -> Submission:
    """The submission if `user` may read it; 404 otherwise (never reveal that it exists)."""
    if not user.is_authenticated:
        raise Http404
    qs = Submission.objects.select_related("patient", "prediction", "case")
    # Staff read patient data only through the triage queue: a submission with no case (still
    # being classified) is not theirs to see yet.
    qs = qs.filter(case__isnull=False) if user.can_triage else qs.filter(patient=user)
    try:
        return qs.get(pk=int(submission_id))
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
