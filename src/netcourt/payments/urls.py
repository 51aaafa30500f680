from django.urls import path

from netcourt.payments import views

app_name = "payments"
urlpatterns = [
    path("cases/<uuid:case_id>/pay/", views.pay, name="pay"),
    path("cases/<uuid:case_id>/return/", views.returned, name="return"),
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
]
