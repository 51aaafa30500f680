from django.urls import path

from netcourt.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.evidence_page, name="page"),
    path("submit/", views.submit, name="submit"),
    path("list.pdf", views.evidence_list, name="list_pdf"),
    path("platform-request/", views.ask_platform, name="ask_platform"),
    path("<uuid:item_id>/file", views.download, name="file"),
    path("<uuid:item_id>/receipt.json", views.item_receipt, name="receipt"),
    path("<uuid:item_id>/opinions/", views.examine, name="examine"),
]
