"""Sign-up and profile pages; log in/out and password pages are Django's own views."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts import selectors, services
from portal.accounts.forms import ConsentForm, DeleteAccountForm, PasswordResetForm, ProfileForm, SignUpForm
from portal.accounts.models import Consent
from portal.ratelimits import limit_retry_after, too_many_requests


def client_ip(request: HttpRequest) -> str | None:
    # The address django-axes and the rate limits use (django-ipware, PROXY_COUNT).
    return get_client_ip_address(request) or None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    # One per-address counter with the API's register and token endpoints.
    if request.method == "POST" and (retry_after := limit_retry_after(request, scope="auth", by="ip")):
        return too_many_requests(request, retry_after)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.patient_register(
            username=data["username"],
            password=data["password1"],
            **{k: data[k] for k in ("email", "full_name", "date_of_birth", "phone", "preferred_contact")},
            consent_photos=data["consent_photos"],
            consent_contact=data["consent_contact"],
            source=Consent.Source.SIGNUP,
            ip=client_ip(request),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, limited per client address and per e-mail address (each is a real mail).

    The link in the mail names SITE_DOMAIN: a Host header (and port) chosen by whoever asked for
    the reset must never decide where a patient's reset link points.
    """

    form_class = PasswordResetForm
    extra_email_context = {"site_name": "SkinTriage"}

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        waits = [
            limit_retry_after(self.request, scope="auth", by="ip"),
            limit_retry_after(self.request, scope="reset_email", by="value", value=email),
        ]
        if retry_after := max((w for w in waits if w), default=None):
            return too_many_requests(self.request, retry_after)
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.patient_profile_update(user=request.user, **{f: form.cleaned_data[f] for f in form.fields})
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    consents = selectors.consent_state(user=request.user) if request.user.is_patient else None
    context = {"form": form, "consents": consents, "notice_version": settings.PRIVACY_NOTICE_VERSION}
    return render(request, "accounts/profile.html", context)


def upload_consent_redirect(request: HttpRequest) -> HttpResponse | None:
    """Where a patient without consent to store photos (to the notice in force) is sent before uploading."""
    if selectors.photo_consent_given(user=request.user):
        return None
    messages.warning(request, _("Before you upload a photo, please read the privacy notice and give your consent."))
    return redirect(f"{reverse('consent')}?next={request.get_full_path()}")


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    """Consent to store photos (and, optionally, to be contacted) under the notice in force."""
    if not request.user.is_patient:
        raise PermissionDenied
    state = selectors.consent_state(user=request.user)
    initial = {"consent_contact": state["contact"]["given"]}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        services.consent_give(user=request.user, kind=Consent.Kind.PHOTOS, source=Consent.Source.CONSENT_PAGE, ip=ip)
        if form.cleaned_data["consent_contact"]:
            services.consent_give(
                user=request.user, kind=Consent.Kind.CONTACT, source=Consent.Source.CONSENT_PAGE, ip=ip
            )
        messages.success(request, _("Thank you: your consent is recorded."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("diagnosis:upload")
        return redirect(target)
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "state": state,
        "version": settings.PRIVACY_NOTICE_VERSION,
        "next": request.GET.get("next") or request.POST.get("next", ""),
    }
    return render(request, "accounts/consent.html", context, status=status)


@login_required
@require_POST
def consent_change(request: HttpRequest) -> HttpResponse:
    """Give or withdraw one consent from the profile page (each change is recorded and audited)."""
    if not request.user.is_patient:
        raise PermissionDenied
    kind, action = request.POST.get("kind"), request.POST.get("action")
    if kind not in Consent.Kind.values or action not in ("give", "withdraw"):
        messages.error(request, _("That consent change was not understood; nothing was changed."))
        return redirect("profile")
    if action == "give":
        services.consent_give(user=request.user, kind=kind, source=Consent.Source.PROFILE, ip=client_ip(request))
        messages.success(request, _("Your consent is recorded."))
    else:
        services.consent_withdraw(user=request.user, kind=kind, source=Consent.Source.PROFILE)
        if kind == Consent.Kind.PHOTOS:
            messages.warning(
                request,
                _(
                    "You withdrew your consent to store photos: you cannot upload new photos. What is stored"
                    " stays until you delete it: you can download or delete your data on the My data page."
                ),
            )
        else:
            messages.success(request, _("You withdrew your consent to be contacted: nurses see 'do not contact'."))
    return redirect("profile")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/privacy.html", {"version": settings.PRIVACY_NOTICE_VERSION})


@login_required
@require_http_methods(["GET"])
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/my_data.html", {"form": DeleteAccountForm(user=request.user)})


@login_required
@require_http_methods(["GET"])
def data_export(request: HttpRequest) -> HttpResponse:
    content = services.patient_data_export(user=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="skintriage-my-data.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "accounts/my_data.html", {"form": form}, status=400)
    user = request.user
    logout(request)
    services.account_delete(user=user, by=user)
    messages.success(request, _("Your account, photos and chats were deleted."))
    return redirect("home")
