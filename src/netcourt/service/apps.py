from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "netcourt.service"
    label = "service"
    verbose_name = _("Service and notifications")

    def ready(self) -> None:
        from netcourt.service import tasks  # noqa: F401 - registers the jobs and timers
