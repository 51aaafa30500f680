from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netcourt.accounts"
    label = "accounts"

    def ready(self) -> None:
        from netcourt.accounts import mfa, security

        mfa.connect()
        security.connect()
