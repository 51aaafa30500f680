from django.urls import path

from netcourt.payments import finance, views

app_name = "payments"
urlpatterns = [
    path("cases/<uuid:case_id>/pay/", views.pay, name="pay"),
    path("cases/<uuid:case_id>/return/", views.returned, name="return"),
    path("cases/<uuid:case_id>/receipts/<uuid:intent_id>.pdf", views.receipt, name="receipt"),
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("finance/<slug:slug>/", finance.finance, name="finance"),
    path("finance/<slug:slug>/ledger.csv", finance.ledger_csv, name="ledger_csv"),
]
