"""Loading and validating procedure packs.

Validation runs in two phases. First each data file is read and checked against its schema;
then, if every file passed, all references between files and the shape of the state machine are
checked. Each phase reports every error it finds, each as "file: location: message".
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from netcourt.procedure.documents import CASE_NUMBER_FIELDS, template_fields
from netcourt.procedure.pack import Calendar, Pack
from netcourt.procedure.schema import (
    Event,
    EventsFile,
    FeeBands,
    FeeSchedule,
    Holidays,
    HolidaysFile,
    HolidayYear,
    Jurisdiction,
    PackFile,
    ServiceRules,
    StatesFile,
    Template,
    TimeLimitsFile,
)

PACKS_DIR = Path(__file__).resolve().parent / "packs"
HOLIDAYS_DIR = "holidays"
YEAR_FILE = re.compile(r"([0-9]{4})\.yaml")

M = TypeVar("M", bound=BaseModel)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


H = TypeVar("H", bound=_HasId)


class PackError(Exception):
    """A pack failed to load. `errors` lists every problem as "file: location: message"."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s):\n" + "\n".join(self.errors))


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys instead of silently keeping the last one."""


def _mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
        ) from None


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,
)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, loc: str, message: str) -> None:
        self.items.append(f"{file}: {loc}: {message}")

    def ref(self, file: str, loc: str, kind: str, value: str, known: Collection[str]) -> bool:
        if value in known:
            return True
        close = difflib.get_close_matches(value, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.add(file, loc, f"unknown {kind} {value!r}{hint}")
        return False


def _loc(parts: Iterable[int | str]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or "(" in part:
            continue
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _parse(directory: Path, file: str, model: type[M], errors: _Errors) -> M | None:
    try:
        text = (directory / file).read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.add(file, "(file)", "file not found")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.add(file, "(file)", f"cannot be read: {exc}")
        return None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        errors.add(file, where, exc.problem or "invalid YAML")
        return None
    except yaml.YAMLError as exc:
        errors.add(file, "(file)", f"invalid YAML: {exc}")
        return None
    if not isinstance(data, dict):
        errors.add(file, "(top level)", "expected a mapping of keys")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            errors.add(file, _loc(error["loc"]), _message(error))
        return None


def _index(items: Sequence[H], file: str, section: str, errors: _Errors) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            errors.add(
                file,
                f"{section}[{i}].id",
                f"duplicate id {item.id!r} (first at {section}[{seen[item.id]}])",
            )
        else:
            seen[item.id] = i
    return seen


def _no_repeats(values: Sequence[str], file: str, loc: str, errors: _Errors) -> None:
    for j, value in enumerate(values):
        if value in values[:j]:
            errors.add(file, f"{loc}[{j}]", f"{value!r} is listed twice")


class _Files:
    def __init__(
        self,
        pack: PackFile,
        states: StatesFile,
        events: EventsFile,
        time_limits: TimeLimitsFile,
        jurisdiction: Jurisdiction,
        fees: FeeSchedule,
        holidays: Holidays,
    ) -> None:
        self.pack = pack
        self.states = states
        self.events = events
        self.time_limits = time_limits
        self.jurisdiction = jurisdiction
        self.fees = fees
        self.holidays = holidays


def _check_service(rules: ServiceRules, f: _Files, errors: _Errors) -> None:
    """Served documents name real events and party roles; `when_served` is open to the
    system; a route is listed once."""
    file = "pack.yaml"
    events = {e.id: e for e in f.events.events}
    roles = {r.id for r in f.pack.roles}
    _no_repeats(rules.channels, file, "service.channels", errors)
    if rules.reminders is not None:
        limits = {t.id for t in f.time_limits.time_limits}
        for limit, to in rules.reminders.limits.items():
            errors.ref(file, f"service.reminders.limits.{limit}", "time limit", limit, limits)
            for j, role in enumerate(to):
                errors.ref(file, f"service.reminders.limits.{limit}[{j}]", "role", role, roles)
    _index(rules.documents, file, "service.documents", errors)
    for i, document in enumerate(rules.documents):
        at = f"service.documents[{i}]"
        errors.ref(file, f"{at}.served_by", "event", document.served_by, events)
        for j, role in enumerate(document.to):
            errors.ref(file, f"{at}.to[{j}]", "role", role, roles)
        if document.template is not None:
            templates = {t.id for t in f.pack.templates}
            errors.ref(file, f"{at}.template", "template", document.template, templates)
        for j, step in enumerate(document.when_served):
            where = f"{at}.when_served[{j}]"
            if errors.ref(file, where, "event", step, events):
                if "system" not in events[step].roles:
                    errors.add(file, where, "the step must be open to 'system'")


def _check_pack_file(f: _Files, texts: Mapping[str, tuple[str, str]], errors: _Errors) -> None:
    file = "pack.yaml"
    p = f.pack
    states = {s.id for s in f.states.states}
    limits = {t.id: t for t in f.time_limits.time_limits}
    errors.ref(file, "initial_state", "state", p.initial_state, states)
    _index(p.roles, file, "roles", errors)
    _index(p.tracks, file, "tracks", errors)
    kinds: dict[tuple[str, str], int] = {}
    for i, track in enumerate(p.tracks):
        duration = limits.get(track.duration)
        if (
            errors.ref(file, f"tracks[{i}].duration", "time limit", track.duration, limits)
            and duration
        ):
            if duration.direction != "after" or duration.starts_from is not None:
                errors.add(
                    file,
                    f"tracks[{i}].duration",
                    f"time limit {track.duration!r} must run 'after' the day the track is set",
                )
        key = (track.case_type, track.kind)
        if key in kinds:
            errors.add(
                file,
                f"tracks[{i}]",
                f"a {track.kind} track for {track.case_type} cases is already defined at"
                f" tracks[{kinds[key]}]",
            )
        kinds.setdefault(key, i)
    used_types = {c.case_type for c in f.jurisdiction.categories} | {t.case_type for t in p.tracks}
    for case_type in sorted(used_types):
        if case_type not in p.case_type_codes:
            errors.add(file, "case_type_codes", f"no case-number code for {case_type} cases")
    for case_type in sorted({c.case_type for c in f.jurisdiction.categories}):
        if (case_type, "ordinary") not in kinds:
            errors.add(file, "tracks", f"no ordinary track for {case_type} cases")
    try:
        used = template_fields(p.case_number_format)
    except ValueError as exc:
        errors.add(file, "case_number_format", str(exc))
    else:
        for name in sorted(used - CASE_NUMBER_FIELDS):
            errors.add(
                file,
                "case_number_format",
                f"unknown placeholder {{{name}}}"
                f" (allowed: {', '.join(sorted(CASE_NUMBER_FIELDS))})",
            )
        if "seq" not in used:
            errors.add(file, "case_number_format", "must contain the {seq} placeholder")
    _index(p.assurance_levels, file, "assurance_levels", errors)
    if p.evidence is not None:
        errors.ref(file, "evidence.period", "time limit", p.evidence.period, limits)
        for mime, extensions in p.evidence.types.items():
            if "/" not in mime or not extensions:
                errors.add(
                    file,
                    f"evidence.types.{mime}",
                    "a MIME type (type/subtype) with at least one file-name extension",
                )
    if p.service is not None:
        _check_service(p.service, f, errors)
    _index(p.templates, file, "templates", errors)
    for i, template in enumerate(p.templates):
        _no_repeats(template.fields, file, f"templates[{i}].fields", errors)
        used_anywhere: set[str] = set()
        for lang, text in zip(("en", "zh"), texts.get(template.id, ("", "")), strict=True):
            try:
                names = template_fields(text)
            except ValueError as exc:
                errors.add(file, f"templates[{i}].{lang}", str(exc))
                continue
            used_anywhere |= names
            for name in sorted(names - set(template.fields)):
                errors.add(
                    file,
                    f"templates[{i}].{lang}",
                    f"placeholder {{{name}}} is not in the template's fields",
                )
        for name in template.fields:
            if name not in used_anywhere:
                errors.add(
                    file, f"templates[{i}].fields", f"field {name!r} is used by neither text"
                )


def _check_event(
    i: int, event: Event, f: _Files, errors: _Errors, terminal: Collection[str]
) -> None:
    file = "events.yaml"
    at = f"events[{i}]"
    states = {s.id for s in f.states.states}
    roles = {r.id for r in f.pack.roles}
    limits = {t.id: t for t in f.time_limits.time_limits}
    tracks = {t.id for t in f.pack.tracks}
    if not event.from_states:
        errors.add(file, f"{at}.from_states", "must list at least one state")
    _no_repeats(event.from_states, file, f"{at}.from_states", errors)
    for j, state in enumerate(event.from_states):
        if errors.ref(file, f"{at}.from_states[{j}]", "state", state, states) and state in terminal:
            errors.add(
                file,
                f"{at}.from_states[{j}]",
                f"state {state!r} is terminal: a terminal state admits no events",
            )
    if event.to_state is not None:
        errors.ref(file, f"{at}.to_state", "state", event.to_state, states)
    if not event.roles:
        errors.add(file, f"{at}.roles", "must list at least one role")
    for j, role in enumerate(event.roles):
        errors.ref(file, f"{at}.roles[{j}]", "role", role, roles)
    if event.once_per_party:
        kinds = {r.id: r.kind for r in f.pack.roles}
        for j, role in enumerate(event.roles):
            if kinds.get(role, "party") != "party":
                errors.add(
                    file,
                    f"{at}.roles[{j}]",
                    f"role {role!r} is not a party's: a step taken once per party is taken"
                    " only by parties",
                )
    if event.step_up and f.pack.step_up_minutes is None:
        errors.add(
            file,
            f"{at}.step_up",
            "the pack must set step_up_minutes (how recent the second factor must be)",
        )
    if event.assurance is not None:
        levels = {level.id for level in f.pack.assurance_levels}
        errors.ref(file, f"{at}.assurance", "assurance level", event.assurance, levels)
    _no_repeats([item.name for item in event.inputs], file, f"{at}.inputs", errors)
    for j, item in enumerate(event.inputs):
        if item.type == "choice" and not item.choices:
            errors.add(file, f"{at}.inputs[{j}].choices", "a choice input needs its choices")
        if item.type != "choice" and item.choices:
            errors.add(file, f"{at}.inputs[{j}].choices", f"a {item.type} input takes no choices")
        for choice in item.choice_labels:
            if choice not in item.choices:
                errors.add(
                    file, f"{at}.inputs[{j}].choice_labels.{choice}", "not one of the choices"
                )
    for key in ("starts", "stops"):
        values: tuple[str, ...] = getattr(event, key)
        _no_repeats(values, file, f"{at}.{key}", errors)
        for j, limit_id in enumerate(values):
            errors.ref(file, f"{at}.{key}[{j}]", "time limit", limit_id, limits)
    for j, limit_id in enumerate(event.starts):
        limit = limits.get(limit_id)
        if limit is None or limit.starts_from is None:
            continue
        anchor = next((x for x in event.inputs if x.name == limit.starts_from), None)
        if anchor is None or anchor.type != "date" or not anchor.required:
            errors.add(
                file,
                f"{at}.starts[{j}]",
                f"time limit {limit_id!r} runs from input {limit.starts_from!r}; this event needs a"
                " required date input of that name",
            )
    if event.on_expiry is not None:
        errors.ref(file, f"{at}.on_expiry", "time limit", event.on_expiry, limits)
        if "system" not in event.roles:
            errors.add(
                file, f"{at}.on_expiry", "only a step the system may take can fire on expiry"
            )
        if event.to_state is None or any(x.required for x in event.inputs):
            errors.add(
                file,
                f"{at}.on_expiry",
                "a step fired on expiry must change the state and need no input",
            )
        limit = limits.get(event.on_expiry)
        if limit is not None and limit.direction != "after":
            errors.add(file, f"{at}.on_expiry", f"time limit {event.on_expiry!r} does not run out")
    for j, track in enumerate(event.tracks):
        errors.ref(file, f"{at}.tracks[{j}]", "track", track, tracks)
    if event.sets_track is not None:
        chooser = next((x for x in event.inputs if x.name == event.sets_track), None)
        if chooser is None or chooser.type != "choice" or not chooser.required:
            errors.add(
                file,
                f"{at}.sets_track",
                f"needs a required choice input named {event.sets_track!r}",
            )
        else:
            for j, choice in enumerate(chooser.choices):
                errors.ref(
                    file,
                    f"{at}.inputs[{event.inputs.index(chooser)}].choices[{j}]",
                    "track",
                    choice,
                    tracks,
                )


def _check_machine(f: _Files, errors: _Errors) -> None:
    states = f.states.states
    _index(states, "states.yaml", "states", errors)
    terminal = {s.id for s in states if s.terminal}
    _index(f.events.events, "events.yaml", "events", errors)
    before = len(errors.items)
    for i, event in enumerate(f.events.events):
        _check_event(i, event, f, errors, terminal)
    tracks = {t.id for t in f.pack.tracks}
    for i, limit in enumerate(f.time_limits.time_limits):
        for track in limit.track_lengths:
            errors.ref(
                "time_limits.yaml", f"time_limits[{i}].track_lengths", "track", track, tracks
            )
        if limit.direction == "before" and limit.extension is not None:
            errors.add(
                "time_limits.yaml",
                f"time_limits[{i}].extension",
                "a 'before' period cannot be extended",
            )
        if limit.direction == "before" and limit.starts_from is None:
            errors.add(
                "time_limits.yaml",
                f"time_limits[{i}].starts_from",
                "a 'before' period counts back from a date given by the starting event;"
                " name that input",
            )
    _index(f.time_limits.time_limits, "time_limits.yaml", "time_limits", errors)
    if len(errors.items) != before or f.pack.initial_state not in {s.id for s in states}:
        return
    reached = {f.pack.initial_state}
    frontier = [f.pack.initial_state]
    while frontier:
        current = frontier.pop()
        for event in f.events.events:
            if current in event.from_states and event.to_state and event.to_state not in reached:
                reached.add(event.to_state)
                frontier.append(event.to_state)
    for i, state in enumerate(states):
        if state.id not in reached:
            errors.add(
                "states.yaml",
                f"states[{i}]",
                f"state {state.id!r} cannot be reached from the initial state"
                f" {f.pack.initial_state!r}",
            )
        leaves = any(
            state.id in e.from_states and e.to_state not in (None, state.id)
            for e in f.events.events
        )
        if not state.terminal and not leaves:
            errors.add(
                "states.yaml",
                f"states[{i}]",
                f"state {state.id!r} is not terminal but no event leads out of it",
            )


def _check_jurisdiction(f: _Files, errors: _Errors) -> None:
    file = "jurisdiction.yaml"
    j = f.jurisdiction
    provinces = _index(j.provinces, file, "provinces", errors)
    places = {p.id: p for p in j.places}
    _index(j.places, file, "places", errors)
    for i, place in enumerate(j.places):
        errors.ref(file, f"places[{i}].province", "province", place.province, provinces)
        if place.id == "other":
            errors.add(
                file, f"places[{i}].id", "'other' is reserved for places outside all listed places"
            )
    factors = _index(j.connecting_factors, file, "connecting_factors", errors)
    categories = _index(j.categories, file, "categories", errors)
    fee_classes = {c.id for c in f.fees.classes}
    for i, category in enumerate(j.categories):
        if not category.connecting_factors:
            errors.add(
                file,
                f"categories[{i}].connecting_factors",
                "must list at least one connecting factor",
            )
        for k, factor in enumerate(category.connecting_factors):
            errors.ref(
                file,
                f"categories[{i}].connecting_factors[{k}]",
                "connecting factor",
                factor,
                factors,
            )
        errors.ref(file, f"categories[{i}].fee_class", "fee class", category.fee_class, fee_classes)
    _index(j.courts, file, "courts", errors)
    codes: dict[str, int] = {}
    ceilings = {c.province for c in j.small_claims.ceilings}
    has_small_claims = any(t.kind == "small_claims" for t in f.pack.tracks)
    for i, court in enumerate(j.courts):
        if court.code in codes:
            errors.add(
                file,
                f"courts[{i}].code",
                f"code {court.code!r} is already used by courts[{codes[court.code]}]",
            )
        codes.setdefault(court.code, i)
        if errors.ref(file, f"courts[{i}].province", "province", court.province, provinces):
            if has_small_claims and court.province not in ceilings:
                errors.add(
                    file,
                    f"courts[{i}].province",
                    f"no small-claims ceiling for province {court.province!r}",
                )
        if not court.territory:
            errors.add(file, f"courts[{i}].territory", "must list at least one place")
        for k, place_id in enumerate(court.territory):
            found = places.get(place_id)
            if errors.ref(file, f"courts[{i}].territory[{k}]", "place", place_id, places) and found:
                if found.province != court.province:
                    errors.add(
                        file,
                        f"courts[{i}].territory[{k}]",
                        f"place {place_id!r} is in {found.province!r}, not in the court's province"
                        f" {court.province!r}",
                    )
        if not court.categories:
            errors.add(file, f"courts[{i}].categories", "must list at least one category")
        for k, category_id in enumerate(court.categories):
            errors.ref(file, f"courts[{i}].categories[{k}]", "category", category_id, categories)
        if (court.max_amount is None) != (court.max_amount_basis is None):
            errors.add(
                file, f"courts[{i}].max_amount_basis", "max_amount and max_amount_basis go together"
            )
        if court.max_amount is not None and court.max_amount <= 0:
            errors.add(file, f"courts[{i}].max_amount", "must be positive")
    sc = j.small_claims
    if not Decimal(0) < sc.share <= 1:
        errors.add(file, "small_claims.share", "must be above 0 and at most 1")
    if sc.agreement_multiple < 1:
        errors.add(file, "small_claims.agreement_multiple", "must be at least 1")
    seen: dict[str, int] = {}
    for i, ceiling in enumerate(sc.ceilings):
        at = f"small_claims.ceilings[{i}]"
        errors.ref(file, f"{at}.province", "province", ceiling.province, provinces)
        if ceiling.province in seen:
            errors.add(
                file, f"{at}.province", f"province {ceiling.province!r} already has a ceiling"
            )
        seen.setdefault(ceiling.province, i)
        if abs(ceiling.ceiling - ceiling.average_wage * sc.share) >= 1:
            errors.add(
                file,
                f"{at}.ceiling",
                f"{ceiling.ceiling} is not {sc.share} of the average wage {ceiling.average_wage}",
            )
    _index(sc.exclusions, file, "small_claims.exclusions", errors)


def _check_bands(bands: FeeBands, at: str, errors: _Errors) -> None:
    file = "fees.yaml"
    if bands.flat_up_to < 0 or bands.flat < 0:
        errors.add(file, at, "flat and flat_up_to must not be negative")
    if not bands.bands:
        errors.add(file, f"{at}.bands", "must list at least one band")
    previous: Decimal | None = bands.flat_up_to
    for k, band in enumerate(bands.bands):
        where = f"{at}.bands[{k}]"
        if previous is None:
            errors.add(file, where, "follows a band with no upper end")
        elif band.above != previous:
            errors.add(
                file,
                f"{where}.above",
                f"is {band.above}, expected {previous} (bands must be contiguous)",
            )
        if band.up_to is not None and band.up_to <= band.above:
            errors.add(
                file,
                f"{where}.up_to",
                f"{band.up_to} is not above {band.above} (bands must ascend)",
            )
        if not Decimal(0) <= band.rate <= 1:
            errors.add(file, f"{where}.rate", f"{band.rate} is not between 0 and 1")
        previous = band.up_to
    if bands.bands and bands.bands[-1].up_to is not None:
        errors.add(
            file,
            f"{at}.bands[{len(bands.bands) - 1}].up_to",
            "the last band must have no upper end",
        )


def _check_aid(fees: FeeSchedule, errors: _Errors) -> None:
    file = "fees.yaml"
    kinds: dict[str, int] = {}
    for i, aid in enumerate(fees.aid):
        at = f"aid[{i}]"
        if aid.kind in kinds:
            errors.add(
                file, f"{at}.kind", f"kind {aid.kind!r} is already listed at aid[{kinds[aid.kind]}]"
            )
        kinds.setdefault(aid.kind, i)
        share = aid.minimum_share
        if aid.kind != "reduction":
            if share is not None:
                errors.add(file, f"{at}.minimum_share", "only a reduction has a minimum share")
        elif share is None:
            errors.add(file, f"{at}.minimum_share", "a reduction needs its minimum share")
        elif not Decimal(0) < share < 1:
            errors.add(file, f"{at}.minimum_share", f"{share} is not above 0 and below 1")


def _check_fees(f: _Files, errors: _Errors) -> None:
    file = "fees.yaml"
    fees = f.fees
    if fees.rounding.quantum <= 0:
        errors.add(file, "rounding.quantum", "must be positive")
    _index(fees.classes, file, "classes", errors)
    classes = {c.id: c for c in fees.classes}
    for i, fee_class in enumerate(fees.classes):
        at = f"classes[{i}]"
        if (fee_class.minimum is None) != (fee_class.maximum is None):
            errors.add(file, at, "minimum and maximum go together")
        if fee_class.minimum is None and fee_class.bands is None:
            errors.add(file, at, "needs a minimum/maximum range, bands, or both")
        if fee_class.minimum is not None and fee_class.maximum is not None:
            if not Decimal(0) <= fee_class.minimum <= fee_class.maximum:
                errors.add(
                    file,
                    at,
                    f"range {fee_class.minimum}..{fee_class.maximum} is not ascending from 0",
                )
        if fee_class.bands is not None:
            _check_bands(fee_class.bands, f"{at}.bands", errors)
    _index(fees.reductions, file, "reductions", errors)
    tracks = {t.id for t in f.pack.tracks}
    for i, reduction in enumerate(fees.reductions):
        if not Decimal(0) <= reduction.factor <= 1:
            errors.add(
                file, f"reductions[{i}].factor", f"{reduction.factor} is not between 0 and 1"
            )
        for k, track_id in enumerate(reduction.tracks):
            errors.ref(file, f"reductions[{i}].tracks[{k}]", "track", track_id, tracks)
        _no_repeats(reduction.tracks, file, f"reductions[{i}].tracks", errors)
    _check_aid(fees, errors)
    courts = {c.id for c in f.jurisdiction.courts}
    for court_id, amounts in fees.court_amounts.items():
        errors.ref(file, f"court_amounts.{court_id}", "court", court_id, courts)
        if court_id not in fees.court_amounts_source:
            errors.add(file, f"court_amounts.{court_id}", "give its source in court_amounts_source")
        for class_id, amount in amounts.items():
            at = f"court_amounts.{court_id}.{class_id}"
            if not errors.ref(file, at, "fee class", class_id, classes):
                continue
            c = classes[class_id]
            if c.minimum is None or c.maximum is None or c.minimum == c.maximum:
                errors.add(file, at, f"fee class {class_id!r} has no range to set a figure in")
            elif not c.minimum <= amount <= c.maximum:
                errors.add(file, at, f"{amount} is outside the range {c.minimum}..{c.maximum}")
    for court_id in fees.court_amounts_source:
        if court_id not in fees.court_amounts:
            errors.add(
                file,
                f"court_amounts_source.{court_id}",
                "no figures for this court in court_amounts",
            )


def _parse_holidays(directory: Path, errors: _Errors) -> Holidays | None:
    """`holidays.yaml` (the basis) and every year file `holidays/<year>.yaml`. Any other file
    in the folder is an error, so a misnamed year is never silently left out."""
    header = _parse(directory, "holidays.yaml", HolidaysFile, errors)
    folder = directory / HOLIDAYS_DIR
    if not folder.is_dir():
        errors.add(
            HOLIDAYS_DIR, "(folder)", "folder not found: one file per year, e.g. holidays/2026.yaml"
        )
        return None
    years: list[HolidayYear] = []
    failed = False
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        file = f"{HOLIDAYS_DIR}/{path.name}"
        named = YEAR_FILE.fullmatch(path.name)
        if named is None:
            errors.add(
                file, "(file)", "not a year file: name each year <year>.yaml, e.g. 2026.yaml"
            )
            failed = True
            continue
        year = _parse(directory, file, HolidayYear, errors)
        if year is None:
            failed = True
        elif year.year != int(named[1]):
            errors.add(file, "year", f"{year.year} does not match the file name {path.name!r}")
            failed = True
        else:
            years.append(year)
    if not years and not failed:
        errors.add(HOLIDAYS_DIR, "(folder)", "no year file: add one per year, e.g. 2026.yaml")
    if header is None or failed or not years:
        return None
    return Holidays(basis=header.basis, years=tuple(years))


def _check_holidays(f: _Files, errors: _Errors) -> None:
    for year in f.holidays.years:
        file = f"{HOLIDAYS_DIR}/{year.year}.yaml"
        off: dict[object, str] = {}
        on: dict[object, str] = {}
        for k, period in enumerate(year.periods):
            for key, bucket in (("days", off), ("working_days", on)):
                for n, day in enumerate(getattr(period, key)):
                    at = f"periods[{k}].{key}[{n}]"
                    if day.year != year.year:
                        errors.add(file, at, f"{day.isoformat()} is not in {year.year}")
                    if day in bucket:
                        errors.add(
                            file, at, f"{day.isoformat()} is already listed at {bucket[day]}"
                        )
                    bucket.setdefault(day, at)
                    if key == "working_days" and day.weekday() < 5:
                        errors.add(
                            file,
                            at,
                            f"{day.isoformat()} is a weekday;"
                            " make-up working days fall on weekends",
                        )
        for day, at in on.items():
            if day in off:
                errors.add(
                    file, at, f"{day} is both a holiday ({off[day]}) and a make-up working day"
                )


def _read_templates(directory: Path, pack: PackFile, errors: _Errors) -> dict[str, tuple[str, str]]:
    texts: dict[str, tuple[str, str]] = {}
    root = directory.resolve()
    for i, template in enumerate(pack.templates):
        found: list[str] = []
        for lang, name in (("en", template.en), ("zh", template.zh)):
            path = (directory / name).resolve()
            if not path.is_relative_to(root):
                errors.add(
                    "pack.yaml", f"templates[{i}].{lang}", f"{name!r} is outside the pack folder"
                )
                continue
            try:
                found.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                errors.add(
                    "pack.yaml",
                    f"templates[{i}].{lang}",
                    f"cannot read {name!r}: {exc.__class__.__name__}",
                )
        if len(found) == 2:
            texts[template.id] = (found[0], found[1])
    return texts


def _by_id(items: Iterable[H]) -> Mapping[str, H]:
    return MappingProxyType({item.id: item for item in items})


def _build(f: _Files, texts: Mapping[str, tuple[str, str]]) -> Pack:
    j = f.jurisdiction
    templates = [
        Template(id=t.id, label=t.label, fields=t.fields, en=texts[t.id][0], zh=texts[t.id][1])
        for t in f.pack.templates
    ]
    return Pack(
        name=f.pack.name,
        version=f.pack.version,
        title=f.pack.title,
        language=f.pack.language,
        initial_state=f.pack.initial_state,
        roles=_by_id(f.pack.roles),
        states=_by_id(f.states.states),
        events=_by_id(f.events.events),
        time_limits=_by_id(f.time_limits.time_limits),
        tracks=_by_id(f.pack.tracks),
        categories=_by_id(j.categories),
        connecting_factors=_by_id(j.connecting_factors),
        provinces=_by_id(j.provinces),
        places=_by_id(j.places),
        courts=_by_id(j.courts),
        small_claims=j.small_claims,
        small_claims_ceilings=MappingProxyType(
            {c.province: c.ceiling for c in j.small_claims.ceilings}
        ),
        small_claims_exclusions=j.small_claims.exclusions,
        holidays=f.holidays,
        calendar=Calendar(f.holidays),
        fees=f.fees,
        case_number_format=f.pack.case_number_format,
        case_type_codes=MappingProxyType({str(k): v for k, v in f.pack.case_type_codes.items()}),
        templates=_by_id(templates),
        assurance_levels=_by_id(f.pack.assurance_levels),
        step_up_minutes=f.pack.step_up_minutes,
        evidence=f.pack.evidence,
        service=f.pack.service,
    )


def load_pack_dir(path: Path) -> Pack:
    """Load and validate the pack in a directory; raise PackError listing every problem."""
    errors = _Errors()
    pack = _parse(path, "pack.yaml", PackFile, errors)
    states = _parse(path, "states.yaml", StatesFile, errors)
    events = _parse(path, "events.yaml", EventsFile, errors)
    time_limits = _parse(path, "time_limits.yaml", TimeLimitsFile, errors)
    jurisdiction = _parse(path, "jurisdiction.yaml", Jurisdiction, errors)
    fees = _parse(path, "fees.yaml", FeeSchedule, errors)
    holidays = _parse_holidays(path, errors)
    texts = _read_templates(path, pack, errors) if pack is not None else {}
    if (
        errors.items
        or pack is None
        or states is None
        or events is None
        or time_limits is None
        or jurisdiction is None
        or fees is None
        or holidays is None
    ):
        raise PackError(errors.items)
    if pack.name != path.name:
        errors.add(
            "pack.yaml", "name", f"{pack.name!r} does not match the folder name {path.name!r}"
        )
    files = _Files(pack, states, events, time_limits, jurisdiction, fees, holidays)
    checks: tuple[Callable[[_Files, _Errors], None], ...] = (
        _check_machine,
        _check_jurisdiction,
        _check_fees,
        _check_holidays,
    )
    _check_pack_file(files, texts, errors)
    for check in checks:
        check(files, errors)
    if errors.items:
        raise PackError(errors.items)
    return _build(files, texts)


def list_packs() -> list[str]:
    """The names of the packs shipped with netcourt."""
    return sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").is_file())


@functools.cache
def _load_shipped(name: str) -> Pack:
    return load_pack_dir(PACKS_DIR / name)


@functools.cache
def _shipped_names() -> frozenset[str]:
    return frozenset(list_packs())


def load_pack(name: str) -> Pack:
    """Load a shipped pack by name. The result is immutable and cached."""
    if name not in _shipped_names():
        available = list_packs()
        raise PackError([f"{name}: no such pack (available: {', '.join(available)})"])
    return _load_shipped(name)
