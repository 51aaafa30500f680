"""The typed schema of a procedure pack.

Every model is frozen and rejects unknown keys. Amounts and rates are `Decimal` and must be
written as quoted strings or integers in the data files: a floating-point number is refused
at load time, so no binary rounding ever reaches a fee or a ceiling.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
)

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _snake_case(value: str) -> str:
    if not SNAKE_CASE.fullmatch(value):
        raise ValueError(f"{value!r} is not a snake_case id")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _no_float(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(value, float):
        raise ValueError(
            "write amounts and rates as quoted strings (e.g. '0.025'), never as floating-point"
            " numbers"
        )
    return value


def _positive_int(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected a whole number")
    if value < 1:
        raise ValueError("must be at least 1")
    return value


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(value: object) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{value.isoformat()} has a time of day; write the date alone, YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"invalid date {value!r}: {exc}") from None
    raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")


Id = Annotated[StrictStr, AfterValidator(_snake_case)]
NonEmpty = Annotated[StrictStr, AfterValidator(_non_empty)]
Amount = Annotated[Decimal, BeforeValidator(_no_float)]
PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
Day = Annotated[date, BeforeValidator(_day)]
CaseType = Literal["civil", "administrative"]
Unit = Literal["days", "months"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Model):
    """A user-visible string in English and Simplified Chinese."""

    en: NonEmpty
    zh: NonEmpty

    def get(self, lang: str) -> str:
        """The text for a language code: Chinese for any code starting with "zh", else English."""
        return self.zh if lang.lower().startswith("zh") else self.en


class Basis(Model):
    """The legal basis shown next to a rule or deadline."""

    article: Text
    text: Text


class Role(Model):
    id: Id
    label: Text
    kind: Literal["party", "court", "system"]


class State(Model):
    id: Id
    label: Text
    description: Text
    terminal: StrictBool = False


# A "document" input is a file the person attaches to the step (proof of hardship, a power of
# attorney): the court checks and stores it, and the step's payload keeps its hash.
InputType = Literal[
    "text", "longtext", "choice", "bool", "date", "int", "money", "list", "document"
]


class AssuranceLevel(Model):
    """How sure the court is of who a person is. A pack lists its levels from lowest to
    highest; an event's `assurance` names the lowest level a person needs to take it."""

    id: Id
    label: Text
    description: Text


class Input(Model):
    """A value a step takes. A `choice` input lists its `choices`; `choice_labels` gives
    them words to show (a choice without one is shown by its id). A `private` input is shown
    in the docket only to the court and the side that gave it (e.g. the grounds of hardship
    in an application for judicial aid)."""

    name: Id
    label: Text
    type: InputType
    required: StrictBool = True
    choices: tuple[Id, ...] = ()
    choice_labels: dict[Id, Text] = {}
    private: StrictBool = False


class Event(Model):
    """A step of the procedure.

    `on_expiry` names a time limit whose expiry makes the system take this step by itself
    (e.g. the appeal period running out makes the judgment final).
    `effects` names behaviour the application attaches to the step (e.g. `assign_number`);
    the engine carries the names and never interprets them.
    `to_state` None means the case stays in its state. `tracks`, when not empty, limits the
    event to cases on those tracks. `sets_track` names a choice input whose value is a track id:
    the transition then puts the case on that track and starts the track's duration.
    `notice` is what the parties are told once the step is taken (a sentence saying what
    happened; the label, which names the step to take, when there is none).
    `once_per_party` lets each party take the step once, by itself or through whoever acts
    for it (e.g. each party lodges its own appeal); only party roles may then take it.
    """

    id: Id
    label: Text
    notice: Text | None = None
    from_states: tuple[Id, ...]
    to_state: Id | None
    roles: tuple[Id, ...]
    inputs: tuple[Input, ...] = ()
    starts: tuple[Id, ...] = ()
    stops: tuple[Id, ...] = ()
    max_per_case: PositiveInt | None = None
    once_per_party: StrictBool = False
    tracks: tuple[Id, ...] = ()
    sets_track: Id | None = None
    effects: tuple[Id, ...] = ()
    on_expiry: Id | None = None
    assurance: Id | None = None
    step_up: StrictBool = False
    basis: Basis | None = None

    def input(self, name: str) -> Input:
        for item in self.inputs:
            if item.name == name:
                return item
        raise KeyError(name)


class Extension(Model):
    length: PositiveInt
    unit: Unit
    basis: Basis


class TimeLimit(Model):
    """A period. It runs from the day of the event that starts it, or, with `starts_from`, from
    the date given in that input of the starting event (e.g. the hearing date). A track named
    in `track_lengths` has a length of its own (a small-claims case's shorter time for
    evidence)."""

    id: Id
    label: Text
    length: PositiveInt
    track_lengths: dict[Id, PositiveInt] = {}
    unit: Unit
    direction: Literal["after", "before"] = "after"
    basis: Basis
    extension: Extension | None = None
    starts_from: Id | None = None


class Track(Model):
    id: Id
    label: Text
    kind: Literal["ordinary", "simplified", "small_claims"]
    case_type: CaseType
    duration: Id
    basis: Basis


class Category(Model):
    id: Id
    label: Text
    basis: Basis
    case_type: CaseType
    property: StrictBool
    connecting_factors: tuple[Id, ...]
    small_claims_allowed: StrictBool
    fee_class: Id


class ConnectingFactor(Model):
    id: Id
    label: Text
    question: Text
    basis: Basis


class Province(Model):
    id: Id
    label: Text


class Place(Model):
    id: Id
    label: Text
    province: Id


class Court(Model):
    """A court of the pack. `max_amount` is the ceiling of a basic-level court: a claim whose
    amount reaches it belongs to the intermediate court ("以上" includes the figure)."""

    id: Id
    name: Text
    province: Id
    territory: tuple[Id, ...]
    code: NonEmpty
    categories: tuple[Id, ...]
    max_amount: Amount | None = None
    max_amount_basis: Basis | None = None


class Exclusion(Model):
    id: Id
    label: Text
    question: Text
    basis: Basis


class SmallClaimsCeiling(Model):
    province: Id
    average_wage: Amount
    wage_year: StrictInt
    ceiling: Amount
    applies_from: date
    source: Text


class SmallClaims(Model):
    """Small claims: the ceiling is `share` of the province's average wage; by agreement the
    parties may go up to `agreement_multiple` times that wage. `excluded_basis` is the rule
    excluding whole categories."""

    share: Amount
    agreement_multiple: Amount
    basis: Basis
    excluded_basis: Basis
    ceilings: tuple[SmallClaimsCeiling, ...]
    exclusions: tuple[Exclusion, ...]


class Jurisdiction(Model):
    provinces: tuple[Province, ...]
    places: tuple[Place, ...]
    connecting_factors: tuple[ConnectingFactor, ...]
    categories: tuple[Category, ...]
    courts: tuple[Court, ...]
    small_claims: SmallClaims


class FeeBand(Model):
    above: Amount
    up_to: Amount | None
    rate: Amount


class FeeBands(Model):
    """Cumulative bands: `flat` covers the amount up to `flat_up_to`; each band charges its rate
    on the part of the amount above `above` and up to `up_to` (None: no upper end)."""

    flat_up_to: Amount
    flat: Amount
    bands: tuple[FeeBand, ...]


class FeeClass(Model):
    """A kind of case for the acceptance fee: a per-case range (`minimum`..`maximum`, the exact
    figure set per court), amount bands, or both (e.g. personality rights with damages)."""

    id: Id
    label: Text
    basis: Basis
    minimum: Amount | None = None
    maximum: Amount | None = None
    bands: FeeBands | None = None


class FeeReduction(Model):
    """The fee is multiplied by `factor` (0.5: halved). A reduction with `tracks` applies by
    itself to cases on those tracks; one with `counterclaim` applies by itself to a
    counterclaim; any other is named by the caller (e.g. settled by mediation). Reductions
    sharing a `group` do not add up: the case gets the group's most favourable one, once."""

    id: Id
    label: Text
    factor: Amount
    basis: Basis
    tracks: tuple[Id, ...] = ()
    counterclaim: StrictBool = False
    group: Id | None = None


class FeeAid(Model):
    """Judicial aid the court may grant on a party's application: `deferral` of payment, a
    `reduction` taking off at least `minimum_share` of the fee, or `exemption` from it;
    `natural_persons_only` limits it to natural persons."""

    kind: Literal["deferral", "reduction", "exemption"]
    label: Text
    basis: Basis
    minimum_share: Amount | None = None
    natural_persons_only: StrictBool = False


class FeeRounding(Model):
    """Fees are rounded to a multiple of `quantum` after the bands and after each reduction."""

    quantum: Amount
    mode: Literal["half_up"]
    basis: Basis


class FeeSchedule(Model):
    currency: NonEmpty
    rounding: FeeRounding
    basis: Basis
    classes: tuple[FeeClass, ...]
    reductions: tuple[FeeReduction, ...]
    aid: tuple[FeeAid, ...] = ()
    court_amounts: dict[Id, dict[Id, Amount]] = {}
    court_amounts_source: dict[Id, Text] = {}


class HolidayPeriod(Model):
    name: Text
    days: tuple[Day, ...]
    working_days: tuple[Day, ...] = ()


class HolidayYear(Model):
    """One year's arrangement, the file `holidays/<year>.yaml`. `complete` is false while the
    State Council has not published the year's notice: only the fixed statutory days are then
    listed and deadlines are provisional."""

    year: StrictInt
    complete: StrictBool
    source: Text
    periods: tuple[HolidayPeriod, ...]


class HolidaysFile(Model):
    """`holidays.yaml`: the counting rule shown with every deadline. The years are in
    `holidays/<year>.yaml`, one file each."""

    basis: Basis


class Holidays(Model):
    """The pack's calendar data: the basis and every year file, in order of year."""

    basis: Basis
    years: tuple[HolidayYear, ...]


class TemplateFile(Model):
    id: Id
    label: Text
    fields: tuple[Id, ...]
    en: NonEmpty
    zh: NonEmpty


class Template(Model):
    """A document template; `en` and `zh` hold the template texts with {field} placeholders."""

    id: Id
    label: Text
    fields: tuple[Id, ...]
    en: str
    zh: str


class EvidenceRules(Model):
    """What evidence files the court takes and when the other side sees them.

    `types` maps each accepted MIME type (decided from the file's content) to the file-name
    extensions it may carry. With `exchange: on_submission` the other parties see an item as
    soon as it is submitted; with `after_period` only once the evidence period (`period`, a
    time limit) has ended. Items submitted after that period's due date are accepted and
    marked late.
    """

    max_bytes: PositiveInt
    types: dict[NonEmpty, tuple[NonEmpty, ...]]
    exchange: Literal["on_submission", "after_period"]
    period: Id
    basis: Basis


class ServedDocument(Model):
    """A document the court serves: after `served_by` (an event), on the parties in `to`;
    once every one of them is served, the system takes the first step of `when_served` that
    the case allows then (e.g. the judgment: the appeal period, or finality for small claims).
    `template` names the pack template whose text the document is (the statement of claim
    for its copy): the page the served link opens shows it once receipt is confirmed."""

    id: Id
    label: Text
    served_by: Id
    to: tuple[Id, ...]
    when_served: tuple[Id, ...] = ()
    template: Id | None = None


class Reminders(Model):
    """Reminders `days` before the last day of each time limit in `limits`, to the party
    roles named there (the side that must act)."""

    days: tuple[PositiveInt, ...]
    limits: dict[Id, tuple[Id, ...]]


class ServiceRules(Model):
    """Electronic service and reminders.

    `channels` are the routes in the order tried (`inbox`, `email`, `sms`). A document is
    served when it reaches an address the party agreed to, or, at another address, when they
    read it (`basis`); after `fallback_hours` without that the next route is tried; when every
    route failed, a public notice is deemed served after `public_notice_days`
    (`notice_basis`).
    """

    channels: tuple[Literal["inbox", "email", "sms"], ...]
    fallback_hours: PositiveInt
    public_notice_days: PositiveInt
    reminders: Reminders | None = None
    basis: Basis
    notice_basis: Basis
    documents: tuple[ServedDocument, ...]

    def document(self, document_id: str) -> ServedDocument:
        return next(d for d in self.documents if d.id == document_id)


class PackFile(Model):
    name: Id
    version: NonEmpty
    title: Text
    language: Literal["en", "zh"] = "en"
    initial_state: Id
    case_number_format: NonEmpty
    case_type_codes: dict[CaseType, NonEmpty]
    roles: tuple[Role, ...]
    tracks: tuple[Track, ...]
    templates: tuple[TemplateFile, ...]
    assurance_levels: tuple[AssuranceLevel, ...] = ()
    step_up_minutes: PositiveInt | None = None
    evidence: EvidenceRules | None = None
    service: ServiceRules | None = None


class StatesFile(Model):
    states: tuple[State, ...]


class EventsFile(Model):
    events: tuple[Event, ...]


class TimeLimitsFile(Model):
    time_limits: tuple[TimeLimit, ...]
