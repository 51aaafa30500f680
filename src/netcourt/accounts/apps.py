from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "netcourt.accounts"
    label = "accounts"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        from netcourt.accounts import mfa, middleware, security

        mfa.connect()
        middleware.connect()
        security.connect()
