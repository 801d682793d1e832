from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from rest_framework.routers import DefaultRouter

from diagnosis.api import SubmissionViewSet
from portal import views
from portal.accounts import api as accounts_api
from portal.accounts import views as accounts_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("submissions", SubmissionViewSet, basename="submission")

api_v1 = [
    *router.urls,
    path("auth/register/", accounts_api.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", accounts_api.TokenApi.as_view(), name="api-token"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("submissions/", include("diagnosis.urls")),
    path("accounts/signup/", accounts_views.signup, name="signup"),
    path("accounts/profile/", accounts_views.profile, name="profile"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
