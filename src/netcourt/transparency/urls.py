from django.urls import path

from netcourt.transparency import views

urlpatterns = [
    path("", views.about, name="log_about"),
    path("checkpoint", views.checkpoint, name="log_checkpoint"),
    path("key", views.verifier_key, name="log_key"),
    path("tile/<path:path>", views.tile, name="log_tile"),
    path("v1/inclusion", views.inclusion, name="log_inclusion"),
    path("v1/consistency", views.consistency, name="log_consistency"),
]
