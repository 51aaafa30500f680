from django.urls import path

from netcourt.service import views

app_name = "service"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<uuid:delivery_id>/", views.open_received, name="received"),
    path("served/<str:token>/", views.open_document, name="open"),
    path("served/<str:token>/join/", views.join_online, name="join"),
    path("service/sms-status", views.sms_status, name="sms-status"),
    path("cases/<uuid:case_id>/service/", views.case_service, name="case"),
    path("cases/<uuid:case_id>/service/consent/", views.consent, name="consent"),
    path(
        "cases/<uuid:case_id>/service/<uuid:service_id>/paper/",
        views.paper_service,
        name="paper",
    ),
    path("notices/", views.notices, name="notices"),
]
