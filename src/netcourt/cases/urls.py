from django.urls import path

from netcourt.cases import views

app_name = "cases"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("<uuid:case_id>/", views.detail, name="detail"),
    path("<uuid:case_id>/steps/", views.take_step, name="fire"),
    path("<uuid:case_id>/move/", views.move, name="move"),
    path("<uuid:case_id>/file/<slug:name>/", views.step, name="step"),
]
