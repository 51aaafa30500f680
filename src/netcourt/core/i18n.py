"""Translation catalogues: compile them (Babel, no GNU gettext needed) and check them.

``python -m netcourt.core.i18n compile`` writes the .mo files next to each .po file.
``python -m netcourt.core.i18n check`` exits 1 listing every untranslated or fuzzy message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def current_language() -> str:
    """The language of the request or task being served ("en", "zh-hans", ...)."""
    return translation.get_language() or "en"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> list[Path]:
    written = []
    for po_path in catalogues():
        with po_path.open("rb") as handle:
            catalogue = read_po(handle)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)
        written.append(mo_path)
    return written


def problems() -> list[str]:
    """Every message that a reader would see untranslated."""
    found = []
    for po_path in catalogues():
        with po_path.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            if not message.id:
                continue
            label = message.id if isinstance(message.id, str) else message.id[0]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                found.append(f"{po_path.name}: fuzzy: {label!r}")
            elif not all(strings):
                found.append(f"{po_path.name}: untranslated: {label!r}")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "compile"
    if command == "compile":
        for path in compile_all():
            print(f"compiled {path.relative_to(LOCALE_DIR.parent)}")
        return 0
    if command == "check":
        bad = problems()
        for line in bad:
            print(line, file=sys.stderr)
        return 1 if bad else 0
    print("usage: python -m netcourt.core.i18n compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
