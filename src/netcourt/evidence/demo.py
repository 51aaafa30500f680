"""Evidence for the demo court: real files, stored encrypted, in the transparency log.

In every demo case where parties can still submit evidence, the plaintiff submits an order
confirmation (PDF) and a delivery-tracking screenshot (PNG), the shop submits its chat log
(plain text), the shop disputes the first item and the plaintiff replies. Then the log
integrates everything, so a newcomer can download a receipt and check it offline.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from netcourt.accounts.mfa import StepUp
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.evidence import actions
from netcourt.procedure import available_events


def demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` (ASCII) in Helvetica, with a correct xref table."""
    text = (
        "BT /F1 12 Tf 72 760 Td 16 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    stream = text.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _png(width: int = 240, height: int = 120) -> bytes:
    """A small PNG: a tracking-status bar chart in two colours."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00"
        + b"".join(
            (b"\x1f\x6f\xb4" if (x // 40) % 2 and y > 30 + (x // 40) * 10 else b"\xf4\xf4\xf4")
            for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _submit(
    user: Any, case: Case, data: bytes, name: str, *, title: str, purpose: str, source: str
) -> Any:
    upload = actions.start_upload(user, case.pk, len(data), name)
    actions.receive(user, upload.pk, 0, io.BytesIO(data))
    return actions.submit(user, case.pk, upload.pk, title=title, purpose=purpose, source=source)


def add_undisputed_evidence(plaintiff: Any, shop: Any, case: Case) -> None:
    """The plaintiff's order confirmation, which the shop accepts on every count: a case
    whose main facts are not in dispute after the exchange."""
    order = _submit(
        plaintiff,
        case,
        demo_pdf(["Order confirmation / Ding dan que ren", "Order 2026080312345678"]),
        "order-confirmation.pdf",
        title="订单确认页 Order confirmation",
        purpose="原告已付款 / The plaintiff paid.",
        source="购物平台订单页面 / The shop's order page",
    )
    actions.examine(
        shop,
        case.pk,
        order.pk,
        authenticity="accepted",
        legality="accepted",
        relevance="accepted",
        comment="属实。/ Admitted.",
        step_up=StepUp(method="demo", at=clock.now()),
    )


def add_demo_evidence(people: dict[str, Any]) -> int:
    """Evidence in every demo case open to it; how many items were made."""
    made = 0
    for case in Case.objects.filter(created_by__in=[people["alice"], people["bob"]]):
        pack = case.court.pack
        open_ids = {
            e.id
            for e in available_events(
                pack, case.state, {"plaintiff"}, case.event_ids(), track=case.track or None
            )
        }
        if actions.SUBMIT_EVENT not in open_ids or case.evidence.exists():
            continue
        plaintiff, shop = case.created_by, people["shop"]
        order = _submit(
            plaintiff,
            case,
            demo_pdf(
                [
                    "Order confirmation / Ding dan que ren",
                    "Order 2026080312345678",
                    "Item: smartphone, 256 GB",
                    "Paid: CNY 4,299.00 on 3 August 2026",
                    "Seller: Hangzhou Yungou E-commerce Co., Ltd.",
                ]
            ),
            "order-confirmation.pdf",
            title="订单确认页 Order confirmation",
            purpose="原告已付款 4,299 元 / The plaintiff paid CNY 4,299.",
            source="购物平台订单页面，2026年8月3日保存 / The shop's order page, saved 3 Aug 2026",
        )
        _submit(
            plaintiff,
            case,
            _png(),
            "tracking.png",
            title="物流查询截图 Delivery tracking",
            purpose="商品从未发货 / The phone was never shipped.",
            source="快递公司网站截图 / Courier's website, screenshot",
        )
        chat = (
            b"2026-08-05 10:02 buyer: When will my phone ship?\n"
            b"2026-08-05 10:15 shop: It ships within 48 hours.\n"
            b"2026-08-09 09:30 buyer: Still nothing. I want a refund.\n"
        )
        _submit(
            shop,
            case,
            chat,
            "chat-log.txt",
            title="客服聊天记录 Customer-service chat",
            purpose="被告已告知发货时间 / The shop told the buyer when it would ship.",
            source="平台客服系统导出 / Exported from the shop's service desk",
        )
        opinion = actions.examine(
            shop,
            case.pk,
            order.pk,
            authenticity="accepted",
            legality="accepted",
            relevance="disputed",
            comment="付款属实，但订单已于8月10日取消。/ Payment is admitted; the order was"
            " cancelled on 10 August.",
            step_up=StepUp(method="demo", at=clock.now()),
        )
        actions.examine(
            plaintiff,
            case.pk,
            order.pk,
            reply_to=opinion.pk,
            comment="订单并未取消，平台记录可以证明。/ The order was never cancelled; the"
            " platform's records show it.",
            step_up=StepUp(method="demo", at=clock.now()),
        )
        made += 3
    return made
