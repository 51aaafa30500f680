"""A loaded, validated procedure pack and its working-day calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from netcourt.procedure.schema import (
    AssuranceLevel,
    Category,
    ConnectingFactor,
    Court,
    Event,
    EvidenceRules,
    Exclusion,
    FeeSchedule,
    Holidays,
    Place,
    Province,
    Role,
    ServiceRules,
    SmallClaims,
    State,
    Template,
    Text,
    TimeLimit,
    Track,
)


class Calendar:
    """Working days: Monday to Friday, less the statutory holidays, plus the make-up working
    days (调休) that the State Council's yearly notice moves onto weekends."""

    def __init__(self, holidays: Holidays) -> None:
        self._off = frozenset(
            day for year in holidays.years for p in year.periods for day in p.days
        )
        self._on = frozenset(
            day for year in holidays.years for p in year.periods for day in p.working_days
        )
        self._published = frozenset(year.year for year in holidays.years if year.complete)

    def is_working_day(self, d: date) -> bool:
        if d in self._on:
            return True
        if d in self._off:
            return False
        return d.weekday() < 5

    def is_published(self, year: int) -> bool:
        """Whether the full holiday arrangement of `year` is in the pack."""
        return year in self._published

    def first_working_day_from(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d


@dataclass(frozen=True, eq=False)
class Pack:
    """A procedure pack. The mappings are read-only and keep the order of the data files."""

    name: str
    version: str
    title: Text
    language: str  # the language the court works in: "en" or "zh"
    initial_state: str
    roles: Mapping[str, Role]
    states: Mapping[str, State]
    events: Mapping[str, Event]
    time_limits: Mapping[str, TimeLimit]
    tracks: Mapping[str, Track]
    categories: Mapping[str, Category]
    connecting_factors: Mapping[str, ConnectingFactor]
    provinces: Mapping[str, Province]
    places: Mapping[str, Place]
    courts: Mapping[str, Court]
    small_claims: SmallClaims
    small_claims_ceilings: Mapping[str, Decimal]
    small_claims_exclusions: tuple[Exclusion, ...]
    holidays: Holidays
    calendar: Calendar
    fees: FeeSchedule
    case_number_format: str
    case_type_codes: Mapping[str, str]
    templates: Mapping[str, Template]
    assurance_levels: Mapping[str, AssuranceLevel]
    step_up_minutes: int | None
    evidence: EvidenceRules | None
    service: ServiceRules | None

    def event(self, event_id: str) -> Event:
        return self.events[event_id]

    def state(self, state_id: str) -> State:
        return self.states[state_id]

    def time_limit(self, time_limit_id: str) -> TimeLimit:
        return self.time_limits[time_limit_id]

    def court(self, court_id: str) -> Court:
        return self.courts[court_id]

    def assurance_rank(self, level: str | None) -> int:
        """0 for no level (or one the pack does not know), then 1, 2, … from lowest to highest."""
        for rank, known in enumerate(self.assurance_levels, start=1):
            if known == level:
                return rank
        return 0
