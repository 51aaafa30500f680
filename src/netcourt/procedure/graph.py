"""Pictures and documentation of a pack's state machine."""

from __future__ import annotations

from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import Basis, Event, Text, TimeLimit


def _edges(pack: Pack) -> list[tuple[str, str, Event]]:
    return [
        (source, event.to_state or source, event)
        for event in pack.events.values()
        for source in event.from_states
    ]


def _dot_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_dot(pack: Pack, lang: str = "en") -> str:
    """The state machine as a Graphviz DOT digraph; terminal states have a double border."""
    lines = [
        f"digraph {_dot_quote(pack.name)} {{",
        f"  label={_dot_quote(pack.title.get(lang))};",
        "  node [shape=box, style=rounded];",
        '  "__start__" [shape=point];',
    ]
    for state in pack.states.values():
        extra = ", peripheries=2" if state.terminal else ""
        lines.append(
            f"  {_dot_quote(state.id)} [label={_dot_quote(state.label.get(lang))}{extra}];"
        )
    lines.append(f'  "__start__" -> {_dot_quote(pack.initial_state)};')
    for source, target, event in _edges(pack):
        lines.append(
            f"  {_dot_quote(source)} -> {_dot_quote(target)}"
            f" [label={_dot_quote(event.label.get(lang))}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(value: str) -> str:
    return value.replace('"', "#quot;").replace(":", "#58;").replace(";", "#59;")


def graph_mermaid(pack: Pack, lang: str = "en") -> str:
    """The state machine as a Mermaid stateDiagram-v2."""
    lines = ["stateDiagram-v2"]
    for state in pack.states.values():
        lines.append(f'    state "{_mermaid_text(state.label.get(lang))}" as {state.id}')
    lines.append(f"    [*] --> {pack.initial_state}")
    for source, target, event in _edges(pack):
        lines.append(f"    {source} --> {target} : {_mermaid_text(event.label.get(lang))}")
    for state in pack.states.values():
        if state.terminal:
            lines.append(f"    {state.id} --> [*]")
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _both(text: Text) -> str:
    return _cell(f"{text.en} / {text.zh}")


def _basis(basis: Basis | None) -> str:
    if basis is None:
        return "—"
    return _cell(f"{basis.article.en} · {basis.article.zh}")


def _period(limit: TimeLimit) -> str:
    text = f"{limit.length} {limit.unit} {limit.direction}"
    if limit.starts_from:
        text += f" `{limit.starts_from}`"
    for track, length in limit.track_lengths.items():
        text += f"; `{track}`: {length} {limit.unit}"
    return text


def _ids(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "—"


def render_pack_doc(pack: Pack) -> str:
    """The Markdown page documenting a pack (docs/packs/<name>.md)."""
    out = [
        f"# {pack.title.en} · {pack.title.zh}",
        "",
        f"Pack `{pack.name}`, version {pack.version}. This page is generated from the pack's data"
        " files by `netcourt.procedure.render_pack_doc`; edit the data, then regenerate it.",
        "",
        "## State machine",
        "",
        "```mermaid",
        graph_mermaid(pack, "en").rstrip("\n"),
        "```",
        "",
        "## States",
        "",
        "| id | state | terminal | description |",
        "|---|---|---|---|",
    ]
    for state in pack.states.values():
        out.append(
            f"| `{state.id}` | {_both(state.label)} | {'yes' if state.terminal else 'no'}"
            f" | {_cell(state.description.en)} |"
        )
    out += [
        "",
        "## Events",
        "",
        "Who: the roles that may take the step. To: — means the case stays in its state."
        " Identity: the assurance level a person needs to take it, and `step-up` when they"
        + (
            f" must have used a second factor within {pack.step_up_minutes} minutes."
            if pack.step_up_minutes
            else " must have used a second factor recently."
        ),
        "",
        "| id | event | who | identity | from | to | inputs | starts | stops | tracks | basis |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for event in pack.events.values():
        inputs = ", ".join(
            f"`{i.name}` ({i.type}{'' if i.required else ', optional'})" for i in event.inputs
        )
        once = f" (at most {event.max_per_case}×)" if event.max_per_case else ""
        if event.once_per_party:
            once += " (once per party)"
        identity = ", ".join(
            part
            for part in (
                f"`{event.assurance}`" if event.assurance else "",
                "step-up" if event.step_up else "",
            )
            if part
        )
        out.append(
            f"| `{event.id}` | {_both(event.label)}{once} | {_ids(event.roles)}"
            f" | {identity or '—'} | {_ids(event.from_states)} | {f'`{event.to_state}`' if event.to_state else '—'}"
            f" | {inputs or '—'} | {_ids(event.starts)}"
            f"{' + the track duration' if event.sets_track else ''} | {_ids(event.stops)}"
            f" | {_ids(event.tracks) if event.tracks else 'all'} | {_basis(event.basis)} |"
        )
    out += [
        "",
        "## Time limits",
        "",
        "| id | time limit | period | extension | basis |",
        "|---|---|---|---|---|",
    ]
    for limit in pack.time_limits.values():
        extension = (
            f"+{limit.extension.length} {limit.extension.unit}"
            if limit.extension is not None
            else "—"
        )
        out.append(
            f"| `{limit.id}` | {_both(limit.label)} | {_period(limit)} | {extension}"
            f" | {_basis(limit.basis)} |"
        )
    out += [
        "",
        "## Tracks",
        "",
        "| id | track | case type | duration | basis |",
        "|---|---|---|---|---|",
    ]
    for track in pack.tracks.values():
        out.append(
            f"| `{track.id}` | {_both(track.label)} | {track.case_type} | `{track.duration}`"
            f" | {_basis(track.basis)} |"
        )
    out += [
        "",
        "## Categories",
        "",
        "| id | category | case type | property | small claims | connecting factors |",
        "|---|---|---|---|---|---|",
    ]
    for category in pack.categories.values():
        out.append(
            f"| `{category.id}` | {_both(category.label)} | {category.case_type}"
            f" | {'yes' if category.property else 'no'}"
            f" | {'allowed' if category.small_claims_allowed else 'excluded'}"
            f" | {_ids(category.connecting_factors)} |"
        )
    out += [
        "",
        "## Courts",
        "",
        "| id | court | case-number code | territory |",
        "|---|---|---|---|",
    ]
    for court in pack.courts.values():
        out.append(
            f"| `{court.id}` | {_both(court.name)} | {court.code} | {_ids(court.territory)} |"
        )
    return "\n".join(out) + "\n"
