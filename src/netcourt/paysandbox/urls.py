from django.urls import path

from netcourt.paysandbox import views

app_name = "paysandbox"
urlpatterns = [
    path("v1/intents", views.create_intent, name="intents"),
    path("v1/intents/<str:intent_id>", views.retrieve_intent, name="intent"),
    path("v1/intents/<str:intent_id>/refunds", views.create_refund, name="refunds"),
    path("checkout/<str:intent_id>/", views.checkout, name="checkout"),
]
