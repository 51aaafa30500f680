from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "netcourt.web"
    label = "web"
