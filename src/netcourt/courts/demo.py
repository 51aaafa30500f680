"""The demo court system: three internet courts, their staff, litigants, and cases in every
state the procedure pack can reach, all made through the same actions a person would use."""

from __future__ import annotations

import io
from collections import deque
from contextlib import nullcontext
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import translation

from netcourt.accounts import identity, organisations
from netcourt.accounts.mfa import StepUp, add_totp
from netcourt.accounts.models import MemberRole, Organisation, User
from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.courts.models import Court, CourtMembership, CourtRole
from netcourt.evidence.demo import add_demo_evidence, add_undisputed_evidence
from netcourt.hearings import scheduling
from netcourt.hearings.actions import current_hearing, log
from netcourt.hearings.models import Hearing, HearingStatus, LogKind, Sitting
from netcourt.identity.numbers import prc_id_check_character
from netcourt.payments import actions as payments
from netcourt.payments import policy as payment_policy
from netcourt.payments import refunds
from netcourt.paysandbox import actions as sandbox
from netcourt.procedure import Event, Pack, load_pack, propose_track
from netcourt.service.actions import mark_read, record_consent
from netcourt.service.models import Channel, Delivery
from netcourt.transparency.actions import integrate_all
from netcourt.transparency.keys import log_verifier_key

DEMO_DOMAIN = "demo.netcourt.localhost"
DEMO_PASSWORD = "netcourt-demo"  # noqa: S105 - printed on the console for the demo only
DEMO_TOTP_SECRET = "NETCOURTDEMOSTAFFTOTPSECRETABCDE"  # noqa: S105 - published, demo only

STAFF_NAMES = {
    "clerk": ["陈静 Chen Jing", "刘洋 Liu Yang", "黄丽 Huang Li"],
    "judge1": ["王建国 Wang Jianguo", "赵敏 Zhao Min", "周涛 Zhou Tao"],
    "judge2": ["孙磊 Sun Lei", "吴芳 Wu Fang", "郑凯 Zheng Kai"],
    "president": ["杜强 Du Qiang", "林红 Lin Hong", "何平 He Ping"],
}

PEOPLE = [
    ("alice", "张伟 Zhang Wei", "zh-hans", "litigant who works in Chinese"),
    ("bob", "Bob Turner", "en", "litigant who works in English"),
    (
        "shop",
        "李强 Li Qiang",
        "zh-hans",
        "legal representative of the online shop (a company), defendant in the demo cases",
    ),
    ("lawyer", "王芳 Wang Fang", "zh-hans", "lawyer, files for a client"),
]
LAWYER_LICENCE = "13301201910123456"
CLIENT = "陈小明 Chen Xiaoming"
# The demo shop's company: a made-up but well-formed unified social credit code (Hangzhou,
# Yuhang district; organisation code MA2H3K7D8 with its GB 11714 check character).
SHOP_COMPANY = "杭州云购电子商务有限公司 Hangzhou Yungou E-commerce Co., Ltd."
SHOP_CREDIT_CODE = "91330110MA2H3K7D8J"

# When the demo courts sit for hearings (their time zone): Monday to Friday, mornings and
# afternoons.
SITTINGS = ((time(9), time(12)), (time(14), time(17, 30)))
# A demo hearing held online lasts this long (internet courts: 20 to 40 minutes).
HEARING_MINUTES = 25
# A case taken past its hearing starts this many days earlier, for the notice before it.
HEARING_DAYS = 14

SCENARIOS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("demo_cases.yaml")).read_text(encoding="utf-8")
)["scenarios"]


def fictitious_id_number(seed: int) -> str:
    """A valid but made-up PRC resident ID number (Hangzhou, born 1960–1962), one per seed."""
    birth = date(1960, 1, 1) + timedelta(days=seed % 1000)
    body = f"330106{birth:%Y%m%d}{seed % 1000:03d}"
    return body + prc_id_check_character(body)


def _verified(user: User) -> User:
    """Demo litigants have a checked identity document, as filing requires."""
    if identity.active(user) is None:
        identity.verify_document(user, str(user), "prc-id", fictitious_id_number(user.pk))
    return user


def _staff(user: User) -> User:
    """Court staff cannot act without a second factor: the demo's share one published secret."""
    add_totp(user, DEMO_TOTP_SECRET)
    return user


def _user(username: str, name: str, lang: str, password: str, *, staff: bool = False) -> User:
    email = f"{username}@{DEMO_DOMAIN}"
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": email, "display_name": name, "preferred_language": lang},
    )
    if created:
        user.set_password(password)
        user.is_staff = staff
        user.save()
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return user


def _path_to(pack: Pack, target: str, track: str) -> list[Event]:
    """The shortest sequence of state-changing events from the initial state to ``target``
    open to a case on ``track``."""
    start = pack.initial_state
    queue: deque[tuple[str, list[Event]]] = deque([(start, [])])
    seen = {start}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for event in pack.events.values():
            if event.tracks and track not in event.tracks:
                continue
            if state in event.from_states and event.to_state and event.to_state not in seen:
                seen.add(event.to_state)
                queue.append((event.to_state, [*path, event]))
    raise LookupError(f"state {target!r} cannot be reached")


def _inputs(event: Event, today: date, case: Case) -> dict[str, object]:
    values: dict[str, object] = {}
    for item in event.inputs:
        if not item.required and item.type != "list":
            continue
        if item.name == event.sets_track and case.track:
            values[item.name] = case.track
        elif item.type == "list":
            if item.required:
                values[item.name] = [
                    "请补充被告的统一社会信用代码 / Give the defendant's registration number"
                ]
        elif item.type == "longtext":
            values[item.name] = "依据相关法律规定处理。/ Handled according to the applicable rules."
        elif item.type == "date":
            values[item.name] = today + timedelta(days=10)
        elif item.type == "money":
            values[item.name] = Decimal("100.00")
        elif item.type == "int":
            values[item.name] = 1
        elif item.type == "bool":
            values[item.name] = True
        elif item.type == "choice":
            values[item.name] = item.choices[0]
        else:
            values[item.name] = "demo"
    return values


def _actor(event: Event, case: Case, people: dict[str, User]) -> User | None:
    for role in event.roles:
        if role == "plaintiff":
            return case.created_by
        if role == "defendant":
            return people["shop"]
        if role == "clerk":
            return people[f"clerk.{case.court.slug}"]
        if role == "judge" and case.judge is not None:
            return case.judge
        if role == "system":
            return None
    raise LookupError(f"no demo actor for {event.id}")


def _track_at(court: Court, scenario: dict[str, Any]) -> str | None:
    """The track the court proposes for the scenario's case; None if it does not hear it."""
    if scenario["category"] not in court.pack_court.categories:
        return None
    return propose_track(
        court.pack,
        court.pack_court_id,
        scenario["category"],
        Decimal(scenario["amount"]),
        [],
        scenario["simple"],
    ).track


def _site() -> str:
    """The court's address as its settings give it (``NETCOURT_BASE_URL``)."""
    return str(settings.NETCOURT_BASE_URL).rstrip("/")


def _plan(court: Court, target: str, offset: int) -> tuple[dict[str, Any], list[Event]] | None:
    """A scenario (tried from ``offset`` on) whose track can reach ``target``, and the path."""
    for n in range(len(SCENARIOS)):
        scenario = SCENARIOS[(offset + n) % len(SCENARIOS)]
        track = _track_at(court, scenario)
        if track is None:
            continue
        try:
            return scenario, _path_to(court.pack, target, track)
        except LookupError:
            continue
    return None


def _make_case(
    court: Court,
    scenario: dict[str, Any],
    path: list[Event],
    filer: User,
    people: dict[str, User],
    *,
    lawyer: bool = False,
) -> Case:
    pack = court.pack
    home = court.pack_court.territory[0]
    lang = filer.preferred_language or "en"
    key = "zh" if lang.startswith("zh") else "en"
    held = any("hearing_held" in e.effects for e in path)
    start = clock.now() - timedelta(days=len(path) + 1 + (HEARING_DAYS if held else 0))
    moving = clock.FixedClock(start)
    with clock.use(moving), translation.override(lang):
        data = actions.FilingData(
            title=scenario["title"][key],
            amount=Decimal(scenario["amount"]),
            claims=scenario["claims"][key],
            facts=scenario["facts"][key],
            platform=scenario["platform"],
            factors={
                k: v.replace("{home}", home)
                for k, v in scenario["factors"].items()
                if k in pack.categories[scenario["category"]].connecting_factors
            },
            exclusions=[],
            simple=scenario["simple"],
            parties=[
                actions.PartyData(
                    role="plaintiff",
                    kind="natural",
                    name=CLIENT if lawyer else str(filer),
                    contact_email="" if lawyer else filer.email,
                ),
                actions.PartyData(
                    role="defendant",
                    kind="legal",
                    name=SHOP_COMPANY,
                    address="杭州市余杭区文一西路 Hangzhou",
                    representative_name="李强 Li Qiang",
                ),
            ],
        )
        case = actions.file_case(
            filer,
            court,
            scenario["category"],
            data,
            acting_as="lawyer" if lawyer else "self",
            licence_number=LAWYER_LICENCE if lawyer else "",
            firm="浙江网信律师事务所 Zhejiang Wangxin Law Firm" if lawyer else "",
        )
        shop_party = case.parties.get(role="defendant")
        shop_party.user = people["shop"]
        shop_party.organisation = Organisation.objects.filter(credit_code=SHOP_CREDIT_CODE).first()
        shop_party.save(update_fields=["user", "organisation"])
        # Where the case goes past service, the shop agreed to be served in its netcourt
        # inbox: the complaint reaches it at once and the system confirms service itself.
        consents = any(e.id == "confirm_service" for e in path)
        # Where the case comes to a hearing, both sides agreed to take part online: the
        # hearing is held in the virtual courtroom.
        online = any(scheduling.SCHEDULE_EFFECT in e.effects for e in path)
        for event in path:
            moving.advance(timedelta(days=1))
            case.refresh_from_db()
            if case.state not in event.from_states and event.id in case.event_ids():
                continue  # the system took this step already
            actor = _actor(event, case, people)
            inputs = _inputs(event, clock.today(), case)
            if "orders" in {item.name for item in event.inputs}:
                inputs.update(_judgment(scenario, key))
            if scheduling.SCHEDULE_EFFECT in event.effects:
                _schedule(case, event, actor)
                continue
            if "asynchronous_conditions" in event.effects:
                _ask_for_asynchronous_trial(case, filer, people["shop"], shop_party)
            if "hearing_held" in event.effects:
                _hold_online(case, moving)
            if actor is None:
                with transaction.atomic():
                    locked = Case.objects.select_for_update().get(pk=case.pk)
                    actions.fire_as_system(locked, event.id, inputs)
                    locked.save()
            else:
                # The demo's people "confirm with their second factor" at the moment they act.
                step_up = StepUp(method="demo", at=clock.now())
                actions.fire(actor, case.id, event.id, case.version, inputs, step_up=step_up)
            if event.id == "submit" and consents:
                record_consent(
                    people["shop"],
                    case.id,
                    shop_party.pk,
                    "electronic_service",
                    "given",
                    channels=["inbox"],
                )
            if event.id == "submit" and online:
                plaintiff = case.parties.get(role="plaintiff")
                for person, party in ((filer, plaintiff), (people["shop"], shop_party)):
                    record_consent(person, case.id, party.pk, "online_litigation", "given")
            _pay_online(case, filer, path[path.index(event) + 1 :])
        _read_what_was_served(case, moving)
    case.refresh_from_db()
    return case


def _read_what_was_served(case: Case, moving: clock.FixedClock) -> None:
    """The demo's people read what the court served in their inbox an hour after it came,
    as a careful litigant does, so that the worker does not, on its first run, fall back to
    e-mailing them fee notices and summonses of cases long over. Not what the step the case's
    story stops at served (the fee notice of a case left to pay, the summons of a hearing to
    come, a judgment waiting for its service): those wait for the visitor."""
    case.refresh_from_db()
    pack = case.court.pack
    if pack.service is None:
        return
    waiting = Delivery.objects.filter(
        service__case=case,
        service__effective_at__isnull=True,
        channel=Channel.INBOX,
        read_at__isnull=True,
        sent_at__isnull=False,
    ).select_related("service__served_by")
    for delivery in waiting:
        if pack.events[delivery.service.served_by.event].to_state == case.state:
            continue  # served by the step the case's story stops at: for the visitor to read
        assert delivery.sent_at is not None  # (filtered above)
        read_at = min(delivery.sent_at + timedelta(hours=1), moving.now())
        with clock.use(clock.FixedClock(read_at)):
            mark_read(delivery)


def _judgment(scenario: dict[str, Any], key: str) -> dict[str, object]:
    """What the demo's judge finds and orders: the plaintiff's facts found, the claim upheld."""
    amount = Decimal(scenario["amount"])
    return {
        "findings": scenario["facts"][key],
        "reasoning": "原告的诉讼请求事实清楚、证据充分，本院予以支持。/ The plaintiff's claim "
        "rests on clear facts and sufficient evidence; the court upholds it.",
        "orders": [
            f"被告于本判决生效之日起十日内向原告支付人民币{amount:,.2f}元。/ The defendant pays the "
            f"plaintiff CNY {amount:,.2f} within ten days of this judgment taking effect."
        ],
        "costs": "案件受理费由被告负担。/ The defendant bears the acceptance fee.",
    }


def _pay_online(case: Case, payer: User, rest: list[Event]) -> None:
    """The plaintiff pays the fee through the payment sandbox as soon as it is due, as the
    court asks, when the case goes on from there: unless its story needs the fee unpaid (it
    is deemed withdrawn when the time to pay runs out). A case left where the fee falls due
    stays unpaid, for a visitor to pay."""
    case.refresh_from_db()
    step = payment_policy.payment_step(case)
    if not rest or step is None or not payment_policy.may_pay_online(payer, case):
        return
    if any(event.on_expiry in step.stops for event in rest):
        return
    intent = payments.start_payment(payer, case.id, _site() + "/")
    sandbox.pay(intent.provider_id, sandbox.CARD_SUCCEEDS)
    payments.refresh(intent)


def _schedule(case: Case, event: Event, actor: User | None) -> None:
    """The judge (or clerk) schedules the hearing at the first free time within the court's
    sittings that leaves the notice the law requires, as on the scheduling page; and, since
    each demo case runs on a clock of its own, not at the time of a hearing the judge held
    in another demo case."""
    minutes = 30
    after = clock.now()
    while True:
        starts_at = scheduling.first_free(case, event, minutes, after)
        if starts_at is None:
            raise LookupError(f"no free time for a hearing in {case.number}")
        taken = Hearing.objects.filter(
            case__judge_id=case.judge_id,
            starts_at__lt=starts_at + timedelta(minutes=minutes),
            starts_at__gt=starts_at - timedelta(minutes=scheduling.MAX_MINUTES),
        )
        if not any(scheduling.ends_at(h) > starts_at for h in taken):
            break
        after = starts_at + timedelta(minutes=minutes)
    scheduling.schedule(actor, case.id, case.version, starts_at=starts_at, minutes=minutes)


def _ask_for_asynchronous_trial(case: Case, filer: User, shop: User, shop_party: Any) -> None:
    """What an asynchronous trial needs (SPC Online Litigation Rules Art. 20): the plaintiff
    applies in writing, both sides agree to take steps at different times, and the evidence
    exchanged is not disputed."""
    plaintiff = case.parties.get(role="plaintiff")
    for person, party in ((filer, plaintiff), (shop, shop_party)):
        record_consent(person, case.id, party.pk, "asynchronous", "given")
    add_undisputed_evidence(filer, shop, case)
    case.refresh_from_db()
    actions.fire(
        filer,
        case.id,
        "apply_asynchronous_trial",
        case.version,
        {"reasons": "双方对主要事实无争议。/ The main facts are not disputed."},
    )
    case.refresh_from_db()


def _hearing_in_session(court: Court) -> None:
    """The demo's hearing about to begin: the scheduled hearing at the first court starts now,
    whatever the day and hour, so that a visitor can enter it as the judge and as the shop."""
    hearing = (
        Hearing.objects.filter(case__court=court, status=HearingStatus.SCHEDULED)
        .order_by("starts_at")
        .first()
    )
    if hearing is not None:
        hearing.starts_at = clock.now().replace(second=0, microsecond=0)
        hearing.sequence += 1
        hearing.save(update_fields=["starts_at", "sequence"])


def _hold_online(case: Case, moving: clock.FixedClock) -> None:
    """The online hearing takes place: the judge opens it in the room on time and ends it
    some 25 minutes later (then the case moves on); the clock goes to just after."""
    hearing = current_hearing(case)
    if hearing is None:
        return
    opened = hearing.starts_at + timedelta(minutes=2)
    ended = opened + timedelta(minutes=HEARING_MINUTES)
    moving.advance(max(opened - moving.now(), timedelta(0)))
    log(hearing, LogKind.OPENED)
    moving.advance(max(ended - moving.now(), timedelta(0)))
    log(hearing, LogKind.ENDED)
    hearing.status = HearingStatus.ENDED
    hearing.opened_at, hearing.ended_at = opened, ended
    hearing.save(update_fields=["status", "opened_at", "ended_at"])
    moving.advance(timedelta(minutes=10))


def _shop_company(shop: User, clerk: User) -> Organisation:
    """The shop's company, with the shop approved as its legal representative (the demo's
    business licence is a one-page PDF saying so)."""
    existing = Organisation.objects.filter(credit_code=SHOP_CREDIT_CODE).first()
    if existing is not None:
        return existing
    from netcourt.evidence.demo import demo_pdf

    licence = demo_pdf(
        [
            "Business licence (demo) / yingye zhizhao",
            "Hangzhou Yungou E-commerce Co., Ltd.",
            f"Unified social credit code: {SHOP_CREDIT_CODE}",
            "Legal representative: Li Qiang (the demo shop account)",
        ]
    )
    member = organisations.register(
        shop,
        SHOP_COMPANY,
        SHOP_CREDIT_CODE,
        MemberRole.LEGAL_REPRESENTATIVE,
        organisations.Incoming(
            opener=lambda: nullcontext(io.BytesIO(licence)),
            size=len(licence),
            filename="business-licence-demo.pdf",
            discard=lambda: None,
        ),
    )
    organisations.approve(clerk, member.pk)
    return member.organisation


def _make_cases(pack: Pack, people: dict[str, User]) -> list[dict[str, str]]:
    """One case in every state the pack can reach, at the first court; one filing waiting
    at each other court, so that every clerk has a queue."""
    made = []
    courts = [Court.objects.get(slug=court_id) for court_id in pack.courts]
    filed = [
        e.to_state
        for e in pack.events.values()
        if pack.initial_state in e.from_states and "check_filing" in e.effects and e.to_state
    ]
    work = [(courts[0], target) for target in pack.states] + [
        (court, target) for court in courts[1:] for target in filed
    ]
    for index, (court, target) in enumerate(work):
        plan = _plan(court, target, index)
        if plan is None:
            continue
        scenario, path = plan
        filer = people["alice"] if index % 2 == 0 else people["bob"]
        case = _make_case(court, scenario, path, filer, people)
        made.append({"court": court.slug, "state": case.state, "id": str(case.id)})
    plan = _plan(courts[0], filed[0], 0)
    if plan is not None:
        scenario, path = plan
        case = _make_case(courts[0], scenario, path, people["lawyer"], people, lawyer=True)
        made.append({"court": courts[0].slug, "state": case.state, "id": str(case.id)})
    refunded = _withdrawn_after_paying(courts[0], people)
    if refunded is not None:
        made.append({"court": courts[0].slug, "state": refunded.state, "id": str(refunded.id)})
    return made


def _withdrawn_after_paying(court: Court, people: dict[str, User]) -> Case | None:
    """A case on the ordinary track, its fee paid online, then withdrawn: half the fee comes
    back (Measures on the Payment of Litigation Costs Art. 15), sent and refunded."""
    pack = court.pack
    ordinary = [scenario for scenario in SCENARIOS if _track_at(court, scenario) == "ordinary"]
    if not ordinary or not {"submit", "accept", "withdraw"} <= set(pack.events):
        return None
    path = [pack.events[step] for step in ("submit", "accept", "withdraw")]
    case = _make_case(court, ordinary[-1], path, people["bob"], people)
    refunds.send_refunds()
    return case


def load_demo(password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """Create (once) the demo courts, people and cases; return how to sign in."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    people: dict[str, User] = {}
    logins: list[dict[str, str]] = []
    admin = _staff(_user("admin", "Court Administrator 法院管理员", "en", password, staff=True))
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
    logins.append({"role": "administrator (back office /backoffice/)", "email": admin.email})
    for index, court_id in enumerate(pack.courts):
        court, _ = Court.objects.get_or_create(
            slug=court_id, defaults={"pack_name": pack.name, "pack_court_id": court_id}
        )
        if not Sitting.objects.filter(court=court).exists():
            Sitting.objects.bulk_create(
                Sitting(court=court, weekday=day, starts=starts, ends=ends)
                for day in range(5)
                for starts, ends in SITTINGS
            )
        for key, role in (
            ("clerk", CourtRole.CLERK),
            ("judge1", CourtRole.JUDGE),
            ("judge2", CourtRole.JUDGE),
            ("president", CourtRole.PRESIDENT),
        ):
            username = f"{key}.{court_id}"
            name = STAFF_NAMES[key][index % len(STAFF_NAMES[key])]
            user = _staff(_user(username, name, "zh-hans", password))
            CourtMembership.objects.get_or_create(court=court, user=user, role=role)
            people[username] = user
            logins.append({"role": f"{role.label} — {court.name_in('en')}", "email": user.email})
    for username, name, lang, description in PEOPLE:
        people[username] = _verified(_user(username, name, lang, password))
        logins.append({"role": f"{description}: {name}", "email": people[username].email})
    # The shop's representative answers for a company: they use an authenticator too, and so
    # can examine evidence (a sensitive step) the moment they have signed in.
    add_totp(people["shop"], DEMO_TOTP_SECRET)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _shop_company(people["shop"], people[f"clerk.{next(iter(pack.courts))}"])
    made = []
    evidence = 0
    if not Case.objects.filter(created_by__in=[people["alice"], people["bob"]]).exists():
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", NETCOURT_JOBS="immediate"
        ):
            made = _make_cases(pack, people)
            _hearing_in_session(Court.objects.get(slug=next(iter(pack.courts))))
            evidence = add_demo_evidence(people)
        integrate_all()
    lines = [
        f"netcourt demo court — sign in at {_site()}/accounts/login/",
        f"Every demo account uses the password: {password}",
        "Court staff, the administrator and the shop also use a second factor. Their",
        f"authenticator secret is {DEMO_TOTP_SECRET} (add it to an authenticator app), or",
        "print the current code with: netcourt demo --code",
        "Others are asked to set one up before a sensitive step (giving an opinion on",
        "evidence, withdrawing a case, appointing a representative).",
        "",
    ]
    width = max(len(entry["email"]) for entry in logins)
    lines += [f"  {entry['email']:<{width}}  {entry['role']}" for entry in logins]
    if made:
        lines += [
            "",
            f"Created {len(made)} demo cases, one in each stage of the procedure, with"
            f" {evidence} evidence items.",
            f"The transparency log is at {_site()}/log/checkpoint; its key:",
            f"  {log_verifier_key()}",
        ]
    return {
        "password": password,
        "totp_secret": DEMO_TOTP_SECRET,
        "logins": logins,
        "cases": made,
        "text": "\n".join(lines),
    }
