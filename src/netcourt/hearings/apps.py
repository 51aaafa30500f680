from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HearingsConfig(AppConfig):
    name = "netcourt.hearings"
    label = "hearings"
    verbose_name = _("Hearings")

    def ready(self) -> None:
        from netcourt.hearings import ics
        from netcourt.service import channels

        channels.ATTACHERS.append(ics.summons_attachment)
