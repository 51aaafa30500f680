"""The ``netcourt`` command."""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netcourt.procedure import Pack, Suspension
    from netcourt.vault import Keyring


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcourt.core.settings")
    import django

    django.setup()


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_value))


def _json_value(value: Any) -> str:
    """Times and dates in ISO 8601; anything else JSON has no type for as its text."""
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    import uvicorn
    from django.conf import settings

    from netcourt.hearings.room import MAX_MESSAGE_BYTES
    from netcourt.transparency.actions import Sequencer

    if args.workers < 1:
        print("--workers: at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and (refusal := _why_one_process(settings)):
        print(f"--workers {args.workers}: {refusal}", file=sys.stderr)
        return 2
    if settings.NETCOURT_LOG_INTERVAL > 0:
        Sequencer().start()
    uvicorn.run(
        "netcourt.core.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        log_config=_uvicorn_logging(),
        ws_max_size=MAX_MESSAGE_BYTES,  # a hearing room's largest message, before any is read
    )
    return 0


def _uvicorn_logging() -> dict[str, Any]:
    """uvicorn's own logging, with the access log's lines (``--access-log``) holding no
    secret of a link (netcourt.core.logs)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"mask_secrets": {"()": "netcourt.core.logs.MaskSecrets"}}
    config["handlers"]["access"]["filters"] = ["mask_secrets"]
    return config


def _why_one_process(settings: Any) -> str:
    """Why this server must run as one process, or "" if it may run as several."""
    if settings.DATABASES["default"]["ENGINE"] == "netcourt.core.sqlite":
        return (
            "SQLite takes one server process (its writer lock is the process's own); "
            "use PostgreSQL (NETCOURT_DATABASE_URL) for more"
        )
    if settings.NETCOURT_MEDIA_PROVIDER == "embedded":
        return (
            "the embedded media server holds each hearing's room in one process, and the "
            "processes of one server cannot route a room to its process; run one process per "
            "port behind a proxy that routes /hearings/<id>/room by its path "
            "(docs/deployment.md)"
        )
    return ""


def cmd_migrate(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _django()
    if args.code:
        from netcourt.accounts.mfa import current_totp_code
        from netcourt.courts.demo import DEMO_TOTP_SECRET

        print(current_totp_code(DEMO_TOTP_SECRET))
        return 0
    from netcourt.courts.demo import load_demo

    report = load_demo(password=args.password) if args.password else load_demo()
    if args.json:
        _print_json(report)
    else:
        print(report["text"])
    return 0


def cmd_pack_check(args: argparse.Namespace) -> int:
    from netcourt.procedure import PackError, list_packs, load_pack, load_pack_dir

    targets: list[tuple[str, Any]] = []
    if args.dir:
        targets = [(str(args.dir), lambda: load_pack_dir(Path(args.dir)))]
    else:
        names = [args.name] if args.name else list_packs()
        targets = [(n, lambda n=n: load_pack(n)) for n in names]
    failed = False
    results = []
    for label, load in targets:
        try:
            pack = load()
        except PackError as error:
            failed = True
            results.append({"pack": label, "ok": False, "errors": list(error.errors)})
            if not args.json:
                print(f"{label}: {len(error.errors)} error(s)", file=sys.stderr)
                for line in error.errors:
                    print(f"  {line}", file=sys.stderr)
        else:
            results.append({"pack": label, "ok": True, "version": pack.version})
            if not args.json:
                print(
                    f"{label}: ok (version {pack.version}, {len(pack.states)} states,"
                    f" {len(pack.events)} events)"
                )
    if args.json:
        _print_json(results)
    return 1 if failed else 0


def _refuse(args: argparse.Namespace, code: str, errors: list[str]) -> None:
    """Say why a command cannot do what it was asked: with ``--json`` as a JSON object on
    stdout (``code``, ``message``: the faults in one line, ``errors``: each fault, the shape
    of a refused quote's), otherwise one line a fault on stderr."""
    if getattr(args, "json", False):
        _print_json({"code": code, "message": "; ".join(errors), "errors": errors})
        return
    for line in errors:
        print(line, file=sys.stderr)


def _pack_or_report(args: argparse.Namespace, name: str) -> Pack | None:
    """The pack ``name``, or None once its faults (or that there is none) are reported."""
    from netcourt.procedure import PackError, load_pack

    try:
        return load_pack(name)
    except PackError as error:
        _refuse(args, "pack_invalid", list(error.errors))
        return None


def cmd_pack_graph(args: argparse.Namespace) -> int:
    from netcourt.procedure import graph_dot, graph_mermaid, render_pack_doc

    pack = _pack_or_report(args, args.name)
    if pack is None:
        return 1
    if args.write:
        target = Path(args.write)
        target.write_text(render_pack_doc(pack), encoding="utf-8")
        print(f"wrote {target}")
        return 0
    render = graph_dot if args.format == "dot" else graph_mermaid
    print(render(pack, args.lang))
    return 0


def cmd_pack_show(args: argparse.Namespace) -> int:
    from netcourt.procedure import pack_to_dict

    pack = _pack_or_report(args, args.name)
    if pack is None:
        return 1
    data = pack_to_dict(pack)
    if args.json:
        _print_json(data)
    else:
        print(f"{data['name']} {data['version']}: {data['title']['en']} / {data['title']['zh']}")
        for key in ("states", "events", "tracks", "categories", "courts"):
            print(f"{key}: {', '.join(item['id'] for item in data[key])}")
    return 0


def cmd_fees_quote(args: argparse.Namespace) -> int:
    from netcourt.core.money import format_money
    from netcourt.procedure import FeeError, Text, quote, quote_to_dict

    pack = _pack_or_report(args, args.pack)
    if pack is None:
        return 1
    try:
        result = quote(
            pack,
            kind=args.kind,
            court=args.court,
            amount=args.amount,
            track=args.track,
            reductions=args.reductions,
            counterclaim=args.counterclaim,
        )
    except FeeError as error:
        message = error.message.get(args.lang)
        if args.json:
            _print_json({"code": error.code, "field": error.field, "message": message})
        else:
            print(f"{error.code}: {message}", file=sys.stderr)
        return 1
    if args.json:
        _print_json(quote_to_dict(result, args.lang))
        return 0
    for line in result.lines:
        print(f"{line.amount:>16f}  {line.label.get(args.lang)}")
        print(f"{'':>16}  {line.basis.article.get(args.lang)}")
    total = Text(en="Total: ", zh="合计：").get(args.lang)
    print(f"{total}{format_money(result.total, result.currency, args.lang)}")
    return 0


def _date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: {error} (write YYYY-MM-DD)"
        ) from None


def _suspension_arg(value: str) -> Suspension:
    from netcourt.procedure import Suspension

    suspended_on, colon, resumed_on = value.partition(":")
    if not colon:
        raise argparse.ArgumentTypeError(
            f"{value!r}: write the suspension as SUSPENDED:RESUMED, e.g. 2026-10-01:2026-10-10"
        )
    try:
        return Suspension(_date_arg(suspended_on), _date_arg(resumed_on))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def cmd_deadline(args: argparse.Namespace) -> int:
    import difflib

    from netcourt.procedure import compute_deadline, deadline_to_dict, suspend_deadline

    pack = _pack_or_report(args, args.pack)
    if pack is None:
        return 1
    limits = pack.time_limits
    if args.list:
        if args.json:
            _print_json(
                [
                    {
                        "id": item.id,
                        "label": item.label.model_dump(),
                        "length": item.length,
                        "track_lengths": item.track_lengths,
                        "unit": item.unit,
                        "direction": item.direction,
                        "extendable": item.extension is not None,
                    }
                    for item in limits.values()
                ]
            )
        else:
            width = max(len(limit_id) for limit_id in limits)
            for item in limits.values():
                print(f"{item.id:<{width}}  {item.label.en} / {item.label.zh}")
        return 0
    limit = limits.get(args.limit)
    if limit is None:
        close = difflib.get_close_matches(args.limit, list(limits), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        _refuse(
            args,
            "unknown_time_limit",
            [f"unknown time limit {args.limit!r}{hint}; {pack.name} has: {', '.join(limits)}"],
        )
        return 1
    if args.extended and limit.extension is None:
        extendable = [t.id for t in limits.values() if t.extension is not None]
        _refuse(
            args,
            "not_extendable",
            [f"time limit {limit.id!r} cannot be extended; these can: {', '.join(extendable)}"],
        )
        return 1
    if args.track is not None and args.track not in pack.tracks:
        _refuse(
            args,
            "unknown_track",
            [f"unknown track {args.track!r}; {pack.name} has: {', '.join(pack.tracks)}"],
        )
        return 1
    if args.start is None:
        print("netcourt deadline: --from is required with --limit", file=sys.stderr)
        return 2
    try:
        deadline = compute_deadline(
            pack, limit.id, args.start, extended=args.extended, track=args.track
        )
        for suspension in sorted(args.suspensions, key=lambda s: s.suspended_on):
            deadline = suspend_deadline(pack, deadline, suspension)
    except ValueError as error:
        _refuse(args, "input_invalid", [f"{limit.id}: {error}"])
        return 1
    except OverflowError:
        _refuse(
            args, "out_of_range", [f"{limit.id}: the deadline falls past the last date there is"]
        )
        return 1
    if args.json:
        _print_json({"pack": pack.name, **deadline_to_dict(deadline)})
        return 0
    due = f"{deadline.due:%A} {deadline.due.isoformat()}"
    if deadline.direction == "before":
        line = f"{limit.label.en} ({limit.id}): by {due}, counted back from {deadline.start}"
    else:
        line = (
            f"{limit.label.en} ({limit.id}): due {due},"
            f" counted from {deadline.start} to {deadline.period_end}"
        )
        if deadline.period_end != deadline.due:
            line += " (not a working day: carried to the next one)"
    if deadline.extended:
        line += "; extended"
    for suspension in deadline.suspensions:
        line += f"; suspended {suspension.suspended_on} to {suspension.resumed_on}"
    if deadline.provisional:
        years = range(deadline.period_end.year, deadline.due.year + 1)
        missing = ", ".join(str(y) for y in years if not pack.calendar.is_published(y))
        line += f"; provisional: the public holidays of {missing} are not published yet"
    print(f"{line}. Basis: {deadline.basis.article.en}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _django()
    from netcourt.accounts.tokens import create_token

    user = _find_user(args, args.user)
    if user is None:
        return 1
    try:
        raw = create_token(user, args.name, args.days)
    except ValueError as error:
        _refuse(args, "input_invalid", [str(error)])
        return 2
    if args.json:
        _print_json({"user": user.username, "token": raw})
    else:
        print(raw)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _django()
    from django.conf import settings

    from netcourt.core import jobs

    if settings.NETCOURT_JOBS == "immediate":
        print("NETCOURT_JOBS=immediate runs jobs in the server: no worker needed", file=sys.stderr)
        return 1
    jobs.work(workers=args.workers)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    _django()
    from netcourt.cases.actions import sweep_expired
    from netcourt.evidence.actions import sweep_orphaned_files, sweep_uploads
    from netcourt.transparency.actions import integrate_all

    fired = sweep_expired()
    report = [{"case": str(e.case_id), "event": e.event, "state": e.state_after} for e in fired]
    uploads = sweep_uploads()
    orphans = sweep_orphaned_files(limit=args.orphan_limit)
    integrate_all()
    if args.json:
        _print_json(
            {"steps": report, "uploads_removed": uploads, "orphaned_files_removed": orphans}
        )
    else:
        for line in report:
            print(f"{line['case']}  {line['event']} -> {line['state']}")
        print(f"{len(report)} step(s) taken on expired time limits")
        print(f"{uploads} abandoned upload(s) removed")
        print(f"{orphans} stored file(s) no record names removed (older than a day)")
    return 0


def cmd_ledger_key(args: argparse.Namespace) -> int:
    _django()
    from netcourt.transparency.keys import log_verifier_key, origin

    if args.json:
        _print_json({"origin": origin(), "verifier_key": log_verifier_key()})
    else:
        print(log_verifier_key())
    return 0


def cmd_ledger_sequence(args: argparse.Namespace) -> int:
    _django()
    from netcourt.transparency.actions import integrate_all, latest_checkpoint

    integrate_all()
    checkpoint = latest_checkpoint()
    if args.json:
        _print_json({"size": checkpoint.size, "root": checkpoint.root})
    else:
        print(checkpoint.note, end="")
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    _django()
    from netcourt.transparency.actions import integrate_all, latest_checkpoint
    from netcourt.transparency.audit import audit

    if args.integrate:
        integrate_all()
    faults = audit(files=not args.no_files)
    size = latest_checkpoint().size
    if args.json:
        _print_json({"ok": not faults, "tree_size": size, "faults": faults})
    else:
        for fault in faults:
            print(f"FAULT {fault}")
        print(f"{len(faults)} fault(s) found" if faults else f"the log is intact ({size} leaves)")
    return 1 if faults else 0


def cmd_payments_reconcile(args: argparse.Namespace) -> int:
    _django()
    from netcourt.payments.actions import reconcile

    report = [
        {"intent": str(i.pk), "case": str(i.case_id), "status": i.status} for i in reconcile()
    ]
    if args.json:
        _print_json(report)
    else:
        for line in report:
            print(f"{line['intent']}  case {line['case']}: {line['status']}")
        print(f"{len(report)} pending payment(s) checked with the provider")
    return 0


def cmd_payments_refund(args: argparse.Namespace) -> int:
    _django()
    from netcourt.payments.refunds import send_refunds

    report = [
        {
            "refund": str(r.pk),
            "case": str(r.case_id),
            "amount": f"{r.amount:f}",
            "status": r.status,
            "due_by": r.due_by.isoformat(),
        }
        for r in send_refunds()
    ]
    if args.json:
        _print_json(report)
    else:
        for line in report:
            print(f"{line['refund']}  case {line['case']}: {line['amount']} {line['status']}")
        print(f"{len(report)} refund(s) sent to the provider")
    return 0


def cmd_paysandbox_deliver(args: argparse.Namespace) -> int:
    _django()
    from netcourt.paysandbox.actions import deliver_due

    report = [
        {
            "event": d.event_id,
            "type": d.type,
            "attempts": d.attempts,
            "delivered": d.delivered_at is not None,
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        }
        for d in deliver_due()
    ]
    if args.json:
        _print_json(report)
    else:
        for line in report:
            state = "delivered" if line["delivered"] else f"next try {line['next_attempt_at']}"
            print(f"{line['event']}  {line['type']}: {state}")
        print(f"{len(report)} webhook(s) due were sent")
    return 0


def _find_user(args: argparse.Namespace, name: str) -> Any:
    """The user by username or e-mail; None (after saying so, see `_refuse`) when there is
    none."""
    from django.db.models import Q

    from netcourt.accounts.models import User

    user = User.objects.filter(Q(username=name) | Q(email__iexact=name)).first()
    if user is None:
        _refuse(args, "unknown_user", [f"no user {name!r}"])
    return user


def cmd_token_list(args: argparse.Namespace) -> int:
    _django()
    from netcourt.accounts.models import ApiToken

    user = _find_user(args, args.user)
    if user is None:
        return 1
    tokens = [
        {
            "id": t.pk,
            "name": t.name,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
            "expires_at": t.expires_at,
        }
        for t in ApiToken.objects.filter(user=user).order_by("pk")
    ]
    if args.json:
        _print_json(tokens)
    else:
        for t in tokens:
            state = (
                f"revoked {t['revoked_at']:%Y-%m-%d}"
                if t["revoked_at"]
                else f"expires {t['expires_at']:%Y-%m-%d}"
                if t["expires_at"]
                else "active"
            )
            used = (
                f"last used {t['last_used_at']:%Y-%m-%d %H:00}"
                if t["last_used_at"]
                else "never used"
            )
            print(f"{t['id']:>6}  {t['name']:<30}  {state}  {used}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _django()
    from netcourt.accounts.models import ApiToken
    from netcourt.core import clock

    user = _find_user(args, args.user)
    if user is None:
        return 1
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if args.id is not None:
        tokens = tokens.filter(pk=args.id)
    revoked = tokens.update(revoked_at=clock.now())
    if args.json:
        _print_json({"revoked": revoked})
    else:
        print(f"revoked {revoked} token(s)")
    return 0 if revoked or args.id is None else 1


def cmd_identity_validate(args: argparse.Namespace) -> int:
    from netcourt.identity.numbers import mask, public_details, validate
    from netcourt.procedure.schema import Text

    number = sys.stdin.readline() if args.number == "-" else args.number
    try:
        result = validate(args.kind, number)
    except ValueError as error:
        _refuse(args, "unknown_kind", [str(error)])
        return 2
    details = public_details(result)
    if args.json:
        _print_json(
            {
                "kind": result.kind,
                "number_masked": mask(result.kind, result.number),
                "valid": result.valid,
                "findings": [
                    {"code": f.code, "message": f.message.get(args.lang)} for f in result.findings
                ],
                "details": details,
            }
        )
    elif result.valid:
        print(Text(en="valid", zh="有效").get(args.lang))
        print(f"number: {mask(result.kind, result.number)}")
        for key, value in details.items():
            print(f"{key}: {value}")
    else:
        for finding in result.findings:
            print(finding.message.get(args.lang))
    return 0 if result.valid else 1


def _vault_report(keyring: Keyring) -> dict[str, Any]:
    from netcourt.core import vault

    return {
        "source": vault.ENV_VAR if vault.keys_from_environment() else str(vault.keys_file()),
        "active": keyring.active.id,
        "keys": [
            {"id": kek.id, "created": kek.created.isoformat(), "active": kek is keyring.active}
            for kek in keyring.keys
        ],
    }


def _print_vault_report(report: dict[str, Any]) -> None:
    print(f"keys from {report['source']}")
    for key in report["keys"]:
        print(f"{key['id']}  created {key['created']}{'  active' if key['active'] else ''}")


def cmd_vault_status(args: argparse.Namespace) -> int:
    _django()
    from netcourt.core import vault

    if not vault.keys_from_environment() and not vault.keys_file().exists():
        # Reading must not create keys: a keys file that was not restored from a backup
        # would otherwise be silently replaced by new keys that open nothing.
        print(f"no vault keys at {vault.keys_file()} (they are created on first use)")
        return 1
    report = _vault_report(vault.keyring())
    if args.json:
        _print_json(report)
    else:
        _print_vault_report(report)
    return 0


def cmd_vault_rotate(args: argparse.Namespace) -> int:
    _django()
    from django.core.exceptions import ImproperlyConfigured

    from netcourt.core import vault

    try:
        report = _vault_report(vault.rotate())
    except ImproperlyConfigured as error:
        print(error, file=sys.stderr)
        return 2
    report["rewrapped"] = vault.rewrap_all()
    if args.json:
        _print_json(report)
    else:
        _print_vault_report(report)
        print(
            f"new values are sealed under {report['active']}; {report['rewrapped']} sealed"
            " value(s) (identity numbers, case keys) were moved to it, evidence files untouched"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netcourt", description="netcourt, an online court.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the court over HTTP (uvicorn, ASGI)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (1; more only with PostgreSQL and a media provider outside "
        "the server)",
    )
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="create or update the database")
    migrate.add_argument("--verbose", action="store_true")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load the demo courts, staff, litigants and cases")
    demo.add_argument("--password", help="password for every demo user (default: netcourt-demo)")
    demo.add_argument("--json", action="store_true")
    demo.add_argument(
        "--code", action="store_true", help="print the demo staff's current second-factor code"
    )
    demo.set_defaults(func=cmd_demo)

    sweep = sub.add_parser(
        "sweep", help="take the steps that expired time limits trigger (run it periodically)"
    )
    sweep.add_argument("--json", action="store_true")
    sweep.add_argument(
        "--orphan-limit",
        type=int,
        default=100,
        metavar="N",
        help="remove stored files no record names only if at most N under a prefix (default 100:"
        " more looks like the wrong database; raise it once you have checked)",
    )
    sweep.set_defaults(func=cmd_sweep)
    worker = sub.add_parser(
        "worker",
        help="run jobs and timers: service, notifications, reminders, expired time limits",
    )
    worker.add_argument("--workers", type=int, default=2, help="threads running jobs")
    worker.set_defaults(func=cmd_worker)

    payments = sub.add_parser("payments", help="online payment of fees").add_subparsers(
        dest="payments", required=True
    )
    reconcile = payments.add_parser(
        "reconcile", help="ask the provider about every pending payment and take the answer"
    )
    reconcile.add_argument("--json", action="store_true")
    reconcile.set_defaults(func=cmd_payments_reconcile)
    refund = payments.add_parser(
        "refund", help="send the fee refunds owed to the provider (idempotent; run it daily)"
    )
    refund.add_argument("--json", action="store_true")
    refund.set_defaults(func=cmd_payments_refund)

    paysandbox = sub.add_parser("paysandbox", help="the sandbox payment service").add_subparsers(
        dest="paysandbox", required=True
    )
    deliver = paysandbox.add_parser(
        "deliver", help="send the sandbox's webhooks that are due (retries with backoff)"
    )
    deliver.add_argument("--json", action="store_true")
    deliver.set_defaults(func=cmd_paysandbox_deliver)

    pack = sub.add_parser("pack", help="procedure packs").add_subparsers(dest="pack", required=True)
    check = pack.add_parser("check", help="validate packs; exit 1 with every fault")
    check.add_argument("name", nargs="?")
    check.add_argument("--dir", help="check the pack in this directory")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_pack_check)
    graph = pack.add_parser("graph", help="draw a pack's state machine")
    graph.add_argument("name")
    graph.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    graph.add_argument("--lang", default="en")
    graph.add_argument("--write", metavar="FILE", help="write the pack's Markdown page to FILE")
    graph.set_defaults(func=cmd_pack_graph)
    show = pack.add_parser("show", help="print a pack")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_pack_show)

    fees = sub.add_parser("fees", help="court fees").add_subparsers(dest="fees", required=True)
    fee_quote = fees.add_parser(
        "quote",
        help="quote the acceptance fee line by line, each line with its article; exit 1 with"
        " the fault on bad input",
    )
    fee_quote.add_argument(
        "--pack", required=True, help="the procedure pack, e.g. cn_internet_court"
    )
    fee_quote.add_argument(
        "--kind", required=True, help="the fee class, e.g. property, divorce, other_non_property"
    )
    fee_quote.add_argument(
        "--court", help="the pack's court id (for fees each province sets inside a range)"
    )
    fee_quote.add_argument("--amount", help="the amount claimed, in digits, e.g. 123456.78")
    fee_quote.add_argument("--track", help="the case's track, e.g. simplified")
    fee_quote.add_argument(
        "--counterclaim", action="store_true", help="the fee is for a counterclaim"
    )
    fee_quote.add_argument(
        "--reduction",
        action="append",
        default=[],
        dest="reductions",
        metavar="ID",
        help="a reduction that applies, e.g. mediation_or_withdrawal (repeatable)",
    )
    fee_quote.add_argument("--lang", choices=["en", "zh-hans"], default="en")
    fee_quote.add_argument("--json", action="store_true")
    fee_quote.set_defaults(func=cmd_fees_quote)

    deadline = sub.add_parser(
        "deadline",
        help="a time limit's due date with its legal basis; exit 1 naming the valid choices"
        " on an unknown pack or limit",
        description="Compute a deadline on the pack's working-day calendar (CPL Art. 85): the"
        " start day is not counted and a period ending on a non-working day ends on the next"
        " working day.",
    )
    deadline.add_argument(
        "--pack", required=True, help="the procedure pack, e.g. cn_internet_court"
    )
    wanted = deadline.add_mutually_exclusive_group(required=True)
    wanted.add_argument("--limit", help="the time limit, e.g. answer (see --list)")
    wanted.add_argument("--list", action="store_true", help="list the pack's time limits")
    deadline.add_argument(
        "--from",
        dest="start",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="the day of the event that starts the period (not counted); for a limit that"
        " counts back (e.g. hearing_notice), the date it counts back from",
    )
    deadline.add_argument(
        "--extended", action="store_true", help="apply the limit's extension, as approved"
    )
    deadline.add_argument(
        "--track", help="the case's track, for a limit with a length of its own on some tracks"
    )
    deadline.add_argument(
        "--suspended",
        action="append",
        default=[],
        dest="suspensions",
        type=_suspension_arg,
        metavar="SUSPENDED:RESUMED",
        help="the case was suspended on the first date and resumed on the second, e.g."
        " 2026-10-01:2026-10-10 (repeatable)",
    )
    deadline.add_argument("--json", action="store_true")
    deadline.set_defaults(func=cmd_deadline)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token", required=True)
    create = token.add_parser("create", help="create a bearer token and print it once")
    create.add_argument("--user", required=True, help="username or e-mail")
    create.add_argument("--name", default="cli")
    create.add_argument("--json", action="store_true")
    create.add_argument(
        "--days",
        type=int,
        help="how long the token lasts (default 90; at most 365, court staff 30)",
    )
    create.set_defaults(func=cmd_token_create)
    listing = token.add_parser("list", help="a user's tokens (never their values)")
    listing.add_argument("--user", required=True, help="username or e-mail")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a user's tokens (all, or --id N)")
    revoke.add_argument("--user", required=True, help="username or e-mail")
    revoke.add_argument("--id", type=int)
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(func=cmd_token_revoke)

    identity = sub.add_parser("identity", help="identity-document numbers").add_subparsers(
        dest="identity", required=True
    )
    check_number = identity.add_parser(
        "validate",
        help="check an identity number; exit 0 if valid, 1 if not, 2 for an unknown kind",
        description="Check an identity-document number and say why it is invalid. The number"
        " is never printed in clear, only masked.",
    )
    check_number.add_argument(
        "kind", help="prc-id, uscc, passport-cn, passport, hk-macao-permit or taiwan-permit"
    )
    check_number.add_argument(
        "number",
        help="the number, or - to read it from standard input (keeps it out of the"
        " shell history and the process list)",
    )
    check_number.add_argument("--json", action="store_true")
    check_number.add_argument("--lang", choices=["en", "zh-hans"], default="en")
    check_number.set_defaults(func=cmd_identity_validate)

    ledger = sub.add_parser("ledger", help="the court's transparency log").add_subparsers(
        dest="ledger", required=True
    )
    ledger_key = ledger.add_parser(
        "key", help="print the log's verifier key (C2SP signed-note format)"
    )
    ledger_key.add_argument("--json", action="store_true")
    ledger_key.set_defaults(func=cmd_ledger_key)
    sequence = ledger.add_parser(
        "sequence", help="integrate queued leaves now and print the newest checkpoint"
    )
    sequence.add_argument("--json", action="store_true")
    sequence.set_defaults(func=cmd_ledger_sequence)
    verify = ledger.add_parser(
        "verify",
        help="re-hash every record and file, rebuild the tree, check every checkpoint;"
        " exit 1 naming each fault",
    )
    verify.add_argument("--no-files", action="store_true", help="do not re-hash stored files")
    verify.add_argument("--integrate", action="store_true", help="integrate queued leaves first")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_ledger_verify)

    vault = sub.add_parser(
        "vault", aliases=["keys"], help="keys for encryption at rest", prog="netcourt vault|keys"
    ).add_subparsers(dest="vault", required=True)
    status = vault.add_parser(
        "status", help="the key-encryption keys: ids, creation times, which is active"
    )
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_vault_status)
    rotate = vault.add_parser(
        "rotate",
        help="add a new key-encryption key and make it active; older keys stay to open"
        " what they sealed",
    )
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=cmd_vault_rotate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
