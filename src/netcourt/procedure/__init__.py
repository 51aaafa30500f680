"""netcourt.procedure: procedure packs and the pure engine that runs them.

A pack is a folder of data files (states, events, time limits, jurisdiction, fees, holidays,
templates) that is typed and validated when loaded. The engine (state machine, deadlines,
jurisdiction and track proposals, case numbers, templates, graphs) never names a state, event
or court of its own. Nothing here imports Django.
"""

from netcourt.procedure.deadlines import Deadline, add_period, compute_deadline
from netcourt.procedure.documents import format_case_number, render_template, template_fields
from netcourt.procedure.export import pack_to_dict
from netcourt.procedure.graph import graph_dot, graph_mermaid, render_pack_doc
from netcourt.procedure.jurisdiction import (
    OUTSIDE,
    Assessment,
    Finding,
    TrackProposal,
    assess_jurisdiction,
    propose_track,
)
from netcourt.procedure.loader import PACKS_DIR, PackError, list_packs, load_pack, load_pack_dir
from netcourt.procedure.machine import (
    ERROR_CODES,
    Transition,
    TransitionError,
    available_events,
    transition,
)
from netcourt.procedure.pack import Calendar, Pack
from netcourt.procedure.schema import (
    Basis,
    Category,
    ConnectingFactor,
    Court,
    Event,
    Exclusion,
    Extension,
    FeeBand,
    FeeBands,
    FeeClass,
    FeeReduction,
    FeeSchedule,
    Input,
    Place,
    Province,
    Role,
    SmallClaims,
    SmallClaimsCeiling,
    State,
    Template,
    Text,
    TimeLimit,
    Track,
)

__all__ = [
    "ERROR_CODES",
    "OUTSIDE",
    "PACKS_DIR",
    "Assessment",
    "Basis",
    "Calendar",
    "Category",
    "ConnectingFactor",
    "Court",
    "Deadline",
    "Event",
    "Exclusion",
    "Extension",
    "FeeBand",
    "FeeBands",
    "FeeClass",
    "FeeReduction",
    "FeeSchedule",
    "Finding",
    "Input",
    "Pack",
    "PackError",
    "Place",
    "Province",
    "Role",
    "SmallClaims",
    "SmallClaimsCeiling",
    "State",
    "Template",
    "Text",
    "TimeLimit",
    "Track",
    "TrackProposal",
    "Transition",
    "TransitionError",
    "add_period",
    "assess_jurisdiction",
    "available_events",
    "compute_deadline",
    "format_case_number",
    "graph_dot",
    "graph_mermaid",
    "list_packs",
    "load_pack",
    "load_pack_dir",
    "pack_to_dict",
    "propose_track",
    "render_pack_doc",
    "render_template",
    "template_fields",
    "transition",
]
