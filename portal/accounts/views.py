"""Sign-up and profile pages; log in/out and password pages are Django's own views."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.accounts import services
from portal.accounts.forms import DeleteAccountForm, PasswordResetForm, ProfileForm, SignUpForm
from portal.ratelimits import limit_retry_after, too_many_requests


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    # One per-address counter with the API's register and token endpoints.
    if request.method == "POST" and (retry_after := limit_retry_after(request, scope="auth", by="ip")):
        return too_many_requests(request, retry_after)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
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
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


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
