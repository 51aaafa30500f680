from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "netcourt.core"
    label = "core"
