"""No user-visible string without its Chinese translation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from netcourt.core import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "netcourt"


def test_no_message_is_untranslated_or_fuzzy() -> None:
    assert i18n.catalogues(), "no translation catalogue"
    assert i18n.problems() == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (Debian gettext)")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "netcourt"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "procedure/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    with (copy / "locale/zh_Hans/LC_MESSAGES/django.po").open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with (SRC / "locale/zh_Hans/LC_MESSAGES/django.po").open("rb") as handle:
        committed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = sorted(extracted - committed)
    assert missing == [], f"run makemessages and translate: {missing[:20]}"
