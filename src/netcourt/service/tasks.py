"""The jobs and timers of service and notifications (``notify.person`` is registered in
``notifications``), and the case timers: time limits that expire and abandoned uploads."""

from __future__ import annotations

from django.db import transaction

from netcourt.core import jobs
from netcourt.service import actions, notifications


@jobs.handler("service.start")
def start(service: str) -> None:
    actions.start(service)


@jobs.handler("service.deliver")
def deliver(delivery: str) -> None:
    actions.deliver(delivery)


@jobs.every_tick
def service_timers() -> None:
    with transaction.atomic():
        actions.sweep()


jobs.every_tick(notifications.remind)
jobs.every_tick(notifications.digest)


@jobs.every_tick
def expired_time_limits() -> None:
    from netcourt.cases.actions import sweep_expired

    sweep_expired()


@jobs.every_tick
def abandoned_uploads() -> None:
    from netcourt.evidence.actions import sweep_uploads

    sweep_uploads()
