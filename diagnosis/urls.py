from django.urls import path

from diagnosis import views

app_name = "diagnosis"
urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.upload, name="upload"),
    path("compare/", views.compare, name="compare"),
    path("<int:submission_id>/", views.result, name="result"),
    path("<int:submission_id>/panel/", views.result_fragment, name="result_panel"),
    path("<int:submission_id>/report/", views.report, name="report"),
    path("<int:submission_id>/image.jpg", views.image, name="image"),
    path("<int:submission_id>/extra-<int:position>.jpg", views.extra_image, name="extra_image"),
    path("<int:submission_id>/thumb.jpg", views.thumbnail, name="thumbnail"),
    path("<int:submission_id>/heatmap.png", views.heatmap, name="heatmap"),
]
