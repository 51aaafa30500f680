from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from netcourt.courts.models import Court


class Case(models.Model):
    """The projection of a case's events: updated in the same transaction as each event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases")
    pack_name = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=50)
    category = models.CharField(_("kind of dispute"), max_length=100)
    case_type = models.CharField(max_length=30)
    track = models.CharField(_("track"), max_length=50, blank=True)
    state = models.CharField(_("stage"), max_length=50, db_index=True)
    version = models.PositiveIntegerField(default=1)
    number = models.CharField(_("case number"), max_length=80, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    amount = models.DecimalField(
        _("amount claimed"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="CNY")
    fee_due = models.DecimalField(
        _("acceptance fee"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    # Judicial aid the court granted with the fee: {"kind": ..., "share": "0.3"} or empty.
    fee_aid = models.JSONField(default=dict, blank=True)
    filing = models.JSONField(default=dict)
    statement = models.TextField(_("statement of claim"), blank=True)
    statement_language = models.CharField(max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_cases"
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judged_cases",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    last_event_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "number"],
                condition=~models.Q(number=""),
                name="case_unique_number_per_court",
            )
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    # Read once per instance: the ids of the case's events so far, in order (see event_ids).
    _event_ids: list[str] | None = None
    # Read once per instance: the judges who may be drawn, by user id (forgotten with the
    # parties; see netcourt.cases.actions.eligible_judges).
    _eligible_judges: dict[int, Any] | None = None

    def __str__(self) -> str:
        return self.number or str(self.id)

    @property
    def language(self) -> str:
        """The language the case is conducted in (a language code, "en" or "zh-hans"): the
        one it was filed in, else the one its court works in (the pack's ``language``)."""
        if self.statement_language:
            return self.statement_language
        return "zh-hans" if self.court.pack.language == "zh" else "en"

    def refresh_from_db(
        self,
        using: str | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: Any = None,
    ) -> None:
        self._event_ids = None
        self._eligible_judges = None
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def people(self) -> list[Party]:
        """The parties, each with its representatives and both linked accounts.

        Read once per instance: a write path locks a fresh instance, so the policy, the
        documents, the judge draw and the notifications of one step share one read. Code
        that changes the parties calls :meth:`forget_people`.
        """
        cached = getattr(self, "_prefetched_objects_cache", {}).get("parties")
        if cached is not None:
            return list(cached)
        prefetch_related_objects(
            [self],
            Prefetch(
                "parties",
                queryset=Party.objects.select_related("user").prefetch_related(
                    Prefetch(
                        "representatives", queryset=Representative.objects.select_related("user")
                    )
                ),
            ),
        )
        return list(self.parties.all())

    def know_people(self, parties: Iterable[Party]) -> None:
        """Take ``parties`` as the case's parties without reading them again: for a write path
        that has just saved them all. A party whose representatives were not read has none
        (it was created by that path)."""
        self.forget_people()
        known = sorted(parties, key=lambda p: (p.position, p.pk))
        for party in known:
            cache = party.__dict__.setdefault("_prefetched_objects_cache", {})
            if "representatives" not in cache:
                cache["representatives"] = _as_read(party.representatives.all(), [])
        self.__dict__.setdefault("_prefetched_objects_cache", {})["parties"] = _as_read(
            self.parties.all(), known
        )

    def forget_people(self) -> None:
        getattr(self, "_prefetched_objects_cache", {}).pop("parties", None)
        self._eligible_judges = None

    def event_ids(self) -> list[str]:
        """The ids of the events so far, in order; steps taken through this instance are
        appended as they are recorded."""
        if self._event_ids is None:
            self._event_ids = list(self.events.order_by("seq").values_list("event", flat=True))
        return self._event_ids


def _as_read(queryset: QuerySet[Any], rows: list[Any]) -> QuerySet[Any]:
    """``queryset`` as though it had been read and found ``rows``: what prefetch_related_objects
    leaves in an instance's cache."""
    queryset._result_cache = rows
    return queryset


class PartyRole(models.TextChoices):
    PLAINTIFF = "plaintiff", _("Plaintiff")
    DEFENDANT = "defendant", _("Defendant")
    THIRD_PARTY = "third_party", _("Third party")


class PartyKind(models.TextChoices):
    NATURAL = "natural", _("Natural person")
    LEGAL = "legal", _("Legal person")
    OTHER = "other_org", _("Other organisation")


class Party(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=PartyRole.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    representative_name = models.CharField(_("legal representative"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parties",
    )
    position = models.PositiveSmallIntegerField(default=0)
    # The registered organisation this party is (kind legal or other): its approved members
    # act for it (netcourt.cases.policy), whoever filed.
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parties",
        verbose_name=_("organisation"),
    )

    class Meta:
        ordering = ["case_id", "position", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class RepresentativeKind(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer")
    AGENT = "agent", _("Other agent")


class Representative(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="representatives")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="representations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RepresentativeKind.choices)
    licence_number = models.CharField(_("lawyer's licence number"), max_length=40, blank=True)
    firm = models.CharField(_("law firm"), max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the court")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class RepresentationRequest(models.Model):
    """A lawyer or other agent who is not in a case asks to represent one of its parties,
    with the power of attorney the party signed; a clerk of the court decides.

    ``case`` is the case the number named, or None when it named none: the requester is told
    the same either way, and a request without a case reaches no one. The power of attorney
    is kept outside the case (``document``) until a clerk approves; then it becomes a document
    of the clerk's ``register_representative`` step (``event``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="representation_requests",
        verbose_name=_("requested by"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="representation_requests",
    )
    case_number = models.CharField(_("case number"), max_length=80)
    role = models.CharField(_("party's role"), max_length=20, choices=PartyRole.choices)
    party_name = models.CharField(_("party's name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RepresentativeKind.choices)
    licence_number = models.CharField(_("lawyer's licence number"), max_length=40, blank=True)
    firm = models.CharField(_("law firm"), max_length=200, blank=True)
    document = models.ForeignKey(
        "accounts.HeldDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("power of attorney"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(_("asked on"))
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    event = models.ForeignKey(
        "CaseEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "status"], name="rep_request_case_status")]
        verbose_name = _("request to represent a party")
        verbose_name_plural = _("requests to represent a party")

    def __str__(self) -> str:
        return f"{self.case_number} ({self.get_role_display()})"


class CaseEvent(models.Model):
    """One append-only entry of the docket. Never updated, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    event = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_role = models.CharField(max_length=30)
    on_behalf_of = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state_before = models.CharField(max_length=50)
    state_after = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    pack_version = models.CharField(max_length=50)
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Secret: in the hashed record (so the published hash cannot be guessed from its
    # low-entropy fields) and in the event's receipt, nowhere public. Empty on events made
    # before salts, whose record has none.
    salt = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="event_unique_case_seq")
        ]


class CaseDeadline(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    time_limit = models.CharField(max_length=100)
    label = models.JSONField()
    basis = models.JSONField()
    direction = models.CharField(max_length=10, default="after")
    start = models.DateField()
    due = models.DateField()
    provisional = models.BooleanField(
        default=False,
        help_text="the due date depends on a year whose public holidays are not yet published",
    )
    started_by = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="+")
    stopped_by = models.ForeignKey(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extended = models.BooleanField(default=False, help_text="the time limit's extension applies")
    suspended_on = models.DateField(
        null=True, blank=True, help_text="the proceedings are suspended since this day"
    )
    suspensions = models.JSONField(
        default=list, help_text="earlier suspensions: [suspended on, resumed on] ISO dates"
    )

    class Meta:
        ordering = ["due", "id"]


class JudgeDraw(models.Model):
    """A random assignment, recorded so that anyone with the record can run it again."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="judge_draws")
    eligible = models.JSONField(help_text="ordered list of eligible judge user ids")
    seed = models.CharField(max_length=64)
    chosen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()


class CaseNumberCounter(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    case_type = models.CharField(max_length=30)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["court", "year", "case_type"], name="counter_unique_court_year_type"
            )
        ]


class AccessLogEntry(models.Model):
    """Every read of a case file; the parties of the case can see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField(default=list)
    what = models.CharField(max_length=50)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
