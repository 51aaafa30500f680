from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "netcourt.evidence"
    label = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        from netcourt.evidence import tasks  # noqa: F401 - registers the timers
