"""The slow pages of issue 9's load run, at demo scale: our request beside how it worked before
(undone in the same run) and beside a baseline, the bare SQL of the same rows, with the ratios
and each request's number of queries.

    .venv/bin/python benchmarks/bench_lists.py                    # loads a demo (1,200 cases)
    .venv/bin/python benchmarks/bench_lists.py --reuse            # the database configured now

- API referral list (GET /api/v1/referrals, a caseworker's received box with --referrals
  referrals received): it opened, decrypted and audited each received referral's shared record;
  now a list opens none (ADR 8, 2026-12-06). Before = the same view with the shared record
  opened per row; baseline = the same rows (filter, limit) as a values() query.
- Intake form (GET /cases/intake/): ~2,300 options went through Django's widget templates, one
  include each; now harbour.core.widgets writes them (the same HTML). Before = the templates.
  Baseline: none (a form has no SQL to compare with; its 14 queries are the session's and the
  organisation's).
- Care map with a place and a need: its lists of needs, languages, genders, the same way.
- Case page (GET /cases/<id>/, an audited identity read): its two identity-read events are
  appended in one transaction. Before = one transaction each.
- Web case list (GET /cases/?page=2): unchanged, for scale; baseline = its page of rows.
- The second-factor step (harbour.accounts.middleware.second_factor_step), asked on every web
  page of a session that has not passed a second factor (a caseworker whose organisation does
  not require one): one query where it was three. Before = has_second_factor() then
  second_factor_required(); baseline = the same three EXISTS as one hand-written statement.
  Medians of 40 times --runs calls (each call is well under a millisecond).
- tenancy.widened (PostgreSQL), entered and left once per API request (the token lookup): two
  round trips where it was three. Before = read, set, restore; baseline = one set_config.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--reuse" not in sys.argv:
    _TMP = tempfile.mkdtemp(prefix="bench-lists-")
    os.environ["HARBOUR_VAR_DIR"] = _TMP
    os.environ.pop("HARBOUR_DATABASE_URL", None)  # a throwaway SQLite database in _TMP
    os.environ.setdefault("HARBOUR_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghij")
    os.environ.setdefault("HARBOUR_MASTER_KEY", "YmVuY2gtb25seS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE")
    os.makedirs(os.path.join(_TMP, "static"), exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["HARBOUR_ALLOWED_HOSTS"] = "testserver"

import django

django.setup()

from django import forms  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from harbour.accounts.actions import has_second_factor, issue_token  # noqa: E402
from harbour.accounts.middleware import second_factor_step  # noqa: E402
from harbour.accounts.models import Passkey, SecondFactorPolicy, TotpDevice, User  # noqa: E402
from harbour.accounts.policy import second_factor_required  # noqa: E402
from harbour.api.routers import sharing as sharing_api  # noqa: E402
from harbour.cases import actions as case_actions  # noqa: E402
from harbour.cases.models import Case, CaseStatus  # noqa: E402
from harbour.core import tenancy, widgets  # noqa: E402
from harbour.sharing import actions, policy  # noqa: E402
from harbour.sharing.models import Party, Referral  # noqa: E402
from harbour.standard import picklists  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> tuple[float, int]:
    """Median milliseconds of `runs` calls after one warm-up, and the queries of the last."""
    fn()
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(queries)


def row(name: str, ours: tuple[float, int], other: tuple[float, int] | None, label: str) -> None:
    o = f"{ours[0]:7.{_digits(ours[0])}f} ms {ours[1]:4d} q"
    if other is None:
        print(f"{name:<34} ours {o}   {label:<9} {'—':>14}")
        return
    print(
        f"{name:<34} ours {o}   {label:<9} {other[0]:7.{_digits(other[0])}f} ms {other[1]:4d} q"
        f"   ratio {ours[0] / other[0]:6.2f}"
    )


def _digits(ms: float) -> int:
    return 0 if ms >= 10 else 2


def national_caseworkers() -> list[User]:
    adopted = set(
        Party.objects.filter(
            agreement__is_national_protocol=True, accepted_at__isnull=False, left_at__isnull=True
        ).values_list("org_id", flat=True)
    )
    users = User.objects.filter(role="caseworker", is_active=True, org_id__in=adopted)
    return list(users.order_by("email"))


def receive_referrals(receiver: User, senders: list[User], wanted: int) -> None:
    """Referrals to the receiver's organisation from its partners' existing cases, until it has
    received `wanted` (a consent for each, as the load run's staff record)."""
    have = Referral.objects.filter(receiving_org_id=receiver.org_id).count()
    referred = set(Referral.objects.values_list("case_id", flat=True))
    for n in range(max(0, wanted - have)):
        sender = senders[n % len(senders)]
        open_cases = Case.objects.filter(
            org_id=sender.org_id, status__in=[CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP]
        )
        case = open_cases.exclude(pk__in=referred).order_by("pk").first()
        assert case is not None, "no case left to refer"
        referred.add(case.pk)
        actions.record_consent(
            by=sender,
            survivor=case.survivor,
            recipient_kind="organisation",
            recipient_org=receiver.org,
            categories=["identity_contact", "needs"],
            purposes=["referral"],
            method="verbal",
        )
        actions.send_referral(
            by=sender,
            case=case,
            receiving_org=receiver.org,
            values={"referral_date": case.intake_date, "reason": "other"},
        )


def bench_referrals(user: User, runs: int) -> None:
    _token, plain = issue_token(by=user, name="bench_lists")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")

    def ours() -> None:
        assert api.get("/api/v1/referrals").status_code == 200

    def bare() -> None:
        rows = Referral.objects.filter(receiving_org_id=user.org_id).values(
            "id", "kind", "status", "org_id", "receiving_org_id", "created_at", "responded_at"
        )
        list(rows[:200])

    mine = timed(ours, runs)
    original = sharing_api._referral_out
    # Before: the list opened each received referral's shared record (open_shared's default).
    setattr(sharing_api, "_referral_out", lambda r, u, open_shared=True: original(r, u))  # noqa: B010
    try:
        before = timed(ours, runs)
    finally:
        setattr(sharing_api, "_referral_out", original)  # noqa: B010
    received = policy.referrals_for(user).filter(receiving_org_id=user.org_id).count()
    name = f"api: referrals ({received} received)"
    row(name, mine, before, "before")
    row(name, mine, timed(bare, runs), "bare SQL")


def templates_widgets(on: bool) -> None:
    """Django's widget templates (before) or ours."""
    for cls in (
        widgets.Select,
        widgets.SelectMultiple,
        widgets.RadioSelect,
        widgets.CheckboxSelectMultiple,
    ):
        if on:
            setattr(cls, "_render", forms.Widget._render)  # type: ignore[attr-defined]  # noqa: B010
        elif "_render" in cls.__dict__:
            delattr(cls, "_render")


def bench_page(client: Client, name: str, url: str, runs: int) -> None:
    def get() -> None:
        assert client.get(url).status_code == 200

    mine = timed(get, runs)
    templates_widgets(True)

    def get_before() -> None:
        picklists.sort_key.cache_clear()
        picklists.everyday_language.cache_clear()
        get()

    try:
        before = timed(get_before, runs)
    finally:
        templates_widgets(False)
    row(name, mine, before, "before")


def bench_case_page(client: Client, user: User, runs: int) -> None:
    """Before: the two identity reads in two transactions (record_identity_read each)."""
    case = Case.objects.filter(org_id=user.org_id).order_by("pk").first()
    assert case is not None
    url = f"/cases/{case.pk}/"

    def get() -> None:
        assert client.get(url).status_code == 200

    def one_by_one(*, by: User, reads: list, purpose: str) -> None:
        for read in reads:  # each read alone, in its own transaction (the original, unpatched)
            with transaction.atomic():
                original(by=by, reads=[read], purpose=purpose)

    mine = timed(get, runs)
    original = case_actions.record_identity_reads
    setattr(case_actions, "record_identity_reads", one_by_one)  # noqa: B010
    try:
        before = timed(get, runs)
    finally:
        setattr(case_actions, "record_identity_reads", original)  # noqa: B010
    row("web: case page (audited)", mine, before, "before")


def bench_case_list(client: Client, user: User, runs: int) -> None:
    def ours() -> None:
        assert client.get("/cases/?page=2").status_code == 200

    def bare() -> None:
        rows = Case.objects.filter(org_id=user.org_id).order_by("-intake_date", "-created_at")
        list(rows.values("id", "intake_date", "status", "created_at")[25:50])
        rows.count()

    row("web: case list (page 2)", timed(ours, runs), timed(bare, runs), "bare SQL")


def bench_second_factor_step(user: User, runs: int) -> None:
    def before() -> str | None:
        if has_second_factor(user):
            return "verify"
        return "enrol" if second_factor_required(user) else None

    tables = [m._meta.db_table for m in (TotpDevice, Passkey, SecondFactorPolicy)]
    sql = (
        f"SELECT EXISTS (SELECT 1 FROM {tables[0]} WHERE user_id = %s"  # noqa: S608 (our names)
        f" AND confirmed_at IS NOT NULL), EXISTS (SELECT 1 FROM {tables[1]} WHERE user_id = %s),"
        f" EXISTS (SELECT 1 FROM {tables[2]} WHERE org_id = %s AND caseworkers_required)"
    )
    user_id = User._meta.pk.get_db_prep_value(user.pk, connection)
    org_id = User._meta.get_field("org").get_db_prep_value(user.org_id, connection)

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, user_id, org_id])
            cursor.fetchone()

    assert second_factor_step(user) == before()
    many = runs * 40
    name = "web: second-factor step, per page"
    mine = timed(lambda: second_factor_step(user), many)
    row(name, mine, timed(before, many), "before")
    row(name, mine, timed(bare, many), "bare SQL")


def bench_widened(user: User, runs: int) -> None:
    if connection.vendor != "postgresql":
        return

    def ours() -> None:
        with tenancy.widened("bench"):
            pass

    def before() -> None:  # the three round trips it took
        org, scope = tenancy._current()
        tenancy._set(org, tenancy.ALL)
        tenancy._restore(org, scope)

    def bare() -> None:
        tenancy._set(user.org_id, "org")

    tenancy.for_user(user)
    try:
        many = runs * 40
        mine = timed(ours, many)
        row("tenancy.widened, per API request", mine, timed(before, many), "before")
        row("tenancy.widened, per API request", mine, timed(bare, many), "bare SQL")
    finally:
        tenancy.reset()


def _refuse_a_real_database() -> None:
    """The run issues a token and records consents and referrals: with --reuse, only in a
    database of the synthetic demo (every organisation made by the demo loader)."""
    from harbour.orgs.models import Organisation

    if Organisation.objects.filter(is_synthetic=False).exists():
        sys.exit("bench_lists writes referrals: this database holds real organisations.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--referrals", type=int, default=40, help="received by the caseworker")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the database configured")
    args = parser.parse_args()
    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("demo_load", cases=args.cases, seed=2026, password="bench-pass-1234")
    _refuse_a_real_database()
    staff = national_caseworkers()
    user = staff[0]
    receive_referrals(user, [u for u in staff if u.org_id != user.org_id], args.referrals)
    client = Client()
    client.force_login(user)
    client.get("/cases/")  # the first request of a process imports every URL module: not ours
    print(f"{connection.vendor}, {Case.objects.count()} cases, medians of {args.runs} runs\n")
    bench_referrals(user, args.runs)
    bench_page(client, "web: intake (form)", "/cases/intake/", args.runs)
    place = "/directory/care-map/?place=Toronto&needs=emergency_shelter"
    bench_page(client, "web: care map (Toronto, a need)", place, args.runs)
    bench_case_page(client, user, args.runs)
    bench_case_list(client, user, args.runs)
    bench_second_factor_step(user, args.runs)
    bench_widened(user, args.runs)


if __name__ == "__main__":
    main()
