"""Queue a leaf for every case event made before the log existed, oldest first.

The record is the one `netcourt.cases.actions.event_leaf` makes, frozen here as it was when
this migration was written. The sequencer integrates the leaves on its next run.
"""

from datetime import UTC
from typing import Any

from django.db import migrations
from django.utils import timezone

from netcourt.ledger import canonical_json
from netcourt.ledger.tree import leaf_hash


def log_events(apps: Any, schema_editor: Any) -> None:
    CaseEvent = apps.get_model("cases", "CaseEvent")
    LogEntry = apps.get_model("transparency", "LogEntry")
    now = timezone.now()
    rows = []
    for event in CaseEvent.objects.order_by("at", "id").iterator(2000):
        record = {
            "kind": "case_event",
            "case": str(event.case_id),
            "seq": event.seq,
            "at": event.at.astimezone(UTC).isoformat(),
            "hash": event.hash,
        }
        data = canonical_json(record)
        rows.append(
            LogEntry(
                kind="case_event",
                ref=f"event:{event.case_id}:{event.seq}",
                record=data.decode("utf-8"),
                leaf_hash=leaf_hash(data).hex(),
                created_at=now,
            )
        )
    LogEntry.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0001_initial"),
        ("cases", "0005_fee_aid"),
    ]

    operations = [migrations.RunPython(log_events, migrations.RunPython.noop)]
