"""Case numbers, templates, graphs, the JSON view of a pack and its generated documentation."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from netcourt.procedure import (
    Text,
    format_case_number,
    graph_dot,
    graph_mermaid,
    load_pack,
    pack_to_dict,
    render_pack_doc,
    render_template,
)

PACK = load_pack("cn_internet_court")
DOC = Path(__file__).resolve().parents[2] / "docs" / "packs" / "cn_internet_court.md"

CLAIM = {
    "court_name": "杭州互联网法院",
    "plaintiffs": "原告：张三，男，1990年1月1日出生，汉族，住浙江省杭州市西湖区。",
    "defendants": "被告：深圳某某贸易有限公司，住所地广东省深圳市南山区。",
    "third_parties": "",
    "category": "网络购物合同纠纷",
    "claims": "1. 判令被告退还货款3999元；\n2. 本案诉讼费用由被告承担。",
    "amount": "人民币3,999.00元",
    "facts": "原告于2026年10月1日在某电商平台购买手机一部，收货后发现系翻新机。",
    "platform": "某电商平台",
    "connection": "买受人住所地（《民事诉讼法解释》第二十条）",
    "date": "2026年11月28日",
}


@pytest.mark.parametrize(
    "court, case_type, year, seq, expected",
    [
        ("hangzhou", "civil", 2026, 1, "(2026)浙0192民初1号"),
        ("beijing", "administrative", 2026, 12, "(2026)京0491行初12号"),
        ("guangzhou", "civil", 2027, 30518, "(2027)粤0192民初30518号"),
    ],
)
def test_case_numbers(court: str, case_type: str, year: int, seq: int, expected: str) -> None:
    assert format_case_number(PACK, court, case_type, year, seq) == expected


def test_case_number_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        format_case_number(PACK, "hangzhou", "civil", 2026, 0)
    with pytest.raises(ValueError):
        format_case_number(PACK, "hangzhou", "civil", 26, 1)
    with pytest.raises(KeyError):
        format_case_number(PACK, "hangzhou", "criminal", 2026, 1)
    with pytest.raises(KeyError):
        format_case_number(PACK, "shanghai", "civil", 2026, 1)


def test_statement_of_claim_in_chinese_reads_like_a_real_one() -> None:
    text = render_template(PACK, "statement_of_claim", "zh-hans", CLAIM)
    assert text.startswith("民事起诉状\n\n原告：张三")
    assert "\n被告：深圳某某贸易有限公司" in text
    assert "第三人" not in text and "\n\n\n" not in text
    assert "诉讼请求：\n1. 判令被告退还货款3999元；" in text
    assert "事实与理由：\n原告于2026年10月1日" in text
    assert "此致\n杭州互联网法院\n" in text
    assert text.rstrip().endswith("具状人（签名或者盖章）：\n2026年11月28日")


def test_statement_of_claim_in_english() -> None:
    context = {
        **CLAIM,
        "court_name": "Hangzhou Internet Court",
        "third_parties": "Third party: X Ltd.",
    }
    text = render_template(PACK, "statement_of_claim", "en-us", context)
    assert text.startswith("STATEMENT OF CLAIM (CIVIL)")
    assert "Third party: X Ltd." in text
    assert "To: Hangzhou Internet Court" in text


def test_missing_template_fields_are_named() -> None:
    context = {k: v for k, v in CLAIM.items() if k not in ("facts", "date")}
    with pytest.raises(ValueError, match="missing field\\(s\\): facts, date"):
        render_template(PACK, "statement_of_claim", "zh", context)


def test_text_picks_the_language() -> None:
    text = Text(en="Draft", zh="草稿")
    assert [text.get(lang) for lang in ("en", "en-us", "zh", "zh-hans", "ZH-CN", "fr")] == [
        "Draft",
        "Draft",
        "草稿",
        "草稿",
        "草稿",
        "Draft",
    ]


def test_graphs_show_every_state_and_event() -> None:
    dot = graph_dot(PACK)
    mermaid = graph_mermaid(PACK)
    mermaid_zh = graph_mermaid(PACK, "zh")
    assert dot.startswith('digraph "cn_internet_court" {') and dot.rstrip().endswith("}")
    assert mermaid.startswith("stateDiagram-v2\n    state ")
    assert "    [*] --> draft\n" in mermaid
    for state in PACK.states.values():
        assert f'"{state.id}" [label="{state.label.en}"' in dot
        assert f'state "{state.label.en}" as {state.id}' in mermaid
        assert f'state "{state.label.zh}" as {state.id}' in mermaid_zh
        assert (f"    {state.id} --> [*]" in mermaid) == state.terminal
    for event in PACK.events.values():
        target = event.to_state or event.from_states[0]
        assert f'"{event.from_states[0]}" -> "{target}" [label="{event.label.en}"]' in dot
        assert f"    {event.from_states[0]} --> {target} : {event.label.en}" in mermaid
        assert f" : {event.label.zh}" in mermaid_zh


def test_pack_as_json() -> None:
    data = pack_to_dict(PACK)
    encoded = json.loads(json.dumps(data, ensure_ascii=False))
    assert encoded == data
    assert [s["id"] for s in data["states"]] == list(PACK.states)
    bands = data["fees"]["classes"][0]["bands"]["bands"]
    assert bands[0] == {"above": "10000", "up_to": "100000", "rate": "0.025"}
    assert data["small_claims_ceilings"]["zhejiang"] == "54323"
    assert data["holidays"]["years"][0]["periods"][0]["days"] == ["2025-01-01"]


def _zh_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k == "zh" and isinstance(v, str)]
        return found + [t for v in value.values() for t in _zh_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _zh_texts(v)]
    return []


def test_chinese_text_has_no_stray_spaces_between_characters() -> None:
    cjk = "\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef"
    gap = re.compile(f"[{cjk}] +[{cjk}]")
    offenders = [t for t in _zh_texts(pack_to_dict(PACK)) if gap.search(t)]
    assert offenders == []


def test_committed_pack_documentation_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_pack_doc(PACK), (
        "docs/packs/cn_internet_court.md is stale: regenerate it with render_pack_doc"
    )
