"""Simulated staff for the load run (benchmarks/load_run.py starts this; see benchmarks/README.md).

Each simulated user is one caseworker of a demo organisation, signed in on the web with a real
session and holding an API token, who works the way staff do, with pauses between actions:
reads the case list, opens cases, searches for a returning survivor, records intakes (API, as an
intake tablet or a partner system would), records consents and sends referrals to a partner
organisation, looks at the referral list and the care map, and reads through the API.

Knows nothing of Django: everything it needs comes from the JSON file named by
HARBOUR_LOAD_PLAN, written by load_run.py. The load shape (staff over time, with a spike) comes
from HARBOUR_LOAD_SHAPE: "users:seconds,users:seconds,...".

The simulated staff speak HTTP through locust's FastHttpUser (geventhttpclient): it costs the
load generator several times less CPU per request than HttpUser (python-requests), and the load
generator shares the server's two CPUs. HARBOUR_LOAD_CLIENT=requests selects HttpUser, the
client of runs 1-5 (benchmarks/README.md), to measure the difference in one run.
"""

import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, HttpUser, LoadTestShape, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["HARBOUR_LOAD_PLAN"]).read_text(encoding="utf-8"))
_staff = itertools.cycle(PLAN["staff"])
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Kept open for the whole run: one line per request, flushed when locust stops.
RECORD = open(os.environ["HARBOUR_LOAD_RECORD"], "a", encoding="utf-8")  # noqa: SIM115


@events.quitting.add_listener
def _close(**kw: Any) -> None:
    RECORD.close()


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, exception: Any, **kw: Any) -> None:
    """Every request with its time, so the report can split the steady phase from the spike."""
    response = kw.get("response")
    status = getattr(response, "status_code", 0)
    ok = exception is None
    RECORD.write(
        json.dumps([round(kw.get("start_time", 0), 3), name, round(response_time, 1), status, ok])
        + "\n"
    )


_Client: Any = HttpUser if os.environ.get("HARBOUR_LOAD_CLIENT") == "requests" else FastHttpUser


class Staff(_Client):
    wait_time = between(2, 8)  # seconds of reading and typing between two actions
    # HttpUser waits for an answer without limit; FastHttpUser gives up after 60 s. A queued
    # answer is late, not lost: wait as long as gunicorn lets a worker run (load_run --timeout).
    network_timeout = connection_timeout = 300.0

    def on_start(self) -> None:
        self.me = next(_staff)
        self.rng = random.Random()
        self.api = {"Authorization": f"Bearer {self.me['token']}"}
        page = self.client.get("/accounts/sign-in/", name="sign in (page)")
        token = _CSRF.search(page.text)
        self.client.post(
            "/accounts/sign-in/",
            {
                "email": self.me["email"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="sign in",
        )

    # --- the web -----------------------------------------------------------------------------

    @task(6)
    def case_list(self) -> None:
        page = self.rng.randint(1, 5)
        self.client.get(f"/cases/?page={page}", name="web: case list")

    @task(5)
    def open_case(self) -> None:
        case = self.rng.choice(self.me["cases"])
        self.client.get(f"/cases/{case}/", name="web: case (identity read, audited)")

    @task(2)
    def search(self) -> None:
        page = self.client.get("/cases/search/", name="web: search (page)")
        token = _CSRF.search(page.text)
        self.client.post(
            "/cases/search/",
            {
                "name": self.rng.choice(PLAN["names"]),
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/cases/search/"},
            name="web: search",
        )

    @task(2)
    def referrals(self) -> None:
        self.client.get("/sharing/referrals/", name="web: referrals")

    @task(2)
    def care_map(self) -> None:
        place = self.rng.choice(PLAN["places"])
        need = self.rng.choice(PLAN["needs"])
        self.client.get(f"/directory/care-map/?place={place}&needs={need}", name="web: care map")

    @task(1)
    def intake_form(self) -> None:
        self.client.get("/cases/intake/", name="web: intake (form)")

    # --- writes through the API ------------------------------------------------------------

    @task(2)
    def intake(self) -> None:
        body = {
            "survivor": {
                "given_name": self.rng.choice(PLAN["names"]),
                "family_name": f"Load{self.rng.randint(1, 10**6)}",
                "birth_date": f"{self.rng.randint(1960, 2006)}-0{self.rng.randint(1, 9)}-15",
            },
            "case": {
                "intake_date": PLAN["today"],
                "intake_province": self.me["province"],
                "consent_to_record": True,
                "current_needs": [self.rng.choice(PLAN["needs"])],
            },
        }
        headers = self.api | {"Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/cases", json=body, headers=headers, name="api: intake", catch_response=True
        ) as response:
            if response.status_code == 201:
                self.me.setdefault("new_cases", []).append(response.json())

    @task(1)
    def refer(self) -> None:
        """Consent, then a referral to a partner under the national protocol."""
        mine = self.me.get("new_cases") or []
        if not mine:
            # Nobody of this account has recorded an intake yet (early in a run, or in CI's
            # short run, where a referral would otherwise be left to chance): record one first.
            self.intake()
            mine = self.me.get("new_cases") or []
            if not mine:
                return  # the intake was refused: counted as an error by the intake itself
        case = mine.pop()
        partner = self.rng.choice(self.me["partners"])
        consent = {
            "recipient_kind": "organisation",
            "recipient_org_id": partner,
            "categories": ["identity_contact", "needs"],
            "purposes": ["referral"],
            "method": "verbal",
        }
        self.client.post(
            f"/api/v1/survivors/{case['survivor_id']}/consents",
            json=consent,
            headers=self.api,
            name="api: consent",
        )
        self.client.post(
            f"/api/v1/cases/{case['id']}/referrals",
            json={"receiving_org_id": partner, "referral_date": PLAN["today"]},
            headers=self.api,
            name="api: referral",
        )

    # --- reads through the API -------------------------------------------------------------

    @task(3)
    def api_cases(self) -> None:
        page = self.rng.randint(1, 4)
        self.client.get(
            f"/api/v1/cases?page={page}&page_size=50", headers=self.api, name="api: cases"
        )

    @task(2)
    def api_case(self) -> None:
        case = self.rng.choice(self.me["cases"])
        self.client.get(f"/api/v1/cases/{case}", headers=self.api, name="api: case")

    @task(1)
    def api_referrals(self) -> None:
        self.client.get("/api/v1/referrals", headers=self.api, name="api: referrals")


class Shape(LoadTestShape):
    """Staff over time from HARBOUR_LOAD_SHAPE, e.g. "100:600,500:60,100:60": 100 staff for ten
    minutes, a 5x spike for one, then back to 100. New sessions start at HARBOUR_LOAD_SPAWN per
    second (default 10): each begins with a sign-in."""

    stages = [
        (int(u), int(s))
        for u, s in (p.split(":") for p in os.environ.get("HARBOUR_LOAD_SHAPE", "10:30").split(","))
    ]

    def tick(self) -> tuple[int, float] | None:
        elapsed, total = self.get_run_time(), 0
        for users, seconds in self.stages:
            total += seconds
            if elapsed < total:
                return users, float(os.environ.get("HARBOUR_LOAD_SPAWN", "10"))
        return None
