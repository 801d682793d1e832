from django.urls import path

from triage import views

app_name = "triage"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rows/", views.dashboard_rows, name="dashboard_rows"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/claim/", views.case_claim, name="claim"),
    path("cases/<int:case_id>/release/", views.case_release, name="release"),
    path("cases/<int:case_id>/level/", views.case_level, name="level"),
    path("cases/<int:case_id>/close/", views.case_close, name="close"),
]
