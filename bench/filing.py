"""File-and-accept throughput and latency through the HTTP API, next to the framework's ceiling.

For each database backend this script builds a fresh court exactly as ``make run`` does
(``netcourt migrate``, ``netcourt demo``, ``netcourt serve`` with its defaults), creates bearer
tokens with ``netcourt token create``, and drives the server over loopback with N concurrent
clients (asyncio + httpx, one keep-alive connection each):

* the trivial view: ``GET /healthz`` — the ceiling of Django + uvicorn on this machine;
* an API read: ``GET /api/v1/cases?limit=1`` with the litigant's bearer token — django-ninja,
  the token's check and one page of one case: what a light authenticated read costs here;
* file-and-accept: one *operation* is three requests, each with its own ``Idempotency-Key``
  as a well-behaved client sends it:
  ``POST /api/v1/cases`` (a complete filing, as the litigant),
  ``POST /api/v1/cases/{id}/events`` ``submit`` (as the litigant),
  ``POST /api/v1/cases/{id}/events`` ``accept`` (as the court's clerk).

Each workload is warmed up, then measured for a fixed time, bounded also by a request count.
The ratio compared with the target is *filing HTTP requests per second* (3 per operation,
counting every request that completed in the window) divided by *trivial requests per
second*. Latency percentiles are per request (all three kinds together, and each kind) and
per operation (the three requests end to end).

The server is stopped and the temporary data directory and PostgreSQL database are removed
on exit, on error and on Ctrl-C.

    .venv/bin/python bench/filing.py [--backend sqlite|postgres|both] [--clients 20]
                                     [--seconds 15] [--warmup 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432"
LITIGANTS = ("alice", "bob", "shop", "lawyer")
CLERK = "clerk.hangzhou"
TARGET_RATIO = 0.25
TARGET_P95_MS = 100.0
BUSY_WARNING_CORES = 0.25
WORKLOADS = {
    "trivial": "GET /healthz",
    "api": "GET /api/v1/cases?limit=1",
    "filing": "file-and-accept",
}

FILING: dict[str, Any] = {
    "court": "hangzhou",
    "category": "ecommerce_purchase",
    "filing": {
        "title": "Refund for a phone",
        "amount": "4299.00",
        "claims": "Refund CNY 4,299.00.",
        "facts": "Paid, never shipped.",
        "factors": {"buyer_domicile": "hangzhou"},
        "simple": True,
        "parties": [
            {"role": "plaintiff", "kind": "natural", "name": "Zhang Wei"},
            {"role": "defendant", "kind": "legal", "name": "Yungou Co., Ltd."},
        ],
    },
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- statistics -----------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float | int]:
    values = sorted(seconds)
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round((values[-1] if values else 0.0) * 1000, 2),
    }


class CpuMeter:
    """CPU used by the server process, by this process and by the whole machine."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _server_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.ticks

    @staticmethod
    def _machine() -> tuple[int, int]:
        try:
            parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except OSError:
            return 0, 0
        idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
        return sum(parts), idle

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.server0 = self._server_seconds()
        self.client0 = time.process_time()
        self.machine0 = self._machine()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        total, idle = self._machine()
        ticks = total - self.machine0[0]
        busy = ticks - (idle - self.machine0[1])
        cores = os.cpu_count() or 1
        server = (self._server_seconds() - self.server0) / wall
        client = (time.process_time() - self.client0) / wall
        machine = cores * busy / ticks if ticks else 0.0
        return {
            "server_cores": round(server, 2),
            "client_cores": round(client, 2),
            "machine_busy_cores": round(machine, 2),
            "other_cores": round(max(0.0, machine - server - client), 2),
            "machine_cores": cores,
        }


def background_load(seconds: float = 2.0) -> float:
    """Cores kept busy by everything else on the machine, sampled while we are idle."""
    meter = CpuMeter(os.getpid())
    meter.start()
    time.sleep(seconds)
    return meter.stop()["machine_busy_cores"]


# --- the load -------------------------------------------------------------------------------


@dataclass
class Phase:
    """One measured (or warm-up) run of a workload, bounded in time and in request count."""

    seconds: float
    max_requests: int
    started: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    ops: int = 0
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        self.deadline = time.perf_counter() + self.seconds

    def more(self, cost: int = 1) -> bool:
        if time.perf_counter() >= self.deadline or self.started + cost > self.max_requests:
            return False
        self.started += cost
        return True

    def record(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, response: httpx.Response | None, exc: Exception | None) -> None:
        if response is not None:
            try:
                code = response.json().get("code", "")
            except ValueError:
                code = ""
            label = f"{kind}: HTTP {response.status_code} {code}".rstrip()
            sample = f"{label}: {response.text[:300]}"
        else:
            label = f"{kind}: {type(exc).__name__}"
            sample = f"{label}: {exc}"
        self.errors[label] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(sample)

    @property
    def completed_requests(self) -> int:
        return sum(len(v) for k, v in self.latencies.items() if k != "op")


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


async def _trivial_client(base_url: str, phase: Phase) -> None:
    async with _client(base_url) as client:
        while phase.more():
            t0 = time.perf_counter()
            try:
                response = await client.get("/healthz")
            except httpx.HTTPError as exc:
                phase.error("healthz", None, exc)
                continue
            if response.status_code == 200:
                phase.record("healthz", time.perf_counter() - t0)
            else:
                phase.error("healthz", response, None)


async def _post(
    client: httpx.AsyncClient,
    phase: Phase,
    kind: str,
    path: str,
    body: dict[str, Any],
    token: str,
) -> dict[str, Any] | None:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    t0 = time.perf_counter()
    try:
        response = await client.post(path, json=body, headers=headers)
    except httpx.HTTPError as exc:
        phase.error(kind, None, exc)
        return None
    if response.status_code != 201:
        phase.error(kind, response, None)
        return None
    phase.record(kind, time.perf_counter() - t0)
    data: dict[str, Any] = response.json()
    return data


async def _filing_client(
    base_url: str, phase: Phase, litigant: str, clerk: str, number: int
) -> None:
    async with _client(base_url) as client:
        n = 0
        while phase.more(3):
            n += 1
            body = json.loads(json.dumps(FILING))
            body["filing"]["title"] = f"Bench filing {number}-{n}"
            t0 = time.perf_counter()
            case = await _post(client, phase, "create", "/api/v1/cases", body, litigant)
            if case is None:
                continue
            events = f"/api/v1/cases/{case['id']}/events"
            step = await _post(
                client,
                phase,
                "submit",
                events,
                {"event": "submit", "version": case["version"]},
                litigant,
            )
            if step is None:
                continue
            step = await _post(
                client,
                phase,
                "accept",
                events,
                {"event": "accept", "version": step["case"]["version"]},
                clerk,
            )
            if step is None:
                continue
            if step["case"]["state"] != "accepted" or not step["case"]["number"]:
                phase.errors["accept: case not accepted"] += 1
                continue
            phase.record("op", time.perf_counter() - t0)
            phase.ops += 1


async def _api_client(base_url: str, phase: Phase, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with _client(base_url) as client:
        while phase.more():
            t0 = time.perf_counter()
            try:
                response = await client.get("/api/v1/cases?limit=1", headers=headers)
            except httpx.HTTPError as exc:
                phase.error("api", None, exc)
                continue
            if response.status_code == 200:
                phase.record("api", time.perf_counter() - t0)
            else:
                phase.error("api", response, None)


async def _run_phase(
    workload: str,
    base_url: str,
    clients: int,
    seconds: float,
    max_requests: int,
    tokens: dict[str, str],
) -> Phase:
    phase = Phase(seconds=seconds, max_requests=max_requests)
    litigants = [tokens[name] for name in LITIGANTS]
    if workload == "trivial":
        jobs = [_trivial_client(base_url, phase) for _ in range(clients)]
    elif workload == "api":
        jobs = [_api_client(base_url, phase, litigants[i % len(litigants)]) for i in range(clients)]
    else:
        jobs = [
            _filing_client(base_url, phase, litigants[i % len(litigants)], tokens[CLERK], i)
            for i in range(clients)
        ]
    t0 = time.perf_counter()
    # Every request has its own timeout; this only guards against a wedged server.
    async with asyncio.timeout(seconds + 180), asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(job)
    phase.elapsed = time.perf_counter() - t0
    return phase


def measure(
    workload: str,
    base_url: str,
    args: argparse.Namespace,
    tokens: dict[str, str],
    server_pid: int,
) -> dict[str, Any]:
    label = WORKLOADS[workload]
    if args.warmup > 0:
        log(f"  warm-up {label}: {args.warmup:g} s")
        warm = asyncio.run(
            _run_phase(workload, base_url, args.clients, args.warmup, args.max_requests, tokens)
        )
        if warm.errors:
            log(f"  warm-up errors: {dict(warm.errors)}")
    log(f"  measuring {label}: {args.seconds:g} s, {args.clients} clients")
    meter = CpuMeter(server_pid)
    meter.start()
    phase = asyncio.run(
        _run_phase(workload, base_url, args.clients, args.seconds, args.max_requests, tokens)
    )
    cpu = meter.stop()
    for sample in phase.error_samples:
        log(f"  error: {sample}")
    result: dict[str, Any] = {
        "workload": label,
        "seconds": round(phase.elapsed, 2),
        "requests": phase.completed_requests,
        "requests_per_s": round(phase.completed_requests / phase.elapsed, 1),
        "errors": sum(phase.errors.values()),
        "error_kinds": dict(phase.errors),
        "cpu": cpu,
        # Server-process CPU per request: what the workload costs the server, much less
        # sensitive than req/s to what else runs on the machine.
        "server_cpu_ms_per_request": round(
            1000 * cpu["server_cores"] * phase.elapsed / max(1, phase.completed_requests), 2
        ),
    }
    if workload == "trivial":
        result["latency"] = latency_summary(phase.latencies.get("healthz", []))
    elif workload == "api":
        result["latency"] = latency_summary(phase.latencies.get("api", []))
    else:
        every = [s for k, v in phase.latencies.items() if k != "op" for s in v]
        result["ops"] = phase.ops
        result["ops_per_s"] = round(phase.ops / phase.elapsed, 1)
        result["latency"] = latency_summary(every)
        result["latency_by_request"] = {
            kind: latency_summary(phase.latencies.get(kind, []))
            for kind in ("create", "submit", "accept")
        }
        result["latency_per_op"] = latency_summary(phase.latencies.get("op", []))
    return result


# --- the server and its data ----------------------------------------------------------------


def netcourt_command() -> list[str]:
    script = Path(sys.executable).parent / "netcourt"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "netcourt.cli"]


def run_netcourt(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*netcourt_command(), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"netcourt {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def temporary_postgres(admin_url: str) -> Iterator[str]:
    """A fresh database ``netcourt_bench_<random>``, dropped on exit; yields its URL."""
    name = f"netcourt_bench_{secrets.token_hex(4)}"
    admin = admin_url.rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"created database {name}")
    try:
        yield admin_url.rstrip("/") + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        log(f"dropped database {name}")


@contextlib.contextmanager
def running_server(
    env: dict[str, str], port: int, logfile: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``netcourt serve`` with its defaults, as ``make run`` starts it; stopped on exit."""
    with logfile.open("wb") as out:
        proc = subprocess.Popen(
            [*netcourt_command(), "serve", "--host", HOST, "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(proc, port, logfile)
        yield proc
    finally:
        stop_server(proc)


def wait_healthy(proc: subprocess.Popen[bytes], port: int, logfile: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{tail(logfile)}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within 60 s:\n{tail(logfile)}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    log("server stopped")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    log(f"{backend}: preparing a fresh court")
    with contextlib.ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="netcourt-bench-")))
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = "netcourt.core.settings"
        env["NETCOURT_DATA_DIR"] = str(data_dir)
        env.pop("NETCOURT_DATABASE_URL", None)
        if backend == "postgres":
            env["NETCOURT_DATABASE_URL"] = stack.enter_context(temporary_postgres(args.pg_url))
        t0 = time.perf_counter()
        run_netcourt(env, "migrate")
        run_netcourt(env, "demo")
        tokens = {
            user: json.loads(run_netcourt(env, "token", "create", "--user", user, "--json"))[
                "token"
            ]
            for user in (*LITIGANTS, CLERK)
        }
        log(f"{backend}: migrate, demo and tokens took {time.perf_counter() - t0:.1f} s")
        background = background_load()
        if background > BUSY_WARNING_CORES:
            log(f"{backend}: warning: other processes keep {background:.2f} cores busy")
        port = args.port or free_port()
        proc = stack.enter_context(running_server(env, port, data_dir / "server.log"))
        base_url = f"http://{HOST}:{port}"
        log(f"{backend}: server up at {base_url} (pid {proc.pid})")
        trivial = measure("trivial", base_url, args, tokens, proc.pid)
        api = measure("api", base_url, args, tokens, proc.pid)
        filing = measure("filing", base_url, args, tokens, proc.pid)
    ratio = filing["requests_per_s"] / trivial["requests_per_s"] if trivial["requests_per_s"] else 0
    cost = filing["server_cpu_ms_per_request"]
    cpu_ratio = trivial["server_cpu_ms_per_request"] / cost if cost else 0
    return {
        "backend": backend,
        "background_cores": background,
        "trivial": trivial,
        "api": api,
        "filing": filing,
        "ratio": round(ratio, 3),
        "api_ratio": round(api["requests_per_s"] / trivial["requests_per_s"], 3)
        if trivial["requests_per_s"]
        else 0,
        "cpu_ratio": round(cpu_ratio, 3),
        "targets": {
            "ratio_at_least": TARGET_RATIO,
            "ratio_met": ratio >= TARGET_RATIO,
            "p95_ms_under": TARGET_P95_MS,
            "p95_met": filing["latency"]["p95_ms"] < TARGET_P95_MS,
            "no_errors": filing["errors"] == 0 and trivial["errors"] == 0 and api["errors"] == 0,
        },
    }


# --- reporting ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": version("Django"),
        "django_ninja": version("django-ninja"),
        "uvicorn": version("uvicorn"),
        "httpx": version("httpx"),
        "psycopg": version("psycopg"),
    }


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"netcourt filing benchmark — {report['date']}",
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['os']};"
        f" Python {m['python']}, Django {m['django']}, uvicorn {m['uvicorn']}",
        f"{report['config']['clients']} clients, {report['config']['seconds']:g} s measured"
        f" after {report['config']['warmup']:g} s warm-up per workload; CPU in cores"
        " (server process / this client / everything else, PostgreSQL included)",
        "",
    ]
    head = (
        f"{'backend':<9} {'workload':<22} {'requests':>8} {'req/s':>7} {'ops/s':>6}"
        f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}  {'cpu srv/cli/other':<17}"
        f" {'srv ms/req':>10}"
    )
    lines += [head, "-" * len(head)]

    def row(backend: str, name: str, requests: Any, rps: Any, ops: Any, lat: Any) -> str:
        return (
            f"{backend:<9} {name:<22} {requests!s:>8} {rps!s:>7} {ops!s:>6}"
            f" {lat['p50_ms']:>7.1f} {lat['p95_ms']:>7.1f} {lat['p99_ms']:>7.1f}"
        )

    def cpu(phase: dict[str, Any]) -> str:
        c = phase["cpu"]
        return f"{c['server_cores']:.2f}/{c['client_cores']:.2f}/{c['other_cores']:.2f}"

    for result in report["results"]:
        b = result["backend"]
        if "failed" in result:
            lines += [f"{b:<9} failed: {result['failed'].splitlines()[0]}", ""]
            continue
        t, a, f = result["trivial"], result["api"], result["filing"]
        for w in (t, a):
            lines.append(
                row(b, w["workload"], w["requests"], w["requests_per_s"], "", w["latency"])
                + f" {w['errors']:>6}  {cpu(w):<17} {w['server_cpu_ms_per_request']:>10.1f}"
            )
        lines.append(
            row(
                b,
                "file-and-accept",
                f["requests"],
                f["requests_per_s"],
                f["ops_per_s"],
                f["latency"],
            )
            + f" {f['errors']:>6}  {cpu(f):<17} {f['server_cpu_ms_per_request']:>10.1f}"
        )
        for kind, lat in f["latency_by_request"].items():
            lines.append(row("", f"  POST {kind}", lat["count"], "", "", lat))
        lines.append(row("", "  one op (3 requests)", f["ops"], "", "", f["latency_per_op"]))
        targets = result["targets"]
        lines.append(
            f"{'':<9} filing req/s ÷ trivial req/s = {result['ratio'] * 100:.1f}%"
            f" (target ≥ {TARGET_RATIO * 100:.0f}%: {'met' if targets['ratio_met'] else 'NOT met'});"
            f" filing request p95 {f['latency']['p95_ms']:.1f} ms"
            f" (target < {TARGET_P95_MS:.0f} ms: {'met' if targets['p95_met'] else 'NOT met'})"
        )
        lines.append(
            f"{'':<9} server CPU per request: filing"
            f" {f['server_cpu_ms_per_request']:.1f} ms vs trivial"
            f" {t['server_cpu_ms_per_request']:.1f} ms"
            f" (trivial ÷ filing = {result['cpu_ratio'] * 100:.1f}%)"
        )
        lines.append(
            f"{'':<9} the API read: {result['api_ratio'] * 100:.1f}% of trivial req/s,"
            f" {a['server_cpu_ms_per_request']:.1f} ms of server CPU a request"
            " (a light authenticated read)"
        )
        if result["background_cores"] > BUSY_WARNING_CORES:
            lines.append(
                f"{'':<9} warning: other processes kept {result['background_cores']:.2f} cores"
                " busy before the run; the numbers are disturbed"
            )
        lines.append("")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--seconds", type=float, default=15, help="measured time per workload")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up time per workload")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=200_000,
        help="upper bound on HTTP requests per workload run (default 200000)",
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server (default {DEFAULT_PG_URL})"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or args.max_requests < 3:
        parser.error("--clients ≥ 1, --seconds > 0, --warmup ≥ 0 and --max-requests ≥ 3")
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "clients": args.clients,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "max_requests": args.max_requests,
            "counting": (
                "ratio = filing HTTP requests/s (3 per file-and-accept op) ÷ GET /healthz"
                " requests/s; latency percentiles are nearest-rank, per request and per op"
            ),
        },
        "results": [],
    }
    try:
        for backend in backends:
            try:
                report["results"].append(bench_backend(backend, args))
            except (
                OSError,
                RuntimeError,
                subprocess.SubprocessError,
                httpx.HTTPError,
                psycopg.Error,
            ) as error:
                # One backend failing (say, no PostgreSQL here) still reports the others.
                log(f"{backend}: failed: {error}")
                report["results"].append({"backend": backend, "failed": str(error)})
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(table(report))
    ok = all("failed" not in r and r["targets"]["no_errors"] for r in report["results"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
