"""The jobs and timers of service and notifications (``notify.person`` is registered in
``notifications``)."""

from __future__ import annotations

from netcourt.core import jobs
from netcourt.service import actions, notifications


@jobs.handler("service.start")
def start(service: str) -> None:
    actions.start(service)


@jobs.handler("service.deliver")
def deliver(delivery: str) -> None:
    actions.deliver(delivery)


jobs.every_tick(actions.sweep)
jobs.every_tick(notifications.remind)
jobs.every_tick(notifications.digest)
