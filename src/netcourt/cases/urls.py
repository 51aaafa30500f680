from django.urls import path

from netcourt.accounts import views as account_views
from netcourt.cases import views

app_name = "cases"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("represent/", account_views.represent, name="represent"),
    path(
        "represent/<uuid:request_id>/document",
        account_views.represent_document,
        name="represent_document",
    ),
    path("<uuid:case_id>/", views.detail, name="detail"),
    path("<uuid:case_id>/steps/", views.take_step, name="fire"),
    path("<uuid:case_id>/move/", views.move, name="move"),
    path("<uuid:case_id>/file/<slug:name>/", views.step, name="step"),
]
