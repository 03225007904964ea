"""Crash consistency: a real Harbour server (gunicorn) is killed with SIGKILL in the middle of
intakes, referrals and a directory import; after each kill the data is checked and the server
restarted.

Checked after every kill:
  - every acknowledged write is there: each intake the API answered 201 has its case, its
    survivor (whose sealed values open: their key reached the key store first) and its audit
    event; each acknowledged referral is there with its `referral.sent` event;
  - nothing half-written is: no survivor without a case, no case without its `case.created`
    event, no referral without its `referral.sent` event, no sealed survivor without their key,
    and the directory import is all or nothing (every service of the file, or none);
  - the audit trail verifies (`harbour audit verify`), and the restarted server works.

    .venv/bin/python benchmarks/crash_run.py                       # SQLite, a throwaway file
    createdb -h 127.0.0.1 -U postgres harbour_crash                # PostgreSQL: an EMPTY database
    .venv/bin/python benchmarks/crash_run.py \\
        --database-url postgres://postgres@127.0.0.1:5432/harbour_crash

tests/test_crash_consistency.py runs it (slow marker). Exit status 0 only if every check held.
"""

import argparse
import base64
import copy
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from load_run import free_port, wait_until_up  # noqa: E402

IMPORT_PREFIX = "Crash import"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="kills (default 3): all but the last during the import, the last just after it",
    )
    parser.add_argument("--services", type=int, default=400, help="services in the import file")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    return parser.parse_args(argv)


def environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    def key() -> str:
        return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")

    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "HARBOUR_VAR_DIR": str(var_dir),
        "HARBOUR_DATABASE_URL": args.database_url,
        "HARBOUR_KEYSTORE_URL": f"sqlite:///{var_dir / 'keys' / 'keystore.sqlite3'}",
        "HARBOUR_SECRET_KEY": secrets.token_urlsafe(48),
        "HARBOUR_MASTER_KEY": key(),
        "HARBOUR_AUDIT_KEY": key(),
        "HARBOUR_DEBUG": "false",
        "HARBOUR_SECURE_COOKIES": "false",
        "HARBOUR_FAST_PASSWORD_HASHER": "1",
        "HARBOUR_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HARBOUR_LOG_LEVEL": "ERROR",
        "HARBOUR_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


SETUP = r"""
import json, sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
call_command("collectstatic", verbosity=0, interactive=False)
from harbour.accounts.actions import create_user, issue_token
from harbour.audit.actions import SystemActor
from harbour.orgs.actions import create_organisation
from harbour.sharing import actions as sharing
from django.utils import timezone
system = SystemActor("crash-run")
password = sys.argv[2]
def org(short, province):
    return create_organisation(by=system, name_en=short, name_fr=short, short_name=short,
                               type="ngo", province=province, provinces_served=[province])
def user(o, role, n):
    return create_user(by=system, email=f"{role}{n}@{o.short_name}.example", full_name=role,
                       org_id=o.pk, role=role, password=password, must_change_password=False)
a, b = org("crash-a", "CA-ON"), org("crash-b", "CA-QC")
agreement = sharing.propose_agreement(by=user(a, "org_admin", 1), title="Crash protocol",
    partners=[b], categories=["identity_contact", "needs"], purposes=["referral"],
    valid_from=timezone.localdate())
sharing.accept_agreement(by=user(b, "org_admin", 1), agreement=agreement)
workers = [user(a, "caseworker", n) for n in range(3)]
admin = user(a, "system_admin", 9)
from harbour.accounts.actions import enrol_known_totp, regenerate_recovery_codes
import pyotp
enrol_known_totp(by=system, user=admin, secret=pyotp.random_base32(), name="crash run")
codes = regenerate_recovery_codes(by=admin)  # its second factor at each sign-in (ADR 38)
json.dump({"tokens": [issue_token(by=w, name="crash")[1] for w in workers],
           "partner": str(b.pk), "admin": admin.email, "password": password, "codes": codes,
           "today": str(timezone.localdate())}, open(sys.argv[1], "w"))
"""


def setup(env: dict[str, str], var_dir: Path) -> dict[str, Any]:
    plan = var_dir / "plan.json"
    password = secrets.token_urlsafe(16)
    command = [sys.executable, "-c", SETUP, str(plan), password]
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603
    loaded: dict[str, Any] = json.loads(plan.read_text())
    return loaded


def import_file(services: int, round_no: int) -> bytes:
    """The HSDS test bundle's service, copied `services` times with fresh ids throughout."""
    source = ROOT / "harbour" / "directory" / "tests" / "data" / "foreign_hsds.json"
    template = json.loads(source.read_text())["contents"][0]
    ids = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    contents = []
    for n in range(services):
        service = copy.deepcopy(json.loads(_fresh_ids(json.dumps(template), ids)))
        service["name"] = f"{IMPORT_PREFIX} {round_no}-{n}"
        contents.append(service)
    return json.dumps({"contents": contents}).encode()


def _fresh_ids(text: str, ids: re.Pattern[str]) -> str:
    """The same text with each distinct id replaced by a new one (the same one everywhere)."""
    fresh: dict[str, str] = {}
    return ids.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)


class Drivers:
    """The traffic a kill interrupts, and what the server acknowledged."""

    def __init__(self, base: str, plan: dict[str, Any], import_data: bytes) -> None:
        self.base, self.plan, self.import_data = base, plan, import_data
        self.intakes: list[dict[str, Any]] = []
        self.referrals: list[str] = []
        self.import_acknowledged = False
        self.import_sent = threading.Event()
        self.lock = threading.Lock()

    def intake_loop(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while True:
            key = uuid.uuid4().hex
            body = {
                "survivor": {"given_name": "Crash", "family_name": key[:12]},
                "case": {
                    "intake_date": self.plan["today"],
                    "intake_province": "CA-ON",
                    "consent_to_record": True,
                },
            }
            try:
                answer = requests.post(
                    f"{self.base}/api/v1/cases",
                    json=body,
                    headers=headers | {"Idempotency-Key": key},
                    timeout=30,
                )
            except requests.RequestException:
                return  # the server is gone
            if answer.status_code == 201:
                with self.lock:
                    self.intakes.append(answer.json() | {"token": token, "name": key[:12]})

    def referral_loop(self, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while True:
            with self.lock:
                mine = [c for c in self.intakes if c["token"] == token and "referred" not in c]
                case = mine[0] if mine else None
                if case:
                    case["referred"] = True
            if case is None:
                time.sleep(0.05)
                continue
            try:
                requests.post(
                    f"{self.base}/api/v1/survivors/{case['survivor_id']}/consents",
                    json={
                        "recipient_kind": "organisation",
                        "recipient_org_id": self.plan["partner"],
                        "categories": ["identity_contact", "needs"],
                        "purposes": ["referral"],
                        "method": "verbal",
                    },
                    headers=headers,
                    timeout=30,
                )
                answer = requests.post(
                    f"{self.base}/api/v1/cases/{case['id']}/referrals",
                    json={
                        "receiving_org_id": self.plan["partner"],
                        "referral_date": self.plan["today"],
                    },
                    headers=headers,
                    timeout=30,
                )
            except requests.RequestException:
                return
            if answer.status_code in {200, 201}:
                with self.lock:
                    self.referrals.append(answer.json()["id"])

    def import_once(self) -> None:
        web = requests.Session()
        try:
            page = web.get(f"{self.base}/accounts/sign-in/", timeout=30)
            web.post(
                f"{self.base}/accounts/sign-in/",
                {
                    "email": self.plan["admin"],
                    "password": self.plan["password"],
                    "csrfmiddlewaretoken": _CSRF.search(page.text).group(1),  # type: ignore[union-attr]
                },
                timeout=30,
            )
            step = web.get(f"{self.base}/accounts/second-factor/", timeout=30)
            web.post(
                f"{self.base}/accounts/second-factor/",
                {
                    "code": self.plan["codes"].pop(0),  # single-use recovery codes
                    "csrfmiddlewaretoken": _CSRF.search(step.text).group(1),  # type: ignore[union-attr]
                },
                timeout=30,
            )
            form = web.get(f"{self.base}/directory/manage/import/", timeout=30)
            token = _CSRF.search(form.text).group(1)  # type: ignore[union-attr]
            self.import_sent.set()
            answer = web.post(
                f"{self.base}/directory/manage/import/",
                data={"csrfmiddlewaretoken": token, "org": ""},
                files={"file": ("crash.json", self.import_data, "application/json")},
                timeout=300,
            )
        except requests.RequestException:
            self.import_sent.set()
            return
        self.import_acknowledged = answer.status_code == 200 and "message success" in answer.text


def start_server(env: dict[str, str], port: int, log: Path) -> Any:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "120",
        "--keep-alive", "30",
    ]  # fmt: skip
    server = subprocess.Popen(  # noqa: S603
        command, env=env, cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}/accounts/sign-in/", server)
    return server


def one_round(
    env: dict[str, str], plan: dict[str, Any], round_no: int, args: Any, log: Path
) -> Any:
    port = free_port()
    server = start_server(env, port, log)
    drivers = Drivers(f"http://127.0.0.1:{port}", plan, import_file(args.services, round_no))
    threads = [threading.Thread(target=drivers.intake_loop, args=(t,)) for t in plan["tokens"]]
    threads += [threading.Thread(target=drivers.referral_loop, args=(t,)) for t in plan["tokens"]]
    importer = threading.Thread(target=drivers.import_once)
    threads.append(importer)
    for t in threads:
        t.daemon = True
        t.start()
    drivers.import_sent.wait(timeout=120)
    if round_no == args.rounds:  # the last kill comes after the import was acknowledged
        importer.join(timeout=600)
        time.sleep(0.5)
    else:  # the others while it is being read or written
        time.sleep(random.uniform(0.5, 2.5))
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    for t in threads:
        t.join(timeout=60)
    return drivers


CHECK = r"""
import json, subprocess, sys, django
django.setup()
from harbour.audit.models import AuditEvent
from harbour.cases.models import Case, Survivor
from harbour.cases.values import read_values
from harbour.directory.models import Service
from harbour.orgs import crypto, keystore
from harbour.sharing.models import Referral
acked = json.load(open(sys.argv[1]))
found = {}
cases = {str(c.pk): c for c in Case.objects.select_related("survivor")}
found["acknowledged_intakes"] = len(acked["intakes"])
found["acknowledged_intakes_missing"] = [c["id"] for c in acked["intakes"] if c["id"] not in cases]
unreadable = []
for c in acked["intakes"]:
    case = cases.get(c["id"])
    if case is None:
        continue
    try:
        if read_values(case.survivor, with_identity=True)["family_name"] != c["name"]:
            unreadable.append(c["id"])
    except crypto.KeyError_:
        unreadable.append(c["id"])
found["acknowledged_intakes_unreadable"] = unreadable
created = set(AuditEvent.objects.filter(action="case.created").values_list("target_id", flat=True))
found["cases_without_their_event"] = sorted(set(cases) - created)
found["survivors_without_a_case"] = list(
    Survivor.objects.filter(cases__isnull=True).values_list("reference", flat=True))
referrals = {str(r) for r in Referral.objects.values_list("pk", flat=True)}
sent = set(AuditEvent.objects.filter(action="referral.sent").values_list("target_id", flat=True))
found["acknowledged_referrals"] = len(acked["referrals"])
found["acknowledged_referrals_missing"] = sorted(set(acked["referrals"]) - referrals)
found["referrals_without_their_event"] = sorted(referrals - sent)
store = keystore.store()
found["sealed_survivors_without_a_key"] = [
    str(s.pk) for s in Survivor.objects.exclude(sealed="")
    if (k := store.get(str(s.pk))) is None or k.destroyed]
imported = Service.objects.filter(name__startswith=acked["prefix"]).count()
found["import_services"] = imported
found["import_all_or_nothing"] = imported in (0, acked["services"])
found["import_acknowledged_but_missing"] = acked["import_acknowledged"] and imported == 0
verify = subprocess.run([sys.executable, "-m", "harbour.cli", "audit", "verify"],
                        capture_output=True, text=True)
found["audit"] = (verify.stdout + verify.stderr).strip().splitlines()[-1]
found["audit_intact"] = verify.returncode == 0
print(json.dumps(found))
"""


def check(env: dict[str, str], drivers: Drivers, round_no: int, args: Any, var_dir: Path) -> Any:
    acked = var_dir / f"acknowledged-{round_no}.json"
    acked.write_text(
        json.dumps(
            {
                "intakes": drivers.intakes,
                "referrals": drivers.referrals,
                "prefix": f"{IMPORT_PREFIX} {round_no}-",
                "services": args.services,
                "import_acknowledged": drivers.import_acknowledged,
            }
        )
    )
    command = [sys.executable, "-c", CHECK, str(acked)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def holds(found: dict[str, Any]) -> bool:
    empty = (
        "acknowledged_intakes_missing", "acknowledged_intakes_unreadable",
        "cases_without_their_event", "survivors_without_a_case",
        "acknowledged_referrals_missing", "referrals_without_their_event",
        "sealed_survivors_without_a_key",
    )  # fmt: skip
    return (
        all(not found[k] for k in empty)
        and found["import_all_or_nothing"]
        and not found["import_acknowledged_but_missing"]
        and found["audit_intact"]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="harbour-crash-"))
    env = environment(args, var_dir)
    rounds = []
    try:
        plan = setup(env, var_dir)
        for round_no in range(1, args.rounds + 1):
            drivers = one_round(env, plan, round_no, args, var_dir / "server.log")
            found = check(env, drivers, round_no, args, var_dir) | {"round": round_no}
            found["consistent"] = holds(found)
            rounds.append(found)
            print(
                f"round {round_no}: killed with {found['acknowledged_intakes']} acknowledged "
                f"intakes, {found['acknowledged_referrals']} referrals, import "
                f"{'acknowledged' if drivers.import_acknowledged else 'in flight'} "
                f"({found['import_services']} of {args.services} services present); "
                f"{'CONSISTENT' if found['consistent'] else 'INCONSISTENT'}; {found['audit']}"
            )
            if not found["consistent"]:
                print(json.dumps(found, indent=2))
        port = free_port()
        server = start_server(env, port, var_dir / "server.log")  # after the last kill
        restarted = requests.get(f"http://127.0.0.1:{port}/accounts/sign-in/", timeout=30)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        ok = all(r["consistent"] for r in rounds) and restarted.status_code == 200
        print(f"server restarted after the last kill: HTTP {restarted.status_code}")
        print("crash consistency: " + ("every check held" if ok else "FAILED"))
        if args.json:
            args.json.write_text(json.dumps({"rounds": rounds, "ok": ok}, indent=2))
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
