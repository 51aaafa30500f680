"""Loading the shipped pack, and the exact errors for broken copies of it."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from netcourt.cli import main
from netcourt.procedure import PACKS_DIR, PackError, list_packs, load_pack, load_pack_dir

NAME = "cn_internet_court"


def _break(tmp_path: Path, *edits: tuple[str, str, str]) -> list[str]:
    """Copy the shipped pack, replace `old` by `new` (exactly once) in each file, and return the
    errors the loader reports."""
    target = tmp_path / NAME
    shutil.copytree(PACKS_DIR / NAME, target)
    for file, old, new in edits:
        path = target / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack_dir(target)
    return caught.value.errors


def test_shipped_pack_loads_with_everything_the_court_needs() -> None:
    assert NAME in list_packs()
    pack = load_pack(NAME)
    assert pack.initial_state == "draft"
    assert len(pack.categories) == 11
    assert set(pack.courts) == {"hangzhou", "beijing", "guangzhou"}
    assert {"ordinary", "simplified", "small_claims"} <= set(pack.tracks)
    assert {s.id for s in pack.states.values() if s.terminal} >= {
        "rejection_final",
        "final",
        "withdrawn",
        "settled",
        "deemed_withdrawn",
        "transferred_offline",
    }
    assert pack.state("accepted").label.zh == "已立案"
    assert pack.court("hangzhou").code == "浙0192"
    with pytest.raises(KeyError):
        pack.event("no_such_event")


def test_every_step_the_parties_are_told_of_says_what_happened() -> None:
    """A notice tells what was done ("The hearing was scheduled."), not the button's label."""
    pack = load_pack(NAME)
    told = [e for e in pack.events.values() if "notify_parties" in e.effects]
    assert told
    for event in told:
        notice = event.notice
        assert notice is not None, event.id
        assert notice.en.endswith(".") and notice.zh.endswith("。"), event.id
    scheduled = pack.event("schedule_hearing").notice
    assert scheduled is not None and scheduled.en == "The hearing was scheduled."


def test_load_pack_is_cached_and_immutable() -> None:
    pack = load_pack(NAME)
    assert load_pack(NAME) is pack
    with pytest.raises(TypeError):
        pack.states["x"] = pack.states["draft"]  # type: ignore[index]


def test_unknown_pack_name_is_refused() -> None:
    with pytest.raises(PackError) as caught:
        load_pack("../etc")
    assert caught.value.errors == [f"../etc: no such pack (available: {NAME})"]


BROKEN = {
    "expiry of an unknown time limit": (
        (
            "events.yaml",
            "to_state: final\n    roles: [system]\n    effects: [notify_parties]\n"
            "    on_expiry: appeal_judgment\n",
            "to_state: final\n    roles: [system]\n    effects: [notify_parties]\n"
            "    on_expiry: appeal_judgement\n",
        ),
        [
            "events.yaml: events[29].on_expiry: unknown time limit 'appeal_judgement'"
            " (did you mean 'appeal_judgment'?)"
        ],
    ),
    "expiry of a limit that counts back": (
        ("events.yaml", "on_expiry: answer\n", "on_expiry: hearing_notice\n"),
        ["events.yaml: events[11].on_expiry: time limit 'hearing_notice' does not run out"],
    ),
    "misspelt target state": (
        ("events.yaml", "to_state: accepted\n", "to_state: acepted\n"),
        ["events.yaml: events[3].to_state: unknown state 'acepted' (did you mean 'accepted'?)"],
    ),
    "served document with an unknown template": (
        ("pack.yaml", "template: statement_of_claim\n", "template: statement_of_clam\n"),
        [
            "pack.yaml: service.documents[1].template: unknown template 'statement_of_clam'"
            " (did you mean 'statement_of_claim'?)"
        ],
    ),
    "unknown key": (
        ("states.yaml", "  - id: draft\n", "  - id: draft\n    colour: red\n"),
        ["states.yaml: states[0].colour: unknown key"],
    ),
    "empty Chinese text": (
        ("states.yaml", "{en: Draft, zh: 草稿}", '{en: Draft, zh: ""}'),
        ["states.yaml: states[0].label.zh: must not be empty"],
    ),
    "missing Chinese text": (
        ("states.yaml", "{en: Draft, zh: 草稿}", "{en: Draft}"),
        ["states.yaml: states[0].label.zh: required key is missing"],
    ),
    "id not snake_case": (
        ("states.yaml", "  - id: draft\n", "  - id: Draft\n"),
        ["states.yaml: states[0].id: 'Draft' is not a snake_case id"],
    ),
    "non-terminal dead end": (
        (
            "states.yaml",
            "或小额诉讼判决）。\n    terminal: true",
            "或小额诉讼判决）。\n    terminal: false",
        ),
        ["states.yaml: states[15]: state 'final' is not terminal but no event leads out of it"],
    ),
    "event out of a terminal state": (
        (
            "events.yaml",
            "from_states: [appeal_period]\n    to_state: final",
            "from_states: [appeal_period, final]\n    to_state: final",
        ),
        [
            "events.yaml: events[29].from_states[1]: state 'final' is terminal:"
            " a terminal state admits no events"
        ],
    ),
    "unreachable state": (
        ("events.yaml", "to_state: rejection_final", "to_state: final"),
        [
            "states.yaml: states[21]: state 'rejection_final' cannot be reached from the initial"
            " state 'draft'"
        ],
    ),
    "unknown initial state": (
        ("pack.yaml", "initial_state: draft", "initial_state: drafts"),
        ["pack.yaml: initial_state: unknown state 'drafts' (did you mean 'draft'?)"],
    ),
    "event starts an unknown time limit": (
        (
            "events.yaml",
            "starts: [filing_decision]\n    basis:\n"
            "      article:\n        en: Civil Procedure Law (2023) Arts. 122",
            "starts: [filing_decison]\n    basis:\n"
            "      article:\n        en: Civil Procedure Law (2023) Arts. 122",
        ),
        [
            "events.yaml: events[0].starts[0]: unknown time limit 'filing_decison'"
            " (did you mean 'filing_decision'?)"
        ],
    ),
    "track with an unknown duration": (
        ("pack.yaml", "duration: duration_ordinary\n", "duration: duration_ordnary\n"),
        [
            "pack.yaml: tracks[0].duration: unknown time limit 'duration_ordnary'"
            " (did you mean 'duration_ordinary'?)"
        ],
    ),
    "court territory with an unknown place": (
        ("jurisdiction.yaml", "territory: [hangzhou]", "territory: [hangzou]"),
        [
            "jurisdiction.yaml: courts[0].territory[0]: unknown place 'hangzou' (did you"
            " mean 'hangzhou'?)"
        ],
    ),
    "category with an unknown connecting factor": (
        (
            "jurisdiction.yaml",
            "[defendant_domicile, buyer_domicile, place_of_receipt]",
            "[defendant_domicile, buyers_domicile, place_of_receipt]",
        ),
        [
            "jurisdiction.yaml: categories[0].connecting_factors[1]: unknown connecting factor"
            " 'buyers_domicile' (did you mean 'buyer_domicile'?)"
        ],
    ),
    "fee bands with a gap": (
        ("fees.yaml", '{above: "100000", up_to: "200000"', '{above: "120000", up_to: "200000"'),
        [
            "fees.yaml: classes[0].bands.bands[1].above: is 120000, expected 100000 (bands"
            " must be contiguous)"
        ],
    ),
    "fee band descending": (
        ("fees.yaml", '{above: "200000", up_to: "500000"', '{above: "200000", up_to: "150000"'),
        [
            "fees.yaml: classes[0].bands.bands[2].up_to: 150000 is not above 200000 (bands"
            " must ascend)",
            "fees.yaml: classes[0].bands.bands[3].above: is 500000, expected 150000 (bands"
            " must be contiguous)",
        ],
    ),
    "fee rate above one": (
        (
            "fees.yaml",
            '{above: "20000000", up_to: null, rate: "0.005"}',
            '{above: "20000000", up_to: null, rate: "1.5"}',
        ),
        ["fees.yaml: classes[0].bands.bands[8].rate: 1.5 is not between 0 and 1"],
    ),
    "fee rate written as a float": (
        ("fees.yaml", 'rate: "0.025"', "rate: 0.025"),
        [
            "fees.yaml: classes[0].bands.bands[0].rate: write amounts and rates as quoted strings"
            " (e.g. '0.025'), never as floating-point numbers"
        ],
    ),
    "fee reduction for an unknown track": (
        (
            "fees.yaml",
            "tracks: [simplified, small_claims, administrative_simplified]",
            "tracks: [simplified, small_claim, administrative_simplified]",
        ),
        [
            "fees.yaml: reductions[1].tracks[1]: unknown track 'small_claim' (did you mean"
            " 'small_claims'?)"
        ],
    ),
    "aid reduction without its minimum share": (
        ("fees.yaml", '    minimum_share: "0.3"\n', ""),
        ["fees.yaml: aid[1].minimum_share: a reduction needs its minimum share"],
    ),
    "aid reduction of everything": (
        ("fees.yaml", 'minimum_share: "0.3"', 'minimum_share: "1"'),
        ["fees.yaml: aid[1].minimum_share: 1 is not above 0 and below 1"],
    ),
    "minimum share on a deferral": (
        ("fees.yaml", "  - kind: deferral\n", '  - kind: deferral\n    minimum_share: "0.5"\n'),
        ["fees.yaml: aid[0].minimum_share: only a reduction has a minimum share"],
    ),
    "aid kind listed twice": (
        ("fees.yaml", "  - kind: exemption\n", "  - kind: deferral\n"),
        ["fees.yaml: aid[2].kind: kind 'deferral' is already listed at aid[0]"],
    ),
    "day both holiday and working day": (
        (
            "holidays/2026.yaml",
            "working_days: [2026-09-20, 2026-10-10]",
            "working_days: [2026-09-20, 2026-10-10, 2026-10-03]",
        ),
        [
            "holidays/2026.yaml: periods[6].working_days[2]: 2026-10-03 is both a holiday"
            " (periods[6].days[2]) and a make-up working day"
        ],
    ),
    "make-up working day on a weekday": (
        ("holidays/2026.yaml", "working_days: [2026-05-09]", "working_days: [2026-05-08]"),
        [
            "holidays/2026.yaml: periods[3].working_days[0]: 2026-05-08 is a weekday;"
            " make-up working days fall on weekends"
        ],
    ),
    "year file that names another year": (
        ("holidays/2026.yaml", "year: 2026\n", "year: 2025\n"),
        ["holidays/2026.yaml: year: 2025 does not match the file name '2026.yaml'"],
    ),
    "holiday outside its year": (
        ("holidays/2026.yaml", "days: [2026-06-19,", "days: [2025-06-19,"),
        ["holidays/2026.yaml: periods[4].days[0]: 2025-06-19 is not in 2026"],
    ),
    "make-up working day outside its year": (
        ("holidays/2025.yaml", "working_days: [2025-01-26,", "working_days: [2024-01-27,"),
        ["holidays/2025.yaml: periods[1].working_days[0]: 2024-01-27 is not in 2025"],
    ),
    "holiday listed twice": (
        ("holidays/2027.yaml", "days: [2027-05-01, 2027-05-02]", "days: [2027-05-01, 2027-05-01]"),
        [
            "holidays/2027.yaml: periods[1].days[1]: 2027-05-01 is already listed at periods[1].days[0]"
        ],
    ),
    "date not written YYYY-MM-DD": (
        ("holidays/2027.yaml", "days: [2027-01-01]", "days: [2027-1-1]"),
        ["holidays/2027.yaml: periods[0].days[0]: '2027-1-1' is not a date written YYYY-MM-DD"],
    ),
    "date given as a number": (
        ("holidays/2027.yaml", "days: [2027-01-01]", "days: [20270101]"),
        ["holidays/2027.yaml: periods[0].days[0]: 20270101 is not a date written YYYY-MM-DD"],
    ),
    "date with a time of day": (
        ("holidays/2027.yaml", "days: [2027-01-01]", "days: [2027-01-01 09:00:00]"),
        [
            "holidays/2027.yaml: periods[0].days[0]: 2027-01-01T09:00:00 has a time of day;"
            " write the date alone, YYYY-MM-DD"
        ],
    ),
    "impossible quoted date": (
        ("holidays/2027.yaml", "days: [2027-01-01]", 'days: ["2027-02-29"]'),
        [
            "holidays/2027.yaml: periods[0].days[0]: invalid date '2027-02-29': day is out of"
            " range for month"
        ],
    ),
    "year file without its source": (
        ("holidays/2025.yaml", "source:\n", "origin:\n"),
        [
            "holidays/2025.yaml: source: required key is missing",
            "holidays/2025.yaml: origin: unknown key",
        ],
    ),
    "years left in holidays.yaml": (
        ("holidays.yaml", "basis:\n", "years: []\nbasis:\n"),
        ["holidays.yaml: years: unknown key"],
    ),
    "template placeholder not among its fields": (
        ("templates/statement_of_claim.zh.txt", "此致\n", "此致{judge}\n"),
        ["pack.yaml: templates[0].zh: placeholder {judge} is not in the template's fields"],
    ),
    "event limited to an unknown track": (
        ("events.yaml", "tracks: [small_claims]", "tracks: [small_claim]"),
        [
            "events.yaml: events[27].tracks[0]: unknown track 'small_claim' (did you mean"
            " 'small_claims'?)"
        ],
    ),
    "small-claims ceiling not half the wage": (
        ("jurisdiction.yaml", 'ceiling: "54323"', 'ceiling: "60000"'),
        [
            "jurisdiction.yaml: small_claims.ceilings[0].ceiling: 60000 is not 0.5 of the"
            " average wage 108645"
        ],
    ),
    "pack name differs from its folder": (
        ("pack.yaml", "name: cn_internet_court\n", "name: cn_internet_courts\n"),
        [
            "pack.yaml: name: 'cn_internet_courts' does not match the folder name"
            " 'cn_internet_court'"
        ],
    ),
    "step taken once per party open to the court": (
        (
            "events.yaml",
            "to_state: rejected\n    roles: [clerk]\n",
            "to_state: rejected\n    roles: [clerk]\n    once_per_party: true\n",
        ),
        [
            "events.yaml: events[4].roles[0]: role 'clerk' is not a party's: a step taken once"
            " per party is taken only by parties"
        ],
    ),
    "track chosen by an optional input": (
        (
            "events.yaml",
            "type: choice\n        choices: [ordinary",
            "type: choice\n        required: false\n        choices: [ordinary",
        ),
        ["events.yaml: events[3].sets_track: needs a required choice input named 'track'"],
    ),
    "track length for an unknown track": (
        ("time_limits.yaml", "track_lengths: {small_claims: 7}", "track_lengths: {small_claim: 7}"),
        [
            "time_limits.yaml: time_limits[14].track_lengths: unknown track 'small_claim' (did you"
            " mean 'small_claims'?)"
        ],
    ),
    "before-period without its date": (
        ("time_limits.yaml", "    starts_from: hearing_at\n", ""),
        [
            "time_limits.yaml: time_limits[6].starts_from: a 'before' period counts back from a"
            " date given by the starting event; name that input"
        ],
    ),
}


@pytest.mark.parametrize("edit, expected", BROKEN.values(), ids=BROKEN.keys())
def test_broken_pack_gives_the_exact_error(
    tmp_path: Path, edit: tuple[str, str, str], expected: list[str]
) -> None:
    assert _break(tmp_path, edit) == expected


def test_duplicate_role_id_is_reported_with_its_first_occurrence(tmp_path: Path) -> None:
    errors = _break(tmp_path, ("pack.yaml", "  - id: third_party\n", "  - id: defendant\n"))
    assert "pack.yaml: roles[2].id: duplicate id 'defendant' (first at roles[1])" in errors


def test_duplicate_yaml_key_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    errors = _break(
        tmp_path, ("pack.yaml", 'version: "2026.1"\n', 'version: "2026.1"\nversion: "2"\n')
    )
    assert errors == ["pack.yaml: line 5, column 1: duplicate key 'version'"]


def test_impossible_date_names_the_line(tmp_path: Path) -> None:
    errors = _break(tmp_path, ("holidays/2027.yaml", "days: [2027-01-01]", "days: [2027-02-30]"))
    assert errors == [
        "holidays/2027.yaml: line 12, column 12: invalid date '2027-02-30': day is out of range"
        " for month"
    ]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / NAME
    shutil.copytree(PACKS_DIR / NAME, target)
    return target


def _errors(target: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack_dir(target)
    return caught.value.errors


def test_a_misnamed_year_file_is_an_error_not_a_year_left_out(tmp_path: Path) -> None:
    target = _copy(tmp_path)
    (target / "holidays" / "2026.yaml").rename(target / "holidays" / "2026.yml")
    assert _errors(target) == [
        "holidays/2026.yml: (file): not a year file: name each year <year>.yaml, e.g. 2026.yaml"
    ]


def test_hidden_files_in_the_holidays_folder_are_ignored(tmp_path: Path) -> None:
    target = _copy(tmp_path)
    (target / "holidays" / ".2026.yaml.swp").write_bytes(b"\x00")
    assert load_pack_dir(target).calendar.is_published(2026)


def test_the_holidays_folder_is_required_and_not_empty(tmp_path: Path) -> None:
    target = _copy(tmp_path)
    for path in (target / "holidays").iterdir():
        path.unlink()
    assert _errors(target) == ["holidays: (folder): no year file: add one per year, e.g. 2026.yaml"]
    (target / "holidays").rmdir()
    assert _errors(target) == [
        "holidays: (folder): folder not found: one file per year, e.g. holidays/2026.yaml"
    ]


def test_adding_a_year_is_adding_one_file(tmp_path: Path) -> None:
    target = _copy(tmp_path)
    (target / "holidays" / "2028.yaml").write_text(
        "year: 2028\n"
        "complete: true\n"
        "source: {en: A notice for 2028, zh: 2028年的通知}\n"
        "periods:\n"
        "  - name: {en: New Year's Day, zh: 元旦}\n"
        "    days: [2028-01-01, 2028-01-02, 2028-01-03]\n"
        "    working_days: [2028-01-08]\n",
        encoding="utf-8",
    )
    pack = load_pack_dir(target)
    assert [year.year for year in pack.holidays.years] == [2025, 2026, 2027, 2028]
    assert pack.calendar.is_published(2028)
    assert not pack.calendar.is_working_day(date(2028, 1, 3))
    assert pack.calendar.is_working_day(date(2028, 1, 8))
    assert not load_pack(NAME).calendar.is_published(2028)


def test_pack_check_names_the_year_file_and_the_path(tmp_path: Path, capsys) -> None:
    target = _copy(tmp_path)
    year = target / "holidays" / "2026.yaml"
    year.write_text(
        year.read_text(encoding="utf-8").replace("[2026-05-09]", "[2026-05-04]"), encoding="utf-8"
    )
    assert main(["pack", "check", "--dir", str(target)]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == [
        "  holidays/2026.yaml: periods[3].working_days[0]: 2026-05-04 is a weekday;"
        " make-up working days fall on weekends",
        "  holidays/2026.yaml: periods[3].working_days[0]: 2026-05-04 is both a holiday"
        " (periods[3].days[3]) and a make-up working day",
    ]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    target = tmp_path / NAME
    shutil.copytree(PACKS_DIR / NAME, target)
    (target / "fees.yaml").unlink()
    with pytest.raises(PackError) as caught:
        load_pack_dir(target)
    assert caught.value.errors == ["fees.yaml: (file): file not found"]


def test_all_errors_across_files_are_collected(tmp_path: Path) -> None:
    errors = _break(
        tmp_path,
        ("events.yaml", "to_state: accepted\n", "to_state: acepted\n"),
        ("jurisdiction.yaml", "territory: [hangzhou]", "territory: [hangzou]"),
        ("fees.yaml", '{above: "100000", up_to: "200000"', '{above: "120000", up_to: "200000"'),
    )
    assert len(errors) == 3
    assert [e.split(":")[0] for e in errors] == ["events.yaml", "jurisdiction.yaml", "fees.yaml"]


def test_schema_errors_in_several_files_are_all_reported(tmp_path: Path) -> None:
    errors = _break(
        tmp_path,
        ("states.yaml", "  - id: draft\n", "  - id: draft\n    colour: red\n"),
        (
            "time_limits.yaml",
            "    length: 7\n    unit: days\n    basis:\n"
            "      article:\n        en: Civil Procedure Law (2023) Art. 126",
            "    length: 7\n    unit: weeks\n"
            "    basis:\n      article:\n        en: Civil Procedure Law (2023) Art. 126",
        ),
    )
    assert errors == [
        "states.yaml: states[0].colour: unknown key",
        "time_limits.yaml: time_limits[0].unit: Input should be 'days' or 'months'",
    ]
