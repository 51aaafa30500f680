"""A served document's link keeps only the SHA-256 of its secret (``Delivery.digest``).

The secrets of links already sent are hashed, so those links keep working; a delivery that
sends no link (the inbox, paper, the public notice) keeps none. An inbox message of a served
document no longer holds a link with the secret: the inbox opens it by the delivery's id.
"""

import hashlib
import secrets
from typing import Any

from django.db import migrations, models

SENT_WITH_A_LINK = ("email", "sms")


def hash_secrets(apps: Any, schema_editor: Any) -> None:
    Delivery = apps.get_model("service", "Delivery")
    Notification = apps.get_model("service", "Notification")
    for delivery in Delivery.objects.only("pk", "channel", "digest").iterator(2000):
        if delivery.channel in SENT_WITH_A_LINK:
            digest = hashlib.sha256(delivery.digest.encode()).hexdigest()
        else:
            digest = None
        Delivery.objects.filter(pk=delivery.pk).update(digest=digest)
    Notification.objects.filter(delivery__isnull=False).update(link="")


def new_secrets(apps: Any, schema_editor: Any) -> None:
    """Back to a secret for every delivery, as the field was: the links sent before stay
    dead (their secrets are gone), and the inbox finds its documents by the secret again."""
    Delivery = apps.get_model("service", "Delivery")
    Notification = apps.get_model("service", "Notification")
    for delivery in Delivery.objects.only("pk").iterator(2000):
        secret = secrets.token_urlsafe(32)
        Delivery.objects.filter(pk=delivery.pk).update(digest=secret)
        Notification.objects.filter(delivery=delivery).update(link=f"/served/{secret}/")


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="delivery", old_name="token", new_name="digest"),
        migrations.AlterField(
            model_name="delivery",
            name="digest",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of the secret in the link e-mailed or texted (the secret is "
                "not kept)",
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(hash_secrets, new_secrets),
    ]
