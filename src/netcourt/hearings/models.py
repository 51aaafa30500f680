"""Hearings: when and how a case is heard, who takes part, what was recorded and signed.

A `Hearing` is made by the pack's scheduling step and moved by postponing it; the case events
stay the legal record (who scheduled, when, why it moved), these rows are what the courtroom
needs to run. `Participant` is a person's place in one hearing; `JoinToken` lets them in once;
`HearingLog` is what happened in the room (never personal data in its detail); `Recording` is
each participant's tracks, encrypted in the case's vault; `HearingRecord` is the clerk's record
(笔录) and `RecordSignature` each party's confirmation or objection to it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from netcourt.cases.models import Case, CaseEvent, Party
from netcourt.courts.models import Court


class Mode(models.TextChoices):
    ONLINE = "online", _("online")
    OFFLINE = "offline", _("in the courtroom")
    SPLIT = "split", _("partly online, partly in the courtroom")


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    OPEN = "open", _("in session")
    ENDED = "ended", _("held")
    CANCELLED = "cancelled", _("cancelled")


class Hearing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="hearings")
    scheduled_by = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    minutes = models.PositiveSmallIntegerField(_("planned length (minutes)"), default=30)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    public = models.BooleanField(_("public hearing"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HearingStatus.choices, default=HearingStatus.SCHEDULED
    )
    locked = models.BooleanField(_("locked"), default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Bumped at each change of time: calendar programs replace an invitation with a higher one.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.starts_at:%Y-%m-%d %H:%M}"


class Role(models.TextChoices):
    JUDGE = "judge", _("judge")
    CLERK = "clerk", _("clerk")
    PARTY = "party", _("party")
    REPRESENTATIVE = "representative", _("representative")
    WITNESS = "witness", _("witness")
    INTERPRETER = "interpreter", _("interpreter")
    VIEWER = "viewer", _("public viewer")


# Who appears in the room with camera and microphone; a viewer only receives.
SPEAKING_ROLES = frozenset(r for r in Role.values if r != Role.VIEWER)
# Who enters without waiting to be admitted.
PRESIDING_ROLES = frozenset({Role.JUDGE, Role.CLERK})


class Presence(models.TextChoices):
    INVITED = "invited", _("invited")
    WAITING = "waiting", _("in the waiting room")
    ADMITTED = "admitted", _("in the hearing")
    LEFT = "left", _("left")
    REMOVED = "removed", _("removed")


class Participant(models.Model):
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(
        pgettext_lazy("at a hearing", "role"), max_length=20, choices=Role.choices
    )
    name = models.CharField(_("name"), max_length=200)
    online = models.BooleanField(_("attends online"), default=True)
    presence = models.CharField(max_length=10, choices=Presence.choices, default=Presence.INVITED)
    may_share_screen = models.BooleanField(default=False)
    muted = models.BooleanField(default=False)
    first_joined_at = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    seconds_present = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hearing", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "user"], name="one_place_per_hearing")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class JoinToken(models.Model):
    """A single-use, short-lived pass into one hearing for one person. Only its SHA-256 is
    kept; the raw value goes to the person's browser once."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class LogKind(models.TextChoices):
    OPENED = "opened", _("The hearing opened")
    ENTERED = "entered", _("entered the waiting room")
    ADMITTED = "admitted", _("was admitted")
    LEFT = "left", _("left")
    REMOVED = "removed", _("was removed")
    MUTED = "muted", _("was muted")
    UNMUTED = "unmuted", _("was unmuted")
    SCREEN_GRANTED = "screen_granted", _("may share the screen")
    SCREEN_REVOKED = "screen_revoked", _("may no longer share the screen")
    LOCKED = "locked", _("The hearing was locked")
    UNLOCKED = "unlocked", _("The hearing was unlocked")
    REFUSED = "refused", _("An entry was refused")
    RECORDING_FAILED = "recording_failed", _("A recording failed")
    ENDED = "ended", _("The hearing ended")


class HearingLog(models.Model):
    """What happened in the room, in order. ``detail`` holds codes and ids, never names."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=LogKind.choices)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class RecordingStatus(models.TextChoices):
    RECORDING = "recording", _("recording")
    STORED = "stored", _("stored")
    FAILED = "failed", _("failed")


class Recording(models.Model):
    """One participant's tracks in one sitting, written encrypted to the case's vault as they
    come (`Blob` once finished) and hashed into the transparency log by a case event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="recordings")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    blob = models.OneToOneField(
        "evidence.Blob", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=RecordingStatus.choices, default=RecordingStatus.RECORDING
    )
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    video_frames = models.PositiveIntegerField(default=0)
    audio_frames = models.PositiveIntegerField(default=0)
    event = models.OneToOneField(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["started_at"]


class HearingRecord(models.Model):
    """The clerk's record of the hearing (笔录), written live; closed and stored signed."""

    hearing = models.OneToOneField(Hearing, on_delete=models.PROTECT, related_name="record")
    text = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    blob = models.OneToOneField(
        "evidence.Blob", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event = models.OneToOneField(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class Decision(models.TextChoices):
    CONFIRM = "confirm", _("confirms the record")
    OBJECT = "object", _("objects to the record")


class RecordSignature(models.Model):
    """A party's electronic signature on one revision of the record: a case event taken with
    a fresh second factor, carrying the hash of the text signed."""

    record = models.ForeignKey(HearingRecord, on_delete=models.PROTECT, related_name="signatures")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    objection = models.TextField(blank=True)
    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at"]


class Unavailability(models.Model):
    """Days a party (or its representative) says they cannot attend, for the scheduler."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="unavailable_days")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_on"]


class Sitting(models.Model):
    """When a court sits for hearings: a weekday and a time window in the court's time zone."""

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="sittings")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # Monday 0 … Sunday 6
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["court", "weekday", "starts"]


class Busy(models.Model):
    """Time a judge or clerk is not available for hearings (leave, training, another court)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]


class CalendarAddress(models.Model):
    """A person's secret calendar address: their hearings as a feed a calendar application
    subscribes to without signing in. Only the secret's SHA-256 is kept; the address is shown
    once, when it is made, and making a new one ends the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_address"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()


class AsynchronousRecord(models.Model):
    """The record of an asynchronous trial: its questions and answers as one bilingual PDF,
    made when the judge concludes the trial, encrypted in the case's vault. ``event`` is the
    system's ``store_asynchronous_record`` step, whose payload carries the PDF's SHA-256 into
    the transparency log (the concluding step is written before the PDF can exist)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="asynchronous_records")
    concluded_by = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="+")
    blob = models.OneToOneField("evidence.Blob", on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()

    class Meta:
        ordering = ["made_at"]
