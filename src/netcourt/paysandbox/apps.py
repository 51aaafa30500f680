from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaySandboxConfig(AppConfig):
    name = "netcourt.paysandbox"
    label = "paysandbox"
    verbose_name = _("Sandbox payment service")
