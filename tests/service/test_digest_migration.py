"""The migration that keeps only the SHA-256 of the served links' secrets: links already
e-mailed or texted keep working, and nothing holds a secret in clear afterwards."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("service", "0001_initial")]
AFTER = [("service", "0002_delivery_digest")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    """Every app at its last migration (the models' own state: later migrations too)."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_secrets_of_earlier_links_are_hashed(accepted: Any) -> None:
    from django.test import Client

    apps = _migrate(BEFORE)
    Service = apps.get_model("service", "Service")
    Delivery = apps.get_model("service", "Delivery")
    Notification = apps.get_model("service", "Notification")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    event = CaseEvent.objects.filter(case_id=accepted.pk).first()
    service = Service.objects.create(
        case_id=accepted.pk,
        party_id=accepted.parties.get(role="defendant").pk,
        document="complaint_copy",
        served_by=event,
        sha256="0" * 64,
        subject={"en": "Copy of the statement of claim"},
        body={"en": "The court serves the statement of claim."},
        created_at=event.at,
    )
    common = {"service": service, "consented": False, "language": "en"}
    Delivery.objects.create(
        channel="email", address="a@example.org", position=0, token="mailed-secret", **common
    )
    inbox = Delivery.objects.create(
        channel="inbox", address=str(accepted.created_by_id), position=1, token="inbox", **common
    )
    Notification.objects.create(
        user_id=accepted.created_by_id,
        delivery=inbox,
        subject="s",
        body="b",
        link="/served/inbox/",
        created_at=event.at,
    )
    _migrate(AFTER)
    _migrate(_latest())

    from netcourt.service.models import Delivery as Now
    from netcourt.service.models import Notification as NoteNow

    mailed = Now.objects.get(service_id=service.pk, channel="email")
    assert mailed.digest == hashlib.sha256(b"mailed-secret").hexdigest()
    assert Now.objects.get(pk=inbox.pk).digest is None
    assert NoteNow.objects.get(delivery_id=inbox.pk).link == ""
    assert Client().get("/served/mailed-secret/").status_code == 200  # the link sent still opens
    assert Client().get("/served/inbox/").status_code == 404
