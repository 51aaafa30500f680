"""The refusal the pure engine raises: a stable code, a bilingual message, the input at fault."""

from __future__ import annotations

from netcourt.procedure.schema import Text


class RefusedError(Exception):
    """`code` is stable; `message` says why in both languages; `field` names the offending
    input, if any."""

    def __init__(self, code: str, message: Text, field: str | None = None) -> None:
        self.code = code
        self.message = message
        self.field = field
        super().__init__(f"{code}: {message.en}")
