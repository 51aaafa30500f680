"""The hearing record's pages and the asynchronous trial's (`record_views`)."""

from django.urls import path

from netcourt.hearings import record_views

urlpatterns = [
    path("hearings/<uuid:hearing_id>/record/", record_views.record_page, name="record"),
    path("hearings/<uuid:hearing_id>/record/text", record_views.record_text, name="record-text"),
    path("hearings/<uuid:hearing_id>/record/sign", record_views.record_sign, name="record-sign"),
    path("hearings/<uuid:hearing_id>/record/close", record_views.record_close, name="record-close"),
    path("hearings/<uuid:hearing_id>/record/pdf", record_views.record_pdf, name="record-pdf"),
    path(
        "cases/<uuid:case_id>/asynchronous/",
        record_views.asynchronous_page,
        name="asynchronous",
    ),
    path(
        "cases/<uuid:case_id>/asynchronous/step",
        record_views.asynchronous_step,
        name="asynchronous-step",
    ),
    path(
        "cases/<uuid:case_id>/asynchronous/pdf",
        record_views.asynchronous_pdf,
        name="asynchronous-pdf",
    ),
]
