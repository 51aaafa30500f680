from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netcourt.accounts"
    label = "accounts"

    def ready(self) -> None:
        from netcourt.accounts import security

        security.connect()
