"""Several app servers append and integrate at once: every leaf gets exactly one index, the
indexes have no gaps, and every checkpoint is consistent with the next."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from netcourt.transparency import actions
from netcourt.transparency.audit import audit
from netcourt.transparency.models import Checkpoint, LogEntry

WRITER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from netcourt.transparency import actions
    name = sys.argv[1]
    for i in range(120):
        actions.append("test", f"{name}:{i}", {"writer": name, "n": i})
        if i % 15 == 0:
            actions.integrate()
    actions.integrate_all()
    """
)


def _check_log(expected: int) -> None:
    indexes = sorted(LogEntry.objects.values_list("index", flat=True))
    assert indexes == list(range(expected))
    assert audit(files=False) == []
    assert Checkpoint.objects.order_by("-size").first().size == expected


@pytest.mark.slow
def test_app_server_processes_sharing_one_database(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NETCOURT_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env |= {"NETCOURT_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "netcourt.core.settings"}
    netcourt = Path(sys.executable).parent / "netcourt"
    subprocess.run([str(netcourt), "migrate"], env=env, check=True, capture_output=True)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"server{n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-3000:]
    verify = subprocess.run(
        [str(netcourt), "ledger", "verify", "--json"], env=env, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert '"tree_size": 480' in verify.stdout


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks between connections need a server database (CI runs PostgreSQL)",
)
def test_threads_integrating_at_once_on_postgresql() -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def server(name: str) -> None:
        try:
            barrier.wait()
            for i in range(60):
                actions.append("test", f"{name}:{i}", {"writer": name, "n": i})
                if i % 7 == 0:
                    actions.integrate()
            actions.integrate_all()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=server, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    _check_log(240)
