from django.urls import path

from netcourt.courts import views

app_name = "courts"
urlpatterns = [
    path("authorisations/", views.authorisations, name="authorisations"),
    path("authorisations/<int:member_id>/", views.authorisation, name="authorisation"),
    path(
        "authorisations/<int:member_id>/document",
        views.authorisation_document,
        name="authorisation_document",
    ),
    path("<slug:slug>/queue/", views.queue, name="queue"),
    path(
        "<slug:slug>/representation-requests/",
        views.representation_requests,
        name="representation_requests",
    ),
    path(
        "<slug:slug>/representation-requests/<uuid:request_id>/",
        views.representation_request,
        name="representation_request",
    ),
    path(
        "<slug:slug>/representation-requests/<uuid:request_id>/document",
        views.representation_document,
        name="representation_document",
    ),
]
