from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IdempotencyRecord(models.Model):
    """The stored answer to a create request, replayed when the same Idempotency-Key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")
        ]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")


class Job(models.Model):
    """A piece of work to do after a transaction, or at a time: the durable record of it.

    The row is the truth and huey only the nudge (``netcourt.core.jobs``): a job is done when
    ``done_at`` is set, in the same transaction as what it changed in the database, so a
    worker that dies halfway leaves it to be run again, and a finished one never runs twice.
    """

    name = models.CharField(
        pgettext_lazy("of a job", "name"), max_length=100, help_text=_("the registered handler")
    )
    key = models.CharField(
        _("key"), max_length=255, unique=True, help_text=_("one job per key, ever")
    )
    args = models.JSONField(_("arguments"), default=dict)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
