from django.urls import path

from ops import views

app_name = "ops"
urlpatterns = [
    # Prometheus' default metrics_path, so a scrape job needs no extra setting.
    path("metrics", views.metrics, name="metrics"),
    path("ops/", views.dashboard, name="dashboard"),
]
