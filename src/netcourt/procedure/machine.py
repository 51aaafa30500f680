"""The case state machine: which steps may be taken, by whom, with what, and what follows.

Nothing here knows any state or event by name; everything comes from the pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from netcourt.procedure.errors import RefusedError
from netcourt.procedure.money import MoneyError, parse_money
from netcourt.procedure.numbers import MAX_WHOLE_NUMBER, whole_number
from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import Event, Input, Text

ERROR_CODES = (
    "unknown_event",
    "wrong_state",
    "role_not_allowed",
    "input_missing",
    "input_invalid",
    "limit_reached",
)

_TRUE = frozenset({"true", "1", "yes", "on"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FALSE = frozenset({"false", "0", "no", "off"})


class TransitionError(RefusedError):
    """A step was refused. `code` is one of ERROR_CODES."""


@dataclass(frozen=True)
class Transition:
    """A step that may be taken. Callers stop `stops` before starting `starts`.

    `inputs` holds the normalised values (money: Decimal, date: date, int: int, bool: bool,
    list: tuple of str); optional inputs left empty are absent. `track` is the track the step
    puts the case on, if it sets one. `anchors` gives, for each started time limit that runs from
    a date input rather than from the day of the step, that date.
    """

    event: Event
    state_before: str
    state_after: str
    starts: tuple[str, ...]
    stops: tuple[str, ...]
    inputs: dict[str, object]
    track: str | None = None
    anchors: dict[str, date] = field(default_factory=dict)


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


def _quoted(labels: Iterable[Text]) -> Text:
    items = list(labels)
    return _t(", ".join(f"“{x.en}”" for x in items), "、".join(f"“{x.zh}”" for x in items))


class _Invalid(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.text = _t(en, zh)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return len(value) == 0
    return False


def _normalise(item: Input, value: object) -> object:
    kind = item.type
    if kind in ("text", "longtext", "choice"):
        if not isinstance(value, str):
            raise _Invalid("must be text", "应为文字")
        text = value.strip()
        if kind == "text" and "\n" in text:
            raise _Invalid("must be a single line", "只能填写一行")
        if kind == "choice" and text not in item.choices:
            options = ", ".join(item.choices)
            raise _Invalid(f"must be one of: {options}", f"应为以下选项之一：{options}")
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Invalid("must be yes or no", "应为“是”或“否”")
    if kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise _Invalid("must be a date (YYYY-MM-DD)", "应为日期（年-月-日）")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) <= MAX_WHOLE_NUMBER:
                return value
        elif (number := whole_number(value, signed=True)) is not None:
            return number
        raise _Invalid("must be a whole number", "应为整数")
    if kind == "money":
        return _money(value)
    if kind == "document":
        return _document(value)
    items = value if isinstance(value, list | tuple) else None
    if items is None or not all(isinstance(x, str) and x.strip() for x in items):
        raise _Invalid("must be a list of non-empty lines", "应为若干非空条目")
    return tuple(str(x).strip() for x in items)


DOCUMENT_KEYS = frozenset({"blob", "sha256", "filename", "size", "mime"})


def _document(value: object) -> dict[str, object]:
    """A stored file, as the court describes it once it has checked and kept it."""
    if (
        not isinstance(value, Mapping)
        or set(value) != DOCUMENT_KEYS
        or not isinstance(value["sha256"], str)
        or not _SHA256.fullmatch(value["sha256"])
        or not isinstance(value["size"], int)
        or not all(isinstance(value[k], str) and value[k] for k in ("blob", "filename", "mime"))
    ):
        raise _Invalid("must be a file the court has received", "应为法院已收到的文件")
    return dict(value)


def _money(value: object) -> Decimal:
    try:
        return parse_money(value)
    except MoneyError as exc:
        raise _Invalid(exc.text.en, exc.text.zh) from None


def _check_inputs(event: Event, inputs: Mapping[str, object]) -> dict[str, object]:
    declared = {item.name for item in event.inputs}
    for name in inputs:
        if name not in declared:
            raise TransitionError(
                "input_invalid",
                _t(
                    f"“{event.label.en}” takes no input named {name!r}.",
                    f"“{event.label.zh}”不接受名为“{name}”的内容。",
                ),
                name,
            )
    values: dict[str, object] = {}
    for item in event.inputs:
        raw = inputs.get(item.name)
        if _is_empty(raw):
            if item.required:
                raise TransitionError(
                    "input_missing",
                    _t(
                        f"“{item.label.en}” is required for “{event.label.en}”.",
                        f"进行“{event.label.zh}”须填写“{item.label.zh}”。",
                    ),
                    item.name,
                )
            continue
        try:
            values[item.name] = _normalise(item, raw)
        except _Invalid as exc:
            raise TransitionError(
                "input_invalid",
                _t(f"“{item.label.en}” {exc.text.en}.", f"“{item.label.zh}”{exc.text.zh}。"),
                item.name,
            ) from None
    return values


def _check_track(pack: Pack, event: Event, track: str | None) -> None:
    if not event.tracks or track in event.tracks:
        return
    allowed = _quoted(pack.tracks[t].label for t in event.tracks)
    current = pack.tracks.get(track) if track is not None else None
    now = (
        _t("on no track yet", "尚未确定程序")
        if current is None
        else _t(f"on the “{current.label.en}” track", f"适用“{current.label.zh}”")
    )
    raise TransitionError(
        "wrong_state",
        _t(
            f"“{event.label.en}” applies only to cases on the track(s) {allowed.en};"
            f" this case is {now.en}.",
            f"“{event.label.zh}”仅适用于{allowed.zh}的案件；本案{now.zh}。",
        ),
    )


def taken_by_party(event: Event, party_history: Sequence[str]) -> bool:
    """Whether `event` is one each party takes once (`once_per_party`) and the party whose
    `party_history` this is (the ids of the events taken on its behalf) has taken it."""
    return event.once_per_party and event.id in party_history


def transition(
    pack: Pack,
    state: str,
    event_id: str,
    role: str,
    inputs: Mapping[str, object],
    history: Sequence[str] = (),
    *,
    track: str | None = None,
    party_history: Sequence[str] = (),
) -> Transition:
    """Check a step against the pack and return what it does; raise TransitionError if refused.

    `history` lists the ids of the events already taken in the case (for `max_per_case`);
    `track` is the case's current track (for events limited to some tracks); `party_history`
    lists the ids of the events already taken on behalf of the party the step is taken for
    (for `once_per_party`).
    """
    event = pack.events.get(event_id)
    if event is None:
        raise TransitionError(
            "unknown_event",
            _t(
                f"There is no step {event_id!r} in the procedure “{pack.title.en}”.",
                f"“{pack.title.zh}”中没有“{event_id}”这一步骤。",
            ),
        )
    current = pack.states.get(state)
    if current is None:
        raise TransitionError(
            "wrong_state",
            _t(
                f"The case's state {state!r} is not part of the procedure “{pack.title.en}”.",
                f"案件状态“{state}”不属于“{pack.title.zh}”。",
            ),
        )
    if state not in event.from_states:
        allowed = _quoted(pack.states[s].label for s in event.from_states)
        raise TransitionError(
            "wrong_state",
            _t(
                f"“{event.label.en}” is not possible while the case is “{current.label.en}”;"
                f" it is possible only when the case is {allowed.en}.",
                f"案件处于“{current.label.zh}”状态，不能进行“{event.label.zh}”；"
                f"该步骤仅适用于{allowed.zh}状态。",
            ),
        )
    _check_track(pack, event, track)
    if role not in event.roles:
        who = pack.roles.get(role)
        who_text = who.label if who is not None else _t(repr(role), f"“{role}”")
        allowed = _quoted(pack.roles[r].label for r in event.roles)
        raise TransitionError(
            "role_not_allowed",
            _t(
                f"{who_text.en} may not take the step “{event.label.en}”; only {allowed.en} may.",
                f"{who_text.zh}无权进行“{event.label.zh}”；仅{allowed.zh}可以进行。",
            ),
        )
    if event.max_per_case is not None:
        done = sum(1 for taken in history if taken == event_id)
        if done >= event.max_per_case:
            raise TransitionError(
                "limit_reached",
                _t(
                    f"“{event.label.en}” may be taken at most {event.max_per_case} time(s)"
                    " in a case;"
                    f" it has been taken {done} time(s).",
                    f"每个案件至多可进行{event.max_per_case}次“{event.label.zh}”，本案已进行{done}次。",
                ),
            )
    if taken_by_party(event, party_history):
        raise TransitionError(
            "limit_reached",
            _t(
                f"Each party may take the step “{event.label.en}” once;"
                " it has already been taken for this party.",
                f"每一方当事人只能进行一次“{event.label.zh}”；该当事人已经进行过。",
            ),
        )
    values = _check_inputs(event, inputs)
    starts = event.starts
    new_track: str | None = None
    if event.sets_track is not None:
        new_track = str(values[event.sets_track])
        duration = pack.tracks[new_track].duration
        if duration not in starts:
            starts = (*starts, duration)
    anchors: dict[str, date] = {}
    for limit_id in starts:
        source = pack.time_limits[limit_id].starts_from
        if source is not None:
            anchor = values[source]
            assert isinstance(anchor, date)  # noqa: S101 - guaranteed by the loader's checks
            anchors[limit_id] = anchor
    return Transition(
        event=event,
        state_before=state,
        state_after=event.to_state or state,
        starts=starts,
        stops=event.stops,
        inputs=values,
        track=new_track,
        anchors=anchors,
    )


def available_events(
    pack: Pack,
    state: str,
    roles: Iterable[str],
    history: Sequence[str] = (),
    *,
    track: str | None = None,
) -> list[Event]:
    """The events that any of `roles` may take now, in pack order (inputs not considered;
    nor which party would take them: see `taken_by_party`)."""
    held = set(roles)
    return [
        event
        for event in pack.events.values()
        if state in event.from_states
        and held.intersection(event.roles)
        and (not event.tracks or track in event.tracks)
        and (
            event.max_per_case is None
            or sum(1 for h in history if h == event.id) < event.max_per_case
        )
    ]
