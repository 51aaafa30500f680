"""Check a netcourt receipt offline: ``python -m netcourt.ledger.verify RECEIPT.json``.

No network, no database, no Django: only the receipt, the court's verifier key (``--key``,
obtained independently; without it the receipt's own key is used and the output says so) and,
for evidence, the file itself (``--file``, hashed as a stream). The salted record a party's
receipt holds (its ``opening``) is hashed again and must be the one the log published; the
file must be the one that record names.

Exit status: 0 when every check passed, 1 when the receipt was refused, 2 for a usage error or
a file that cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import parse_verifier_key
from netcourt.ledger.receipt import check_receipt, load_receipt

OK, REFUSED, USAGE = 0, 1, 2
MAX_RECEIPT_BYTES = 16 << 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m netcourt.ledger.verify",
        description="Check a netcourt receipt offline: the court's signature on the checkpoint, "
        "the record's inclusion in the log, the RFC 3161 timestamp and, with --file, the file.",
    )
    parser.add_argument("receipt", help="the receipt (JSON); '-' reads standard input")
    parser.add_argument(
        "--key",
        metavar="VERIFIER_KEY",
        help="the court's verifier key (<name>+<id>+<key>), from a source you trust",
    )
    parser.add_argument(
        "--file", metavar="BLOB", help="the file the receipt is about; its SHA-256 must match"
    )
    parser.add_argument(
        "--tsa-cert",
        metavar="CERT",
        help="the timestamp authority's certificate to trust (PEM or DER file)",
    )
    parser.add_argument(
        "--require-timestamp", action="store_true", help="refuse a receipt without a timestamp"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def file_sha256(path: str) -> str:
    """The hex SHA-256 of a file, read in chunks (flat memory whatever its size)."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _read_receipt(name: str) -> bytes:
    if name == "-":
        data = sys.stdin.buffer.read(MAX_RECEIPT_BYTES + 1)
    else:
        with open(name, "rb") as stream:
            data = stream.read(MAX_RECEIPT_BYTES + 1)
    if len(data) > MAX_RECEIPT_BYTES:
        raise OSError(f"larger than {MAX_RECEIPT_BYTES} bytes; not a receipt")
    return data


def _certificate_der(data: bytes) -> bytes:
    """A certificate file's DER bytes, whether the file is PEM or DER."""
    if data.lstrip().startswith(b"-----BEGIN"):
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def _usage(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"ok": False, "code": "usage", "message": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return USAGE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else USAGE

    if args.key is not None:
        try:
            parse_verifier_key(args.key)
        except LedgerError as exc:
            return _usage(f"--key is not a verifier key: {exc}", args.json)
    try:
        data = _read_receipt(args.receipt)
    except OSError as exc:
        return _usage(f"cannot read the receipt {args.receipt}: {exc}", args.json)
    tsa_certificate = None
    if args.tsa_cert is not None:
        try:
            tsa_certificate = _certificate_der(Path(args.tsa_cert).read_bytes())
        except OSError as exc:
            return _usage(f"cannot read --tsa-cert {args.tsa_cert}: {exc}", args.json)
        except ValueError as exc:
            return _usage(f"--tsa-cert {args.tsa_cert} is not a certificate: {exc}", args.json)
    blob_sha256 = None
    if args.file is not None:
        try:
            blob_sha256 = file_sha256(args.file)
        except OSError as exc:
            return _usage(f"cannot read --file {args.file}: {exc}", args.json)

    passed: list[str] = []

    def show(line: str) -> None:
        passed.append(line)
        if not args.json:
            print(line, flush=True)

    try:
        receipt = load_receipt(data)
        report = check_receipt(
            receipt,
            trusted_key=args.key,
            blob_sha256=blob_sha256,
            tsa_certificate=tsa_certificate,
            require_timestamp=args.require_timestamp,
            on_check=show,
        )
    except LedgerError as exc:
        if args.json:
            failure: dict[str, Any] = {
                "ok": False,
                "code": exc.code,
                "message": exc.message,
                "checks": passed,
            }
            print(json.dumps(failure, ensure_ascii=False))
        else:
            print(f"REFUSED ({exc.code}): {exc.message}", file=sys.stderr)
        return REFUSED

    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    elif not report.key_checked:
        print(
            "note: the court's key was taken from the receipt itself; pass --key with the key "
            "the court publishes to check who signed",
        )
    return OK


if __name__ == "__main__":
    sys.exit(main())
