"""Drift: the live share of level-2 cases and of gate refusals against the model card's figures.

The card (ml/models/<version>/model_card.json) reports, per photo kind, the share of test photos
the triage policy sends to level 2 (metrics.test.<kind>.<mode>.triage_load.level_shares["2"])
and the gate's false-refusal rate on test photos (gate.false_refusal_rate_test for dermoscopic
images, gate.false_refusal_rate_phone_test for phone photos). The live mix of photo kinds
weights the two. A share far from what the model was measured at means the patients, the
cameras or the model's behaviour have changed, and someone should look.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from diagnosis.models import Prediction, Submission
from ml import registry
from ops.models import DriftAlert
from triage.models import Case

log = logging.getLogger(__name__)
KINDS = (Prediction.PhotoKind.DERMOSCOPIC, Prediction.PhotoKind.CLINICAL)
# Phone photos arrive with the patient's answers (the upload form asks them), so the served
# figure for them is the answer-fused one; dermoscopic photos are scored on the image alone.
CARD_MODES = {
    Prediction.PhotoKind.DERMOSCOPIC: ("image_only",),
    Prediction.PhotoKind.CLINICAL: ("with_answers", "image_only"),
}
GATE_KEYS = {
    Prediction.PhotoKind.DERMOSCOPIC: "false_refusal_rate_test",
    Prediction.PhotoKind.CLINICAL: "false_refusal_rate_phone_test",
}


@dataclass(frozen=True)
class Finding:
    """One live share beside what the card expects for the same mix of photo kinds."""

    name: str
    observed: float | None
    expected: float | None
    n: int
    factor: float
    # The refusal figure in the card is a false-refusal rate on clean lesion photos; real traffic
    # also brings photos that should be refused, so only a rate far *above* it is drift.
    two_sided: bool

    @property
    def drifted(self) -> bool:
        if self.observed is None or not self.expected or self.n < settings.OPS_DRIFT_MIN_SAMPLES:
            return False
        too_high = self.observed > self.expected * self.factor
        too_low = self.two_sided and self.observed < self.expected / self.factor
        return too_high or too_low

    def describe(self) -> str:
        if self.observed is None or self.expected is None:
            return f"{self.name}: not measurable (n={self.n})"
        return (
            f"{self.name}: {self.observed:.1%} over {self.n} vs {self.expected:.1%} in the model card "
            f"(alert beyond x{self.factor:g}{' either way' if self.two_sided else ' above'})"
        )


@dataclass(frozen=True)
class DriftReport:
    model_version: str | None
    days: int
    kind_mix: dict[str, float]
    findings: list[Finding]

    @property
    def drifted(self) -> list[Finding]:
        return [f for f in self.findings if f.drifted]


def _card() -> tuple[str | None, dict]:
    """The active model's card, else the newest shipped one's (both through the ml registry)."""
    active = registry.active_model()
    folders = [registry.resolve_path(active.path)] if active else []
    folders += list(reversed(registry.shipped_versions()))
    for folder in folders:
        try:
            card = json.loads((folder / "model_card.json").read_text())
        except (OSError, ValueError):
            continue
        return card.get("version") or folder.name, card
    return None, {}


def card_level2_share(card: dict, kind: str) -> float | None:
    kind_metrics = card.get("metrics", {}).get("test", {}).get(kind, {})
    for mode in CARD_MODES[kind]:
        share = kind_metrics.get(mode, {}).get("triage_load", {}).get("level_shares", {}).get("2")
        if share is not None:
            return float(share)
    return None


def card_refusal_rate(card: dict, kind: str) -> float | None:
    gate = card.get("gate", {})
    # A card from before phone photos reports only the dermoscopic rate; it stands for both.
    rate = gate.get(GATE_KEYS[kind], gate.get("false_refusal_rate_test"))
    return float(rate) if rate is not None else None


def _weighted(mix: dict[str, float], figures: dict[str, float | None]) -> float | None:
    known = {k: v for k, v in figures.items() if v is not None and mix.get(k)}
    weight = sum(mix[k] for k in known)
    return sum(mix[k] * v for k, v in known.items()) / weight if weight else None


def drift_report(*, days: int | None = None, now=None) -> DriftReport:
    """Live level-2 and refusal shares over the last `days` against the card (three queries)."""
    days = days or settings.OPS_DRIFT_WINDOW_DAYS
    since = (now or timezone.now()) - timedelta(days=days)
    version, card = _card()
    kinds = dict(
        Prediction.objects.filter(submission__finished_at__gte=since, photo_kind__in=KINDS)
        .order_by()
        .values_list("photo_kind")
        .annotate(n=Count("id"))
    )
    total = sum(kinds.values())
    # Without a single prediction (everything refused) the kinds count equally.
    mix = {k: kinds.get(k, 0) / total for k in KINDS} if total else {k: 1 / len(KINDS) for k in KINDS}
    cases = Case.objects.filter(
        submission__status=Submission.Status.DONE, submission__finished_at__gte=since
    ).aggregate(n=Count("id"), level2=Count("id", filter=Q(level=2)))
    finished = Submission.objects.filter(
        status__in=(Submission.Status.DONE, Submission.Status.REJECTED), finished_at__gte=since
    ).aggregate(n=Count("id"), refused=Count("id", filter=Q(status=Submission.Status.REJECTED)))
    findings = [
        Finding(
            name="level-2 share",
            observed=cases["level2"] / cases["n"] if cases["n"] else None,
            expected=_weighted(mix, {k: card_level2_share(card, k) for k in KINDS}),
            n=cases["n"],
            factor=settings.OPS_DRIFT_FACTOR,
            two_sided=True,
        ),
        Finding(
            name="gate refusal rate",
            observed=finished["refused"] / finished["n"] if finished["n"] else None,
            expected=_weighted(mix, {k: card_refusal_rate(card, k) for k in KINDS}),
            n=finished["n"],
            factor=settings.OPS_DRIFT_REFUSAL_FACTOR,
            two_sided=False,
        ),
    ]
    return DriftReport(model_version=version, days=days, kind_mix=mix, findings=findings)


def alert_recipients() -> list[str]:
    """settings.ADMINS when set, else every active staff user with an e-mail address."""
    admins = [entry[1] if isinstance(entry, (list, tuple)) else entry for entry in settings.ADMINS]
    if admins:
        return sorted(set(admins))
    User = get_user_model()
    staff = User.objects.filter(is_staff=True, is_active=True).exclude(email="")
    return sorted(set(staff.values_list("email", flat=True)))


@transaction.atomic
def drift_check_and_alert(*, now=None) -> str:
    """E-mail the staff when a share drifted, at most once a day. Returns what happened."""
    now = now or timezone.now()
    report = drift_report(now=now)
    drifted = report.drifted
    if not drifted:
        return "ok"
    # The newest alert row is locked (PostgreSQL) so an overlapping run waits and then sees it.
    last = DriftAlert.objects.select_for_update().order_by("-sent_at").first()
    if last is not None and last.sent_at > now - timedelta(days=1):
        return "suppressed"
    recipients = alert_recipients()
    if not recipients:
        log.warning("drift detected but nobody to tell (set ADMINS or give a staff user an e-mail): %s", drifted)
        return "no_recipients"
    lines = [f.describe() for f in report.findings]
    mix = ", ".join(f"{kind} {share:.0%}" for kind, share in report.kind_mix.items())
    send_mail(
        subject=f"[SkinTriage] Model drift: {', '.join(f.name for f in drifted)}",
        message=(
            f"Over the last {report.days} days the live figures moved far from model "
            f"{report.model_version or '(unknown)'}'s card:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nPhoto kinds seen: {mix}.\nThe operations page shows the daily trend. This alert is sent at "
            "most once a day."
        ),
        from_email=None,
        recipient_list=recipients,
    )
    DriftAlert.objects.create(
        sent_at=now, findings={f.name: asdict(f) for f in report.findings}, recipients=len(recipients)
    )
    return "alerted"
