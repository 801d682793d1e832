from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from chatbot import api as chatbot_api
from diagnosis.api import SubmissionViewSet
from portal import views
from portal.accounts import api as accounts_api
from portal.accounts import views as accounts_views
from triage import api as triage_api

router = SimpleRouter(trailing_slash=True)
router.register("submissions", SubmissionViewSet, basename="submission")

api_v1 = [
    *router.urls,
    path("conversations/", chatbot_api.ConversationListApi.as_view(), name="api-conversations"),
    path("conversations/<int:conversation_id>/", chatbot_api.ConversationDetailApi.as_view(), name="api-conversation"),
    path(
        "conversations/<int:conversation_id>/messages/",
        chatbot_api.MessageApi.as_view(),
        name="api-conversation-messages",
    ),
    path("triage/queue/", triage_api.QueueApi.as_view(), name="api-triage-queue"),
    path("triage/cases/<int:case_id>/", triage_api.CaseDetailApi.as_view(), name="api-triage-case"),
    path("triage/cases/<int:case_id>/claim/", triage_api.ClaimApi.as_view(), name="api-triage-claim"),
    path("triage/cases/<int:case_id>/release/", triage_api.ReleaseApi.as_view(), name="api-triage-release"),
    path("triage/cases/<int:case_id>/level/", triage_api.LevelApi.as_view(), name="api-triage-level"),
    path("triage/cases/<int:case_id>/close/", triage_api.CloseApi.as_view(), name="api-triage-close"),
    path("auth/register/", accounts_api.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", accounts_api.TokenApi.as_view(), name="api-token"),
    path("auth/logout/", accounts_api.LogoutApi.as_view(), name="api-logout"),
    path("auth/logout-all/", accounts_api.LogoutAllApi.as_view(), name="api-logout-all"),
    path("auth/consents/", accounts_api.ConsentApi.as_view(), name="api-consents"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("about/limits/", views.limits, name="limits"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("ops.urls")),  # /metrics (monitoring network or staff) and /ops/
    path("admin/", admin.site.urls),
    path("submissions/", include("diagnosis.urls")),
    path("triage/", include("triage.urls")),
    path("chat/", include("chatbot.urls")),
    path("accounts/signup/", accounts_views.signup, name="signup"),
    path("accounts/profile/", accounts_views.profile, name="profile"),
    path("accounts/consent/", accounts_views.consent, name="consent"),
    path("accounts/consent/change/", accounts_views.consent_change, name="consent_change"),
    path("about/privacy/", accounts_views.privacy, name="privacy"),
    path("accounts/data/", accounts_views.my_data, name="my_data"),
    path("accounts/data/export/", accounts_views.data_export, name="data_export"),
    path("accounts/delete/", accounts_views.account_delete, name="account_delete"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password_reset/", accounts_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Under /api/ every error answers JSON, never an HTML page (portal.errors).
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
