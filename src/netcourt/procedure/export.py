"""A pack as plain JSON-serialisable data (amounts as strings, dates in ISO format)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from netcourt.procedure.pack import Pack


def _list(items: Iterable[BaseModel]) -> list[Any]:
    return [item.model_dump(mode="json") for item in items]


def pack_to_dict(pack: Pack) -> dict[str, Any]:
    """Everything in the pack; collections keyed by id are lists in file order."""
    collections: Mapping[str, Mapping[str, BaseModel]] = {
        "roles": pack.roles,
        "states": pack.states,
        "events": pack.events,
        "time_limits": pack.time_limits,
        "tracks": pack.tracks,
        "categories": pack.categories,
        "connecting_factors": pack.connecting_factors,
        "provinces": pack.provinces,
        "places": pack.places,
        "courts": pack.courts,
        "templates": pack.templates,
    }
    data: dict[str, Any] = {
        "name": pack.name,
        "version": pack.version,
        "title": pack.title.model_dump(mode="json"),
        "initial_state": pack.initial_state,
        "case_number_format": pack.case_number_format,
        "case_type_codes": dict(pack.case_type_codes),
    }
    data.update({key: _list(items.values()) for key, items in collections.items()})
    data["small_claims"] = pack.small_claims.model_dump(mode="json")
    data["small_claims_ceilings"] = {k: str(v) for k, v in pack.small_claims_ceilings.items()}
    data["fees"] = pack.fees.model_dump(mode="json")
    data["holidays"] = pack.holidays.model_dump(mode="json")
    return data
