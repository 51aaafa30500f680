"""Submitting reads the staged file once: the checks run on its bytes in a thread of their own
while the store writes them. Whatever goes wrong, and whenever, nothing is left: no blob in
the store (not even a temporary one), no row, no checks thread still running."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netcourt.core.problems import Problem
from netcourt.evidence import actions, scan
from netcourt.evidence.models import Blob, EvidenceItem, Upload
from netcourt.evidence.store import blob_store, plaintext
from netcourt.vault import VaultError
from tests.evidence.conftest import TEST_PATTERN, Clamd
from tests.evidence.test_submission import PDF, upload

MiB = 1024 * 1024
pytestmark = pytest.mark.usefixtures("no_hang")
SCRIPT = b"\n9 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n"


def big_pdf(size: int, tail: bytes = b"") -> bytes:
    """A PDF of ``size`` bytes: a comment fills it; ``tail`` goes at its very end."""
    filler = size - len(PDF) - len(tail) - 2
    return PDF + b"%" + b"x" * filler + b"\n" + tail


class WatchedStore:
    """The real blob store, but ``finished`` is set once a blob's write has ended cleanly
    (it is in the store), and a write fails once ``fail_after`` bytes were written."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.real = blob_store()
        self.finished = threading.Event()
        self.fail_after = fail_after

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @contextlib.contextmanager
    def writer(self, key: str) -> Iterator[Any]:
        store = self

        class Failing:
            written = 0

            def write(self, data: bytes, /) -> int:
                self.written += len(data)
                if store.fail_after is not None and self.written > store.fail_after:
                    raise VaultError("backend", "cannot write a blob: no space left")
                return int(out.write(data))

        with self.real.writer(key) as out:
            yield Failing()
        self.finished.set()


@pytest.fixture
def watched(monkeypatch) -> WatchedStore:
    store = WatchedStore()
    monkeypatch.setattr(actions, "blob_store", lambda: store)
    return store


def checks_wait_for(monkeypatch, event: threading.Event) -> None:
    """Hold the checks' YARA rules until ``event``: the store finishes first."""
    real = scan._RuleScanner._scan

    def late(self: Any, *args: Any, **kwargs: Any) -> None:
        assert event.wait(60), "the store never finished"
        real(self, *args, **kwargs)

    monkeypatch.setattr(scan._RuleScanner, "_scan", late)


def nothing_stored(settings) -> bool:
    files = [p for p in Path(settings.NETCOURT_BLOB_STORE).rglob("*") if p.is_file()]
    return not files and not list(blob_store().keys()) and not Blob.objects.exists()


def scan_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "evidence-scan"]


def submit(user: Any, case: Any, done: Upload) -> Any:
    return actions.submit(user, case.pk, done.pk, title="t", purpose="p", source="s")


def test_a_file_refused_after_it_was_stored_leaves_no_blob(
    exchanging, alice, watched, monkeypatch, settings
) -> None:
    checks_wait_for(monkeypatch, watched.finished)
    done = upload(alice, exchanging, big_pdf(6 * MiB, SCRIPT))
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, done)
    assert refused.value.code == "file_active_content"
    assert watched.finished.is_set()  # it had been stored whole, then the checks refused it
    assert nothing_stored(settings)
    assert not Upload.objects.exists() and not list(actions.staging().root.iterdir())
    assert not EvidenceItem.objects.exists()
    assert not exchanging.events.filter(event="submit_evidence").exists()
    assert not scan_threads()


def test_a_file_refused_early_is_never_stored(exchanging, alice, watched, settings) -> None:
    elf = b"\x7fELF\x02\x01\x01" + bytes(30 * MiB)
    done = upload(alice, exchanging, elf, "contract.pdf")
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, done)
    assert refused.value.code == "file_type_not_allowed"
    assert not watched.finished.is_set()  # the write was left unfinished, and removed
    assert nothing_stored(settings)
    assert not Upload.objects.exists() and not list(actions.staging().root.iterdir())
    assert not scan_threads()


def test_a_failing_store_leaves_nothing_and_the_checks_end(
    exchanging, alice, watched, settings
) -> None:
    data = big_pdf(12 * MiB)
    done = upload(alice, exchanging, data)
    watched.fail_after = 3 * MiB
    with pytest.raises(VaultError, match="no space left"):
        submit(alice, exchanging, done)
    assert nothing_stored(settings) and not EvidenceItem.objects.exists()
    assert not scan_threads()
    # Not the filer's fault: the upload stays, and the next try takes it.
    watched.fail_after = None
    item = submit(alice, exchanging, done)
    assert b"".join(plaintext(item.blob)) == data


def test_a_failing_check_leaves_nothing(exchanging, alice, watched, monkeypatch, settings) -> None:
    checks_wait_for(monkeypatch, watched.finished)

    def broken(self: Any) -> None:
        raise RuntimeError("the scanner broke")

    monkeypatch.setattr(scan._PdfRouter, "finish", broken)
    done = upload(alice, exchanging, big_pdf(3 * MiB))
    with pytest.raises(RuntimeError, match="the scanner broke"):
        submit(alice, exchanging, done)
    assert watched.finished.is_set()
    assert nothing_stored(settings) and not EvidenceItem.objects.exists()
    assert not scan_threads()
    assert Upload.objects.filter(pk=done.pk).exists()  # the court's fault: the upload stays


def test_a_blob_the_store_cannot_delete_is_left_to_the_orphan_sweep(
    exchanging, alice, watched, monkeypatch, settings
) -> None:
    """The refusal still reaches the filer; the sweep finds the blob, since no row names it."""
    from datetime import UTC, datetime

    checks_wait_for(monkeypatch, watched.finished)

    def down(key: str) -> None:
        raise VaultError("backend", "the store is down")

    monkeypatch.setattr(watched, "delete", down, raising=False)
    done = upload(alice, exchanging, big_pdf(2 * MiB, SCRIPT))
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, done)
    assert refused.value.code == "file_active_content"
    assert len(list(blob_store().keys())) == 1 and not Blob.objects.exists()
    monkeypatch.undo()  # the store is back
    assert actions.sweep_orphaned_files(datetime.now(UTC) + actions.ORPHAN_GRACE * 2) == 1
    assert nothing_stored(settings)


def test_malware_found_by_clamd_leaves_no_blob(exchanging, alice, clamd: Clamd, settings) -> None:
    settings.NETCOURT_CLAMD = clamd.unix_address
    infected = upload(alice, exchanging, big_pdf(2 * MiB, b"%" + TEST_PATTERN + b"\n"))
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, infected)
    assert refused.value.code == "file_malware"
    assert nothing_stored(settings) and not Upload.objects.exists()
    clean = big_pdf(2 * MiB)
    item = submit(alice, exchanging, upload(alice, exchanging, clean))
    assert b"".join(plaintext(item.blob)) == clean


def test_an_unreachable_clamd_leaves_no_blob_and_keeps_the_upload(
    exchanging, alice, tmp_path, settings
) -> None:
    settings.NETCOURT_CLAMD = f"unix:{tmp_path / 'nobody.sock'}"
    done = upload(alice, exchanging, big_pdf(MiB))
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, done)
    assert (refused.value.code, refused.value.status) == ("file_scanner_unavailable", 503)
    answer = refused.value.as_dict()
    assert answer["check"] == {"scanner": "clamd"} and isinstance(answer["detail"], str)
    assert "nobody.sock" not in str(answer)
    assert nothing_stored(settings)
    settings.NETCOURT_CLAMD = ""  # the court's scanner is back (here: none configured)
    item = submit(alice, exchanging, done)  # the same upload, not sent again
    assert b"".join(plaintext(item.blob)) == big_pdf(MiB)
