"""Two people acting on one case at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.core.problems import Problem
from tests.conftest import complete_filing

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks between connections need a server database (CI runs PostgreSQL)",
    ),
]


def race(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Problem as problem:
            results[index] = problem
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_clerks_accepting_at_once_accept_once(alice, hangzhou, staff) -> None:
    case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
    actions.fire(alice, case.id, "submit", case.version)
    case.refresh_from_db()
    clerk = staff["clerk-hangzhou"]
    results = race(
        lambda: actions.fire(clerk, case.id, "accept", case.version),
        lambda: actions.fire(clerk, case.id, "accept", case.version),
    )
    refused = [r for r in results if isinstance(r, Problem)]
    assert len(refused) == 1 and refused[0].code == "stale_version"
    case.refresh_from_db()
    assert case.state == "accepted"
    assert case.events.filter(event="accept").count() == 1


def test_parallel_acceptances_never_share_a_case_number(alice, hangzhou, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    cases = []
    for _ in range(4):
        case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
        actions.fire(alice, case.id, "submit", case.version)
        case.refresh_from_db()
        cases.append(case)
    race(*[lambda c=c: actions.fire(clerk, c.id, "accept", c.version) for c in cases])
    numbers = sorted(Case.objects.exclude(number="").values_list("number_seq", flat=True))
    assert numbers == [1, 2, 3, 4]
