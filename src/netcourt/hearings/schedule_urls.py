from django.urls import URLPattern, path

from netcourt.hearings import schedule_views as views

urlpatterns: list[URLPattern] = [
    path("cases/<uuid:case_id>/hearing/schedule/", views.schedule_page, name="schedule"),
    path("cases/<uuid:case_id>/hearing/postpone/", views.postpone_page, name="postpone"),
    path("cases/<uuid:case_id>/hearing/unavailable/", views.unavailable_page, name="unavailable"),
    path(
        "cases/<uuid:case_id>/hearing/unavailable/<int:entry_id>/remove",
        views.unavailable_remove,
        name="unavailable-remove",
    ),
    path("hearings/<uuid:hearing_id>/invitation.ics", views.invitation, name="invitation"),
    path("hearings/calendar/", views.calendar_page, name="calendar"),
    path("hearings/calendar.ics", views.calendar_feed, name="calendar-ics"),
    path("hearings/calendar/address/", views.calendar_address, name="calendar-address"),
    path(
        "hearings/calendar/subscribed/<str:secret>/hearings.ics",
        views.subscribed_feed,
        name="subscribed-feed",
    ),
    path("hearings/calendar/busy/", views.busy_add, name="busy-add"),
    path("hearings/calendar/busy/<int:busy_id>/remove", views.busy_remove, name="busy-remove"),
    path("courts/<slug:slug>/sittings/", views.sittings_page, name="sittings"),
    path(
        "courts/<slug:slug>/sittings/<int:sitting_id>/remove",
        views.sitting_remove,
        name="sitting-remove",
    ),
]
