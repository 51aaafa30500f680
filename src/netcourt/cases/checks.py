from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from netcourt.procedure import list_packs, load_pack


@register()
def pack_effects_are_known(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every effect a pack names must be implemented, or the court would silently skip it."""
    from netcourt.cases.actions import EFFECTS

    errors = []
    for name in list_packs():
        pack = load_pack(name)
        for event in pack.events.values():
            for effect in event.effects:
                if effect not in EFFECTS:
                    errors.append(
                        Error(
                            f"pack {name!r}: event {event.id!r} names unknown effect {effect!r}",
                            hint=f"known effects: {', '.join(sorted(EFFECTS))}",
                            id="netcourt.E001",
                        )
                    )
    return errors
