from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "netcourt.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from netcourt.cases import checks, tasks  # noqa: F401
