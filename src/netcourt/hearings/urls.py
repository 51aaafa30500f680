from django.urls import include, path

from netcourt.hearings import views

app_name = "hearings"
urlpatterns = [
    path("cases/<uuid:case_id>/hearing/", views.case_hearing, name="case"),
    path("hearings/self-test/", views.self_test, name="self-test"),
    path("hearings/statistics/", views.statistics, name="statistics"),
    path("hearings/public/", views.public_hearings, name="public"),
    path("hearings/<uuid:hearing_id>/", views.hearing_page, name="hearing"),
    path("hearings/<uuid:hearing_id>/enter", views.enter, name="enter"),
    path("hearings/<uuid:hearing_id>/invite", views.invite, name="invite"),
    path(
        "hearings/<uuid:hearing_id>/recordings/<uuid:recording_id>",
        views.recording,
        name="recording",
    ),
    path("", include("netcourt.hearings.schedule_urls")),
    path("", include("netcourt.hearings.record_urls")),
]
