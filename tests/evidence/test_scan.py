"""The checks an evidence file passes: size, type by content, active content (YARA)."""

from __future__ import annotations

import contextlib
import io
import random
import tracemalloc
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcourt.evidence import scan
from netcourt.evidence.clamd import ClamdClient
from netcourt.evidence.scan import (
    CODES,
    DEFAULT_ALLOWED_TYPES,
    ScanPolicy,
    SizeMismatchError,
    Verdict,
    check,
    rule_names,
)

from .conftest import Built, Samples

MiB = 1024 * 1024
POLICY = ScanPolicy(max_bytes=200 * MiB)
OFFICE_TYPES = {
    **DEFAULT_ALLOWED_TYPES,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/x-ole-storage": ("doc",),
}
MARKUP_TYPES = {**DEFAULT_ALLOWED_TYPES, "text/html": ("html",), "image/svg+xml": ("svg",)}
SMALL_WINDOWS = ScanPolicy(max_bytes=MiB, window_bytes=4096, window_overlap=256)


def run(built: Built, filename: str = "evidence.pdf", policy: ScanPolicy = POLICY) -> Verdict:
    return check(built.opener, size=built.size, filename=filename, policy=policy)


def refused_by(verdict: Verdict) -> str | None:
    assert not verdict.ok
    assert verdict.code in CODES
    return verdict.detail.get("rule")


# -- size ------------------------------------------------------------------------------------


def test_an_empty_file_is_refused_without_reading_it(samples: Samples) -> None:
    built = samples.of(b"")
    verdict = run(built)
    assert (verdict.ok, verdict.code) == (False, "empty")
    assert built.times_opened == 0


def test_a_file_over_the_limit_is_refused_without_reading_it(samples: Samples) -> None:
    built = samples.of(samples.pdf())
    policy = ScanPolicy(max_bytes=built.size - 1)
    verdict = run(built, policy=policy)
    assert verdict.code == "too_large"
    assert verdict.detail == {"size": str(built.size), "max_bytes": str(built.size - 1)}
    assert built.times_opened == 0
    assert run(built, policy=ScanPolicy(max_bytes=built.size)).ok


@pytest.mark.parametrize("declared_delta", [-1, 1])
def test_a_stream_that_does_not_hold_the_declared_size_is_an_error(
    samples: Samples, declared_delta: int
) -> None:
    built = samples.of(samples.pdf())
    with pytest.raises(SizeMismatchError):
        check(built.opener, size=built.size + declared_delta, filename="a.pdf", policy=POLICY)


# -- type, by content ------------------------------------------------------------------------


def test_a_minimal_pdf_is_accepted(samples: Samples) -> None:
    verdict = run(samples.of(samples.pdf()))
    assert verdict == Verdict(
        ok=True,
        mime="application/pdf",
        detail={"extension": "pdf", "filename_extension": "pdf", "extension_matches": "true"},
    )


def test_a_real_pdf_named_txt_is_accepted_as_a_pdf(samples: Samples) -> None:
    verdict = run(samples.of(samples.pdf()), filename="x.txt")
    assert verdict.ok
    assert verdict.mime == "application/pdf"
    assert verdict.detail["extension"] == "pdf"
    assert verdict.detail["extension_matches"] == "false"


@pytest.mark.parametrize(
    ("build", "mime", "filename", "extension"),
    [
        (Samples.png, "image/png", "screenshot.png", "png"),
        (Samples.jpeg, "image/jpeg", "photo.JPEG", "jpg"),
    ],
)
def test_images_are_accepted_by_content(
    samples: Samples, build: object, mime: str, filename: str, extension: str
) -> None:
    assert callable(build)
    verdict = run(samples.of(build()), filename=filename)
    assert verdict.ok, verdict
    assert verdict.mime == mime
    assert verdict.detail["extension"] == extension
    assert verdict.detail["extension_matches"] == "true"


def test_plain_text_that_mentions_active_content_is_accepted(samples: Samples) -> None:
    text = (
        b"Minutes: the witness explained that /JavaScript and /JS (code) in a PDF, a /Launch\n"
        b"action, /EmbeddedFile, vbaProject.bin and _VBA_PROJECT are what a court refuses.\n"
    ) * 20
    verdict = run(samples.of(text), filename="minutes.txt")
    assert verdict.ok, verdict
    assert verdict.mime == "text/plain"


@pytest.mark.parametrize(
    ("build", "mime"),
    [
        (Samples.pe, "application/vnd.microsoft.portable-executable"),
        (Samples.elf, "application/x-executable"),
    ],
)
def test_an_executable_named_pdf_is_refused_by_type(
    samples: Samples, build: object, mime: str
) -> None:
    assert callable(build)
    verdict = run(samples.of(build()), filename="contract.pdf")
    assert verdict.code == "type_not_allowed"
    assert verdict.mime == mime
    assert verdict.detail == {"mime": mime, "filename_extension": "pdf"}


def test_zip_and_office_files_are_not_allowed_by_default(samples: Samples) -> None:
    verdict = run(samples.of(samples.docx(macros=False)), filename="brief.docx")
    assert verdict.code == "type_not_allowed"
    assert verdict.detail["mime"].startswith("application/vnd.openxmlformats")


def test_unknown_binary_is_refused_as_octet_stream(samples: Samples) -> None:
    verdict = run(samples.stream((4096, 0)), filename="blob.pdf")
    assert verdict.code == "type_not_allowed"
    assert verdict.mime == "application/octet-stream"


# -- active content: PDF ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "catalog",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b"/Names << /JavaScript 9 0 R >>",
        b"/OpenAction << /S /J#61vaScript >>",
        b"/OpenAction << /S /#4A#61#76#61#53#63#72#69#70#74 >>",
        b"/OpenAction << /#4a#53 (app.alert\\(1\\)) >>",
        b"/OpenAction << /JS<6170702e616c657274283129> >>",
    ],
    ids=["action", "name-tree", "hex-escaped-a", "all-escaped", "escaped-JS", "JS-hex-string"],
)
def test_a_pdf_with_javascript_is_refused(samples: Samples, catalog: bytes) -> None:
    verdict = run(samples.of(samples.pdf(catalog)))
    assert verdict.code == "active_content"
    assert refused_by(verdict) == "pdf_javascript"


def test_a_pdf_name_that_only_starts_like_js_is_accepted(samples: Samples) -> None:
    pdf = samples.pdf(b"/JSFontInfo 1 /PageLayout /SinglePage")
    assert run(samples.of(pdf)).ok


def test_escaped_letters_in_harmless_names_are_decoded_and_accepted(
    samples: Samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = samples.pdf(b"/PageLayout /Single#50age /F#6Fo 1")
    assert run(samples.of(pdf)).ok
    # Decoding is bounded: a PDF that escapes letters in thousands of names is refused.
    monkeypatch.setattr(scan, "MAX_ESCAPED_NAMES", 5)
    many = samples.pdf(b" ".join(b"/K#65y%d 1" % index for index in range(6)))
    assert refused_by(run(samples.of(many))) == "pdf_escape_limit"


def test_a_pdf_with_a_launch_action_is_refused(samples: Samples) -> None:
    for catalog in [
        b"/OpenAction << /S /Launch /F (calc.exe) >>",
        b"/OpenAction << /S /L#61unch >>",
    ]:
        verdict = run(samples.of(samples.pdf(catalog)))
        assert refused_by(verdict) == "pdf_launch_action"


def test_a_pdf_with_an_embedded_file_is_refused_unless_the_court_allows_it(
    samples: Samples,
) -> None:
    pdf = samples.pdf(
        b"/Names << /EmbeddedFiles << /Names [(invoice.xml) 4 0 R] >> >>",
        objects=[b"<< /Type /Filespec /F (invoice.xml) /EF << /F 5 0 R >> >>"],
    )
    verdict = run(samples.of(pdf))
    assert refused_by(verdict) == "pdf_embedded_file"
    lenient = ScanPolicy(max_bytes=MiB, disabled_rules=frozenset({"pdf_embedded_file"}))
    assert run(samples.of(pdf), policy=lenient).ok


def test_javascript_inside_a_compressed_object_stream_is_refused(samples: Samples) -> None:
    hidden = b"9 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>"
    object_stream = samples.flate_stream(hidden, b"/Type /ObjStm /N 1 /First 4 ")
    pdf = samples.pdf(b"/OpenAction 9 0 R", objects=[object_stream])
    assert b"JavaScript" not in pdf
    verdict = run(samples.of(pdf))
    assert refused_by(verdict) == "pdf_javascript"
    assert verdict.detail["where"] == "inflated PDF stream"
    # The raw bytes alone do not show it.
    raw_only = ScanPolicy(max_bytes=MiB, inflate_pdf_streams=False)
    assert run(samples.of(pdf), policy=raw_only).ok


def test_an_ordinary_compressed_pdf_is_accepted(samples: Samples) -> None:
    content = samples.flate_stream(b"BT /F1 12 Tf 72 712 Td (JavaScript for lawyers) Tj ET")
    fonts = b"<< /Type /Font /Subtype /TrueType /BaseFont /#CB#CE#CC#E5 /Name /F#231 >>"
    pdf = samples.pdf(objects=[content, fonts])
    assert run(samples.of(pdf)).ok


def test_a_pdf_whose_streams_inflate_beyond_the_budget_is_refused(
    samples: Samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "INFLATE_BUDGET_FLOOR", 4 * MiB)
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(bytes(MiB)) for _ in range(8)) + packer.flush()
    bomb = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
    pdf = samples.pdf(objects=[bomb + packed + b"\nendstream"])
    verdict = run(samples.of(pdf))
    assert refused_by(verdict) == "pdf_inflate_limit"


def image_stream(body: bytes) -> bytes:
    return (
        b"<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n" % len(body)
        + body
        + b"\nendstream"
    )


def test_short_names_that_occur_by_chance_in_image_data_are_not_refused(
    samples: Samples,
) -> None:
    # /JS or /EF followed by a plausible value turn up a few times per GiB of random bytes:
    # in image data they mean nothing, and a large scanned PDF must not be refused for them.
    noise = random.Random(7).randbytes(3 * MiB)
    chance = noise[:MiB] + b"/JS (" + noise[MiB : 2 * MiB] + b"/EF <<" + noise[2 * MiB :]
    pdf = samples.pdf(objects=[image_stream(chance)])
    assert run(samples.of(pdf)).ok
    # Nor /JS outside a dictionary, in binary garbage after a PDF header.
    garbage = noise[:MiB] + b"/JS (" + noise[MiB:]
    assert run(samples.of(b"%PDF-1.7\n" + garbage)).ok
    # The same bytes outside a stream are where dictionaries are: refused.
    assert refused_by(run(samples.of(samples.pdf(b"/JS (x)")))) == "pdf_javascript"
    assert refused_by(run(samples.of(samples.pdf(b"/EF << /F 5 0 R >>")))) == "pdf_embedded_file"


def test_long_names_are_found_inside_any_stream(samples: Samples) -> None:
    body = b"\xff\xd8" + b"\x00" * 5000 + b"/S /JavaScript" + b"\x00" * 5000
    verdict = run(samples.of(samples.pdf(objects=[image_stream(body)])))
    assert refused_by(verdict) == "pdf_javascript"
    assert verdict.detail["where"] == "PDF stream"


@pytest.mark.parametrize("compressed", [False, True])
def test_a_short_name_in_an_object_stream_is_refused(samples: Samples, compressed: bool) -> None:
    objects = b"9 0 << /JS (app.alert\\(1\\)) >>"
    if compressed:
        object_stream = samples.flate_stream(objects, b"/Type /ObjStm /N 1 /First 4 ")
    else:
        object_stream = (
            b"<< /Type /ObjStm /N 1 /First 4 /Length %d >>\nstream\n" % len(objects)
            + objects
            + b"\nendstream"
        )
    verdict = run(samples.of(samples.pdf(b"/OpenAction 9 0 R", objects=[object_stream])))
    assert refused_by(verdict) == "pdf_javascript"


def test_a_stream_without_endstream_ends_at_endobj(samples: Samples) -> None:
    unterminated = b"<< /Filter /DCTDecode /Length 4 >>\nstream\n\xff\xd8\xff\xd9"
    pdf = samples.pdf(objects=[unterminated, b"<< /S /Foo /JS (app.alert\\(1\\)) >>"])
    assert b"endstream" not in pdf
    assert refused_by(run(samples.of(pdf))) == "pdf_javascript"


def test_a_jpeg_that_is_also_a_pdf_gets_the_pdf_rules(samples: Samples) -> None:
    # PDF readers look for %PDF- in the first 1024 bytes, so this JPEG opens as a PDF.
    polyglot = samples.jpeg(comment=b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript >> >>")
    verdict = run(samples.of(polyglot), filename="photo.jpg")
    assert verdict.mime == "image/jpeg"
    assert refused_by(verdict) == "pdf_javascript"


# -- active content: Office, executables, markup ---------------------------------------------


def test_office_macros_are_refused_where_office_files_are_allowed(samples: Samples) -> None:
    office = ScanPolicy(max_bytes=MiB, allowed_types=OFFICE_TYPES)
    assert run(samples.of(samples.docx(macros=False)), "brief.docx", office).ok
    verdict = run(samples.of(samples.docx(macros=True)), "brief.docx", office)
    assert refused_by(verdict) == "office_vba_macros"
    verdict = run(samples.of(samples.ole_with_vba()), "brief.doc", office)
    assert verdict.mime == "application/x-ole-storage"
    assert refused_by(verdict) == "office_vba_macros"


@pytest.mark.parametrize(
    ("build", "mime"),
    [(Samples.pe, "application/vnd.microsoft.portable-executable"), (Samples.elf, None)],
)
def test_executables_are_refused_even_if_their_type_were_allowed(
    samples: Samples, build: object, mime: str | None
) -> None:
    assert callable(build)
    data = build()
    found = mime or scan._mime_of(data)
    careless = ScanPolicy(max_bytes=MiB, allowed_types={found: ("bin",)})
    assert refused_by(run(samples.of(data), "tool.bin", careless)) == "executable"


@pytest.mark.parametrize(
    ("document", "filename"),
    [
        (b"<!DOCTYPE html><html><body><p>Hi</p><script>alert(1)</script></body></html>", "a.html"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b'<rect width="10" height="10"/></svg>',
            "a.svg",
        ),
    ],
)
def test_markup_with_script_is_refused_where_markup_is_allowed(
    samples: Samples, document: bytes, filename: str
) -> None:
    markup = ScanPolicy(max_bytes=MiB, allowed_types=MARKUP_TYPES)
    assert refused_by(run(samples.of(document), filename, markup)) == "markup_script"
    harmless = document.replace(b"<script>alert(1)</script>", b"").replace(
        b' onload="alert(1)"', b""
    )
    assert run(samples.of(harmless), filename, markup).ok


# -- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [4096 - 8, 4096 - 3, 3840 + 4096 - 6])
def test_a_pattern_straddling_a_window_boundary_is_found(samples: Samples, offset: int) -> None:
    # Windows of 4096 bytes overlapping by 256 cover [0, 4096), [3840, 7936), [7680, ...):
    # the 11 bytes of /JavaScript straddle the end of the first or of the second.
    head = b"%PDF-1.7\n%"
    filler = b"%" + b"x" * (offset - len(head) - 2) + b"\n"
    data = head + filler + b"/JavaScript" + b"\n" + b"y" * 9000 + b"\n%%EOF\n"
    assert data.index(b"/JavaScript") == offset
    verdict = run(samples.of(data), policy=SMALL_WINDOWS)
    assert refused_by(verdict) == "pdf_javascript"


def test_short_reads_from_a_decrypting_stream_are_fine(samples: Samples) -> None:
    pdf = samples.pdf(b"/OpenAction << /S /JavaScript >>")
    padded = pdf[:9] + b"%" + b"z" * 20000 + b"\n" + pdf[9:]
    built = samples.stream(padded, max_read=7)
    assert refused_by(run(built, policy=SMALL_WINDOWS)) == "pdf_javascript"
    assert run(samples.stream(samples.pdf(), max_read=3), policy=SMALL_WINDOWS).ok


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(min_value=0, max_value=5000),
    size=st.integers(min_value=16, max_value=600),
    overlap_share=st.floats(min_value=0.0, max_value=0.5),
    pieces=st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=20),
)
def test_windows_cover_the_stream_with_overlaps(
    length: int, size: int, overlap_share: float, pieces: list[int]
) -> None:
    overlap = max(1, int(size * overlap_share))
    data = bytes(i % 251 for i in range(length))
    windows: list[tuple[bytes, bool]] = []
    cutter = scan._Windows(size, overlap, lambda view, first: windows.append((bytes(view), first)))
    position = 0
    for piece in pieces * (length // max(1, sum(pieces)) + 1):
        cutter.feed(data[position : position + piece])
        position += piece
    cutter.finish()
    assert [first for _, first in windows] == [index == 0 for index in range(len(windows))]
    rebuilt = windows[0][0] if windows else b""
    for (before, _), (window, _) in zip(windows, windows[1:], strict=False):
        assert len(before) == size and window[:overlap] == before[-overlap:]
        assert len(window) > overlap
        rebuilt += window[overlap:]
    assert rebuilt == data
    assert all(len(window) <= size for window, _ in windows)


_HARMLESS_PARTS = [
    b"1 0 obj\n<< /Type /Page >>\nendobj\n",
    b"% a comment: the stream of data\n",
    b"(a string: stream \\(x\\))",
    b"2 0 obj\n<< /Filter /DCTDecode >>\nstream\n\xff\xd8/JS (x)\xff\xd9\nendstream\nendobj\n",
    b"4 0 obj\n<< /Filter /FlateDecode >>\nstream\r\n"
    + zlib.compress(b"q /Im0 Do Q /JS (" + bytes(range(256)) * 8)
    + b"\r\nendstream\nendobj\n",
    b"x" * 3000,
]
_ACTIVE_PARTS = [
    b"/S /JavaScript",
    b"<< /JS (x) >>",
    b"\x00\xff<<\x00/JS (\x80",
    b"3 0 obj\n<< /Type /ObjStm >>\nstream\n"
    + zlib.compress(b"9 0 << /JS (x) >>")
    + b"\nendstream\nendobj\n",
    b"5 0 obj\n<< /Filter /FlateDecode >>\nstream\n"
    + zlib.compress(b"<< /S /JavaScript >>")
    + b"\nendstream\nendobj\n",
]


@settings(max_examples=80, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_HARMLESS_PARTS + _ACTIVE_PARTS), max_size=8),
    max_read=st.integers(min_value=1, max_value=5000),
)
def test_the_verdict_does_not_depend_on_how_the_stream_is_cut(
    parts: list[bytes], max_read: int
) -> None:
    # Split into pieces of any size, a PDF gets the verdict it gets when read at once, and
    # the short names count outside streams and in object streams only.
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\n".join(parts) + b"\n%%EOF\n"
    whole = run(Samples.stream(data), policy=SMALL_WINDOWS)
    cut = run(Samples.stream(data, max_read=max_read), policy=SMALL_WINDOWS)
    assert (cut.code, cut.detail.get("rule")) == (whole.code, whole.detail.get("rule"))
    assert (whole.code == "active_content") == any(part in parts for part in _ACTIVE_PARTS)


# -- bounded memory --------------------------------------------------------------------------


def _deflated_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9)
    block = bytes(MiB)
    return b"".join(packer.compress(block) for _ in range(size // MiB)) + packer.flush()


@pytest.mark.parametrize("layout", ["structure", "image-stream", "flate-stream", "text"])
def test_a_100_mib_file_is_checked_in_bounded_memory(samples: Samples, layout: str) -> None:
    run(samples.of(samples.pdf()))  # load libmagic and compile the rules first
    big = (100 * MiB, 0)
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
    trailer = b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
    if layout == "structure":
        built = samples.stream(header, big, b"\ntrailer\n<< >>\n%%EOF\n")
    elif layout == "image-stream":
        built = samples.stream(header, b"<< /Filter /DCTDecode >>\nstream\n", big, trailer)
    elif layout == "flate-stream":
        packed = _deflated_zeros(100 * MiB)
        built = samples.stream(header, b"<< /Filter /FlateDecode >>\nstream\n", packed, trailer)
    else:
        built = samples.stream(b"Minutes of the hearing.\n", (100 * MiB, ord("a")), b"\n")
    tracemalloc.start()
    try:
        verdict = run(built, filename="big.txt" if layout == "text" else "big.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.ok, verdict
    assert verdict.mime == ("text/plain" if layout == "text" else "application/pdf")
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


# -- policy and rules ------------------------------------------------------------------------


def test_the_rules_compile_and_are_named() -> None:
    assert scan._rules() is scan._rules()
    assert set(rule_names()) >= {
        "pdf_javascript",
        "pdf_launch_action",
        "pdf_embedded_file",
        "office_vba_macros",
        "executable",
        "markup_script",
        "pdf_inflate_limit",
        "pdf_escape_limit",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_bytes": 0},
        {"max_bytes": 1, "disabled_rules": frozenset({"no_such_rule"})},
        {"max_bytes": 1, "window_bytes": 1024},
        {"max_bytes": 1, "window_bytes": 4096, "window_overlap": 4000},
        {"max_bytes": 1, "allowed_types": {"application/pdf": ()}},
    ],
)
def test_a_bad_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScanPolicy(**kwargs)  # type: ignore[arg-type]


def test_clamd_is_not_asked_about_a_file_already_refused(
    samples: Samples, unreachable_clamd: ClamdClient
) -> None:
    built = samples.of(samples.pdf(b"/OpenAction << /S /JavaScript >>"))
    policy = ScanPolicy(max_bytes=MiB, clamd=unreachable_clamd)
    assert run(built, policy=policy).code == "active_content"
    assert built.times_opened == 1


def test_without_libmagic_files_are_refused_and_nothing_else_breaks(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_magic(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "magic":
            raise ImportError("failed to find libmagic")
        return real_import(name, *args, **kwargs)

    scan._magic.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_magic)
    try:
        data = b"%PDF-1.4\n%%EOF\n"
        verdict = scan.check(
            lambda: contextlib.nullcontext(io.BytesIO(data)),
            size=len(data),
            filename="a.pdf",
            policy=scan.ScanPolicy(max_bytes=1000),
        )
    finally:
        monkeypatch.undo()
        scan._magic.cache_clear()
    assert (verdict.ok, verdict.code) == (False, "scanner_unavailable")
    assert verdict.detail["scanner"] == "libmagic"
