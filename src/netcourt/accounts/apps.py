from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netcourt.accounts"
    label = "accounts"
